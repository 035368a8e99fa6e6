# Network probes and least-level programs before and after run 25 (benchmarks/RESULTS.md, run 25):
# OLD is a worktree of bec75ff, e.g. `git worktree add /tmp/old bec75ff`.
#   OLD=/tmp/old sh benchmarks/results/run25/probes.sh > benchmarks/results/run25/probes.log
for name in nl mra groningen parkstad-limburg haaglanden syn-1000-g8 syn-5000-g8; do
  for objective in max_abs_deviation equal_burden max_rel_deviation leximin; do
    case "$name" in syn-*) [ "$objective" = leximin ] && continue ;; esac
    PYTHONPATH="$OLD" python benchmarks/results/run25/probes.py "$name" "$objective" | sed 's/^/bec75ff  /'
    PYTHONPATH=. python benchmarks/results/run25/probes.py "$name" "$objective" alternate | sed 's/^/run 25   /'
    PYTHONPATH=. python benchmarks/results/run25/probes.py "$name" "$objective" | sed 's/^/run 25   /'
  done
done
