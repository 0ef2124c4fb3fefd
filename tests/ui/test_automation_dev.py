"""End to end: late orders inserted by SQL are rebuilt by a real `dg dev`, nobody asking,
through a crash of the whole `dg dev`.

`dg dev` runs with automation on (docs/automation.md) and its sensors every
few seconds. Two months are built by dbt and recorded as materialized
without a run (the state a backfill leaves, without the backfill daemon's
30 s loop). The test inserts late orders by SQL into both: the latest month,
inside the lookback, and the month just before the lookback. Without any
request from the test, the raw_changes sensor reports raw_orders and
raw_payments changed, the automation sensor requests the unpartitioned
models, then the lookback's months as a backfill. As soon as that backfill
is stored, before its run starts, the whole `dg dev` is killed (SIGKILL to
its process group: webserver, daemon, code server) and started again on the
same DAGSTER_HOME. The backfill is not lost: the lookback's months are
rebuilt in one run, and the month inside equals SQL over the raw tables
again. The month outside keeps its old numbers. Every wait is bounded; on a
failure the sensors' ticks and the log's tail are printed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import pytest

from dagster_project.defs.partitions import monthly_partitions
from harness.dg_dev import new_dagster_home
from harness.oracle import expected_rows, model_rows
from tests.support.automation_dev import (
    ORDERS_BY_MONTH,
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

if TYPE_CHECKING:
    from dagster._core.execution.backfill import PartitionBackfill

pytestmark = pytest.mark.e2e

LOOKBACK = 2
AUTOMATION = automation_settings(LOOKBACK)
BACKFILL_TAG = "dagster/backfill"
IN_PROGRESS = (
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
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
            wait_for(lambda: month_backfill(instance, inserted), 300, "the months requested", 0.2)
            dev.pause()  # nothing moves while the test looks
            backfill = month_backfill(instance, inserted)
            launched = instance.get_runs(dg.RunsFilter(tags={BACKFILL_TAG: backfill.backfill_id}))
            # The backfill daemon picks a backfill up every 30 s: the kill
            # comes a fraction of a second after the request.
            assert launched == [], f"the backfill's run started before the kill: {launched}"
            in_flight = instance.get_runs(dg.RunsFilter(statuses=list(IN_PROGRESS)))
            dev.kill()
        except AssertionError:
            print_ticks(dev.url, log)
            raise
    # A run still in flight (the unpartitioned models' marts) dies with it and
    # stays Started: with the default run launcher nothing checks it
    # (docs/automation.md). The months do not read those marts.
    print(f"dg dev killed {dt.datetime.now(dt.UTC) - inserted} after the insert; in flight:")
    print(
        [
            (run.run_id, sorted(key.to_user_string() for key in run.asset_selection or ()))
            for run in in_flight
        ]
    )

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
        assert run.tags.get(BACKFILL_TAG) == backfill.backfill_id, run.tags
        # One run for the lookback's months (both of them): the stored backfill's.
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


def month_backfill(instance: dg.DagsterInstance, since: dt.datetime) -> PartitionBackfill | None:
    """The backfill automation requested for orders_by_month since `since`, if any."""
    for backfill in instance.get_backfills(limit=20):
        if (
            backfill.backfill_timestamp >= since.timestamp()
            and backfill.tags.get("dagster/auto_materialize") == "true"
            and ORDERS_BY_MONTH in (backfill.asset_selection or ())
        ):
            return backfill
    return None
