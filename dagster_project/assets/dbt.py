"""The dbt models as Dagster assets: one partitioned set, one not.

dagster-dbt turns the dbt tests into asset checks, and `dbt build` runs them
right after their model, in the same dbt process.
"""

import json

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.assets.raw import DUCKDB_POOL
from dagster_project.dbt_vars import dbt_vars_for_window
from dagster_project.partitions import backfill_policy, monthly_partitions
from dagster_project.project import dbt_project
from dagster_project.resources import FastDbtCliResource
from dagster_project.translator import JaffleShopTranslator

INCREMENTAL = "config.materialized:incremental"

translator = JaffleShopTranslator()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=INCREMENTAL,
    partitions_def=monthly_partitions,
    # By default a backfill of N months is one run over the range: one dbt
    # process and one delete+insert, instead of N of each. DAGSTER_BACKFILL_POLICY
    # chooses otherwise (README, "Performance").
    backfill_policy=backfill_policy(),
    dagster_dbt_translator=translator,
    pool=DUCKDB_POOL,
)
def monthly_dbt_models(context: dg.AssetExecutionContext, dbt: FastDbtCliResource):
    """orders_by_month (and any incremental model), built for the run's months."""
    dbt_vars = dbt_vars_for_window(context.partition_time_window)
    args = [
        "build",
        "--vars",
        json.dumps(dbt_vars),
        # Unit tests check the SQL's logic, not the data: CI runs them, and
        # skipping them here saves about half a second per run. The data tests
        # still run, as asset checks.
        "--exclude-resource-type",
        "unit_test",
    ]
    target_path = dbt.window_target_path(context.op.name, dbt_vars)
    yield from dbt.cli(args, context=context, target_path=target_path).stream()


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
