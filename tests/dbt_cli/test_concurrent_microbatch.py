"""Two dbt runs of the same new month of orders_by_month_microbatch at once, on Postgres.

dbt-postgres writes a microbatch batch with a MERGE on order_month. Two
MERGEs of a month that is not in the table yet both find nothing to update,
and both insert it. dbt runs a microbatch model's pre-hook before its first
batch only, so the batch's month lock is taken in the project's
`postgres__get_incremental_microbatch_sql()` (dbt_project/macros/microbatch.sql),
just before each batch's MERGE: the second run waits for the first's commit,
then updates its row.

Two processes rarely reach their MERGEs within the same milliseconds, so
the test makes them: it holds the table in SHARE mode, which every MERGE
waits for, until both runs are waiting on a lock (without the month lock,
both on the table; with it, one on the table and one on the month), then
lets them go together.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagster_project.lib.project import DBT_PROJECT_DIR
from harness.oracle import expected_rows
from tests.support.dbt import DBT, dbt_env
from tests.support.microbatch import MODEL, event_time, microbatch_rows, run_microbatch
from tests.support.postgres import PostgresTestWarehouse
from tests.support.warehouse import TestWarehouse

pytestmark = pytest.mark.postgres_only


def start_run(db: TestWarehouse, target: Path, start: str, end: str) -> subprocess.Popen[str]:
    """`dbt run` of the model over [start, end) in its own process and target folder."""
    env = {**dbt_env(db), "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target / "logs")}
    return subprocess.Popen(
        [str(DBT), "run", "--select", MODEL, *event_time(start, end)],
        cwd=DBT_PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@contextlib.contextmanager
def table_held(db: TestWarehouse, table: str) -> Iterator[None]:
    """`table` locked in SHARE mode by another session for the block: a MERGE into it waits."""
    assert isinstance(db, PostgresTestWarehouse)
    with contextlib.closing(db.server.connect(db.database)) as con:
        con.autocommit = False
        with con.cursor() as cur:
            cur.execute(f"lock table {table} in share mode")
        yield
        con.commit()


def wait_for_waiting_sessions(db: TestWarehouse, count: int, runs: list[subprocess.Popen]) -> None:
    """Wait until `count` sessions wait on a lock (a table's or an advisory one)."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        waiting = db.query("select count(distinct pid) as n from pg_locks where not granted")
        if waiting[0]["n"] >= count:
            return
        ended = [run for run in runs if run.poll() is not None]
        assert not ended, ended[0].communicate()[0][-5000:]
        time.sleep(0.2)
    pytest.fail(f"fewer than {count} sessions waited on a lock within 240 s")


def test_two_runs_of_the_same_new_month_leave_one_correct_row(
    db: TestWarehouse, tmp_path: Path
) -> None:
    # January creates the table; March is new to it.
    run_microbatch(db, "2018-01-01", "2018-02-01")

    with table_held(db, MODEL):
        runs = [start_run(db, tmp_path / f"target-{i}", "2018-03-01", "2018-04-01") for i in (1, 2)]
        wait_for_waiting_sessions(db, 2, runs)
    outputs = [run.communicate(timeout=300)[0] for run in runs]

    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output[-5000:]
    # microbatch_rows asserts one row per month: a second March fails here.
    assert microbatch_rows(db) == {
        **expected_rows(db, "2018-01-01", "2018-02-01"),
        **expected_rows(db, "2018-03-01", "2018-04-01"),
    }
