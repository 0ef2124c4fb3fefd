"""Jobs. Partitions are built by automation (defs/automation.py) or a backfill, not by a job."""

import dagster as dg

from dagster_project.defs.dbt import unpartitioned_models
from dagster_project.defs.raw import raw_tables

# Everything without partitions: the raw data and the staging and mart models.
# `scripts/dev` runs it once so the UI opens with data ready to backfill.
warehouse_job = dg.define_asset_job(
    "warehouse",
    selection=dg.AssetSelection.assets(raw_tables, unpartitioned_models),
    description="Generate the raw tables and rebuild every unpartitioned dbt model.",
)
