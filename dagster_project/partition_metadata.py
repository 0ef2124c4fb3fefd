"""Each orders_by_month partition's own numbers, as metadata on its materialization.

A single-run backfill of N months yields ONE dbt Output for the asset, and
Dagster copies that Output's metadata onto each of the N partition
materializations. Per-month numbers therefore go through
`context.add_asset_metadata(..., partition_key=...)`, which Dagster merges into
that partition's event only. They are read from DuckDB after dbt has exited:
the profile's keep_open: false and DuckDB's one-writer rule mean the file is
free only then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

ORDERS_BY_MONTH = dg.AssetKey("orders_by_month")

# month, rows, orders, customers, revenue (dollars) for the months [start, end).
_MONTH_NUMBERS_SQL = """
    select
        order_month,
        count(*) as row_count,
        sum(order_count) as orders,
        sum(customer_count) as customers,
        sum(revenue) as revenue
    from orders_by_month
    where order_month >= ? and order_month < ?
    group by order_month
"""


def month_metadata(
    partition_keys: Iterable[str], rows: Iterable[tuple[dt.date, int, int, int, Any]]
) -> dict[str, dict[str, dg.MetadataValue]]:
    """Metadata per partition key from (month, rows, orders, customers, revenue) rows.

    A key with no row gets a row count of 0 and no other numbers: the model
    writes a row for every month of its window, so that would be a bug to see,
    not a month to report as zero orders.
    """
    by_key = {month.isoformat(): numbers for month, *numbers in rows}
    metadata = {}
    for key in partition_keys:
        if key not in by_key:
            metadata[key] = {"dagster/row_count": dg.MetadataValue.int(0)}
            continue
        row_count, orders, customers, revenue = by_key[key]
        metadata[key] = {
            # The rows this run wrote for the month, not the whole table's.
            "dagster/row_count": dg.MetadataValue.int(int(row_count)),
            "orders": dg.MetadataValue.int(int(orders)),
            "customers": dg.MetadataValue.int(int(customers)),
            "revenue": dg.MetadataValue.float(float(revenue)),
        }
    return metadata


def fetch_month_metadata(
    db: Path, window: dg.TimeWindow, partition_keys: Iterable[str]
) -> dict[str, dict[str, dg.MetadataValue]]:
    """Read the window's months from orders_by_month in `db` (read-only)."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(_MONTH_NUMBERS_SQL, [window.start.date(), window.end.date()]).fetchall()
    return month_metadata(partition_keys, rows)


def with_month_metadata(
    context: dg.AssetExecutionContext, events: Iterable[Any], db: Path
) -> Iterator[Any]:
    """Pass `events` through, attaching each orders_by_month partition's numbers.

    The events are held until dbt has finished, so the numbers can be read
    before the Output that carries them is handed to Dagster. If dbt fails, the
    events seen so far still go out, without the numbers, and the error is
    raised as before.
    """
    held = []
    try:
        for event in events:
            held.append(event)
    except Exception:
        yield from held
        raise
    if ORDERS_BY_MONTH in context.selected_asset_keys:
        numbers = fetch_month_metadata(db, context.partition_time_window, context.partition_keys)
        for key, metadata in numbers.items():
            context.add_asset_metadata(metadata, asset_key=ORDERS_BY_MONTH, partition_key=key)
    yield from held
