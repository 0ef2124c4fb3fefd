"""The dbt CLI of this virtual environment, run against a test's own database.

`run_dbt` runs a dbt command in this process (`run_dbt_here`): dbt's own
programmatic entry point, `dbtRunner`, takes the same arguments through the
same click commands as the `dbt` executable and gives the same exit codes and
log lines. A `dbt` process would cost each command about 2 s of CPU for
Python and dbt's imports before dbt does anything, hundreds of times in the
suite on CI's two cores; and on Spark the worker's one Java process holds the
metastore, so no second process could open it. `run_dbt(..., process=True)`
runs the `dbt` executable, for a test about the process itself; the tests
that run dbt concurrently or kill it start their own processes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dbt.cli.main import dbtRunner
from dbt_common.events.functions import capture_stdout_logs, stop_capture_stdout_logs

from dagster_project.lib.project import DBT_PROJECT_DIR, dbt_project
from dagster_project.lib.warehouse import release_dbt_resources
from tests.support.warehouse import TestWarehouse

DBT = Path(sys.executable).with_name("dbt")


def dbt_env(db: TestWarehouse) -> dict[str, str]:
    """The environment of a dbt process (or `dagster`) that works on `db`.

    os.environ already holds this worker's dbt target and log folders
    (tests/conftest.py), so only the database differs from test to test.
    """
    return {**os.environ, **db.env}


def run_dbt(
    args: list[str],
    db: TestWarehouse,
    *,
    cwd: Path = DBT_PROJECT_DIR,
    check: bool = True,
    process: bool = False,
) -> subprocess.CompletedProcess[str] | DbtResult:
    """`dbt <args>` against `db`, in this process unless `process` (never on Spark); fails
    the test with dbt's output unless `check=False`."""
    if process and db.adapter != "spark":
        result: subprocess.CompletedProcess[str] | DbtResult = subprocess.run(
            [str(DBT), *args], cwd=cwd, env=dbt_env(db), capture_output=True, text=True, timeout=300
        )
    else:
        result = run_dbt_here(args, dbt_env(db), cwd)
    if check and result.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def manifest_adapter() -> str | None:
    """The adapter the manifest Dagster reads was parsed for ("duckdb", ...), if any.

    Read afresh each call, unlike `adapter_type()`, which keeps what this
    process first read: scripts/dev or the benchmark may have rewritten it.
    """
    if not dbt_project.manifest_path.exists():
        return None
    return json.loads(dbt_project.manifest_path.read_text())["metadata"]["adapter_type"]


def dbt_vars(**values: object) -> list[str]:
    """`--vars` in the JSON form."""
    return ["--vars", json.dumps(values)]


@dataclass
class DbtResult:
    """What `subprocess.run` returns for a `dbt` process: the return code and its output."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str = ""


def run_dbt_here(args: list[str], env: dict[str, str], cwd: Path) -> DbtResult:
    """`dbt <args>` in this process by dbtRunner, as the `dbt` command runs it from `cwd`.

    The environment is this process's for the length of the command, and
    dbt's log lines are captured as the command's stdout. The return code is
    the CLI's: 0 success, 1 a node failed, 2 dbt itself failed.
    """
    output = io.StringIO()
    with _environment(env), contextlib.chdir(cwd):
        capture_stdout_logs(output)
        try:
            result = dbtRunner().invoke(args)
        finally:
            stop_capture_stdout_logs()
            # A dbt process lets go of the warehouse when it exits (the DuckDB
            # file, the Spark session): so must this command.
            release_dbt_resources(env)
    if result.success:
        returncode = 0
    elif result.exception is None:
        returncode = 1
    else:
        returncode = 2
        output.write(f"dbt failed: {result.exception}\n")
    return DbtResult(args, returncode, output.getvalue())


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def assert_tests_passed(
    result: subprocess.CompletedProcess[str] | DbtResult, tests: list[str]
) -> None:
    """Each of dbt's `tests` has a PASS line in the output of `dbt build`."""
    lines = result.stdout.splitlines()
    for test in tests:
        assert any(test in line and "PASS" in line for line in lines), test
