"""The dbt CLI of this virtual environment, run against a test's own database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dagster_project.lib.project import DBT_PROJECT_DIR, dbt_project
from tests.support.spark import DbtResult, run_dbt_here
from tests.support.warehouse import TestWarehouse

DBT = Path(sys.executable).with_name("dbt")


def dbt_env(db: TestWarehouse) -> dict[str, str]:
    """The environment of a dbt process (or `dagster`) that works on `db`.

    os.environ already holds this worker's dbt target and log folders
    (tests/conftest.py), so only the database differs from test to test.
    """
    return {**os.environ, **db.env}


def run_dbt(
    args: list[str], db: TestWarehouse, *, cwd: Path = DBT_PROJECT_DIR, check: bool = True
) -> subprocess.CompletedProcess[str] | DbtResult:
    """`dbt <args>` against `db`; fails the test with dbt's output unless `check=False`.

    A `dbt` process, except on Spark: there the worker's own Java process holds
    the metastore, so dbt runs in this process (tests/support/spark.py).
    """
    if db.kind == "spark":
        result: subprocess.CompletedProcess[str] | DbtResult = run_dbt_here(args, dbt_env(db), cwd)
    else:
        result = subprocess.run(
            [str(DBT), *args], cwd=cwd, env=dbt_env(db), capture_output=True, text=True, timeout=300
        )
    if check and result.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def manifest_adapter() -> str | None:
    """The adapter the manifest Dagster reads was parsed for ("duckdb", ...), if any.

    Read afresh each call, unlike `warehouse_kind()`, which keeps what this
    process first read: scripts/dev or the benchmark may have rewritten it.
    """
    if not dbt_project.manifest_path.exists():
        return None
    return json.loads(dbt_project.manifest_path.read_text())["metadata"]["adapter_type"]


def dbt_vars(**values: object) -> list[str]:
    """`--vars` in the JSON form."""
    return ["--vars", json.dumps(values)]
