"""The Postgres test warehouse: one database per test on a throwaway server.

Copies are `create database ... template ...`: Postgres copies the template's
files, so a test's database with raw tables and built models costs a fraction
of a second, as copying a DuckDB file does.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from psycopg2 import sql

from dagster_project.lib.project import DBT_PROJECT_DIR
from harness.postgres_server import PostgresServer, database_name

if TYPE_CHECKING:
    from dagster_project.lib.generator import GeneratorConfig

NO_DUCKDB_FILE = "/nonexistent-folder/a-postgres-target-opens-no-duckdb-file.duckdb"


@dataclass(frozen=True)
class PostgresTestWarehouse:
    """A database of its own on the worker's throwaway server, schema public."""

    __test__ = False

    server: PostgresServer
    database: str
    adapter: ClassVar[str] = "postgres"

    @classmethod
    def create(cls, server: PostgresServer, name: str) -> PostgresTestWarehouse:
        database = database_name(name)
        server.create_database(database)
        return cls(server, database)

    @property
    def env(self) -> dict[str, str]:
        # dbt's target (DBT_TARGET, its own setting) and the libpq variables
        # the profile's postgres target reads; dbt's own target folder per
        # worker and target, so switching targets never discards the other's
        # partial parse.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        target = DBT_PROJECT_DIR / "target" / f"pytest-{worker}-postgres"
        return {
            **self.server.env,
            "PGDATABASE": self.database,
            # On a postgres target nothing may open a DuckDB file: were
            # anything to try, it would fail on this missing folder.
            "DUCKDB_PATH": NO_DUCKDB_FILE,
            "DBT_TARGET": "postgres",
            "DBT_TARGET_PATH": str(target),
            "DBT_LOG_PATH": str(target / "logs"),
        }

    def query(self, statement: str) -> list[dict[str, Any]]:
        with contextlib.closing(self.server.connect(self.database)) as con, con.cursor() as cur:
            cur.execute(statement)
            names = [column.name for column in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def execute(self, *statements: str) -> None:
        with contextlib.closing(self.server.connect(self.database)) as con, con.cursor() as cur:
            for statement in statements:
                cur.execute(statement)

    def snapshot(self) -> dict[str, list[tuple]]:
        tables = self.query(
            "select table_name from information_schema.tables "
            "where table_schema = 'public' and table_type = 'BASE TABLE' order by 1"
        )
        with contextlib.closing(self.server.connect(self.database)) as con, con.cursor() as cur:
            snapshot = {}
            for row in tables:
                cur.execute(sql.SQL("select * from {}").format(sql.Identifier(row["table_name"])))
                snapshot[row["table_name"]] = sorted(cur.fetchall())
            return snapshot

    def table_exists(self, name: str) -> bool:
        return self.query(f"select to_regclass('public.{name}') is not null as found")[0]["found"]

    def write_raw(self, config: GeneratorConfig) -> dict[str, int]:
        from dagster_project.lib.warehouse import warehouse

        return warehouse({**os.environ, **self.env}).write_raw(config)

    def copy(self, name: str) -> PostgresTestWarehouse:
        copied = database_name(name)
        self.server.create_database(copied, template=self.database)
        return PostgresTestWarehouse(self.server, copied)

    def drop(self) -> None:
        self.server.drop_database(self.database)
