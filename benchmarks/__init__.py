"""Benchmarks of fairshare against a straightforward PuLP/CBC formulation and the LP relaxation.

``python -m benchmarks run`` solves the instances of `benchmarks.suite` (stable ids, MIPLIB-style)
with the solvers of `benchmarks.runner`, each run in a fresh subprocess, checks every answer,
compares it with the references of ``benchmarks/references.json`` (`benchmarks.references`) and
writes one CSV row per run (`benchmarks.output`); ``python -m benchmarks scaling`` draws and fits
the scaling curves (`benchmarks.scaling`). The measured results, with the machine and the exact
commands, are in ``benchmarks/RESULTS.md``.
"""
