"""Benchmarks of fairshare against a straightforward PuLP/CBC formulation and the LP relaxation.

``python -m benchmarks run`` solves every instance of `benchmarks.suite` with every solver of
`benchmarks.runner`, each run in a fresh subprocess, and writes one CSV row per run. The measured
results, with the machine and the exact command, are in ``benchmarks/RESULTS.md``.
"""
