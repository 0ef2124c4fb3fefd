"""End to end: late orders inserted by SQL are rebuilt by a real `dg dev`, nobody asking,
through a crash of the whole `dg dev`.

`dg dev` runs with automation on (docs/automation.md) and its sensors every
few seconds. Two months are built by dbt and recorded as materialized
without a run (the state a backfill leaves, without the backfill daemon's
30 s loop). The test inserts late orders by SQL into both: the latest month,
inside the lookback, and the month just before the lookback. Without any
request from the test, the raw_changes sensor reports raw_orders and
raw_payments changed, the automation sensor requests the unpartitioned
models, then the lookback's months as a backfill. At the first moment after
the raw change is reported when requests are pending but no run is in a
worker, the whole `dg dev` is killed (SIGKILL to its process group:
webserver, daemon, code server) and started again on the same
DAGSTER_HOME. No request is lost: the lookback's months are
rebuilt in one run, and the month inside equals SQL over the raw tables
again. The month outside keeps its old numbers. Every wait is bounded; on a
failure the sensors' ticks and the log's tail are printed.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy.exc

from dagster_project.defs.partitions import monthly_partitions
from harness.dg_dev import DgDev, new_dagster_home
from harness.oracle import expected_rows, model_rows
from tests.support.automation_dev import (
    automation_settings,
    build_months,
    finished,
    insert_late_orders,
    instance_of,
    latest_run_id,
    materializations,
    month_runs,
    next_month,
    partitions_of,
    print_ticks,
    record_built_warehouse,
    wait_for,
)
from tests.support.dagster_dev import dagster_env, started_dagster_dev
from tests.support.warehouse import TestWarehouse

pytestmark = pytest.mark.e2e

LOOKBACK = 2
AUTOMATION = automation_settings(LOOKBACK)
BACKFILL_TAG = "dagster/backfill"
# A run in these states is, or is about to be, in a worker process.
IN_WORKER = (
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
)


@pytest.mark.every_warehouse
def test_late_orders_rebuild_the_lookback_only(
    db: TestWarehouse, storage_url: str | None, tmp_path: Path
) -> None:
    home, log = tmp_path / "dagster_home", tmp_path / "dagster_dev.log"
    keys = monthly_partitions.get_partition_keys()
    inside, outside = keys[-1], keys[-1 - LOOKBACK]  # the latest month; the first one outside
    build_months(db, [outside, inside])
    before = model_rows(db)
    new_dagster_home(home, storage_url)
    instance = instance_of(home, dagster_env(home, db, storage_url, AUTOMATION))
    # The instance knows the warehouse as the `warehouse` job and a backfill of
    # the two months leave it, before the sensors first look.
    record_built_warehouse(instance, db, [outside, inside])

    with started_dagster_dev(home, db, log, storage_url, automation=AUTOMATION) as dev:
        inserted = dt.datetime.now(dt.UTC)
        insert_late_orders(db, [inside, outside])
        try:
            pending = kill_while_pending(dev, instance, inserted)
        except AssertionError:
            dev.resume()  # the webserver answers the ticks' query
            print_ticks(dev.url, log)
            raise
    print(f"dg dev killed {dt.datetime.now(dt.UTC) - inserted} after the insert; {pending}")

    log = tmp_path / "dagster_dev_restarted.log"
    with started_dagster_dev(home, db, log, storage_url, automation=AUTOMATION) as dev:
        try:
            wait_for(lambda: materializations(instance, inside) > 1, 300, "rebuilt")
            print(f"late orders rebuilt after {dt.datetime.now(dt.UTC) - inserted}")
            # The run that rebuilt it; the other models' runs need not be waited for.
            run_id = latest_run_id(instance, inside)
            wait_for(lambda: finished(instance, run_id), 120, f"run {run_id} finished")
        except AssertionError:
            print_ticks(dev.url, log)
            raise

        run = instance.get_run_by_id(run_id)
        assert run.status == dg.DagsterRunStatus.SUCCESS, run.status
        assert run.tags.get("dagster/auto_materialize") == "true", run.tags
        assert BACKFILL_TAG in run.tags, run.tags  # the months' backfill
        # One run for the lookback's months (both of them).
        assert [r.run_id for r in month_runs(instance, inserted)] == [run_id]
        assert partitions_of(instance, run_id) == set(keys[-LOOKBACK:])
        assert materializations(instance, outside) == 1  # the recorded one, nothing since

    rows = model_rows(db)
    month = dt.date.fromisoformat
    assert rows[month(inside)] == expected_rows(db, inside, next_month(inside))[month(inside)]
    assert rows[month(inside)] != before[month(inside)]  # the late orders are in
    # Outside the lookback: as dbt left it, although its raw rows changed.
    assert rows[month(outside)] == before[month(outside)]
    assert rows[month(outside)] != expected_rows(db, outside, next_month(outside))[month(outside)]


def kill_while_pending(dev: DgDev, instance: dg.DagsterInstance, inserted: dt.datetime) -> str:
    """Kill the whole `dg dev` at the first moment the raw change is reported, the months
    are not rebuilt yet, and no run is in a worker; return what was pending.

    Requests stored by then (a tick's cursor, queued runs, a backfill) must
    survive the kill. A run in a worker would die with it and stay Started
    (docs/automation.md), so the kill waits for a moment without one. Each
    candidate moment is checked again with `dg dev` paused (SIGSTOP), so
    nothing moves between the check and the kill.
    """
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if pending_only(instance, inserted):
            dev.pause()
            try:
                pending = pending_only(instance, inserted)
            except sqlalchemy.exc.OperationalError:
                # SQLite: a process frozen inside a write holds the database
                # ("database is locked"); let it finish and look again.
                pending = None
            if pending:
                dev.kill()
                return pending
            dev.resume()
        assert materializations(instance, latest_month()) == 1, "rebuilt before any kill"
        time.sleep(0.1)
    raise AssertionError("no moment without a run in a worker after 300 s")


def pending_only(instance: dg.DagsterInstance, inserted: dt.datetime) -> str | None:
    """What is pending if the raw change is reported, the latest month not rebuilt and no
    run in a worker (or about to be); else None."""
    raw = instance.fetch_materializations(dg.AssetKey("raw_orders"), limit=1).records
    if not raw or raw[0].timestamp < inserted.timestamp():
        return None
    if materializations(instance, latest_month()) > 1:
        return None
    if instance.get_runs(dg.RunsFilter(statuses=list(IN_WORKER))):
        return None
    queued = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED]))
    backfills = [
        b for b in instance.get_backfills(limit=20) if b.backfill_timestamp >= inserted.timestamp()
    ]
    return f"pending: {len(queued)} queued run(s), {len(backfills)} backfill(s)"


def latest_month() -> str:
    """The latest monthly partition: the month inside the lookback."""
    return monthly_partitions.get_partition_keys()[-1]
