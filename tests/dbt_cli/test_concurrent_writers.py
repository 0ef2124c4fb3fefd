"""Two dbt runs writing orders_by_month at the same moment, on a server warehouse.

DuckDB has one writer process per file, so there the `warehouse` pool keeps
runs apart (tests/dagster/test_pool.py). On Postgres, runs in separate
processes write at once: runs of different months both succeed, and runs of
the same month take turns (dbt_project/macros/lock_partitions.sql), so the
month ends up with exactly one correct row, never two.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dagster_project.lib.project import DBT_PROJECT_DIR
from harness.oracle import expected_rows, model_rows
from tests.support.dbt import DBT, dbt_env, dbt_vars, run_dbt
from tests.support.warehouse import TestWarehouse

# On Postgres; the same-month case on a Spark cluster through its Thrift
# server too, where each `dbt run`'s insert_overwrite replaces the month's
# partition folder whole (Spark's dynamic partition overwrite: the job's files
# are staged in a folder of its own, .spark-staging-<job id>, then the month's
# folder is deleted and the staged one moved in at commit). With the `append`
# strategy instead, that case fails: both jobs write in the table's one
# _temporary folder, and the first commit deletes it under the second. Spark
# has no lock around the delete and the move: two commits within the same
# milliseconds could still interleave (docs/spark-cluster.md). Two runs of
# different months at once are tested on the cluster through Dagster
# (tests/dagster/test_spark_cluster.py).
pytestmark = pytest.mark.postgres_only

ROUNDS = 3


def start_run(db: TestWarehouse, target: Path, partition_key: str) -> subprocess.Popen[str]:
    """`dbt run` of one month in its own process and target folder (as two users would)."""
    env = {**dbt_env(db), "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target / "logs")}
    return subprocess.Popen(
        [str(DBT), "run", "--select", "orders_by_month", *dbt_vars(partition_key=partition_key)],
        cwd=DBT_PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run_at_once(db: TestWarehouse, tmp_path: Path, keys: list[str]) -> None:
    """Start one `dbt run` per key together and wait for all; each must succeed."""
    runs = [start_run(db, tmp_path / f"target-{i}", key) for i, key in enumerate(keys)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output[-5000:]


@pytest.fixture
def table_exists(db: TestWarehouse) -> TestWarehouse:
    """orders_by_month created by a first run of January, so no run below creates it."""
    run_dbt(["run", "--select", "orders_by_month", *dbt_vars(partition_key="2018-01-01")], db)
    return db


def test_runs_of_different_months_both_succeed(table_exists: TestWarehouse, tmp_path: Path) -> None:
    db = table_exists
    for round_ in range(ROUNDS):
        run_at_once(db, tmp_path / str(round_), ["2018-03-01", "2018-04-01"])

    assert model_rows(db) == {
        **expected_rows(db, "2018-01-01", "2018-02-01"),
        **expected_rows(db, "2018-03-01", "2018-05-01"),
    }


@pytest.mark.spark(session=False)
def test_runs_of_the_same_month_leave_one_correct_row(
    table_exists: TestWarehouse, tmp_path: Path
) -> None:
    db = table_exists
    for round_ in range(ROUNDS):
        run_at_once(db, tmp_path / str(round_), ["2018-03-01", "2018-03-01"])
        # model_rows asserts one row per month: a duplicate March fails here.
        assert model_rows(db) == {
            **expected_rows(db, "2018-01-01", "2018-02-01"),
            **expected_rows(db, "2018-03-01", "2018-04-01"),
        }
