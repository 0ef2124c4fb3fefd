"""What the tests of automation on a real `dg dev` share: its settings, the starting
state recorded without runs, late orders by SQL, and reads of the instance.

The tests (tests/ui/test_automation_dev.py, test_automation_failures_dev.py)
open the `dg dev`'s own instance from the test process (`instance_of`) and
read runs and materializations from it; every wait is bounded (`wait_for`),
and a failed wait prints the sensors' ticks (`print_ticks`).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar
from unittest import mock

import dagster as dg

from dagster_project.lib.generator import RAW_TABLES
from dagster_project.lib.warehouse import warehouse
from harness.dg_dev import LOCATION, graphql
from tests.support.dbt import dbt_vars, run_dbt
from tests.support.warehouse import TestWarehouse

UNPARTITIONED = ("stg_customers", "stg_orders", "stg_payments", "stg_stores", "orders", "customers")
ORDERS_BY_MONTH = dg.AssetKey("orders_by_month")
DATA_VERSION_TAG = "dagster/data_version"
T = TypeVar("T")


def automation_settings(lookback: int) -> dict[str, str]:
    """Automation on, with this lookback; short sensor intervals keep the tests' waits small
    (the default is 60 s)."""
    return {
        "AUTOMATION": "true",
        "AUTOMATION_LOOKBACK_MONTHS": str(lookback),
        "AUTOMATION_INTERVAL_SECONDS": "5",
    }


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


def instance_of(home: Path, env: Mapping[str, str]) -> dg.DagsterInstance:
    """The `dg dev`'s instance, opened from this process (its storage URL from `env`)."""
    with mock.patch.dict(os.environ, env):
        return dg.DagsterInstance.from_config(str(home))


def record_built_warehouse(
    instance: dg.DagsterInstance, db: TestWarehouse, months: list[str] = ()
) -> None:
    """Record what Dagster runs would have recorded: the raw tables with their fingerprints
    as data versions (the `warehouse` job), each unpartitioned model, and orders_by_month's
    `months` (built by `build_months`). No run: the tests' starting state costs no run."""
    target = warehouse(db.env)
    for table in RAW_TABLES:
        version = target.fingerprint(table)
        instance.report_runless_asset_event(
            dg.AssetMaterialization(table, tags={DATA_VERSION_TAG: version})
        )
    for name in UNPARTITIONED:
        instance.report_runless_asset_event(dg.AssetMaterialization(name))
    for month in months:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(ORDERS_BY_MONTH, partition=month)
        )


def build_months(db: TestWarehouse, months: list[str]) -> None:
    """orders_by_month's `months`, built by the dbt CLI as a run of each partition would."""
    for month in months:
        run_dbt(["run", "--select", "orders_by_month", *dbt_vars(partition_key=month)], db)


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
    when_free(lambda: db.execute(*statements))


def when_free(action: Callable[[], T], timeout: float = 120) -> T:
    """`action()`, tried again while it fails for up to `timeout` seconds: on DuckDB a run or
    a sensor's read-only look may hold the file for a while."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return action()
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def month_records(instance: dg.DagsterInstance, month: str) -> list[dg.EventLogRecord]:
    """orders_by_month's materializations of `month`, the latest first."""
    return instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=ORDERS_BY_MONTH, asset_partitions=[month]), limit=100
    ).records


def materializations(instance: dg.DagsterInstance, month: str) -> int:
    """How many times orders_by_month's `month` has been materialized."""
    return len(month_records(instance, month))


def latest_run_id(instance: dg.DagsterInstance, month: str) -> str:
    """The run of orders_by_month's latest materialization of `month`."""
    return month_records(instance, month)[0].run_id


def partitions_of(instance: dg.DagsterInstance, run_id: str) -> set[str]:
    """The orders_by_month partitions `run_id` materialized."""
    records = instance.fetch_materializations(ORDERS_BY_MONTH, limit=1000).records
    return {record.partition_key for record in records if record.run_id == run_id}


def month_runs(instance: dg.DagsterInstance, since: dt.datetime) -> list[dg.DagsterRun]:
    """The runs of orders_by_month created since `since`, the oldest first."""
    records = instance.get_run_records(filters=dg.RunsFilter(created_after=since))
    runs = [
        r.dagster_run for r in records if ORDERS_BY_MONTH in (r.dagster_run.asset_selection or ())
    ]
    return runs[::-1]


def finished(instance: dg.DagsterInstance, run_id: str) -> bool:
    """Whether `run_id` has ended (success, failure or canceled)."""
    run = instance.get_run_by_id(run_id)
    return run is not None and run.is_finished


def wait_for(condition: Callable[[], T], timeout: float, what: str, poll: float = 2) -> T:
    """Wait until `condition()` is true, checking every `poll` seconds, and return it; fail
    after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"not {what} after {timeout} s")


def print_ticks(url: str, log: Path) -> None:
    """The raw_changes and automation sensors' latest ticks and the log's tail, for a failed
    wait."""
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
    print(f"--- {log.name} ---")
    print(log.read_text()[-5000:])


def next_month(key: str) -> str:
    """The first day of the month after the month `key` (a partition key) starts."""
    start = dt.date.fromisoformat(key)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1).isoformat()
