"""The category, two-dimensional and dynamic partition kinds, each a dbt model.

One @dbt_assets per model, because each has its own partitions definition;
the monthly orders_by_month is in assets/dbt.py. Each turns its run's
partition keys into dbt vars with a pure function from dbt_vars.py and runs
`dbt build`, so the model's dbt tests run as asset checks.
"""

import json

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.assets.dbt import translator
from dagster_project.assets.raw import DUCKDB_POOL
from dagster_project.dbt_vars import (
    dbt_vars_for_cells,
    dbt_vars_for_payment_methods,
    dbt_vars_for_store,
)
from dagster_project.partitions import (
    month_and_method_partitions,
    payment_method_partitions,
    store_partitions,
)
from dagster_project.project import dbt_project


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select="revenue_by_payment_method",
    partitions_def=payment_method_partitions,
    # Several methods in one backfill: one dbt process, payment_method a list.
    backfill_policy=dg.BackfillPolicy.single_run(),
    dagster_dbt_translator=translator,
    pool=DUCKDB_POOL,
)
def revenue_by_payment_method_model(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Category: revenue_by_payment_method, built for the run's payment methods."""
    dbt_vars = dbt_vars_for_payment_methods(context.partition_keys)
    yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select="payments_by_month_and_method",
    partitions_def=month_and_method_partitions,
    # A backfill of a range of months for one method (or of one month for
    # several methods) is one run: one dbt process over that rectangle.
    backfill_policy=dg.BackfillPolicy.single_run(),
    dagster_dbt_translator=translator,
    pool=DUCKDB_POOL,
)
def payments_by_month_and_method_model(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Two-dimensional: payments_by_month_and_method, built for the run's cells."""
    keys = [
        month_and_method_partitions.get_partition_key_from_str(k) for k in context.partition_keys
    ]
    dbt_vars = dbt_vars_for_cells(keys)
    yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select="orders_by_store",
    partitions_def=store_partitions,
    # No backfill policy: one run per store, as the new_stores sensor requests.
    dagster_dbt_translator=translator,
    pool=DUCKDB_POOL,
)
def orders_by_store_model(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Dynamic: orders_by_store, built for the run's store."""
    dbt_vars = dbt_vars_for_store(context.partition_key)
    yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context).stream()
