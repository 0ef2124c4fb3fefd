"""PostgreSQL: a server, many writers.

The connection is dbt-postgres's own credentials from the profile (PGHOST,
PGPORT, PGUSER, PGPASSWORD, PGDATABASE; PGHOST may be a unix-socket folder),
opened with psycopg2, the driver dbt-postgres uses. Raw tables arrive through
Postgres's bulk path: the generator's rows are made by DuckDB in memory (the
same SQL, so the same rows as on DuckDB) and streamed in with COPY.
"""

from __future__ import annotations

import re
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.errors

from dagster_project.lib.generator import RAW_TABLES, GeneratorConfig, generate
from dagster_project.lib.progress import Step
from dagster_project.lib.warehouse.contract import Unavailable

# DuckDB's column types, as the generator writes them, in Postgres.
_TYPES = {"BIGINT": "bigint", "INTEGER": "integer", "VARCHAR": "text", "DATE": "date"}
_UNREACHABLE = re.compile(r"could not connect to server|connection to server .* failed")


@dataclass(frozen=True)
class PostgresWarehouse:
    """The database and schema of a dbt-postgres target."""

    target: str
    host: str
    port: int
    user: str
    password: str
    database: str
    schema: str
    adapter: str = "postgres"
    pool_key: str = "postgres"

    @classmethod
    def from_credentials(cls, target: str, credentials: Any) -> PostgresWarehouse:
        return cls(
            target=target,
            host=credentials.host,
            port=int(credentials.port),
            user=credentials.user,
            password=credentials.password,
            database=credentials.database,
            schema=credentials.schema,
        )

    @property
    def location(self) -> str:
        where = self.host if self.host.startswith("/") else f"{self.host}:{self.port}"
        return f"postgresql://{self.user}@{where}/{self.database} (schema {self.schema})"

    def connect(self) -> psycopg2.extensions.connection:
        """A new connection whose search_path is the target's schema."""
        return psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=self.database,
            options=f"-c search_path={self.schema}",
            application_name="dagster_project",
        )

    def write_raw(self, config: GeneratorConfig, step: Step | None = None) -> dict[str, int]:
        """Generate the rows in DuckDB (in memory), then COPY each table in.

        One transaction: each table is created if missing, emptied and
        loaded, so readers (and the staging views on the raw tables) see the
        old rows until the commit, then the new ones.
        """
        import duckdb  # the generator's engine, in memory only

        with (
            tempfile.TemporaryDirectory(prefix="raw-") as folder,
            closing(duckdb.connect()) as source,
            closing(self.connect()) as con,
        ):
            counts = generate(source, config, step)
            with con, con.cursor() as cursor:
                cursor.execute(f"create schema if not exists {self.schema}")
                for table in RAW_TABLES:
                    if step is not None:
                        step(f"copy {table} into Postgres")
                    columns = source.execute(f"describe {table}").fetchall()
                    definition = ", ".join(f"{name} {_TYPES[type_]}" for name, type_, *_ in columns)
                    cursor.execute(f"create table if not exists {table} ({definition})")
                    cursor.execute(f"truncate {table}")
                    # DuckDB writes the CSV (fast, in its own threads); COPY reads it.
                    csv = Path(folder) / f"{table}.csv"
                    source.execute(f"copy {table} to '{csv}' (format csv, header false)")
                    with csv.open("rb") as rows:
                        cursor.copy_expert(f"copy {table} from stdin with (format csv)", rows)
                    csv.unlink()
            return counts

    def query(self, sql: str) -> list[dict[str, Any]]:
        with closing(self.connect()) as con, con, con.cursor() as cursor:
            cursor.execute(sql)
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def has_table(self, name: str) -> bool:
        try:
            rows = self.query(f"select to_regclass('{self.schema}.{name}') is not null as found")
        except psycopg2.OperationalError:
            return False
        return bool(rows[0]["found"])

    def store_ids(self) -> list[str]:
        rows = self._read_now("raw_stores", "select id from raw_stores order by id")
        return [str(row["id"]) for row in rows]

    def fingerprint(self, table: str) -> str:
        # Every row's hash (the row as text), summed: order does not matter.
        sql = f"select count(*) as n, coalesce(sum(hashtext(t::text)), 0) as total from {table} t"
        (row,) = self._read_now(table, sql)
        return f"{row['n']}:{row['total']}"

    def _read_now(self, table: str, sql: str) -> list[dict[str, Any]]:
        """Rows of a sensor's read of `table`; Unavailable if the table or server is missing."""
        try:
            return self.query(sql)
        except psycopg2.errors.UndefinedTable as error:
            raise Unavailable(f"{self.location} has no {table} table yet.") from error
        except psycopg2.OperationalError as error:
            raise Unavailable(f"{self.location} is not reachable now: {error}") from error

    def failure_message(self, error_text: str) -> str | None:
        if _UNREACHABLE.search(error_text) is None:
            return None
        return (
            f"dbt could not reach PostgreSQL at {self.location}: start the server, or point "
            "PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE at one, and re-execute this run."
        )

    def release_dbt_resources(self) -> None:
        """Nothing: dbt-postgres closes its connections at the end of every command."""
