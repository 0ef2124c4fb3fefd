"""The dbt targets the benchmark runs on: a class each, registered in TARGETS.

A target says what dbt and Dagster need in their environment to reach a
scratch database of their own (`environment`), whether the DuckDB floor
exists, and the lines of the report's heading. The oracle reads the
database through the project's own warehouse (dagster_project.lib.warehouse)
for that environment, unless the target says otherwise (Spark).

A new target: a subclass of `Target` here, and one line in TARGETS.
"""

from __future__ import annotations

import abc
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar

from dagster_project.lib.project import REPO_ROOT
from dagster_project.lib.warehouse import warehouse
from harness.postgres_server import running_postgres
from harness.spark import spark_missing
from scripts.benchmark.check import differences
from scripts.benchmark.models import Model
from scripts.spark_cluster import Cluster

# The database name the profile's targets default to: the benchmark's
# scratch database has it too, as a deploy's would.
DATABASE = "jaffle_shop"
# On a target other than DuckDB nothing may open a DuckDB file: were
# anything to try, it would fail on this missing folder.
NO_DUCKDB_FILE = "/nonexistent-folder/a-benchmark-target-opens-no-duckdb-file.duckdb"
# The check's DuckDB memory limit. The oracle's GROUP BY (harness/oracle.py)
# joins every payment to its order, unlike the model, and at 100M orders it
# runs out of the profile's 512MB (an OutOfMemoryException). The check is
# not timed, so it reads with room; dbt and Dagster keep the profile's limit.
CHECK_MEMORY_LIMIT = "8GB"


def require_spark(target: str) -> None:
    """Stop the benchmark with one line if local Spark cannot run here (Java, pyspark)."""
    missing = spark_missing()
    if missing is not None:
        raise SystemExit(f"benchmark: --target {target}: {missing}")


class Target(abc.ABC):
    """A dbt target: its scratch database, and how the oracle reads it."""

    #: dbt's target name (DBT_TARGET), the --target value
    name: ClassVar[str]
    #: whether the floor (DuckDB statements in one Python process) applies
    has_floor: ClassVar[bool] = False
    #: months run one per run on the naive path, unless --naive says
    naive: ClassVar[int] = 12
    #: why --backfill (parallel runs through `dg dev`) makes no sense here, if it does not
    no_backfill: ClassVar[str | None] = None
    #: --backfill's warehouse pool limits: the parallel one, then the serial one
    backfill_limits: ClassVar[tuple[int, int]] = (4, 1)

    @abc.abstractmethod
    def environment(self, work: Path) -> contextlib.AbstractContextManager[dict[str, str]]:
        """The variables that point dbt and Dagster at a new scratch database under `work`,
        for the length of the block; the database is gone after it."""

    def differences(
        self, model: Model, start: str, end: str, env: Mapping[str, str]
    ) -> tuple[int, list[str]]:
        """The model's month count, and the months that differ from the oracle's."""
        return differences(warehouse(env), model, start, end)

    def circumstances(self, env: Mapping[str, str], naive: int) -> str:
        """What the report's heading says about this target's limits (after the CPU count)."""
        return ""


class DuckDBTarget(Target):
    """dbt's `duckdb` target: a file in the scratch folder."""

    name = "duckdb"
    has_floor = True
    no_backfill = "DuckDB has one writer"

    @contextlib.contextmanager
    def environment(self, work: Path) -> Iterator[dict[str, str]]:
        path = work / f"{DATABASE}.duckdb"
        yield {"DUCKDB_PATH": str(path)}
        path.unlink(missing_ok=True)

    def differences(
        self, model: Model, start: str, end: str, env: Mapping[str, str]
    ) -> tuple[int, list[str]]:
        roomy = warehouse({**env, "DUCKDB_MEMORY_LIMIT": CHECK_MEMORY_LIMIT})
        return differences(roomy, model, start, end)

    def circumstances(self, env: Mapping[str, str], naive: int) -> str:
        settings = warehouse({**env, "DBT_TARGET": self.name}).settings  # type: ignore[attr-defined]
        memory, threads = settings.get("memory_limit"), settings.get("threads")
        return f"; DuckDB memory_limit {memory}, threads {threads}"


class PostgresTarget(Target):
    """dbt's `postgres` target: a throwaway server (harness/postgres_server.py)."""

    name = "postgres"

    @contextlib.contextmanager
    def environment(self, work: Path) -> Iterator[dict[str, str]]:
        # Not under the scratch folder: the server runs as the postgres user,
        # who cannot enter root's 0700 temporary folders.
        folder = Path(tempfile.mkdtemp(prefix="benchmark-postgres-"))
        folder.chmod(0o755)
        with contextlib.ExitStack() as cleanup:
            cleanup.callback(shutil.rmtree, folder, ignore_errors=True)
            server = cleanup.enter_context(running_postgres(folder / "cluster"))
            server.create_database(DATABASE)
            yield {
                **server.env,
                "PGDATABASE": DATABASE,
                "DBT_TARGET": self.name,
                "DUCKDB_PATH": NO_DUCKDB_FILE,
            }


class SparkTarget(Target):
    """dbt's `spark` target: local Spark, its metastore and tables in the scratch folder.

    Embedded Derby lets one Java process open the metastore at a time, and
    every dbt and Dagster command here is its own process with its own Java.
    So nothing in this process starts Spark: the oracle runs in a child
    (spark_check.py) between two commands, and ends before the next one.
    """

    name = "spark"
    no_backfill = "local Spark's metastore admits one Java process"
    # Each Dagster run on Spark is mostly fixed work (Java, a session, the
    # metastore, per-statement planning: about 25 s at 1M orders), the same
    # for every month: two runs give the per-run cost as well as twelve would.
    naive = 2

    @contextlib.contextmanager
    def environment(self, work: Path) -> Iterator[dict[str, str]]:
        require_spark(self.name)
        yield {
            "DBT_TARGET": self.name,
            "SPARK_DIR": str(work / "spark"),
            "SPARK_SCHEMA": DATABASE,
            "DUCKDB_PATH": NO_DUCKDB_FILE,
        }

    def differences(
        self, model: Model, start: str, end: str, env: Mapping[str, str]
    ) -> tuple[int, list[str]]:
        cmd = [sys.executable, "-m", "scripts.benchmark.spark_check", model.name, start, end]
        process = subprocess.run(
            cmd, cwd=REPO_ROOT, env=dict(env), capture_output=True, text=True, check=False
        )
        if process.returncode != 0:
            raise SystemExit(f"the Spark oracle failed ({process.returncode}):\n{process.stderr}")
        count, bad = json.loads(process.stdout.strip().splitlines()[-1])
        return count, bad

    def circumstances(self, env: Mapping[str, str], naive: int) -> str:
        spark = warehouse({**env, "DBT_TARGET": self.name}).parameters  # type: ignore[attr-defined]
        return (
            f"; Spark master {spark.get('spark.master')}"
            f", driver memory {spark.get('spark.driver.memory')}"
            f"; no floor; naive path over {naive} months"
            # pyspark never waits for its Java process, so wait4 does not count it.
            "; peak MiB is the Python processes', not Spark's Java process"
        )


class SparkThriftTarget(Target):
    """dbt's `spark_thrift` target: a local Spark cluster (scripts/spark_cluster.py: a
    master, two workers, the Thrift server) that the benchmark starts in the scratch
    folder on free loopback ports, and stops when the size is done, whatever happened.

    Only the Thrift server opens the metastore, so dbt, Dagster and the oracle
    all go through it, one after another or at once (--backfill).
    """

    name = "spark_thrift"
    # The Thrift server runs in executors of one core on each of the two
    # workers: more than two runs at once only queue.
    backfill_limits = (2, 1)
    # As on `spark`, each run is mostly fixed work (planning, the server's
    # round trips), the same for every month.
    naive = 2

    @contextlib.contextmanager
    def environment(self, work: Path) -> Iterator[dict[str, str]]:
        require_spark(self.name)
        cluster = Cluster.on_free_ports(work / "spark-cluster")
        try:
            cluster.start(say=lambda line: print(f"  spark cluster: {line}", file=sys.stderr))
            yield {
                "DBT_TARGET": self.name,
                "SPARK_THRIFT_HOST": "127.0.0.1",
                "SPARK_THRIFT_PORT": str(cluster.thrift_port),
                "SPARK_RAW_DATA_DIR": str(cluster.raw_dir),
                "SPARK_SCHEMA": DATABASE,
                "DUCKDB_PATH": NO_DUCKDB_FILE,
            }
        finally:
            cluster.stop()

    def circumstances(self, env: Mapping[str, str], naive: int) -> str:
        cluster = Cluster.from_environ({})
        return (
            f"; local Spark cluster: 2 workers of {cluster.worker_cores} slots and "
            f"{cluster.worker_memory}, Thrift server on {cluster.thrift_cores} executor cores"
            f"; no floor; naive path over {naive} months"
            "; peak MiB is the Python processes', not Spark's Java processes"
        )


# A new target: a class like these, and one line here.
TARGETS: dict[str, type[Target]] = {
    "duckdb": DuckDBTarget,
    "postgres": PostgresTarget,
    "spark": SparkTarget,
    "spark_thrift": SparkThriftTarget,
}
