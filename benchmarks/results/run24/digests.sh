#!/bin/sh
# syn-5000-g8 under the sum, max_abs_deviation and equal_burden, on the tree at /tmp/old (run 23's
# last commit) and on this one, one after the other; logs in DIR (benchmarks/RESULTS.md, run 24).
dir=$(cd "${1:?DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
new=$(cd "$here/../../.." && pwd)
for objective in sum_abs_deviation max_abs_deviation equal_burden; do
    for tree in old new; do
        path=/tmp/old; [ $tree = new ] && path=$new
        (cd $path && PYTHONPATH=$path "$new/.venv/bin/python" "$here/whole_digest.py" syn-5000-g8 900 \
            $objective > "$dir/syn5000-$objective-$tree.log" 2>&1)
    done
done
