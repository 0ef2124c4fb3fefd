"""Expected rows of the category, two-dimensional and store models, from raw tables.

Plain SQL over raw_orders, raw_payments and raw_stores (cents), never the
models under test.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb

from tests.support import METHODS, months


def _query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def _in(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def expected_by_method(db: Path, methods: tuple[str, ...] = METHODS) -> dict[str, tuple]:
    """revenue_by_payment_method: method -> (payment_count, order_count, dollars)."""
    found = {
        row[0]: row[1:]
        for row in _query(
            db,
            f"""
            select payment_method, count(*), count(distinct order_id), sum(amount)
            from raw_payments where payment_method in ({_in(methods)}) group by 1
            """,
        )
    }
    return {
        m: (found[m][0], found[m][1], Decimal(found[m][2]) / 100) if m in found else (0, 0, 0)
        for m in methods
    }


def expected_cells(
    db: Path, start: str, end: str, methods: tuple[str, ...] = METHODS
) -> dict[tuple[dt.date, str], tuple]:
    """payments_by_month_and_method for months [start, end) x methods."""
    found = {
        (row[0], row[1]): row[2:]
        for row in _query(
            db,
            f"""
            select
                make_date(year(o.order_date), month(o.order_date), 1),
                p.payment_method,
                count(*),
                count(distinct p.order_id),
                sum(p.amount)
            from raw_payments as p
            join raw_orders as o on o.id = p.order_id
            where o.order_date >= date '{start}' and o.order_date < date '{end}'
                and p.payment_method in ({_in(methods)})
            group by 1, 2
            """,
        )
    }
    rows = {}
    for month in months(start, end):
        for method in methods:
            payments, orders, cents = found.get((month, method), (0, 0, 0))
            rows[(month, method)] = (payments, orders, Decimal(cents) / 100)
    return rows


def expected_by_store(db: Path) -> dict[int, tuple]:
    """orders_by_store for every store in raw_stores."""
    rows = _query(
        db,
        """
        with per_order as (
            select order_id, sum(amount) as cents from raw_payments group by 1
        )
        select
            s.id, s.name, s.opened_at, min(o.order_date),
            count(o.id), count(distinct o.user_id),
            coalesce(sum(p.cents), 0)
        from raw_stores as s
        left join raw_orders as o on o.store_id = s.id
        left join per_order as p on p.order_id = o.id
        group by all
        """,
    )
    return {row[0]: (*row[1:6], Decimal(row[6]) / 100) for row in rows}


def by_method_rows(db: Path) -> dict[str, tuple]:
    rows = _query(
        db,
        "select payment_method, payment_count, order_count, amount from revenue_by_payment_method",
    )
    keyed = {row[0]: row[1:] for row in rows}
    assert len(keyed) == len(rows), "duplicate payment methods"
    return keyed


def cell_rows(db: Path) -> dict[tuple[dt.date, str], tuple]:
    rows = _query(
        db,
        "select order_month, payment_method, payment_count, order_count, amount "
        "from payments_by_month_and_method",
    )
    keyed = {(row[0], row[1]): row[2:] for row in rows}
    assert len(keyed) == len(rows), "duplicate cells"
    return keyed


def store_rows(db: Path) -> dict[int, tuple]:
    rows = _query(
        db,
        "select store_id, store_name, opened_date, first_order_date, order_count, "
        "customer_count, revenue from orders_by_store",
    )
    keyed = {row[0]: row[1:] for row in rows}
    assert len(keyed) == len(rows), "duplicate stores"
    return keyed
