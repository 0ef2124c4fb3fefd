"""`scripts/test --quick` collects every path once, on DuckDB only (tests/conftest.py)."""

from __future__ import annotations

import subprocess
import sys

from dagster_project.lib.project import REPO_ROOT


def test_the_quick_tier_is_each_path_on_duckdb_only() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--quick", "--collect-only", "-q", "-n", "0"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    ids = [line for line in result.stdout.splitlines() if "::" in line]

    folders = {test_id.split("/")[1] for test_id in ids}
    assert folders == {"unit", "dbt_cli", "dagster"}, folders
    other_warehouses = [i for i in ids if "[postgres" in i or "[spark" in i]
    assert other_warehouses == []
    assert any(i.endswith("[duckdb]") and i.startswith("tests/dbt_cli/") for i in ids)
    assert any(i.endswith("[duckdb]") and i.startswith("tests/dagster/") for i in ids)
