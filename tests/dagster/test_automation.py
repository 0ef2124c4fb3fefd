"""Each model's automation condition, tick by tick (dagster_project/lib/automation.py).

`dg.evaluate_automation_conditions` evaluates the code location's conditions
as the daemon would, at a chosen time, against an instance whose history the
test writes (runless materializations, as the raw_changes sensor reports
them). Each tick's cursor goes to the next. Every tick asserts exactly which
partitions of which assets it requests. No database, no run.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from dagster_project.definitions import defs
from dagster_project.defs.partitions import store_partitions
from dagster_project.lib import automation
from dagster_project.lib.generator import RAW_TABLES

NOV_15 = dt.datetime(2026, 11, 15, 12, 0, tzinfo=dt.UTC)
NOV_30 = dt.datetime(2026, 11, 30, 23, 59, tzinfo=dt.UTC)
DEC_1 = dt.datetime(2026, 12, 1, 0, 1, tzinfo=dt.UTC)  # November has just closed
DEC_2 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
METHODS = ("bank_transfer", "coupon", "credit_card", "gift_card")
UNPARTITIONED = ("stg_customers", "stg_orders", "stg_payments", "stg_stores", "orders", "customers")
# Every asset automation may request, with what a tick requested of it.
MODELS = (
    *UNPARTITIONED,
    "orders_by_month",
    "payments_by_month_and_method",
    "revenue_by_payment_method",
    "orders_by_store",
)


class Ticks:
    """The automation daemon's ticks over one instance: each tick carries the last one's cursor."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance = instance
        self.cursor = None

    def tick(self, at: dt.datetime) -> dict[str, set[str | None]]:
        """Evaluate every condition at `at`: {asset: requested partitions (None: unpartitioned)}."""
        result = dg.evaluate_automation_conditions(
            defs=defs, instance=self.instance, evaluation_time=at, cursor=self.cursor
        )
        self.cursor = result.cursor
        requested = {}
        for name in MODELS:
            partitions = result.get_requested_partitions(dg.AssetKey(name))
            if partitions:
                requested[name] = {_key_text(key) for key in partitions}
        return requested


def _key_text(key: object) -> str | None:
    return None if key is None else str(key)


def materialize(instance: dg.DagsterInstance, *names: str, partition: str | None = None) -> None:
    """Record a materialization without a run, as the raw_changes sensor reports one."""
    for name in names:
        instance.report_runless_asset_event(dg.AssetMaterialization(name, partition=partition))


def months(*keys: str) -> set[str | None]:
    return set(keys)


def cells(*month_keys: str) -> set[str | None]:
    """The month x method keys as Dagster writes them: dimensions sorted, 'month|method'."""
    return {f"{month}|{method}" for month in month_keys for method in METHODS}


@pytest.fixture
def built() -> dg.DagsterInstance:
    """An instance where the `warehouse` job has run: raw tables and every unpartitioned model."""
    with dg.instance_for_test() as instance:
        materialize(instance, *RAW_TABLES, *UNPARTITIONED)
        yield instance


def test_bad_lookback() -> None:
    with pytest.raises(ValueError, match="months=0: expected 1 or more"):
        automation.lookback_delta(0)


def test_a_closing_month_is_requested_once(built: dg.DagsterInstance) -> None:
    ticks = Ticks(built)
    # First evaluation: the months already missing are a backfill's job, not automation's.
    assert ticks.tick(NOV_15) == {}
    assert ticks.tick(NOV_30) == {}
    # Midnight UTC on 1 December: November is complete and becomes a partition.
    assert ticks.tick(DEC_1) == {
        "orders_by_month": months("2026-11-01"),
        "payments_by_month_and_method": cells("2026-11-01"),
    }
    # Requested once: the next tick does not ask again, whatever its run did.
    assert ticks.tick(DEC_2) == {}


def run(instance: dg.DagsterInstance, requested: dict[str, set[str | None]]) -> None:
    """What a successful run of a tick's requests records: each asset partition materialized."""
    for name, partitions in requested.items():
        for partition in partitions:
            materialize(instance, name, partition=partition)


def test_a_raw_change_rebuilds_what_reads_it_within_the_lookback(
    built: dg.DagsterInstance,
) -> None:
    built.add_dynamic_partitions(store_partitions.name, ["1", "2", "3"])
    materialize(built, "orders_by_store", partition="1")
    materialize(built, "orders_by_store", partition="2")
    ticks = Ticks(built)
    assert ticks.tick(NOV_15) == {}

    # Late orders inserted by SQL: raw_changes reports raw_orders updated. What
    # reads it unpartitioned comes first (revenue_by_payment_method reads payments only).
    materialize(built, "raw_orders")
    staging = ticks.tick(NOV_15 + dt.timedelta(minutes=1))
    assert staging == {"stg_orders": {None}, "orders": {None}, "customers": {None}}
    assert ticks.tick(NOV_15 + dt.timedelta(minutes=2)) == {}  # its run is not done yet
    run(built, staging)
    assert ticks.tick(NOV_15 + dt.timedelta(minutes=3)) == {
        # The latest three months (AUTOMATION_LOOKBACK_MONTHS), built or not; none older.
        "orders_by_month": months("2026-08-01", "2026-09-01", "2026-10-01"),
        "payments_by_month_and_method": cells("2026-08-01", "2026-09-01", "2026-10-01"),
        # The stores already built; store 3 is the new_stores sensor's to request.
        "orders_by_store": {"1", "2"},
    }
    assert ticks.tick(NOV_15 + dt.timedelta(minutes=4)) == {}

    # New payments: the payment-method models too.
    materialize(built, "raw_payments")
    staging = ticks.tick(NOV_15 + dt.timedelta(minutes=5))
    assert staging == {"stg_payments": {None}, "orders": {None}, "customers": {None}}
    run(built, staging)
    assert ticks.tick(NOV_15 + dt.timedelta(minutes=6)) == {
        "orders_by_month": months("2026-08-01", "2026-09-01", "2026-10-01"),
        "payments_by_month_and_method": cells("2026-08-01", "2026-09-01", "2026-10-01"),
        "revenue_by_payment_method": set(METHODS),
        "orders_by_store": {"1", "2"},
    }


@pytest.mark.parametrize(
    ("lookback", "first"),
    [(1, "2026-10-01"), (3, "2026-08-01"), (12, "2025-11-01")],
)
@pytest.mark.parametrize("at", [NOV_15, dt.datetime(2026, 3, 31, 23, 0, tzinfo=dt.UTC)])
def test_the_lookback_is_exactly_that_many_months(
    lookback: int, first: str, at: dt.datetime
) -> None:
    """AUTOMATION_LOOKBACK_MONTHS=N: a raw change rebuilds the latest N complete months, whatever
    the months' lengths (before 1 April, the latest complete month is February)."""

    @dg.asset
    def raw() -> None: ...

    monthly = dg.AssetSpec(
        "monthly",
        deps=[raw],
        partitions_def=dg.MonthlyPartitionsDefinition(start_date="2018-01-01"),
        automation_condition=automation.monthly_condition(lookback),
    )
    partitions = monthly.partitions_def
    with dg.instance_for_test() as instance:
        materialize(instance, "raw")
        first_tick = dg.evaluate_automation_conditions([raw, monthly], instance, evaluation_time=at)
        assert first_tick.total_requested == 0
        materialize(instance, "raw")
        result = dg.evaluate_automation_conditions(
            [raw, monthly], instance, evaluation_time=at, cursor=first_tick.cursor
        )
    expected = partitions.get_partition_keys(current_time=at)[-lookback:]
    if at == NOV_15:
        assert (expected[0], expected[-1]) == (first, "2026-10-01")
    assert result.get_requested_partitions(dg.AssetKey("monthly")) == set(expected)


def test_never_on_missing_raw_tables() -> None:
    """Nothing materialized yet, not even the raw tables: no tick requests anything."""
    with dg.instance_for_test() as instance:
        ticks = Ticks(instance)
        assert ticks.tick(NOV_15) == {}
        assert ticks.tick(DEC_1) == {}  # a month closes, but what it reads is missing


def test_never_on_staging_that_was_never_built() -> None:
    """The raw tables are there, staging was never built: a closing month waits."""
    with dg.instance_for_test() as instance:
        materialize(instance, *RAW_TABLES)
        ticks = Ticks(instance)
        assert ticks.tick(NOV_15) == {}
        assert ticks.tick(DEC_1) == {}
        # Once raw data changes, staging is requested; the months wait for its run.
        materialize(instance, "raw_orders", "raw_payments")
        staging = ticks.tick(DEC_2)
        # customers waits too: it reads stg_customers, never built.
        assert staging == {"stg_orders": {None}, "stg_payments": {None}, "orders": {None}}
        assert ticks.tick(DEC_2 + dt.timedelta(minutes=1)) == {}
        run(instance, staging)
        assert ticks.tick(DEC_2 + dt.timedelta(minutes=2)) == {
            "orders_by_month": months("2026-09-01", "2026-10-01", "2026-11-01"),
            "payments_by_month_and_method": cells("2026-09-01", "2026-10-01", "2026-11-01"),
            "revenue_by_payment_method": set(METHODS),
        }


def test_a_failed_run_is_not_requested_again(built: dg.DagsterInstance) -> None:
    """A request whose run failed (nothing materialized) is handled: retries are the
    instance's run retries (dagster_home/dagster.yaml), not automation's, so they are bounded."""
    ticks = Ticks(built)
    assert ticks.tick(NOV_15) == {}
    materialize(built, "raw_payments")
    run(built, ticks.tick(NOV_15 + dt.timedelta(minutes=1)))  # staging's run succeeds
    models = ticks.tick(NOV_15 + dt.timedelta(minutes=2))
    assert models["revenue_by_payment_method"] == set(METHODS)
    # The models' run failed: nothing it was asked for is materialized.
    assert ticks.tick(NOV_15 + dt.timedelta(minutes=3)) == {}
    assert ticks.tick(DEC_2) == {
        # Only the new month; the failed months are not asked for again.
        "orders_by_month": months("2026-11-01"),
        "payments_by_month_and_method": cells("2026-11-01"),
    }
    # The next change of the raw data asks for them all again.
    materialize(built, "raw_payments")
    run(built, ticks.tick(DEC_2 + dt.timedelta(minutes=1)))
    again = ticks.tick(DEC_2 + dt.timedelta(minutes=2))
    assert again["revenue_by_payment_method"] == set(METHODS)
    assert again["orders_by_month"] == months("2026-09-01", "2026-10-01", "2026-11-01")
