"""Benchmarks of hpo-bridge against its peers (optuna, Syne Tune), run side by side.

`python -m benchmarks [--quick] [--only NAME ...]` writes results/latest.json and
results/latest.md. Nothing here is a pass/fail test.
"""
