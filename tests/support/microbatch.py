"""What the microbatch tests share: the model's rows, its runs, a month that breaks its batch."""

from __future__ import annotations

import datetime as dt
from typing import Any

import dagster as dg

from dagster_project.defs.microbatch import orders_by_month_microbatch_model
from harness.oracle import COLUMNS, Row
from tests.support.dagster import materialize
from tests.support.dbt import run_dbt
from tests.support.warehouse import TestWarehouse

MODEL = "orders_by_month_microbatch"
ASSET = dg.AssetKey(MODEL)

# The order and payments that break_month() adds, by id far above the generator's.
BROKEN_ORDER_ID = 900_000_001
BROKEN_PAYMENT_IDS = 900_000_000
# 11,000 payments of 999,999,999,999.99 dollars (the most stg_payments'
# decimal(16, 2) takes from cents) add up to more than decimal(18, 2) holds.
BROKEN_PAYMENT_COUNT = 11_000
BROKEN_PAYMENT_CENTS = 99_999_999_999_999


def microbatch_rows(db: TestWarehouse) -> dict[dt.date, Row]:
    """orders_by_month_microbatch as it stands, keyed by month; asserts one row per month."""
    rows = db.query(f"select {', '.join(COLUMNS)} from {MODEL} order by order_month")
    keyed = {row.pop("order_month"): row for row in rows}
    assert len(keyed) == len(rows), f"{MODEL} has duplicate months"
    return keyed


def event_time(start: str, end: str) -> list[str]:
    """dbt's event-time flags for the months [start, end)."""
    return ["--event-time-start", start, "--event-time-end", end]


def run_microbatch(db: TestWarehouse, start: str, end: str, **kwargs: Any) -> Any:
    """`dbt run --select orders_by_month_microbatch` over the months [start, end)."""
    return run_dbt(["run", "--select", MODEL, *event_time(start, end)], db, **kwargs)


def materialize_microbatch(
    instance: dg.DagsterInstance, first: str, last: str | None = None, **kwargs: Any
) -> dg.ExecuteInJobResult:
    """One Dagster run of the microbatch asset: the month `first`, or first..last (both
    included) as a single-run backfill."""
    assets_def = orders_by_month_microbatch_model
    if last is None:
        return materialize(assets_def, instance, partition_key=first, **kwargs)
    return materialize(assets_def, instance, key_range=(first, last), **kwargs)


def break_month(db: TestWarehouse, day: str) -> None:
    """Add an order on `day` whose payments overflow its month's revenue: that month's
    batch fails on the cast to decimal(18, 2), the others' do not. On DuckDB, Postgres
    and the Spark cluster (ANSI mode, Spark 4's default); not on local Spark, where
    dbt-spark's session turns ANSI mode off and an overflowing cast gives null."""
    db.execute(
        "insert into raw_orders (id, user_id, order_date, status, store_id) values "
        f"({BROKEN_ORDER_ID}, 1, cast('{day}' as date), 'completed', 1)",
        # Rows from a cross join of raw_payments with itself: plain SQL on every warehouse.
        "insert into raw_payments (id, order_id, payment_method, amount) "
        f"select {BROKEN_PAYMENT_IDS} + row_number() over (order by a.id, b.id), "
        f"{BROKEN_ORDER_ID}, 'coupon', {BROKEN_PAYMENT_CENTS} "
        "from raw_payments as a cross join raw_payments as b "
        f"where a.id <= 300 and b.id <= 300 limit {BROKEN_PAYMENT_COUNT}",
    )


def repair_month(db: TestWarehouse) -> None:
    """Remove what break_month() added."""
    db.execute(
        f"delete from raw_payments where order_id = {BROKEN_ORDER_ID}",
        f"delete from raw_orders where id = {BROKEN_ORDER_ID}",
    )
