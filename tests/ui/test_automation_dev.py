"""End to end: late orders inserted by SQL are rebuilt by a real `dg dev`, nobody asking.

`dg dev` runs with automation on (docs/automation.md) and its sensors every
few seconds. The test builds two months by a backfill, then inserts late
orders by SQL into both: the latest month, inside the lookback, and the
month just before the lookback. Without any request from the test, the
raw_changes sensor reports raw_orders and raw_payments changed, the
automation sensor requests the unpartitioned models, then the lookback's
months in one run, and the month inside equals SQL over the raw tables
again. The month outside keeps its old numbers. Every wait is bounded; on a
failure the sensors' ticks and the log's tail are printed.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from unittest import mock

import dagster as dg
import pytest

from dagster_project.defs.partitions import monthly_partitions
from dagster_project.lib.generator import RAW_TABLES
from dagster_project.lib.warehouse import warehouse
from harness.dg_dev import graphql, run_backfill
from harness.oracle import expected_rows, model_rows
from tests.support.dagster_dev import running_dagster_dev
from tests.support.warehouse import TestWarehouse

pytestmark = pytest.mark.e2e

LOOKBACK = 2
# Short sensor intervals keep the test's waits small (the defaults are 60 s).
AUTOMATION = {"AUTOMATION": "true", "AUTOMATION_LOOKBACK_MONTHS": str(LOOKBACK),
              "AUTOMATION_INTERVAL_SECONDS": "5"}  # fmt: skip
UNPARTITIONED = ("stg_customers", "stg_orders", "stg_payments", "stg_stores", "orders", "customers")
ORDERS_BY_MONTH = dg.AssetKey("orders_by_month")

TICKS = """
query Ticks($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    ... on Sensor {
      sensorState { ticks(limit: 30) { timestamp status skipReason runIds error { message } } }
    }
    ... on PythonError { message }
  }
}
"""
LOCATION = (
    "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
)


@pytest.mark.every_warehouse
def test_late_orders_rebuild_the_lookback_only(
    db: TestWarehouse, storage_url: str | None, tmp_path: Path
) -> None:
    home, log = tmp_path / "dagster_home", tmp_path / "dagster_dev.log"
    keys = monthly_partitions.get_partition_keys()
    inside, outside = keys[-1], keys[-1 - LOOKBACK]  # the latest month; the first one outside
    env = {**db.env, **({"DAGSTER_PG_URL": storage_url} if storage_url else {})}
    home.mkdir()
    with (
        running_dagster_dev(home, db, log, storage_url, automation=AUTOMATION) as url,
        instance_of(home, env) as instance,
    ):
        # The instance knows the warehouse as the `warehouse` job leaves it
        # (the db fixture built it with dbt): raw tables with their fingerprints.
        record_built_warehouse(instance, db)
        for month in (outside, inside):
            backfill = run_backfill(url, [month], "orders_by_month", log)
            assert backfill["status"] in {"COMPLETED", "COMPLETED_SUCCESS"}, backfill
        before = model_rows(db)
        built = materializations(instance, inside)
        inserted = dt.datetime.now(dt.UTC)

        insert_late_orders(db, [inside, outside])
        try:
            wait_for(lambda: materializations(instance, inside) > built, 300, "rebuilt")
            print(f"late orders rebuilt after {dt.datetime.now(dt.UTC) - inserted}")
            # The run that rebuilt it; the other models' runs need not be waited for.
            run_id = latest_run_id(instance, inside)
            wait_for(lambda: finished(instance, run_id), 120, f"run {run_id} finished")
        except AssertionError:
            print_ticks(url)
            print(log.read_text()[-5000:])
            raise

        run = instance.get_run_by_id(run_id)
        assert run.status == dg.DagsterRunStatus.SUCCESS, run.status
        assert run.tags.get("dagster/auto_materialize") == "true", run.tags
        # One run for the lookback's months (both of them), launched by automation.
        records = instance.get_run_records(filters=dg.RunsFilter(created_after=inserted))
        runs = [
            record.dagster_run.run_id
            for record in records
            if ORDERS_BY_MONTH in (record.dagster_run.asset_selection or ())
        ]
        assert runs == [run_id]
        assert partitions_of(instance, run_id) == set(keys[-LOOKBACK:])
        assert materializations(instance, outside) == 1  # the backfill's, nothing since

    rows = model_rows(db)
    month = dt.date.fromisoformat
    assert rows[month(inside)] == expected_rows(db, inside, next_month(inside))[month(inside)]
    assert rows[month(inside)] != before[month(inside)]  # the late orders are in
    # Outside the lookback: as the backfill left it, although its raw rows changed.
    assert rows[month(outside)] == before[month(outside)]
    assert rows[month(outside)] != expected_rows(db, outside, next_month(outside))[month(outside)]


def instance_of(home: Path, env: dict[str, str]) -> dg.DagsterInstance:
    """The `dg dev`'s instance, opened from this process (its storage URL from `env`)."""
    with mock.patch.dict(os.environ, env):
        return dg.DagsterInstance.from_config(str(home))


def record_built_warehouse(instance: dg.DagsterInstance, db: TestWarehouse) -> None:
    """Record what the `warehouse` job records: raw tables with their fingerprints as data
    versions, and each unpartitioned model materialized."""
    target = warehouse(db.env)
    for table in RAW_TABLES:
        version = target.fingerprint(table)
        instance.report_runless_asset_event(
            dg.AssetMaterialization(table, tags={"dagster/data_version": version})
        )
    for name in UNPARTITIONED:
        instance.report_runless_asset_event(dg.AssetMaterialization(name))


def insert_late_orders(db: TestWarehouse, months: list[str]) -> None:
    """Three late orders, each with its payment, dated the 10th of each month."""
    (top,) = db.query("select max(id) as order_id from raw_orders")
    (pay,) = db.query("select max(id) as payment_id from raw_payments")
    order_id, payment_id = int(top["order_id"]), int(pay["payment_id"])
    orders, payments = [], []
    for month in months:
        day = month[:8] + "10"
        for user in (1, 2, 3):
            order_id, payment_id = order_id + 1, payment_id + 1
            orders.append(f"({order_id}, {user}, 1, date '{day}', 'completed')")
            payments.append(f"({payment_id}, {order_id}, 'credit_card', {1000 * user})")
    statements = (
        "insert into raw_orders (id, user_id, store_id, order_date, status) values "
        + ", ".join(orders),
        "insert into raw_payments (id, order_id, payment_method, amount) values "
        + ", ".join(payments),
    )
    # On DuckDB a sensor's read-only look may hold the file for a moment: try again.
    for attempt in range(20):
        try:
            db.execute(*statements)
            return
        except Exception:
            if attempt == 19:
                raise
            time.sleep(0.5)


def materializations(instance: dg.DagsterInstance, month: str) -> int:
    """How many times orders_by_month's `month` has been materialized."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=ORDERS_BY_MONTH, asset_partitions=[month]), limit=100
    ).records
    return len(records)


def latest_run_id(instance: dg.DagsterInstance, month: str) -> str:
    """The run of orders_by_month's latest materialization of `month`."""
    (record,) = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=ORDERS_BY_MONTH, asset_partitions=[month]), limit=1
    ).records
    return record.run_id


def partitions_of(instance: dg.DagsterInstance, run_id: str) -> set[str]:
    """The orders_by_month partitions `run_id` materialized."""
    records = instance.fetch_materializations(ORDERS_BY_MONTH, limit=1000).records
    return {record.partition_key for record in records if record.run_id == run_id}


def finished(instance: dg.DagsterInstance, run_id: str) -> bool:
    run = instance.get_run_by_id(run_id)
    return run is not None and run.is_finished


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(2)
    raise AssertionError(f"not {what} after {timeout} s")


def print_ticks(url: str) -> None:
    """The raw_changes and automation sensors' latest ticks, for a failed wait."""
    (repository,) = graphql(url, LOCATION)["repositoriesOrError"]["nodes"]
    for sensor in ("raw_changes", "automation"):
        selector = {
            "repositoryLocationName": repository["location"]["name"],
            "repositoryName": repository["name"],
            "sensorName": sensor,
        }
        found = graphql(url, TICKS, {"selector": selector})["sensorOrError"]
        print(f"--- {sensor} ticks ---")
        for tick in (found.get("sensorState") or {}).get("ticks", []):
            print(tick)


def next_month(key: str) -> str:
    start = dt.date.fromisoformat(key)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1).isoformat()
