"""`python -m scripts.benchmark`: see scripts/benchmark/__init__.py."""

from scripts.benchmark.cli import main

main()
