"""The dbt models as Dagster assets: one partitioned set, one not.

dagster-dbt turns the dbt tests into asset checks, and `dbt build` runs them
right after their model, in the same dbt process.
"""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets
from pydantic import Field

from dagster_project.assets.raw import DUCKDB_POOL
from dagster_project.dbt_vars import dbt_build_args
from dagster_project.locking import stream_naming_lock
from dagster_project.partitions import every_partition_month, monthly_partitions
from dagster_project.project import dbt_project
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
    # A backfill of N months is one run over the range: one dbt process and
    # one delete+insert, instead of N of each.
    backfill_policy=dg.BackfillPolicy.single_run(),
    dagster_dbt_translator=translator,
    pool=DUCKDB_POOL,
)
def monthly_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, config: MonthlyRunConfig
):
    """orders_by_month, built for the run's months."""
    try:
        args = dbt_build_args(
            context.partition_time_window, every_partition_month(), full_refresh=config.full_refresh
        )
    except ValueError as error:
        raise dg.Failure(description=str(error)) from error
    yield from stream_naming_lock(dbt.cli(args, context=context))


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
