"""Each orders_by_month partition's own numbers, as metadata on its materialization.

A single-run backfill of N months yields ONE dbt Output for the asset, and
Dagster copies that Output's metadata onto each of the N partition
materializations. Per-month numbers therefore go through
`context.add_asset_metadata(..., partition_key=...)`, which Dagster merges into
that partition's event only. They are read through the warehouse seam after
dbt has finished: orders_by_month's asset body passes `add_month_metadata` to
`dbt_build` as its `after` hook (dagster_project/defs/dbt.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import dagster as dg

from dagster_project.lib.warehouse.contract import Warehouse

ORDERS_BY_MONTH = dg.AssetKey("orders_by_month")


def month_numbers_sql(window: dg.TimeWindow) -> str:
    """Rows, orders, customers and revenue (dollars) per month of [start, end)."""
    start, end = window.start.date().isoformat(), window.end.date().isoformat()
    return f"""
        select
            order_month,
            count(*) as row_count,
            sum(order_count) as orders,
            sum(customer_count) as customers,
            sum(revenue) as revenue
        from orders_by_month
        where order_month >= cast('{start}' as date) and order_month < cast('{end}' as date)
        group by order_month
    """


def month_metadata(
    partition_keys: Iterable[str], rows: Iterable[Mapping[str, Any]]
) -> dict[str, dict[str, dg.MetadataValue]]:
    """Metadata per partition key from the rows of `month_numbers_sql`.

    A key with no row gets a row count of 0 and no other numbers: the model
    writes a row for every month of its window, so that would be a bug to see,
    not a month to report as zero orders.
    """
    by_key = {row["order_month"].isoformat(): row for row in rows}
    metadata = {}
    for key in partition_keys:
        row = by_key.get(key)
        if row is None:
            metadata[key] = {"dagster/row_count": dg.MetadataValue.int(0)}
            continue
        metadata[key] = {
            # The rows this run wrote for the month, not the whole table's.
            "dagster/row_count": dg.MetadataValue.int(int(row["row_count"])),
            "orders": dg.MetadataValue.int(int(row["orders"])),
            "customers": dg.MetadataValue.int(int(row["customers"])),
            "revenue": dg.MetadataValue.float(float(row["revenue"])),
        }
    return metadata


def add_month_metadata(context: dg.AssetExecutionContext, warehouse: Warehouse) -> None:
    """Attach each of the run's orders_by_month partitions its own numbers.

    Nothing when the run does not materialize orders_by_month (its checks alone).
    """
    if ORDERS_BY_MONTH not in context.selected_asset_keys:
        return
    rows = warehouse.query(month_numbers_sql(context.partition_time_window))
    for key, metadata in month_metadata(context.partition_keys, rows).items():
        context.add_asset_metadata(metadata, asset_key=ORDERS_BY_MONTH, partition_key=key)
