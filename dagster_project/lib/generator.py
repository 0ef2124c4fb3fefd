"""Deterministic jaffle-shop raw data, generated inside DuckDB.

Same parameters, same rows: every random choice is `hash(row id, seed, salt)`,
with no global random state. Order ids increase with order_date (as in a real
shop), and the number of orders per day grows linearly, doubling over the span.

`generate()` writes the tables into a DuckDB connection; each warehouse
(dagster_project/lib/warehouse) copies them on from there, and the
`jaffle-generate` command (dagster_project/lib/generate_command.py) writes
them into the dbt target's warehouse without Dagster.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from dagster_project.lib.progress import Step

# The tables generate() writes, in the order it writes them.
RAW_TABLES = ("raw_stores", "raw_customers", "raw_orders", "raw_payments")

# Stores open over time; a store is in the data only if it opened by the last
# day generated, so a later --end brings new stores (a dynamic partition).
STORES: tuple[tuple[str, dt.date], ...] = (
    ("Philadelphia", dt.date(2016, 9, 1)),
    ("Brooklyn", dt.date(2017, 3, 1)),
    ("Chicago", dt.date(2018, 4, 15)),
    ("San Francisco", dt.date(2019, 2, 1)),
    ("New Orleans", dt.date(2019, 11, 1)),
    ("Los Angeles", dt.date(2020, 6, 1)),
    ("Seattle", dt.date(2021, 5, 1)),
    ("Austin", dt.date(2022, 3, 1)),
    ("Denver", dt.date(2023, 7, 1)),
    ("Boston", dt.date(2024, 9, 1)),
    ("Miami", dt.date(2025, 10, 1)),
)

FIRST_NAMES = (
    "Michael", "Shawn", "Kathleen", "Jimmy", "Katherine", "Sarah", "Martin",
    "Frank", "Jennifer", "Henry", "Fred", "Amy", "Kathleen", "Steve", "Teresa",
    "Amanda", "Kimberly", "Johnny", "Virginia", "Anna",
)  # fmt: skip


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. `end` is the last day with orders, inclusive."""

    orders: int = 5_000
    start: dt.date = dt.date(2018, 1, 1)
    end: dt.date = dt.date(2019, 12, 31)
    seed: int = 42

    def __post_init__(self) -> None:
        if self.orders < 1:
            raise ValueError(f"orders={self.orders}: expected at least 1 order.")
        if self.end < self.start:
            raise ValueError(f"end={self.end} is before start={self.start}: expected start <= end.")
        if self.start < STORES[0][1]:
            raise ValueError(
                f"start={self.start} is before the first store opened "
                f"({STORES[0][1]}): expected a later start."
            )

    @property
    def customers(self) -> int:
        """About ten orders per customer, and never fewer than 100 customers."""
        return max(100, self.orders // 10)

    @property
    def stores(self) -> tuple[tuple[int, str, dt.date], ...]:
        """(id, name, opened_at) of the stores open by `end`."""
        return tuple(
            (i, name, opened)
            for i, (name, opened) in enumerate(STORES, start=1)
            if opened <= self.end
        )


def _rand(salt: str, seed: int, below: int, key: str = "i") -> str:
    """SQL for an integer in [0, below) derived only from (key, seed, salt)."""
    return f"cast(hash({key}, {seed}, '{salt}') % {below} as bigint)"


def generate(
    con: duckdb.DuckDBPyConnection, config: GeneratorConfig, step: Step | None = None
) -> dict[str, int]:
    """(Re)create raw_customers, raw_orders, raw_payments and raw_stores.

    Returns the row count of each table. Each table is replaced in one
    statement, so a reader never sees a half-written table. `step(table)` is
    called as each table starts (dagster_project/lib/progress.py).
    """
    step = step or (lambda _name: None)
    seed = config.seed
    n = config.orders
    n_days = (config.end - config.start).days + 1
    store_rows = ", ".join(f"({i}, '{name}', date '{opened}')" for i, name, opened in config.stores)
    first_names = ", ".join(f"'{name}'" for name in FIRST_NAMES)

    step("raw_stores")
    con.execute(
        f"""
        create or replace table raw_stores as
        select * from (values {store_rows}) as stores (id, name, opened_at)
        order by id
        """
    )
    step("raw_customers")
    con.execute(
        f"""
        create or replace table raw_customers as
        select
            i as id,
            [{first_names}][1 + {_rand("first", seed, len(FIRST_NAMES))}]
                as first_name,
            chr(65 + cast({_rand("last", seed, 26)} as integer)) || '.' as last_name
        from range(1, {config.customers + 1}) as ids (i)
        """
    )
    # Day offset t solves u = (t/T + t^2 / 2T^2) / 1.5 for u = (i - 1) / n: a
    # density that grows linearly to twice its first value, monotone in i.
    # No ORDER BY: range() yields ids in order and every step below is a
    # projection, which DuckDB keeps in insertion order
    # (preserve_insertion_order), so the table is stored by id, hence by date,
    # without a sort that would spill at 100M rows.
    open_count = " + ".join(
        f"cast(order_date >= date '{max(opened, config.start)}' as integer)"
        for _, _, opened in config.stores
    )
    step("raw_orders")
    con.execute(
        f"""
        create or replace table raw_orders as
        with ids as (
            select
                i,
                date '{config.start}' + cast(floor(
                    {n_days} * (sqrt(1 + 3 * (i - 1) / {n}) - 1)
                ) as integer) as order_date
            from range(1, {n + 1}) as ids (i)
        ),
        dated as (
            -- how many stores are open on the order's day
            select i, order_date, {open_count} as open_count
            from ids
        )
        select
            i as id,
            1 + {_rand("customer", seed, config.customers)} as user_id,
            1 + cast(hash(i, {seed}, 'store') % open_count as bigint) as store_id,
            order_date,
            case
                when {_rand("status", seed, 100)} < 70 then 'completed'
                when {_rand("status", seed, 100)} < 80 then 'shipped'
                when {_rand("status", seed, 100)} < 88 then 'placed'
                when {_rand("status", seed, 100)} < 93 then 'return_pending'
                else 'returned'
            end as status
        from dated
        """
    )
    # One payment per order, a second (coupon or gift card) for one in five.
    # Amounts in cents; ids 2i-1 and 2i keep them unique. Payments come from
    # a range of slots filtered, not from raw_orders: a filter keeps the
    # range's order, so the table is stored by id without a sort.
    step("raw_payments")
    con.execute(
        f"""
        create or replace table raw_payments as
        with slots as (
            -- payment slot p belongs to order (p + 1) // 2, as its first
            -- (k = 0) or second (k = 1) payment
            select (p + 1) // 2 as id, (p + 1) % 2 as k
            from range(1, {2 * n + 1}) as slots (p)
        ),
        orders as (
            select
                id as order_id,
                k,
                100 + {_rand("total", seed, 4900, "id")} as total_cents,
                {_rand("split", seed, 5, "id")} = 0 as is_split,
                {_rand("method", seed, 100, "id")} as method_draw,
                {_rand("second", seed, 2, "id")} as second_draw,
                {_rand("part", seed, 10, "id")} as part_draw
            from slots
        ),
        payments as (
            select
                orders.*,
                least(total_cents - 50, 100 * (1 + part_draw)) as part_cents
            from orders
            where k = 0 or is_split
        )
        select
            2 * order_id - 1 + k as id,
            order_id,
            case
                when k = 1 then (['coupon', 'gift_card'])[1 + second_draw]
                when method_draw < 55 then 'credit_card'
                when method_draw < 75 then 'bank_transfer'
                when method_draw < 90 then 'coupon'
                else 'gift_card'
            end as payment_method,
            case
                when not is_split then total_cents
                when k = 0 then total_cents - part_cents
                else part_cents
            end as amount
        from payments
        """
    )
    return {
        table: con.execute(f"select count(*) from {table}").fetchone()[0] for table in RAW_TABLES
    }
