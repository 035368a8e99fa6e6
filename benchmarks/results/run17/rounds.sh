#!/bin/bash
# rounds.py under all six fairness objectives, the old tree (/tmp/old) and this one interleaved,
# PASSES passes of ROUNDS rounds each.
here=$(cd "$(dirname "$0")" && pwd)
new=$(cd "$here/../../.." && pwd)
python=${PYTHON:-$new/.venv/bin/python}
for pass in $(seq "${PASSES:-2}"); do
    for objective in sum_abs_deviation max_abs_deviation max_rel_deviation leximin quota_respecting equal_burden; do
        for tree in old new; do
            path=/tmp/old; [ $tree = new ] && path=$new
            echo "pass $pass $tree $(cd $path && PYTHONPATH=$path $python $here/rounds.py $objective "${ROUNDS:-5}")"
        done
    done
done
