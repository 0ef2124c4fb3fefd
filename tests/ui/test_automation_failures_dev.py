"""End to end: a failed automated run is retried by Dagster's run retries, a bounded
number of times, on a real `dg dev`.

One `dg dev` with automation on (DuckDB; docs/automation.md). The starting
state (raw tables, unpartitioned models, the lookback's months) is built by
dbt and recorded as materialized without a run, so no run precedes the test.

1. **A crash, retried.** Late orders for the latest month: automation
   requests the lookback's months (one run). Once that run has started, its
   process is killed (SIGKILL, as the kernel's out-of-memory killer does;
   the pid is in the run's "Started process for run" event). The code
   server sees it gone and marks the run failed; Dagster's run retries
   launch a retry (dagster/retry_number 1) that materializes both months,
   and the month equals SQL over the raw tables.
2. **A run that keeps failing stops.** Late orders again: the months' run
   and each of its retries are killed as they start. After 1 + MAX_RETRIES
   failed runs no run follows, the last one is Failure with its error, and
   the month's latest materialization is still the retry's from case 1.

Every wait is bounded; on a failure the sensors' ticks and the log's tail
are printed.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.defs.automation import MAX_RETRIES
from dagster_project.defs.partitions import monthly_partitions
from harness.dg_dev import new_dagster_home
from harness.oracle import expected_rows, model_rows
from tests.support.automation_dev import (
    automation_settings,
    build_months,
    finished,
    insert_late_orders,
    instance_of,
    latest_run_id,
    month_runs,
    next_month,
    partitions_of,
    print_ticks,
    record_built_warehouse,
    wait_for,
    when_free,
)
from tests.support.dagster_dev import dagster_env, started_dagster_dev
from tests.support.warehouse import TestWarehouse

pytestmark = pytest.mark.e2e

LOOKBACK = 2
AUTOMATION = automation_settings(LOOKBACK)
PARENT_TAG, RETRY_TAG = "dagster/parent_run_id", "dagster/retry_number"
# The daemons that could launch another run: run retries (every 5 s) and the
# automation sensor (every 5 s here). Two loops of each pass in this time.
QUIET = 15


def test_failed_runs_are_retried_within_the_bound(db: TestWarehouse, tmp_path: Path) -> None:
    home, log = tmp_path / "dagster_home", tmp_path / "dagster_dev.log"
    months = monthly_partitions.get_partition_keys()[-LOOKBACK:]
    latest = months[-1]
    build_months(db, months)
    new_dagster_home(home)
    instance = instance_of(home, dagster_env(home, db, automation=AUTOMATION))
    record_built_warehouse(instance, db, months)

    with started_dagster_dev(home, db, log, automation=AUTOMATION) as dev:
        try:
            retry_id = crash_is_retried(instance, db, months)
            bound_is_kept(instance, db, latest, retry_id)
        except AssertionError:
            print_ticks(dev.url, log)
            raise


def crash_is_retried(instance: dg.DagsterInstance, db: TestWarehouse, months: list[str]) -> str:
    """Case 1: the months' run is killed; its retry materializes them. Returns the retry's id."""
    since = dt.datetime.now(dt.UTC)
    insert_late_orders(db, [months[-1]])
    (crashed,) = kill_runs(instance, since, 1)
    retry = wait_for(lambda: retry_of(instance, crashed), 60, "a retry launched")
    wait_for(lambda: finished(instance, retry.run_id), 300, "the retry finished")
    print(f"crash retried after {dt.datetime.now(dt.UTC) - since}")

    # The crashed run failed with the crash as its reason.
    assert instance.get_run_by_id(crashed).status == dg.DagsterRunStatus.FAILURE
    assert crashed_by_sigkill(instance, crashed)
    # Its retry materialized both months.
    retry = instance.get_run_by_id(retry.run_id)
    assert retry.status == dg.DagsterRunStatus.SUCCESS, retry.status
    assert (retry.tags[PARENT_TAG], retry.tags[RETRY_TAG]) == (crashed, "1"), retry.tags
    assert [run.run_id for run in month_runs(instance, since)] == [crashed, retry.run_id]
    assert partitions_of(instance, retry.run_id) == set(months)
    # And they equal SQL over the raw tables, the late orders in.
    rows = when_free(lambda: model_rows(db))
    expected = when_free(lambda: expected_rows(db, months[0], next_month(months[-1])))
    for month in map(dt.date.fromisoformat, months):
        assert rows[month] == expected[month], month
    return retry.run_id


def bound_is_kept(
    instance: dg.DagsterInstance, db: TestWarehouse, latest: str, retry_id: str
) -> None:
    """Case 2: the months' run and each retry are killed; after 1 + MAX_RETRIES runs none
    follows, and the month keeps its materialization by case 1's retry."""
    since = dt.datetime.now(dt.UTC)
    insert_late_orders(db, [latest])
    killed = kill_runs(instance, since, 1 + MAX_RETRIES)
    wait_for(lambda: finished(instance, killed[-1]), 60, "the last run failed")
    time.sleep(QUIET)
    print(f"bound reached after {dt.datetime.now(dt.UTC) - since}")

    # A chain of 1 + MAX_RETRIES runs, each the retry of the one before, and
    # nothing after it.
    assert [run.run_id for run in month_runs(instance, since)] == killed
    chain = [instance.get_run_by_id(run_id) for run_id in killed]
    assert [run.status for run in chain] == [dg.DagsterRunStatus.FAILURE] * (1 + MAX_RETRIES)
    assert [run.tags.get(RETRY_TAG) for run in chain] == [
        None,
        *(str(n) for n in range(1, MAX_RETRIES + 1)),
    ]
    assert [run.tags.get(PARENT_TAG) for run in chain[1:]] == killed[:-1]
    # The last shows its failure, its cause, and that it is not retried.
    assert chain[-1].tags.get("dagster/will_retry") == "false", chain[-1].tags
    assert crashed_by_sigkill(instance, killed[-1])
    # The month is as case 1's retry left it: these late orders are not in.
    assert latest_run_id(instance, latest) == retry_id
    rows = when_free(lambda: model_rows(db))
    expected = when_free(lambda: expected_rows(db, latest, next_month(latest)))
    month = dt.date.fromisoformat(latest)
    assert rows[month] != expected[month]


def kill_runs(instance: dg.DagsterInstance, since: dt.datetime, count: int) -> list[str]:
    """Kill the process of each of the first `count` orders_by_month runs created since
    `since`, each once it has started; return their ids, the oldest first."""
    killed: list[str] = []
    while len(killed) < count:
        # The first waits for the raw change, the unpartitioned models' run
        # and the backfill daemon's 30 s loop; a retry waits in the queue
        # behind the runs already there (the backfill's payments_by_month_
        # and_method runs), one at a time on DuckDB's pool.
        run_id, pid = wait_for(
            lambda: next_started(instance, since, killed),
            300,
            f"run {len(killed) + 1} started",
            0.25,
        )
        os.kill(pid, signal.SIGKILL)
        killed.append(run_id)
        print(f"killed run {run_id} (pid {pid})")
    return killed


def next_started(
    instance: dg.DagsterInstance, since: dt.datetime, killed: list[str]
) -> tuple[str, int] | None:
    """The first orders_by_month run since `since`, not in `killed`, that has started, and
    the pid of its process."""
    for run in month_runs(instance, since):
        if run.run_id in killed:
            continue
        if run.status != dg.DagsterRunStatus.STARTED:
            return None
        pid = worker_pid(instance, run.run_id)
        return (run.run_id, pid) if pid is not None else None
    return None


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid in the run's "Started process for run (pid: N)." event."""
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        event = record.dagster_event
        metadata = event.engine_event_data.metadata if event.engine_event_data else {}
        if "pid" in metadata and event.message.startswith("Started process for run"):
            return int(metadata["pid"].value)
    return None


def retry_of(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRun | None:
    """The run that run retries launched to re-execute `run_id`, if any."""
    runs = instance.get_runs(dg.RunsFilter(tags={PARENT_TAG: run_id}))
    return runs[0] if runs else None


def crashed_by_sigkill(instance: dg.DagsterInstance, run_id: str) -> bool:
    """Whether the run's page shows the code server's report of its process killed by
    SIGKILL."""
    crash = f"Run execution process for {run_id} was terminated by signal 9 (SIGKILL)."
    records = instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
    return any(crash in record.dagster_event.message for record in records)
