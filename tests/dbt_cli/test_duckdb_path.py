"""One DuckDB file: dbt from the root, dbt from dbt_project/ and Dagster's Python all open it.

DuckDB only: the rule is how the profile turns DUCKDB_PATH into a file path.
"""

from __future__ import annotations

import os

import pytest

from dagster_project.lib.project import REPO_ROOT
from dagster_project.lib.warehouse import warehouse
from tests.support.dbt import run_dbt
from tests.support.warehouse import DuckDBTestWarehouse

pytestmark = pytest.mark.duckdb_only


def test_cli_from_root_and_from_dbt_project_and_python_open_the_same_file(
    db: DuckDBTestWarehouse,
) -> None:
    """Relative to where dbt runs, the profile must still find the same file."""
    from_project = run_dbt(["run-operation", "print_duckdb_path", "--quiet"], db)
    from_root = run_dbt(
        ["run-operation", "print_duckdb_path", "--quiet", "--project-dir", "dbt_project"],
        db,
        cwd=REPO_ROOT,
    )

    assert from_project.stdout.strip() == from_root.stdout.strip() == str(db.path)
    assert warehouse({**os.environ, **db.env}).location == str(db.path)
