"""DuckDB: one file, one writer process at a time.

Connections come from dagster-duckdb's `DuckDBResource` with the profile's
`settings:` (memory_limit, threads), so a Python process that writes the file
obeys the same limits as dbt. DuckDB lets one process write a file, and while
it writes no other process may even read it: the sensor's read therefore
gives up at once (`Unavailable`) instead of waiting, and a dbt failure on the
lock is turned into one sentence that names the holder.
"""

from __future__ import annotations

import re
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from dagster_duckdb import DuckDBResource

from dagster_project.lib.generator import GeneratorConfig, generate
from dagster_project.lib.progress import Step
from dagster_project.lib.warehouse.contract import Unavailable

# 'Could not set lock on file "...": Conflicting lock is held in
# /usr/bin/python3 (PID 1234) by user me.'
_LOCK = re.compile(r"Conflicting lock is held in (?P<holder>.+?\(PID \d+\))")


@dataclass(frozen=True)
class DuckDBWarehouse:
    """The DuckDB file of a dbt-duckdb target."""

    target: str
    path: Path
    settings: dict[str, str] = field(default_factory=dict)
    adapter: str = "duckdb"
    pool_key: str = "duckdb"

    @classmethod
    def from_credentials(cls, target: str, credentials: Any) -> DuckDBWarehouse:
        settings = {key: str(value) for key, value in (credentials.settings or {}).items()}
        return cls(target=target, path=Path(credentials.path), settings=settings)

    @property
    def location(self) -> str:
        return str(self.path)

    def resource(self, *, read_only: bool = False) -> DuckDBResource:
        """dagster-duckdb's resource for this file, with the profile's limits."""
        config = {**self.settings, **({"access_mode": "READ_ONLY"} if read_only else {})}
        return DuckDBResource(database=str(self.path), connection_config=config)

    def write_raw(self, config: GeneratorConfig, step: Step | None = None) -> dict[str, int]:
        """Generate the raw tables inside the file itself: DuckDB is the generator's engine."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.resource().get_connection() as con, closing(con):
            return generate(con, config, step)

    def query(self, sql: str) -> list[dict[str, Any]]:
        with self.resource(read_only=True).get_connection() as con, closing(con):
            cursor = con.execute(sql)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def has_table(self, name: str) -> bool:
        if not self.path.exists():
            return False
        rows = self.query(
            f"select count(*) as found from information_schema.tables where table_name = '{name}'"
        )
        return rows[0]["found"] > 0

    def store_ids(self) -> list[str]:
        rows = self._read_now("raw_stores", "select id from raw_stores order by id")
        return [str(row[0]) for row in rows]

    def fingerprint(self, table: str) -> str:
        # Every row's hash (the row as a struct), summed: order does not matter.
        sql = f"select count(*), coalesce(sum(hash({table})), 0) from {table}"
        ((count, total),) = self._read_now(table, sql)
        return f"{count}:{total}"

    def _read_now(self, table: str, sql: str) -> list[tuple]:
        """Rows of a sensor's read of `table`: read-only, closed at once, never waiting."""
        if not self.path.exists():
            raise Unavailable(f"{self.path} does not exist yet: materialize the raw tables first.")
        try:
            # Not the resource: it retries a locked file for more than a minute,
            # and a sensor tick should not wait (nor hold the file a run wants).
            with duckdb.connect(str(self.path), read_only=True) as con:
                return con.execute(sql).fetchall()
        except duckdb.CatalogException as error:
            raise Unavailable(f"{self.path} has no {table} table yet.") from error
        except duckdb.IOException as error:
            message = f"{self.path} is locked by a writer, trying next tick: {error}"
            raise Unavailable(message) from error

    def failure_message(self, error_text: str) -> str | None:
        match = _LOCK.search(error_text)
        if match is None:
            return None
        return (
            f"Another process ({match['holder']}) holds the DuckDB file {self.path}, and it "
            "was still locked after dbt's connect retries: close that process (a notebook, a "
            "second dbt or Dagster run) and re-execute this run."
        )

    def release_dbt_resources(self) -> None:
        """Drop dbt-duckdb's process-wide database handle.

        dbt-duckdb keeps one DuckDB environment per process for all its
        connections; a dbt process lets go of the file when it exits, and an
        in-process command must too, or this process would hold the file (and,
        with keep_open: true, its lock) after the run.
        """
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        DuckDBConnectionManager.close_all_connections()
