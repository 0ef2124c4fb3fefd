"""The dbt models as Dagster assets: one partitioned set, one not.

dagster-dbt turns the dbt tests into asset checks, and `dbt build` runs them
right after their model, in the same dbt process.
"""

import json

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.assets.raw import DUCKDB_POOL
from dagster_project.dbt_vars import dbt_vars_for_window
from dagster_project.duckdb_path import duckdb_path
from dagster_project.partition_metadata import with_month_metadata
from dagster_project.partitions import monthly_partitions
from dagster_project.project import dbt_project
from dagster_project.translator import JaffleShopTranslator

# Every partitioned model is incremental, and each has its own @dbt_assets
# (here and in assets/partition_kinds.py): the unpartitioned set excludes them all.
INCREMENTAL = "config.materialized:incremental"

translator = JaffleShopTranslator()


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
def monthly_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """orders_by_month, built for the run's months."""
    dbt_vars = dbt_vars_for_window(context.partition_time_window)
    events = dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context).stream()
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
    yield from dbt.cli(["build"], context=context).stream()
