"""The raw_changes sensor: a raw table changed outside Dagster -> a materialization of it.

On every warehouse (the late-orders case on Spark too): the fingerprint is read
through the warehouse seam.
"""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_project.defs.automation import raw_changes
from dagster_project.defs.raw import raw_tables
from dagster_project.lib.generator import RAW_TABLES
from tests.support.dagster import materialize
from tests.support.warehouse import TestWarehouse

pytestmark = pytest.mark.every_warehouse


def tick(instance: dg.DagsterInstance) -> dg.SensorResult | dg.SkipReason:
    """One sensor evaluation, its asset events recorded as the daemon records them."""
    result = raw_changes(dg.build_sensor_context(instance=instance))
    if isinstance(result, dg.SensorResult):
        for event in result.asset_events:
            instance.report_runless_asset_event(event)
    return result


def reported(result: dg.SensorResult | dg.SkipReason) -> dict[str, str]:
    """{raw table: its new data version} of a tick."""
    if isinstance(result, dg.SkipReason):
        return {}
    return {e.asset_key.path[-1]: e.tags["dagster/data_version"] for e in result.asset_events}


def test_tables_dagster_never_saw_are_reported_once(
    raw_db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    first = reported(tick(instance))
    assert sorted(first) == sorted(RAW_TABLES)
    second = tick(instance)
    assert isinstance(second, dg.SkipReason)
    assert second.skip_message.startswith("Unchanged: raw_stores, raw_customers")


@pytest.mark.spark
def test_late_orders_change_raw_orders_only(
    raw_db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    before = reported(tick(instance))
    (top,) = raw_db.query("select max(id) as id from raw_orders")
    raw_db.execute(
        "insert into raw_orders (id, user_id, store_id, order_date, status) "
        f"values ({int(top['id']) + 1}, 1, 1, date '2019-12-31', 'placed')"
    )
    after = reported(tick(instance))
    assert list(after) == ["raw_orders"]
    count, _ = after["raw_orders"].split(":")
    assert int(count) == int(before["raw_orders"].split(":")[0]) + 1


def test_the_generators_own_run_is_not_reported_again(
    raw_db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    """The raw_tables asset records each table's fingerprint as its data version."""
    materialize(raw_tables, instance=instance)
    result = tick(instance)
    assert isinstance(result, dg.SkipReason), reported(result)


def test_no_raw_tables_yet_is_a_skip(empty_db: TestWarehouse, instance: dg.DagsterInstance) -> None:
    result = tick(instance)
    assert isinstance(result, dg.SkipReason)
    assert result.skip_message.startswith("Unchanged: none.")
