"""Apache Spark in local mode: a session inside this process, one Java process per metastore.

The target is dbt-spark's `session` method: Spark runs in a Java process that
pyspark starts beside Python, with the profile's `server_side_parameters`
(master, memory, warehouse folder, Derby home). This module builds its
session from that same block, so dbt and Python share one session when they
share a process.

The catalog is Hive's embedded Derby metastore under SPARK_DIR, and embedded
Derby lets ONE Java process open it: a second one fails with Derby's XSDB6
until the first exits (stopping a session is not enough: the Java process
keeps the database). Hence:

- the session lives only in short-lived processes: a Dagster run (a run
  worker under `dg dev`, or the step's own process), a dbt command, a test
  worker; `release()` stops it once a dbt command or a read is over, so no
  SparkContext (executors, cached data, shuffle files) outlives its work;
- long-lived processes (the code server's sensor, scripts/dev's checks) never
  start Java: `store_ids()` reads raw_stores' parquet files with DuckDB, and
  `has_table()` looks for the table's folder;
- a dbt failure on the lock becomes one sentence that says what to do.

Raw tables arrive through Spark's bulk path: the generator's rows are made by
DuckDB in memory (the same SQL, so the same rows as on DuckDB), written as
parquet, and saved as Spark tables.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyspark import SparkContext
from pyspark.sql import SparkSession

from dagster_project.lib.generator import RAW_TABLES, GeneratorConfig, generate
from dagster_project.lib.progress import Step
from dagster_project.lib.warehouse.contract import Unavailable

_DERBY_HOME = re.compile(r"-Dderby\.system\.home=(\S+)")
# Derby's "Another instance of Derby may have already booted the database".
_METASTORE_LOCKED = re.compile(r"XSDB6|Another instance of Derby may have already booted")
_NO_JAVA = re.compile(r"JAVA_HOME is not set|Java gateway process exited|java: not found")


@dataclass(frozen=True)
class SparkWarehouse:
    """The schema (Spark database) of a dbt-spark `session` target, and its session settings."""

    target: str
    schema: str
    parameters: dict[str, str] = field(default_factory=dict)
    adapter: str = "spark"
    pool_key: str = "spark"

    @classmethod
    def from_credentials(cls, target: str, credentials: Any) -> SparkWarehouse:
        if credentials.method != "session":
            raise ValueError(
                f"DBT_TARGET={target!r} is a Spark target with method {credentials.method!r}: "
                "Dagster's Python reads support method 'session' (local Spark) only; dbt "
                "itself runs on a cluster, see docs/warehouses.md."
            )
        parameters = {str(k): str(v) for k, v in credentials.server_side_parameters.items()}
        return cls(target=target, schema=credentials.schema, parameters=parameters)

    @property
    def warehouse_dir(self) -> Path:
        """Where Spark keeps the tables' parquet folders (spark.sql.warehouse.dir)."""
        return Path(self.parameters.get("spark.sql.warehouse.dir", "spark-warehouse"))

    @property
    def metastore(self) -> Path:
        """Derby's metastore database: metastore_db under derby.system.home."""
        match = _DERBY_HOME.search(self.parameters.get("spark.driver.extraJavaOptions", ""))
        return Path(match[1] if match else ".") / "metastore_db"

    @property
    def location(self) -> str:
        return f"{self.warehouse_dir} (schema {self.schema}, metastore {self.metastore})"

    def table_dir(self, name: str) -> Path:
        """The folder of a managed table: Spark's default database has no <schema>.db level."""
        if self.schema == "default":
            return self.warehouse_dir / name
        return self.warehouse_dir / f"{self.schema}.db" / name

    def session(self) -> SparkSession:
        """This process's Spark session, started with the profile's settings if there is none.

        The same builder as dbt-spark's (Hive catalog, the profile's
        server_side_parameters), so dbt and Python in one process share it.
        """
        builder = SparkSession.builder.enableHiveSupport()
        for key, value in self.parameters.items():
            builder = builder.config(key, value)
        return builder.getOrCreate()

    @contextmanager
    def _using_schema(self) -> Iterator[SparkSession]:
        """The session with the target's schema current; stopped after if it was started here."""
        started_here = SparkContext._active_spark_context is None
        spark = self.session()
        try:
            spark.sql(f"create database if not exists {self.schema}")
            spark.catalog.setCurrentDatabase(self.schema)
            yield spark
        finally:
            if started_here:
                release()

    def write_raw(self, config: GeneratorConfig, step: Step | None = None) -> dict[str, int]:
        """Generate the rows in DuckDB (in memory), write parquet, save each as a Spark table.

        Each table is replaced whole (Spark's parquet tables have no
        transactions): a reader between the drop and the save finds no table.
        """
        import duckdb  # the generator's engine, in memory only

        with (
            tempfile.TemporaryDirectory(prefix="raw-") as folder,
            closing(duckdb.connect()) as source,
            self._using_schema() as spark,
        ):
            counts = generate(source, config, step)
            for table in RAW_TABLES:
                if step is not None:
                    step(f"save {table} as a Spark table")
                parquet = Path(folder) / f"{table}.parquet"
                source.execute(f"copy {table} to '{parquet}' (format parquet)")
                rows = spark.read.parquet(str(parquet))
                rows.write.mode("overwrite").format("parquet").saveAsTable(f"{self.schema}.{table}")
            return counts

    def query(self, sql: str) -> list[dict[str, Any]]:
        with self._using_schema() as spark:
            return [row.asDict() for row in spark.sql(sql).collect()]

    def has_table(self, name: str) -> bool:
        # The table's folder, not the metastore: a check must not start Java
        # and take the metastore's one lock. Views have no folder.
        return self.table_dir(name).is_dir()

    def store_ids(self) -> list[str]:
        rows = self._read_parquet("raw_stores", "select id from read_parquet(?) order by id")
        return [str(row[0]) for row in rows]

    def fingerprint(self, table: str) -> str:
        # Every row's hash (the row as a struct), summed: order and file layout do not matter.
        sql = "select count(*), coalesce(sum(hash(t)), 0) from read_parquet(?) as t"
        ((count, total),) = self._read_parquet(table, sql)
        return f"{count}:{total}"

    def _read_parquet(self, table: str, sql: str) -> list[tuple]:
        """Rows of `sql` over `table`'s own parquet files (its `read_parquet(?)`), read with DuckDB.

        Sensors run in the long-lived code server, which must not hold the
        metastore (one Java process per metastore), so they read the files.
        """
        import duckdb

        folder = self.table_dir(table)
        if not any(folder.glob("*.parquet")):
            raise Unavailable(f"{folder} holds no {table} table yet.")
        try:
            with duckdb.connect() as con:
                return con.execute(sql, [str(folder / "*.parquet")]).fetchall()
        except duckdb.Error as error:  # files replaced while read: the raw tables are rewritten
            raise Unavailable(f"{folder} is being rewritten, trying next tick: {error}") from error

    def release_dbt_resources(self) -> None:
        """Stop the session dbt-spark started in this process (its memory, not the Java process)."""
        release()

    def failure_message(self, error_text: str) -> str | None:
        if _METASTORE_LOCKED.search(error_text):
            return (
                f"Another Java process holds the Spark metastore {self.metastore} (embedded "
                "Derby allows one at a time): let that process finish (a second dbt or "
                "Dagster run, a notebook, a pyspark shell) and re-execute this run."
            )
        if _NO_JAVA.search(error_text):
            return (
                "dbt could not start Spark, which needs Java 17: install it (Debian: "
                "openjdk-17-jre-headless) or set JAVA_HOME, and re-execute this run."
            )
        return None


def release() -> None:
    """Stop this process's Spark session, if one is running: its memory goes back.

    The Java process stays (pyspark keeps it until Python exits) and with it
    the metastore's lock; a later session in this process starts in well
    under a second.
    """
    if SparkContext._active_spark_context is not None:
        SparkSession.builder.getOrCreate().stop()
