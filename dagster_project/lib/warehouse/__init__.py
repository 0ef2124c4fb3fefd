"""The warehouse seam: every Python read or write of the warehouse goes through here.

Which warehouse, and how to reach it, is dbt's profile, `profiles.yml`: the
target that dbt's own setting DBT_TARGET names, else the profile's default,
`duckdb`. `warehouse()` renders that profile with dbt's own loader (as
dagster-dbt does for its adapter), so dbt and Python always open the same
database, and returns the target's implementation:

    duckdb     dagster_project/lib/warehouse/duckdb.py     (dbt-duckdb)
    postgres   dagster_project/lib/warehouse/postgres.py   (dbt-postgres, psycopg2)
    spark      dagster_project/lib/warehouse/spark.py      (dbt-spark's session, pyspark)

Each implementation is the only module that imports its database driver, and
each is imported only when its target is used. What the rest of the project
asks of a warehouse is the `Warehouse` protocol below.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import dagster as dg

from dagster_project.lib.project import DBT_PROJECT_DIR, PROFILES_DIR
from dagster_project.lib.settings import warehouse_pool_limit

if TYPE_CHECKING:
    from dagster_project.lib.generator import GeneratorConfig
    from dagster_project.lib.progress import Step

# The Dagster pool of every asset that writes the warehouse. Its limit is how
# many steps may write at once: WAREHOUSE_POOL_LIMIT, 1 on DuckDB (one writer
# process per file), 4 on Postgres, 1 on Spark (one Java process per
# metastore); `set_pool_limit` applies it.
POOL = "warehouse"


class Unavailable(Exception):
    """The warehouse can't answer now (no data yet, a writer holds it): say why, try later."""


class Warehouse(Protocol):
    """What the Dagster code asks of a warehouse."""

    #: dbt's target name, e.g. "duckdb"
    target: str
    #: Dagster's asset kind for the tables it holds, e.g. "duckdb"
    kind: str
    #: where the data lives, for people: a file path or a database URL without password
    location: str

    def write_raw(self, config: GeneratorConfig, step: Step | None = None) -> dict[str, int]:
        """(Re)create the raw tables with the generator's rows; return each table's count.

        `step(name)` is called as each step of the work starts (a progress display).
        """
        ...

    def query(self, sql: str) -> list[dict[str, Any]]:
        """Rows of a read-only query, as dicts keyed by column name."""
        ...

    def has_table(self, name: str) -> bool:
        """Whether the target's schema has a table or view `name` (False when unreachable)."""
        ...

    def store_ids(self) -> list[str]:
        """The ids in raw_stores, as text, without waiting; raise Unavailable if it can't now."""
        ...

    def fingerprint(self, table: str) -> str:
        """A short text that changes when `table`'s rows change (its data version), read
        without waiting and without holding the warehouse; raise Unavailable if it can't now."""
        ...

    def failure_message(self, error_text: str) -> str | None:
        """One sentence for a user if a dbt error is this warehouse's known trouble, else None."""
        ...

    def release_dbt_resources(self) -> None:
        """Let go of what dbt's adapter keeps in this process once an in-process dbt
        command has ended, as a dbt process's exit would (a file handle, a session)."""
        ...


def warehouse(environ: Mapping[str, str] = os.environ) -> Warehouse:
    """The warehouse of the dbt target DBT_TARGET (default: the profile's, DuckDB)."""
    return _warehouse(frozenset(environ.items()))


@functools.cache
def _warehouse(environ: frozenset[tuple[str, str]]) -> Warehouse:
    target, credentials = dbt_profile_target(dict(environ))
    if credentials.type == "duckdb":
        from dagster_project.lib.warehouse.duckdb import DuckDBWarehouse

        return DuckDBWarehouse.from_credentials(target, credentials)
    if credentials.type == "postgres":
        from dagster_project.lib.warehouse.postgres import PostgresWarehouse

        return PostgresWarehouse.from_credentials(target, credentials)
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
    limit = warehouse_pool_limit(warehouse(environ).kind, environ)
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


def dbt_profile_target(
    environ: Mapping[str, str],
    project_dir: Path = DBT_PROJECT_DIR,
    profiles_dir: Path = PROFILES_DIR,
) -> tuple[str, Any]:
    """(target name, dbt credentials) of profiles.yml for DBT_TARGET, rendered by dbt."""
    from argparse import Namespace

    from dbt.config.runtime import load_profile
    from dbt.flags import set_from_args
    from dbt_common.context import set_invocation_context

    # dbt's env_var() reads the invocation context; flags.PROFILES_DIR is the
    # folder profiles.yml is read from (its DuckDB path rule uses it).
    set_invocation_context(dict(environ))
    set_from_args(Namespace(profiles_dir=str(profiles_dir)), None)
    profile = load_profile(str(project_dir), {}, None, environ.get("DBT_TARGET") or None)
    return profile.target_name, profile.credentials
