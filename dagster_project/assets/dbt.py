"""The dbt models as Dagster assets: one partitioned set, one not.

dagster-dbt turns the dbt tests into asset checks, and `dbt build` runs them
right after their model, in the same dbt process.
"""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets
from pydantic import Field

from dagster_project.assets.raw import DUCKDB_POOL
from dagster_project.dbt_vars import dbt_build_args, dbt_vars_for_window
from dagster_project.duckdb_path import duckdb_path
from dagster_project.locking import stream_naming_lock
from dagster_project.partition_metadata import ORDERS_BY_MONTH, with_month_metadata
from dagster_project.partitions import (
    backfill_policy,
    every_partition_month,
    monthly_partitions,
)
from dagster_project.project import dbt_project
from dagster_project.resources import FastDbtCliResource
from dagster_project.translator import JaffleShopTranslator

# Every partitioned model is incremental, and each has its own @dbt_assets
# (here and in assets/partition_kinds.py): the unpartitioned set excludes them all.
INCREMENTAL = "config.materialized:incremental"

translator = JaffleShopTranslator()


class MonthlyRunConfig(dg.Config):
    """Run config of the partitioned dbt models (Launchpad: ops.monthly_dbt_models.config)."""

    full_refresh: bool = Field(
        default=False,
        description=(
            "Drop and rebuild orders_by_month from scratch (dbt --full-refresh). "
            "Only for a run over every partition: select all partitions."
        ),
    )


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select="orders_by_month",
    partitions_def=monthly_partitions,
    # By default a backfill of N months is one run over the range: one dbt
    # process and one delete+insert, instead of N of each. DAGSTER_BACKFILL_POLICY
    # chooses otherwise (README, "Performance").
    backfill_policy=backfill_policy(),
    dagster_dbt_translator=translator,
    pool=DUCKDB_POOL,
)
def monthly_dbt_models(
    context: dg.AssetExecutionContext, dbt: FastDbtCliResource, config: MonthlyRunConfig
):
    """orders_by_month, built for the run's months; or its checks alone, over every month."""
    if context.has_partition_key or context.has_partition_key_range:
        window = context.partition_time_window
        try:
            args = dbt_build_args(window, every_partition_month(), full_refresh=config.full_refresh)
        except ValueError as error:
            raise dg.Failure(description=str(error)) from error
        # A stable folder per window lets a re-run of the same months parse partially.
        target_path = (
            None
            if config.full_refresh
            else dbt.window_target_path(context.op.name, dbt_vars_for_window(window))
        )
    else:
        # A run of the checks alone: Dagster runs these unpartitioned checks
        # without a partition. Without window vars the dbt tests cover every
        # partition month: the audit of the whole table, no model rebuilt.
        if ORDERS_BY_MONTH in context.selected_asset_keys:
            raise dg.Failure(description="orders_by_month is partitioned: select partitions.")
        args, target_path = ["build"], None
    # Unit tests check the SQL's logic, not the data: CI runs them, and
    # skipping them here saves about half a second per run. The data tests
    # still run, as asset checks.
    args += ["--exclude-resource-type", "unit_test"]
    events = stream_naming_lock(dbt.cli(args, context=context, target_path=target_path))
    # Each partition's materialization gets its own month's numbers.
    yield from with_month_metadata(context, events, duckdb_path())


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    exclude=INCREMENTAL,
    dagster_dbt_translator=translator,
    pool=DUCKDB_POOL,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Staging views and mart tables, rebuilt whole."""
    yield from stream_naming_lock(dbt.cli(["build"], context=context))
