#!/bin/sh
# The whole runs of run 23 (benchmarks/RESULTS.md), one after the other:
#   sh benchmarks/results/run23/runs.sh OUT_DIR
out=${1:?OUT_DIR}
mkdir -p "$out"
for spec in "equal_burden 1" "sum_abs_deviation 1" "sum_abs_deviation 2" "max_abs_deviation 1" \
    "max_abs_deviation 2" "equal_burden 2"; do
    set -- $spec
    PYTHONPATH=. python benchmarks/results/run23/whole_run.py syn-5000-g8 900 "$2" "$1" \
        > "$out/syn5000-$1-threads$2.log" 2>&1
done
