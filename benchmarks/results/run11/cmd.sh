#!/bin/bash
# usage: cmd.sh TREE OUT ARGS... : time `fairshare ARGS` run from TREE's code
tree=$1; out=$2; shift 2
cd $tree && /usr/bin/time -f "%e %M" -o $out.time /work/main/.venv/bin/python -c "import sys; sys.argv=['fairshare']+sys.argv[1:]; import cli; cli.main()" "$@" > $out.stdout 2>&1
echo "rc=$? $(cat $out.time | tail -1)"
