"""The code location: `dagster dev` loads `defs` from here (see pyproject.toml)."""

import dagster as dg

from dagster_project.assets.dbt import dbt_models, monthly_dbt_models
from dagster_project.assets.partition_kinds import (
    orders_by_store_model,
    payments_by_month_and_method_model,
    revenue_by_payment_method_model,
)
from dagster_project.assets.raw import raw_tables
from dagster_project.partitions import orders_by_month_job, orders_by_month_schedule
from dagster_project.project import dbt_project
from dagster_project.resources import FastDbtCliResource, dbt_in_process_setting
from dagster_project.sensors import new_stores

ASSETS = [
    raw_tables,
    dbt_models,
    monthly_dbt_models,
    revenue_by_payment_method_model,
    payments_by_month_and_method_model,
    orders_by_store_model,
]

# Everything without partitions: the raw data and the staging and mart models.
# `scripts/dev` runs it once so the UI opens with data ready to backfill.
warehouse_job = dg.define_asset_job(
    "warehouse",
    selection=dg.AssetSelection.assets(*(a for a in ASSETS if a.partitions_def is None)),
    description="Generate the raw tables and rebuild every unpartitioned dbt model.",
)

defs = dg.Definitions(
    assets=ASSETS,
    jobs=[warehouse_job, orders_by_month_job],
    schedules=[orders_by_month_schedule],
    sensors=[new_stores],
    # DbtCliResource with dbt in the run's process, without dagster-dbt's
    # per-run `dbt --version` subprocess and unused adapter (resources.py).
    resources={
        "dbt": FastDbtCliResource(project_dir=dbt_project, in_process=dbt_in_process_setting())
    },
    # One DuckDB writer at a time makes parallel steps useless, and the
    # in-process executor saves a child process per step.
    executor=dg.in_process_executor,
)
