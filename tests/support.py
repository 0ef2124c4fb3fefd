"""Helpers for the tests: run dbt, and compute expected numbers from raw tables.

The expected numbers here come from plain SQL over raw_orders and raw_payments
(cents, statuses, methods), never from the dbt models under test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")
# Tests run in parallel (pytest-xdist): each worker's dbt CLI runs get their own
# target/ and logs/, so no two dbt processes write the same manifest or
# partial-parse file, and each worker still parses partially between its runs.
DBT_OUTPUT_DIR = (
    DBT_PROJECT_DIR / "target" / f"pytest-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
)

# The run tags of a single-run backfill over a range of partitions.
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"

STATUSES = ("placed", "shipped", "completed", "return_pending", "returned")
METHODS = ("credit_card", "coupon", "bank_transfer", "gift_card")
# The columns of orders_by_month the tests compare, in this order.
COLUMNS = (
    "order_month",
    "order_count",
    "customer_count",
    *(f"{status}_count" for status in STATUSES),
    *(f"{method}_amount" for method in METHODS),
    "revenue",
    "average_order_value",
)


def run_dbt(
    args: list[str], db: Path, *, cwd: Path = DBT_PROJECT_DIR, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the dbt CLI of this virtual environment against the DuckDB file `db`."""
    env = {
        **os.environ,
        "DUCKDB_PATH": str(db),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_TARGET_PATH": str(DBT_OUTPUT_DIR),
        "DBT_LOG_PATH": str(DBT_OUTPUT_DIR / "logs"),
    }
    result = subprocess.run(
        [str(DBT), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    if check and result.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def dbt_vars(**values: str) -> list[str]:
    """`--vars` in the JSON form."""
    return ["--vars", json.dumps(values)]


def months(start: str, end: str) -> list[dt.date]:
    """First days of the months of the half-open window [start, end)."""
    day, stop = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    out = []
    while day < stop:
        out.append(day)
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


def expected_rows(db: Path, start: str, end: str) -> dict[dt.date, tuple]:
    """orders_by_month for [start, end) computed straight from the raw tables."""
    status_counts = ", ".join(
        f"count(*) filter (where o.status = '{s}') as {s}_count" for s in STATUSES
    )
    method_cents = ", ".join(f"coalesce(sum(p.{m}_cents), 0) as {m}_cents" for m in METHODS)
    per_order_methods = ", ".join(
        f"sum(amount) filter (where payment_method = '{m}') as {m}_cents" for m in METHODS
    )
    sql = f"""
        with per_order as (
            select order_id, sum(amount) as cents, {per_order_methods}
            from raw_payments group by order_id
        )
        select
            make_date(year(o.order_date), month(o.order_date), 1) as m,
            count(*) as order_count,
            count(distinct o.user_id) as customer_count,
            {status_counts},
            {method_cents},
            coalesce(sum(p.cents), 0) as cents
        from raw_orders as o
        left join per_order as p on p.order_id = o.id
        where o.order_date >= date '{start}' and o.order_date < date '{end}'
        group by 1
    """
    with duckdb.connect(str(db), read_only=True) as con:
        found = {row[0]: row[1:] for row in con.execute(sql).fetchall()}
    rows = {}
    zero = (0, 0, *(0 for _ in STATUSES), *(0 for _ in METHODS), 0)
    for month in months(start, end):
        counts = found.get(month, zero)
        order_count, cents = counts[0], counts[-1]
        dollars = [Decimal(c) / 100 for c in counts[2 + len(STATUSES) :]]
        average = (
            (Decimal(cents) / 100 / order_count).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if order_count
            else Decimal(0)
        )
        rows[month] = (*counts[: 2 + len(STATUSES)], *dollars, average)
    return rows


def model_rows(db: Path) -> dict[dt.date, tuple]:
    """orders_by_month as it stands, keyed by month; asserts one row per month."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            f"select {', '.join(COLUMNS)} from orders_by_month order by order_month"
        ).fetchall()
    keyed = {row[0]: row[1:] for row in rows}
    assert len(keyed) == len(rows), "orders_by_month has duplicate months"
    return keyed


def table_exists(db: Path, table: str) -> bool:
    with duckdb.connect(str(db), read_only=True) as con:
        return bool(
            con.execute(
                "select count(*) from information_schema.tables where table_name = ?", [table]
            ).fetchone()[0]
        )


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every table's full contents, sorted, for 'nothing changed' checks."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        return {t: sorted(con.execute(f"select * from {t}").fetchall()) for t in tables}


def execute(db: Path, *statements: str) -> None:
    """Run SQL against `db` in one connection, closed before returning."""
    with duckdb.connect(str(db)) as con:
        for statement in statements:
            con.execute(statement)
