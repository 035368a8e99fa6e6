#!/bin/bash
# The national instance under all six fairness objectives, old (the tree at /tmp/old, 8e5405b in
# run 14) and new (this tree): `fairshare solve` once each, the output files compared
# (timings.json aside). OUT: the directory for the raw files (/tmp/run14).
here=$(cd "$(dirname "$0")" && pwd)
new=$(cd "$here/../../.." && pwd)
out=${OUT:-/tmp/run14}
python=${PYTHON:-$new/.venv/bin/python}
mkdir -p "$out"
for objective in sum_abs_deviation max_abs_deviation max_rel_deviation leximin quota_respecting equal_burden; do
    for tree in old new; do
        path=/tmp/old; [ $tree = new ] && path=$new
        rm -rf "$out/$tree-$objective"
        (cd $path && PYTHONPATH=$path $python cli.py solve "$new/instances/nl" --objective $objective \
            --out "$out/$tree-$objective" > "$out/$tree-$objective.log" 2>&1)
    done
    same=identical
    for f in municipalities.csv placements.csv summary.json; do
        cmp -s "$out/old-$objective/$f" "$out/new-$objective/$f" || same="differ in $f"
    done
    echo "$objective: $same"
done
