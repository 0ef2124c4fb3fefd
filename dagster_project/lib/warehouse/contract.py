"""What the Dagster code asks of a warehouse: the `Warehouse` protocol, and what it may raise.

Each implementation (duckdb.py, postgres.py, spark.py, spark_thrift.py) fulfils this protocol;
the package's `warehouse()` chooses one for the dbt target.
"""

from __future__ import annotations

from typing import Any, Protocol

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
    #: dbt's adapter type, e.g. "duckdb" (also the Dagster asset kind of its tables)
    adapter: str
    #: the key of its `warehouse` pool's default limit in settings.DEFAULT_POOL_LIMITS:
    #: the adapter, or "spark_thrift" for Spark through a Thrift server (many writers)
    pool_key: str
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
