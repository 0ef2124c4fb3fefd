"""The Spark cluster test warehouse: one local cluster per test session, one Spark schema per test.

`spark_cluster` (tests/conftest.py) starts a standalone master, two workers
and the Thrift server with the project's own command (scripts/spark_cluster.py)
on free ports, in a folder of the session's temporary directory, and always
stops it (the fixture's finalizer, and atexit should the finalizer not run).
Every cluster case runs on one xdist worker (tests/support/scheduling.py):
one cluster, about 1.9 GB and 25-40 s to start, and one template of raw
tables and models, built once.

Each test has its own schema (Spark's database) on that server, as each
Postgres test has its own database. Tests, dbt and Dagster are all clients:
the test's reads and writes go through PyHive, dbt runs as a `dbt` process
(method thrift), Dagster through the project's warehouse seam. No Java starts
in the pytest process.
"""

from __future__ import annotations

import atexit
import os
import re
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from dagster_project.lib.project import DBT_PROJECT_DIR
from scripts.spark_cluster import Cluster
from tests.support.warehouse import SPARK_THRIFT, schema_name

if TYPE_CHECKING:
    from collections.abc import Iterator

    from dagster_project.lib.generator import GeneratorConfig

NO_DUCKDB_FILE = "/nonexistent-folder/a-spark-target-opens-no-duckdb-file.duckdb"

_DELETE = re.compile(r"delete from (?P<table>\w+) where (?P<condition>.+)", re.I | re.S)
_UPDATE = re.compile(r"update (?P<table>\w+) set (?P<column>\w+) = (?P<value>[^,]+)", re.I | re.S)


def test_cluster(folder: Path) -> Cluster:
    """A cluster in `folder` on free ports, not started."""
    return Cluster.on_free_ports(folder)


test_cluster.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


@contextmanager
def running_cluster(folder: Path) -> Iterator[Cluster]:
    """A started cluster in `folder`, stopped when the block ends or, failing that, at exit."""
    cluster = test_cluster(folder)
    atexit.register(cluster.stop)
    try:
        cluster.start(say=lambda _line: None)
        yield cluster
    finally:
        cluster.stop()
        atexit.unregister(cluster.stop)


@dataclass(frozen=True)
class SparkThriftTestWarehouse:
    """A schema of its own on the session's cluster, read and written through the Thrift server."""

    __test__ = False

    cluster: Cluster
    schema: str
    adapter: ClassVar[str] = SPARK_THRIFT

    @classmethod
    def create(cls, cluster: Cluster, name: str) -> SparkThriftTestWarehouse:
        db = cls(cluster, schema_name(name))
        db._run(f"drop database if exists {db.schema} cascade", f"create database {db.schema}")
        return db

    @property
    def env(self) -> dict[str, str]:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        target = DBT_PROJECT_DIR / "target" / f"pytest-{worker}-spark_thrift"
        return {
            "DBT_TARGET": SPARK_THRIFT,
            "SPARK_THRIFT_HOST": "127.0.0.1",
            "SPARK_THRIFT_PORT": str(self.cluster.thrift_port),
            "SPARK_SCHEMA": self.schema,
            "SPARK_RAW_DATA_DIR": str(self.cluster.raw_dir),
            # On a spark target nothing may open a DuckDB file.
            "DUCKDB_PATH": NO_DUCKDB_FILE,
            "DBT_TARGET_PATH": str(target),
            "DBT_LOG_PATH": str(target / "logs"),
        }

    def _run(self, *statements: str) -> list[dict[str, Any]]:
        """Statements in order on one connection; the last one's rows, as dicts."""
        # The spark extra's PyHive, imported when a cluster case runs: conftest
        # imports this module in every test run.
        from pyhive import hive

        from dagster_project.lib.warehouse.spark_thrift import rows_as_dicts

        with (
            closing(hive.connect(host="127.0.0.1", port=self.cluster.thrift_port)) as con,
            closing(con.cursor()) as cursor,
        ):
            rows: list[dict[str, Any]] = []
            for statement in statements:
                cursor.execute(statement)
                rows = rows_as_dicts(cursor) if cursor.description else []
            return rows

    def query(self, sql: str) -> list[dict[str, Any]]:
        return self._run(f"use {self.schema}", sql)

    def execute(self, *statements: str) -> None:
        """Run statements in order; `delete from t where c` and `update t set c = v` too.

        Spark's parquet tables have neither: those two rewrite the table with
        the rows (or the column) they would leave, through a scratch copy
        (Spark refuses to overwrite a table it is reading).
        """
        done = [f"use {self.schema}"]
        for statement in statements:
            if delete := _DELETE.fullmatch(statement.strip()):
                table = delete["table"]
                kept = f"select * from {table} where not coalesce(({delete['condition']}), false)"
                done += self._rewrite(table, kept)
            elif update := _UPDATE.fullmatch(statement.strip()):
                table, column = update["table"], update["column"]
                # describe lists the columns, then the partition columns again after a "#" row
                types: dict[str, str] = {}
                for row in self.query(f"describe {table}"):
                    if not row["col_name"] or row["col_name"].startswith("#"):
                        break
                    types[row["col_name"]] = row["data_type"]
                value = update["value"]
                columns = ", ".join(
                    f"cast({value} as {kind}) as {name}" if name == column else name
                    for name, kind in types.items()
                )
                done += self._rewrite(table, f"select {columns} from {table}")
            else:
                done.append(statement)
        self._run(*done)

    def _rewrite(self, table: str, select: str) -> list[str]:
        scratch = f"{table}__rewrite"
        return [
            f"drop table if exists {scratch}",
            f"create table {scratch} using parquet as {select}",
            # The whole table, every partition.
            "set spark.sql.sources.partitionOverwriteMode=static",
            f"insert overwrite table {table} select * from {scratch}",
            f"drop table {scratch}",
        ]

    def _tables(self) -> list[tuple[str, bool]]:
        """(name, is a view) of every table in the schema."""
        tables = self._run(f"show tables in {self.schema}")
        views = {row["viewName"] for row in self._run(f"show views in {self.schema}")}
        return [(row["tableName"], row["tableName"] in views) for row in tables]

    def snapshot(self) -> dict[str, list[tuple]]:
        return {
            name: sorted(tuple(row.values()) for row in self.query(f"select * from {name}"))
            for name, is_view in sorted(self._tables())
            if not is_view
        }

    def table_exists(self, name: str) -> bool:
        return any(table == name for table, _ in self._tables())

    def write_raw(self, config: GeneratorConfig) -> dict[str, int]:
        from dagster_project.lib.warehouse import warehouse

        return warehouse({**os.environ, **self.env}).write_raw(config)

    def copy(self, name: str) -> SparkThriftTestWarehouse:
        """Tables copied with their partitioning; views re-created over the copy's tables."""
        copied = SparkThriftTestWarehouse.create(self.cluster, name)
        ours = re.compile(rf"(`?){re.escape(self.schema)}(`?)\.")
        statements = []
        for table, is_view in self._tables():
            details = self._run(f"describe table extended {self.schema}.{table}")
            if is_view:
                text = next(row["data_type"] for row in details if row["col_name"] == "View Text")
                text = ours.sub(rf"\g<1>{copied.schema}\g<2>.", text)
                statements.append(f"create view {copied.schema}.{table} as {text}")
                continue
            partitions = _partition_columns(details)
            partitioned = f"partitioned by ({', '.join(partitions)})" if partitions else ""
            statements.append(
                f"create table {copied.schema}.{table} using parquet {partitioned} "
                f"as select * from {self.schema}.{table}"
            )
        # Tables before views: a view's text names the copy's tables.
        statements.sort(key=lambda s: s.startswith("create view"))
        copied._run(*statements)
        return copied

    def drop(self) -> None:
        self._run(f"drop database if exists {self.schema} cascade")


def _partition_columns(details: list[dict[str, Any]]) -> list[str]:
    """The partition columns from `describe table extended`'s "# Partition Information"."""
    names = [row["col_name"] for row in details]
    if "# Partition Information" not in names:
        return []
    start = names.index("# Partition Information") + 2  # after the "# col_name" header
    columns = []
    for name in names[start:]:
        if not name or name.startswith("#"):
            break
        columns.append(name)
    return columns
