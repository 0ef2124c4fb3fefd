"""Apache Spark on a cluster, through its Thrift server: no Java in any Dagster process.

The target is dbt-spark's `thrift` method: dbt sends SQL to a Spark Thrift
server (HiveServer2's protocol) over PyHive, and Spark runs it on the
cluster's executors. Every read and write here goes the same way, with the
profile's own credentials (host, port, user, auth), so the Dagster processes
are clients like dbt: the code server's sensor, a run's raw tables and its
per-month numbers each open a connection, send SQL and close it.

The server holds the catalog (its own metastore), so many clients may write
at once: the warehouse pool's limit is above 1 on this target
(dagster_project/lib/settings.py).

Raw tables: the generator's rows are made by DuckDB in memory (the same SQL,
so the same rows as on every target) and written as parquet into the raw
data folder, SPARK_RAW_DATA_DIR, which every Spark worker must read: the
local cluster's shared disk (data/spark-cluster/raw, scripts/spark-cluster),
object storage on a real cluster. Each table then points at its new files
through the server (`create table ... using parquet location ...`).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import uuid
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyhive import hive

from dagster_project.lib.generator import RAW_TABLES, GeneratorConfig, generate
from dagster_project.lib.project import REPO_ROOT
from dagster_project.lib.settings import spark_raw_data_dir
from dagster_project.lib.warehouse.contract import Unavailable

if TYPE_CHECKING:
    from dagster_project.lib.progress import Step

START_COMMAND = "scripts/spark-cluster start"
# What a client sees when no server answers, or the server went away mid-statement:
# PyHive's and thrift's transport errors, as dbt-spark passes them on.
_UNREACHABLE = re.compile(
    r"Could not connect to any of|TTransportException|Connection refused|"
    r"TSocket read 0 bytes|Broken pipe|Connection reset by peer|"
    r"Could not connect to \S+:\d+|failed to connect",
    re.IGNORECASE,
)
_NO_TABLE = re.compile(r"TABLE_OR_VIEW_NOT_FOUND|SCHEMA_NOT_FOUND")


@dataclass(frozen=True)
class SparkThriftWarehouse:
    """The schema (Spark database) of a dbt-spark `thrift` target, and where raw data lands."""

    target: str
    host: str
    port: int
    user: str
    schema: str
    raw_dir: str
    auth: str | None = None
    password: str | None = None
    kerberos_service_name: str | None = None
    adapter: str = "spark"
    #: dbt's adapter is `spark` as for the session target, but a server takes
    #: many writers: its own key in settings.DEFAULT_POOL_LIMITS.
    pool_key: str = "spark_thrift"

    @classmethod
    def from_credentials(
        cls, target: str, credentials: Any, environ: Mapping[str, str]
    ) -> SparkThriftWarehouse:
        """The profile's credentials; the raw folder from SPARK_RAW_DATA_DIR (relative: to the
        repository root, like the cluster's folder)."""
        if credentials.use_ssl:
            raise ValueError(
                f"DBT_TARGET={target!r} sets use_ssl: true, which dbt supports but Dagster's "
                "Python reads here do not: use the server's plain port, or method http."
            )
        raw_dir = spark_raw_data_dir(environ)
        if "://" not in raw_dir and not raw_dir.startswith("/"):
            raw_dir = str(REPO_ROOT / raw_dir)
        return cls(
            target=target,
            host=credentials.host,
            port=int(credentials.port),
            user=credentials.user,
            schema=credentials.schema,
            raw_dir=raw_dir,
            auth=credentials.auth,
            password=credentials.password,
            kerberos_service_name=credentials.kerberos_service_name,
        )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def location(self) -> str:
        return f"spark thrift://{self.address} (schema {self.schema}, raw data {self.raw_dir})"

    def connect(self) -> hive.Connection:
        """A new connection to the server, as dbt-spark opens one (without TLS)."""
        try:
            return hive.connect(
                host=self.host,
                port=self.port,
                username=self.user,
                auth=self.auth,
                password=self.password,
                kerberos_service_name=self.kerberos_service_name,
            )
        except Exception as error:  # thrift's transport errors have no common base
            raise Unavailable(self.down_sentence()) from error

    def down_sentence(self) -> str:
        """The one sentence for a server that does not answer."""
        return (
            f"The Spark Thrift server at {self.address} does not answer: start it "
            f"(`{START_COMMAND}` for the local cluster) or point SPARK_THRIFT_HOST and "
            "SPARK_THRIFT_PORT at a running one, and re-execute this run."
        )

    def _run(self, statements: list[str]) -> list[dict[str, Any]]:
        """Run statements in order on one connection; rows of the last one, if any."""
        with closing(self.connect()) as con, closing(con.cursor()) as cursor:
            rows: list[dict[str, Any]] = []
            for statement in statements:
                cursor.execute(statement)
                rows = rows_as_dicts(cursor) if cursor.description else []
            return rows

    def write_raw(self, config: GeneratorConfig, step: Step | None = None) -> dict[str, int]:
        """Generate the rows in DuckDB (in memory), write parquet to the raw folder, point each
        table at its new files.

        Each table's files go to a new folder of their own, then the table is
        re-created over it: a reader meanwhile sees the old rows or, for the
        moment between the drop and the create, no table. The older folders
        are removed afterwards.
        """
        import duckdb  # the generator's engine, in memory only

        version = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        schema_dir = f"{self.raw_dir.rstrip('/')}/{self.schema}"
        with closing(duckdb.connect()) as source:
            counts = generate(source, config, step)
            self._run([f"create database if not exists {self.schema}"])
            for table in RAW_TABLES:
                if step is not None:
                    step(f"write {table} for the Spark cluster")
                folder = f"{schema_dir}/{table}/{version}"
                if "://" not in folder:
                    Path(folder).mkdir(parents=True, exist_ok=True)
                source.execute(f"copy {table} to '{folder}/part-0.parquet' (format parquet)")
                self._run(
                    [
                        f"drop table if exists {self.schema}.{table}",
                        f"create table {self.schema}.{table} using parquet location '{folder}'",
                    ]
                )
                _remove_other_versions(f"{schema_dir}/{table}", version)
            return counts

    def query(self, sql: str) -> list[dict[str, Any]]:
        return self._run([f"use {self.schema}", sql])

    def has_table(self, name: str) -> bool:
        try:
            rows = self._run([f"show tables in {self.schema} like '{name}'"])
        except Unavailable:
            return False
        except hive.OperationalError as error:  # no such schema yet
            if _NO_TABLE.search(str(error)):
                return False
            raise
        return any(row["tableName"] == name for row in rows)

    def store_ids(self) -> list[str]:
        rows = self._read_raw("raw_stores", "select id from raw_stores order by id")
        return [str(row["id"]) for row in rows]

    def fingerprint(self, table: str) -> str:
        # Every row's hash (the row as a struct), summed: order and file layout do not matter.
        sql = f"select count(*) as n, coalesce(sum(hash(struct(*))), 0) as total from {table}"
        (row,) = self._read_raw(table, sql)
        return f"{row['n']}:{row['total']}"

    def _read_raw(self, table: str, sql: str) -> list[dict[str, Any]]:
        """Rows of a sensor's read of a raw table; Unavailable while the table is not there."""
        try:
            return self.query(sql)
        except hive.OperationalError as error:
            if _NO_TABLE.search(str(error)):
                raise Unavailable(f"{self.location} has no {table} table yet.") from error
            raise

    def failure_message(self, error_text: str) -> str | None:
        if _UNREACHABLE.search(error_text) is None:
            return None
        return self.down_sentence()

    def release_dbt_resources(self) -> None:
        """Nothing: dbt-spark's thrift connections are sockets it closes with each command,
        and the Spark session they used lives in the server, not in this process."""


def rows_as_dicts(cursor: Any) -> list[dict[str, Any]]:
    """The cursor's rows as dicts; dates as dates (PyHive passes Spark's DATE as text)."""
    names = [column[0] for column in cursor.description]
    dates = [column[1] == "DATE_TYPE" for column in cursor.description]
    return [
        {
            name: dt.date.fromisoformat(value) if is_date and value is not None else value
            for name, is_date, value in zip(names, dates, row, strict=True)
        }
        for row in cursor.fetchall()
    ]


def _remove_other_versions(table_dir: str, keep: str) -> None:
    """Delete a raw table's earlier parquet folders (a local folder; object storage keeps them)."""
    if "://" in table_dir:
        return
    for folder in Path(table_dir).iterdir():
        if folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)
