#!/bin/sh
# The whole runs of run 23 on two threads, after the fix that runs each pricing solve on one
# thread (benchmarks/RESULTS.md): sh benchmarks/results/run23/runs2.sh OUT_DIR
out=${1:?OUT_DIR}
mkdir -p "$out"
for objective in sum_abs_deviation max_abs_deviation equal_burden; do
    PYTHONPATH=. python benchmarks/results/run23/whole_run.py syn-5000-g8 900 2 "$objective" \
        > "$out/syn5000-$objective-threads2.log" 2>&1
done
