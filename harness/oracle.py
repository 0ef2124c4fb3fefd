"""The oracle: what each partitioned model must hold, from plain SQL over the raw tables.

The expected numbers never come from the models under test: they are
aggregates over raw_orders, raw_payments and raw_stores of the same database,
in cents, divided by 100 in Python. The SQL is portable (no DuckDB-only
syntax), so it runs unchanged on any warehouse.

Every row is a dict keyed by column name, keyed in turn by what identifies
it: a month, a payment method, a (month, method) cell or a store id. The
`*_rows` functions read the models the same way, so a test compares dicts.

Each function takes any `Queryable`: a test's `TestWarehouse`
(tests/support/warehouse.py) or the project's own `Warehouse`
(dagster_project/lib/warehouse), which is what the benchmark reads through.
This module imports nothing of the project, and the project never imports it:
the payment methods and order statuses are spelled out here, not read from
dbt_project.yml, so the check stays independent of the code it checks
(tests/unit/test_dbt_vars.py keeps the two lists equal).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol


class Queryable(Protocol):
    """Anything that answers SQL with rows as dicts: a TestWarehouse, a Warehouse."""

    def query(self, sql: str) -> list[dict[str, Any]]: ...


STATUSES = ("placed", "shipped", "completed", "return_pending", "returned")
METHODS = ("credit_card", "coupon", "bank_transfer", "gift_card")

# orders_by_month's columns: a row per month, its key first.
COLUMNS = (
    "order_month",
    "order_count",
    "customer_count",
    *(f"{status}_count" for status in STATUSES),
    *(f"{method}_amount" for method in METHODS),
    "revenue",
    "average_order_value",
)
# The row of a month without orders.
ZERO_MONTH = dict.fromkeys(COLUMNS[1:], 0)

Row = dict[str, Any]


def months(start: str, end: str) -> list[dt.date]:
    """First days of the months of the half-open window [start, end)."""
    day, stop = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    out = []
    while day < stop:
        out.append(day)
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


def dollars(cents: Any) -> Decimal:
    return Decimal(cents) / 100


def _sql_list(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _in_window(column: str, start: str, end: str) -> str:
    return f"{column} >= cast('{start}' as date) and {column} < cast('{end}' as date)"


# --- orders_by_month ---------------------------------------------------------


def expected_rows(db: Queryable, start: str, end: str) -> dict[dt.date, Row]:
    """orders_by_month for the months [start, end), from the raw tables."""
    method_cents = ",\n".join(
        f"sum(case when payment_method = '{m}' then amount else 0 end) as {m}_cents"
        for m in METHODS
    )
    status_counts = ",\n".join(
        f"sum(case when o.status = '{s}' then 1 else 0 end) as {s}_count" for s in STATUSES
    )
    month_cents = ",\n".join(f"coalesce(sum(p.{m}_cents), 0) as {m}_cents" for m in METHODS)
    sql = f"""
        with per_order as (
            select order_id, sum(amount) as cents, {method_cents}
            from raw_payments
            group by order_id
        ),
        orders as (
            select o.*, cast(date_trunc('month', o.order_date) as date) as order_month
            from raw_orders as o
            where {_in_window("o.order_date", start, end)}
        )
        select
            o.order_month,
            count(*) as order_count,
            count(distinct o.user_id) as customer_count,
            {status_counts},
            {month_cents},
            coalesce(sum(p.cents), 0) as cents
        from orders as o
        left join per_order as p on p.order_id = o.id
        group by o.order_month
    """
    found = {row["order_month"]: row for row in db.query(sql)}
    rows = {}
    for month in months(start, end):
        raw = found.get(month)
        if raw is None:
            rows[month] = dict(ZERO_MONTH)
            continue
        order_count = int(raw["order_count"])
        revenue = dollars(raw["cents"])
        rows[month] = {
            "order_count": order_count,
            "customer_count": int(raw["customer_count"]),
            **{f"{s}_count": int(raw[f"{s}_count"]) for s in STATUSES},
            **{f"{m}_amount": dollars(raw[f"{m}_cents"]) for m in METHODS},
            "revenue": revenue,
            "average_order_value": (revenue / order_count).quantize(Decimal("0.01"), ROUND_HALF_UP),
        }
    return rows


def model_rows(db: Queryable, table: str = "orders_by_month") -> dict[dt.date, Row]:
    """orders_by_month (or `table`, a model of its columns) as it stands, keyed by month;
    asserts one row per month."""
    rows = db.query(f"select {', '.join(COLUMNS)} from {table} order by order_month")
    keyed = {row.pop("order_month"): row for row in rows}
    assert len(keyed) == len(rows), f"{table} has duplicate months"
    return keyed


# --- revenue_by_payment_method (category) ------------------------------------


def expected_by_method(db: Queryable, methods: tuple[str, ...] = METHODS) -> dict[str, Row]:
    """revenue_by_payment_method for `methods`: zeros for a method without payments."""
    found = {
        row["payment_method"]: row
        for row in db.query(
            f"""
            select
                payment_method,
                count(*) as payment_count,
                count(distinct order_id) as order_count,
                sum(amount) as cents
            from raw_payments
            where payment_method in ({_sql_list(methods)})
            group by payment_method
            """
        )
    }
    return {method: _payment_totals(found.get(method)) for method in methods}


def by_method_rows(db: Queryable) -> dict[str, Row]:
    rows = db.query(
        "select payment_method, payment_count, order_count, amount from revenue_by_payment_method"
    )
    keyed = {row.pop("payment_method"): row for row in rows}
    assert len(keyed) == len(rows), "duplicate payment methods"
    return keyed


# --- payments_by_month_and_method (two-dimensional) --------------------------


def expected_cells(
    db: Queryable, start: str, end: str, methods: tuple[str, ...] = METHODS
) -> dict[tuple[dt.date, str], Row]:
    """payments_by_month_and_method for the months [start, end) x `methods`."""
    found = {
        (row["order_month"], row["payment_method"]): row
        for row in db.query(
            f"""
            with payments as (
                select
                    cast(date_trunc('month', o.order_date) as date) as order_month,
                    p.payment_method,
                    p.order_id,
                    p.amount
                from raw_payments as p
                join raw_orders as o on o.id = p.order_id
                where {_in_window("o.order_date", start, end)}
                    and p.payment_method in ({_sql_list(methods)})
            )
            select
                order_month,
                payment_method,
                count(*) as payment_count,
                count(distinct order_id) as order_count,
                sum(amount) as cents
            from payments
            group by order_month, payment_method
            """
        )
    }
    return {
        (month, method): _payment_totals(found.get((month, method)))
        for month in months(start, end)
        for method in methods
    }


def cell_rows(db: Queryable) -> dict[tuple[dt.date, str], Row]:
    rows = db.query(
        "select order_month, payment_method, payment_count, order_count, amount "
        "from payments_by_month_and_method"
    )
    keyed = {(row.pop("order_month"), row.pop("payment_method")): row for row in rows}
    assert len(keyed) == len(rows), "duplicate cells"
    return keyed


def _payment_totals(raw: Row | None) -> Row:
    if raw is None:
        return {"payment_count": 0, "order_count": 0, "amount": 0}
    return {
        "payment_count": int(raw["payment_count"]),
        "order_count": int(raw["order_count"]),
        "amount": dollars(raw["cents"]),
    }


# --- orders_by_store (dynamic) -----------------------------------------------


def expected_by_store(db: Queryable) -> dict[int, Row]:
    """orders_by_store for every store in raw_stores."""
    rows = db.query(
        """
        with per_order as (
            select order_id, sum(amount) as cents from raw_payments group by order_id
        )
        select
            s.id as store_id,
            s.name as store_name,
            s.opened_at as opened_date,
            min(o.order_date) as first_order_date,
            count(o.id) as order_count,
            count(distinct o.user_id) as customer_count,
            coalesce(sum(p.cents), 0) as cents
        from raw_stores as s
        left join raw_orders as o on o.store_id = s.id
        left join per_order as p on p.order_id = o.id
        group by s.id, s.name, s.opened_at
        """
    )
    return {
        int(row["store_id"]): {
            "store_name": row["store_name"],
            "opened_date": row["opened_date"],
            "first_order_date": row["first_order_date"],
            "order_count": int(row["order_count"]),
            "customer_count": int(row["customer_count"]),
            "revenue": dollars(row["cents"]),
        }
        for row in rows
    }


def store_rows(db: Queryable) -> dict[int, Row]:
    rows = db.query(
        "select store_id, store_name, opened_date, first_order_date, order_count, "
        "customer_count, revenue from orders_by_store"
    )
    keyed = {row.pop("store_id"): row for row in rows}
    assert len(keyed) == len(rows), "duplicate stores"
    return keyed
