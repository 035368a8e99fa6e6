#!/bin/bash
# The national instance, old (the tree at /tmp/old: e1b4a11 in run 12, f17b281 in run 13) and new
# (this tree) interleaved, five rounds per objective; output files compared in every round. Timed
# by /usr/bin/time through cmd.sh of run 11. OUT: the directory for the raw files (/tmp/run12).
here=$(cd "$(dirname "$0")" && pwd)
new=$(cd "$here/../../.." && pwd)
cmd="$new/benchmarks/results/run11/cmd.sh"
out=${OUT:-/tmp/run12}
mkdir -p $out
for objective in sum_abs_deviation leximin; do
    for round in 1 2 3 4 5; do
        for tree in old new; do
            path=/tmp/old; [ $tree = new ] && path=$new
            rm -rf $out/files-$tree
            echo "$objective $round $tree $(bash $cmd $path $out/$tree-$objective-$round solve $new/instances/nl --objective $objective --out $out/files-$tree)"
        done
        same=identical
        for f in municipalities.csv placements.csv summary.json; do
            cmp -s $out/files-old/$f $out/files-new/$f || same="differ in $f"
        done
        echo "$objective $round files $same"
    done
done
