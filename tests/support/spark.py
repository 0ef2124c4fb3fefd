"""The Spark test warehouse: one Java process per pytest worker, one Spark schema per test.

Local Spark keeps its catalog in an embedded Derby metastore, which ONE Java
process may open at a time (Derby's XSDB6 for a second). So each worker has
one `SparkMetastore` (its own SPARK_DIR: metastore and table folders in a
temporary folder) opened by one Spark session in the worker's own process,
and each test its own schema (Spark's database) in it, as each Postgres test
has its own database on the worker's server. Everything that touches Spark
runs in the worker's process:

- the test's reads and writes (`SparkTestWarehouse.query`, `.execute`);
- dbt, through its programmatic entry point `dbtRunner` (`run_dbt_here` in
  tests/support/dbt.py), which is what the `dbt` command runs: a `dbt` child
  process would start a second Java process and find the metastore locked;
- Dagster, by `dg.materialize` with in-process dbt (IN_PROCESS_DBT, the default).

`SparkMetastore.stop()` ends the worker's Java process when the session ends.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from dagster_project.lib.project import DBT_PROJECT_DIR
from harness.spark import stop_java
from tests.support.warehouse import schema_name

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from dagster_project.lib.generator import GeneratorConfig
    from dagster_project.lib.warehouse.spark import SparkWarehouse

NO_DUCKDB_FILE = "/nonexistent-folder/a-spark-target-opens-no-duckdb-file.duckdb"

# The two statements Spark's parquet tables lack, as the tests write them.
_DELETE = re.compile(r"delete from (?P<table>\w+) where (?P<condition>.+)", re.I | re.S)
_UPDATE = re.compile(r"update (?P<table>\w+) set (?P<column>\w+) = (?P<value>[^,]+)", re.I | re.S)


def spark_session_running() -> bool:
    """Whether this process has a running Spark session (SparkContext)."""
    from pyspark import SparkContext

    return SparkContext._active_spark_context is not None


@dataclass(frozen=True)
class SparkMetastore:
    """This worker's SPARK_DIR: its metastore and table folders, opened by this process only."""

    spark_dir: Path

    def warehouse(self, schema: str) -> SparkWarehouse:
        """The project's own Spark warehouse (dagster_project/lib/warehouse) for `schema`."""
        from dagster_project.lib.warehouse import warehouse

        env = {"DBT_TARGET": "spark", "SPARK_DIR": str(self.spark_dir), "SPARK_SCHEMA": schema}
        return warehouse({**os.environ, **env})  # type: ignore[return-value]

    def session(self) -> SparkSession:
        """The worker's session, started with the profile's settings if it is not running."""
        return self.warehouse("default").session()

    def stop(self) -> None:
        """Stop the session and end the Java process (pyspark keeps it until Python exits)."""
        stop_java()


@dataclass(frozen=True)
class SparkTestWarehouse:
    """A schema of its own in the worker's metastore."""

    __test__ = False

    metastore: SparkMetastore
    schema: str
    adapter: ClassVar[str] = "spark"

    @classmethod
    def create(cls, metastore: SparkMetastore, name: str) -> SparkTestWarehouse:
        db = cls(metastore, schema_name(name))
        db._spark().sql(f"create database {db.schema}")
        return db

    @property
    def env(self) -> dict[str, str]:
        # dbt's target and the profile's spark settings; dbt's own target
        # folder per worker and target, as on Postgres.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        target = DBT_PROJECT_DIR / "target" / f"pytest-{worker}-spark"
        return {
            "DBT_TARGET": "spark",
            "SPARK_DIR": str(self.metastore.spark_dir),
            "SPARK_SCHEMA": self.schema,
            # On a spark target nothing may open a DuckDB file.
            "DUCKDB_PATH": NO_DUCKDB_FILE,
            "DBT_TARGET_PATH": str(target),
            "DBT_LOG_PATH": str(target / "logs"),
        }

    def _spark(self) -> SparkSession:
        return self.metastore.session()

    def query(self, sql: str) -> list[dict[str, Any]]:
        spark = self._spark()
        spark.catalog.setCurrentDatabase(self.schema)
        return [row.asDict() for row in spark.sql(sql).collect()]

    def execute(self, *statements: str) -> None:
        """Run statements in order; `delete from t where c` and `update t set c = v` too.

        Spark's parquet tables have neither: those two are done by rewriting
        the table with the rows (or the column) they would leave.
        """
        spark = self._spark()
        spark.catalog.setCurrentDatabase(self.schema)
        for statement in statements:
            if delete := _DELETE.fullmatch(statement.strip()):
                table, condition = delete["table"], delete["condition"]
                kept = f"select * from {table} where not coalesce(({condition}), false)"
                self._rewrite(table, kept)
            elif update := _UPDATE.fullmatch(statement.strip()):
                table, column = update["table"], update["column"]
                fields = spark.table(table).schema.fields
                columns = ", ".join(
                    f"cast({update['value']} as {f.dataType.simpleString()}) as {f.name}"
                    if f.name == column
                    else f.name
                    for f in fields
                )
                self._rewrite(table, f"select {columns} from {table}")
            else:
                spark.sql(statement)

    def _rewrite(self, table: str, select: str) -> None:
        spark = self._spark()
        # Materialized first: Spark refuses to overwrite a table it is reading.
        rows = spark.sql(select).localCheckpoint()
        # The whole table (dbt-spark leaves the session on dynamic overwrite).
        spark.conf.set("spark.sql.sources.partitionOverwriteMode", "static")
        rows.write.insertInto(f"{self.schema}.{table}", overwrite=True)

    def _tables(self) -> list[tuple[str, bool]]:
        """(name, is a view) of every table in the schema."""
        spark = self._spark()
        return [(t.name, t.tableType == "VIEW") for t in spark.catalog.listTables(self.schema)]

    def snapshot(self) -> dict[str, list[tuple]]:
        spark = self._spark()
        return {
            name: sorted(tuple(row) for row in spark.table(f"{self.schema}.{name}").collect())
            for name, is_view in sorted(self._tables())
            if not is_view
        }

    def table_exists(self, name: str) -> bool:
        return self._spark().catalog.tableExists(f"{self.schema}.{name}")

    def write_raw(self, config: GeneratorConfig) -> dict[str, int]:
        return self.metastore.warehouse(self.schema).write_raw(config)

    def copy(self, name: str) -> SparkTestWarehouse:
        """Tables copied with their partitioning; views re-created over the copy's tables."""
        spark = self._spark()
        copied = SparkTestWarehouse.create(self.metastore, name)
        ours = re.compile(rf"(`?){re.escape(self.schema)}(`?)\.")
        for table, is_view in self._tables():
            if is_view:
                text = next(
                    row.data_type
                    for row in spark.sql(f"describe table extended {self.schema}.{table}").collect()
                    if row.col_name == "View Text"
                )
                text = ours.sub(rf"\g<1>{copied.schema}\g<2>.", text)
                spark.sql(f"create view {copied.schema}.{table} as {text}")
                continue
            partitions = [
                c.name for c in spark.catalog.listColumns(f"{self.schema}.{table}") if c.isPartition
            ]
            partitioned = f"partitioned by ({', '.join(partitions)})" if partitions else ""
            spark.sql(
                f"create table {copied.schema}.{table} using parquet {partitioned} "
                f"as select * from {self.schema}.{table}"
            )
        return copied

    def drop(self) -> None:
        self._spark().sql(f"drop database if exists {self.schema} cascade")
