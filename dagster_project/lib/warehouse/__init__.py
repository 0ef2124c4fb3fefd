"""The warehouse seam: every Python read or write of the warehouse goes through here.

Which warehouse, and how to reach it, is dbt's profile, `profiles.yml`: the
target that dbt's own setting DBT_TARGET names, else the profile's default,
`duckdb`. `warehouse()` renders that profile with dbt's own loader (as
dagster-dbt does for its adapter), so dbt and Python always open the same
database, and returns the target's implementation:

    duckdb     dagster_project/lib/warehouse/duckdb.py     (dbt-duckdb)
    postgres   dagster_project/lib/warehouse/postgres.py   (dbt-postgres, psycopg2)
    spark      dagster_project/lib/warehouse/spark.py      (dbt-spark's session, pyspark)
    spark      dagster_project/lib/warehouse/spark_thrift.py  (method thrift: PyHive)

Each implementation is the only module that imports its database driver, and
each is imported only when its target is used. What the rest of the project
asks of a warehouse is the `Warehouse` protocol of `contract.py`, which the
implementations import; this module only chooses one.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping

import dagster as dg

from dagster_project.lib.project import dbt_profile_target
from dagster_project.lib.settings import warehouse_pool_limit
from dagster_project.lib.warehouse.contract import POOL, Warehouse


def warehouse(environ: Mapping[str, str] = os.environ) -> Warehouse:
    """The warehouse of the dbt target DBT_TARGET (default: the profile's, DuckDB)."""
    return _warehouse(frozenset(environ.items()))


@functools.cache
def _warehouse(environ: frozenset[tuple[str, str]]) -> Warehouse:
    target, credentials = dbt_profile_target(dict(environ))
    # Imported here, not at the top: each target imports its own driver
    # (psycopg2, pyspark), which a project on another target need not install.
    if credentials.type == "duckdb":
        from dagster_project.lib.warehouse.duckdb import DuckDBWarehouse

        return DuckDBWarehouse.from_credentials(target, credentials)
    if credentials.type == "postgres":
        from dagster_project.lib.warehouse.postgres import PostgresWarehouse

        return PostgresWarehouse.from_credentials(target, credentials)
    if credentials.type == "spark" and credentials.method == "thrift":
        from dagster_project.lib.warehouse.spark_thrift import SparkThriftWarehouse

        return SparkThriftWarehouse.from_credentials(target, credentials, dict(environ))
    if credentials.type == "spark":
        from dagster_project.lib.warehouse.spark import SparkWarehouse

        return SparkWarehouse.from_credentials(target, credentials)
    raise ValueError(
        f"DBT_TARGET={target!r} is a {credentials.type} target, which this project has no "
        "Python support for: expected a duckdb, postgres or spark target."
    )


def set_pool_limit(instance: dg.DagsterInstance, environ: Mapping[str, str] = os.environ) -> int:
    """Give the instance's `warehouse` pool this target's limit (WAREHOUSE_POOL_LIMIT); return it.

    Pool limits live in the instance's storage, not in dagster.yaml, so
    `scripts/dev` calls this at every start: the limit follows DBT_TARGET.
    """
    limit = warehouse_pool_limit(warehouse(environ).pool_key, environ)
    instance.event_log_storage.set_concurrency_slots(POOL, limit)
    return limit


def release_dbt_resources(environ: Mapping[str, str] = os.environ) -> None:
    """After an in-process dbt command: the current target's `release_dbt_resources()`."""
    try:
        target = warehouse(environ)
    except Exception as error:  # a profile dbt could not read: dbt has said so already
        dg.get_dagster_logger().debug(f"No warehouse to release after dbt: {error}")
        return
    target.release_dbt_resources()
