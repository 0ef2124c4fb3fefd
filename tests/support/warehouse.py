"""One test database behind one small interface, so tests never handle a file path.

The `db` and `raw_db` fixtures (tests/conftest.py) give each test a
`TestWarehouse` of its own. A test hands `.env` to dbt and Dagster (the
fixtures already put it in os.environ), reads rows with `.query()`, and
changes data with `.execute()`. DuckDB is the one implementation today; a
second warehouse is a second class here, its branch in `empty_warehouse`, and
one more name in `ADAPTERS` (every test with a database then runs on both).
Spark is the exception: only tests marked `spark` run on it, on the local
session (`SPARK`) and on a local cluster's Thrift server (`SPARK_THRIFT`).
Tests about DuckDB itself are marked `duckdb_only` and may read `.path`.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import duckdb

from dagster_project.lib.warehouse import warehouse

if TYPE_CHECKING:
    from dagster_project.lib.generator import GeneratorConfig
    from harness.postgres_server import PostgresServer
    from scripts.spark_cluster import Cluster
    from tests.support.spark import SparkMetastore

# The warehouses the tests run against; tests marked duckdb_only skip the others.
ADAPTERS = ("duckdb", "postgres")
# Spark runs only the tests marked `spark` (the core semantics, once each):
# each dbt command there costs seconds of fixed Spark work, and CI's budget
# has room for a dozen, not for the whole parametrized suite.
SPARK = "spark"
# ... and on a Spark cluster through its Thrift server (tests/support/spark_thrift.py).
SPARK_THRIFT = "spark_thrift"


def schema_name(name: str) -> str:
    """A test's name as a Spark database name: lowercase letters, digits and underscores."""
    return "t_" + re.sub(r"\W", "_", name.lower())


class TestWarehouse(Protocol):
    """One test database: what a test asks of it, whichever warehouse it is."""

    __test__ = False  # not a pytest test class

    #: dbt's adapter type, e.g. "duckdb"
    adapter: ClassVar[str]

    @property
    def env(self) -> dict[str, str]:
        """The environment that makes dbt and Dagster use this database."""
        ...

    def query(self, sql: str) -> list[dict[str, Any]]:
        """Rows of a query, as dicts keyed by column name."""
        ...

    def execute(self, *statements: str) -> None:
        """Run statements in order, on one connection, committed when this returns."""
        ...

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every table's rows, sorted: equal snapshots mean nothing changed."""
        ...

    def table_exists(self, name: str) -> bool: ...

    def write_raw(self, config: GeneratorConfig) -> dict[str, int]:
        """(Re)write the raw tables with the project's generator, as the raw_tables asset does."""
        ...

    def copy(self, name: str) -> TestWarehouse:
        """A new database `name` beside this one, holding the same tables."""
        ...

    def drop(self) -> None:
        """Delete the database."""
        ...


def empty_warehouse(
    adapter: str,
    name: str,
    folder: Path,
    server: PostgresServer | SparkMetastore | Cluster | None = None,
) -> TestWarehouse:
    """A new, empty database `name` on `adapter`: a file in `folder`, a database on `server`
    (Postgres), or a schema in `server`'s metastore (Spark)."""
    if adapter == "duckdb":
        return DuckDBTestWarehouse(folder / f"{name}.duckdb")
    if adapter == "postgres" and server is not None:
        from tests.support.postgres import PostgresTestWarehouse

        return PostgresTestWarehouse.create(server, name)  # type: ignore[arg-type]
    if adapter == SPARK and server is not None:
        from tests.support.spark import SparkTestWarehouse

        return SparkTestWarehouse.create(server, name)  # type: ignore[arg-type]
    if adapter == SPARK_THRIFT and server is not None:
        from tests.support.spark_thrift import SparkThriftTestWarehouse

        return SparkThriftTestWarehouse.create(server, name)  # type: ignore[arg-type]
    raise ValueError(
        f"No test warehouse for the adapter {adapter!r}: "
        f"expected one of {', '.join([*ADAPTERS, SPARK, SPARK_THRIFT])}."
    )


@dataclass(frozen=True)
class DuckDBTestWarehouse:
    """A DuckDB file of its own. Only DuckDB-only tests read `.path`."""

    __test__ = False

    path: Path
    adapter: ClassVar[str] = "duckdb"

    @property
    def env(self) -> dict[str, str]:
        # The profile and dagster_project.lib.warehouse both read DUCKDB_PATH.
        return {"DUCKDB_PATH": str(self.path)}

    def query(self, sql: str) -> list[dict[str, Any]]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            cursor = con.execute(sql)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def execute(self, *statements: str) -> None:
        with duckdb.connect(str(self.path)) as con:
            for statement in statements:
                con.execute(statement)

    def snapshot(self) -> dict[str, list[tuple]]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            tables = con.execute(
                "select table_name from information_schema.tables "
                "where table_type = 'BASE TABLE' order by 1"
            ).fetchall()
            return {
                table: sorted(con.execute(f"select * from {table}").fetchall())
                for (table,) in tables
            }

    def table_exists(self, name: str) -> bool:
        rows = self.query(
            f"select count(*) as found from information_schema.tables where table_name = '{name}'"
        )
        return rows[0]["found"] > 0

    def write_raw(self, config: GeneratorConfig) -> dict[str, int]:
        return warehouse({**os.environ, **self.env}).write_raw(config)

    def copy(self, name: str) -> DuckDBTestWarehouse:
        copied = self.path.with_name(f"{name}.duckdb")
        shutil.copy(self.path, copied)
        return DuckDBTestWarehouse(copied)

    def drop(self) -> None:
        for path in (self.path, self.path.with_name(self.path.name + ".wal")):
            path.unlink(missing_ok=True)
