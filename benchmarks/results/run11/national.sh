#!/bin/bash
# National instance, six objectives, old (dbc930b) and new (HEAD) interleaved, 3 rounds.
cd /tmp/run11
for rep in 1 2 3; do
 for o in sum_abs_deviation max_abs_deviation max_rel_deviation quota_respecting equal_burden leximin; do
  for tree in old new; do
    dir=/tmp/old; [ $tree = new ] && dir=/work/main
    rm -rf out-$tree-$o
    r=$(/tmp/run11/cmd.sh $dir /tmp/run11/log-$tree-$o-$rep solve /work/main/instances/nl --objective $o --out /tmp/run11/out-$tree-$o)
    echo "$rep $o $tree $r"
  done
  diff -rq -x timings.json out-old-$o out-new-$o > /dev/null && echo "$rep $o outputs identical" || echo "$rep $o outputs DIFFER"
 done
done
