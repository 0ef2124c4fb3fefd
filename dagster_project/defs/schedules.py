"""Jobs and schedules."""

import dagster as dg

from dagster_project.defs.dbt import orders_by_month_model, unpartitioned_models
from dagster_project.defs.raw import raw_tables

# Everything without partitions: the raw data and the staging and mart models.
# `scripts/dev` runs it once so the UI opens with data ready to backfill.
warehouse_job = dg.define_asset_job(
    "warehouse",
    selection=dg.AssetSelection.assets(raw_tables, unpartitioned_models),
    description="Generate the raw tables and rebuild every unpartitioned dbt model.",
)

# The monthly schedule's job: orders_by_month, one partition per tick.
orders_by_month_job = dg.define_asset_job(
    "orders_by_month_monthly",
    selection=dg.AssetSelection.assets(orders_by_month_model),
    partitions_def=orders_by_month_model.partitions_def,
    description="Materialize orders_by_month for one month (the schedule's job).",
)

# At 00:00 UTC on the 1st, the month that just ended becomes the last partition
# and this requests it: the previous complete month.
orders_by_month_schedule = dg.build_schedule_from_partitioned_job(
    orders_by_month_job, name="orders_by_month_monthly_schedule"
)
