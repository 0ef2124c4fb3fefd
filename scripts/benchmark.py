"""Benchmark: orders_by_month through the floor, bare dbt, Dagster, and the naive path.

For each size (orders from 2018-01-01 to today) it generates the raw data with
the project's generator, on the chosen dbt target (`--target`, DuckDB by
default), then measures in one run, side by side, each as a whole process the
way a user starts it:

  floor       python + duckdb: the same delete+insert (dbt's compiled SQL) over
              the same window, in one transaction (DuckDB only)
  dbt         `dbt run --select orders_by_month` with the window vars
  dbt build   the command the Dagster asset runs, bare: `dbt build` of the
              model and its data tests (Dagster's asset checks), no unit tests
  dagster     `dg launch --assets orders_by_month`
              (--partition-range for a range: one single-run backfill)
  naive       one `dg launch --partition` per month, N months

Cases: the full history, one partition (the last month) and the last 12
months in one run, each repeated on the same window (warm: a re-run); then
the cold cases a user meets, `dbt` against `dagster` alternating, each
repetition on windows neither side has run before (dbt re-parses when
--vars change; Dagster reuses the manifest it loaded): one new month, and a
new 24-month range. It reports the median and minimum of the repetitions,
peak RSS (the largest single process of the command's tree, from os.wait4 in
a small launcher), the ratios to the floor and to bare dbt (`dbt run`; and
`dbt build`, which leaves Dagster's own share), dbt's own model time from
run_results.json, and Dagster's bookkeeping: its time beyond the same `dbt
build` for 1, 12 and all partitions in one run.
After the full-history Dagster run it checks orders_by_month against a direct
GROUP BY over the raw tables.

    python -m scripts.benchmark                    # 1M and 10M orders, 3 repetitions
    python -m scripts.benchmark --sizes 100M       # the opt-in big size
    python -m scripts.benchmark --target postgres  # on a throwaway PostgreSQL server
    python -m scripts.benchmark --target postgres --backfill
                                  # + a 12-month one-run-per-partition backfill,
                                  # pool limit 4 against 1, through `dg dev`
    python -m scripts.benchmark --target spark --sizes 1M --reps 1
                                  # local Spark in the scratch folder; the naive
                                  # path over 2 months unless --naive says more
    python -m scripts.benchmark --smoke            # CI: DuckDB, 1M, 1 repetition, 2 naive runs

(From the repository root, as a module: the correctness check uses the
tests' oracle, tests/support/expected.py.)

A target is a small class in TARGETS below (the environment dbt and Dagster
get, the oracle's view of the database, whether a floor exists); a new dbt
target is one more class. Spark's oracle runs in a child process between two
commands: its metastore admits one Java process at a time.

The table goes to stdout and to bench_results/<UTC time>.md (gitignored).
No timing is asserted: the figures are for people to read.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from dagster_project.lib.progress import Step, steps
from dagster_project.lib.project import REPO_ROOT
from dagster_project.lib.warehouse import warehouse
from tests.support.expected import expected_rows, model_rows, months
from tests.support.warehouse import DuckDBTestWarehouse, TestWarehouse

BIN = Path(sys.executable).parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SIZES = {"1M": 1_000_000, "10M": 10_000_000, "100M": 100_000_000}
FIRST_MONTH = "2018-01-01"
RANGE_MONTHS = 12  # the "N months, one run" case
COLD_RANGE_MONTHS = 24  # the cold range case
# The database name the prepared manifest is parsed for: dbt writes it into
# every relation, so the benchmark's database has it too.
DATABASE = "jaffle_shop"


class DuckDBTarget:
    """dbt's `duckdb` target: a file in the scratch folder."""

    name = "duckdb"
    has_floor = True

    @contextlib.contextmanager
    def environment(self, work: Path) -> Iterator[dict[str, str]]:
        self.path = work / f"{DATABASE}.duckdb"
        yield {"DUCKDB_PATH": str(self.path)}
        self.path.unlink(missing_ok=True)

    def oracle(self) -> TestWarehouse:
        return DuckDBTestWarehouse(self.path)


class PostgresTarget:
    """dbt's `postgres` target: a throwaway server (tests/support/postgres_server.py)."""

    name = "postgres"
    has_floor = False

    @contextlib.contextmanager
    def environment(self, work: Path) -> Iterator[dict[str, str]]:
        from tests.support.postgres import NO_DUCKDB_FILE
        from tests.support.postgres_server import running_postgres

        # Not under the scratch folder: the server runs as the postgres user,
        # who cannot enter root's 0700 temporary folders.
        folder = Path(tempfile.mkdtemp(prefix="benchmark-postgres-"))
        folder.chmod(0o755)
        with contextlib.ExitStack() as cleanup:
            cleanup.callback(shutil.rmtree, folder, ignore_errors=True)
            server = cleanup.enter_context(running_postgres(folder / "cluster"))
            server.create_database(DATABASE)
            self.server = server
            yield {
                **server.env,
                "PGDATABASE": DATABASE,
                "DBT_TARGET": "postgres",
                "DUCKDB_PATH": NO_DUCKDB_FILE,
            }

    def oracle(self) -> TestWarehouse:
        from tests.support.postgres import PostgresTestWarehouse

        return PostgresTestWarehouse(self.server, DATABASE)


class SparkTarget:
    """dbt's `spark` target: local Spark, its metastore and tables in the scratch folder.

    Embedded Derby lets one Java process open the metastore at a time, and
    every dbt and Dagster command here is its own process with its own Java.
    So nothing in this process starts Spark: the correctness check runs in a
    child (ORACLE below) between two commands, and ends before the next one.
    """

    name = "spark"
    has_floor = False
    # Each Dagster run on Spark is mostly fixed work (Java, a session, the
    # metastore, per-statement planning: about 25 s at 1M orders), the same
    # for every month: two runs give the per-run cost as well as twelve would.
    naive = 2

    @contextlib.contextmanager
    def environment(self, work: Path) -> Iterator[dict[str, str]]:
        from tests.support.spark import NO_DUCKDB_FILE, spark_missing

        missing = spark_missing()
        if missing is not None:
            raise SystemExit(f"benchmark: --target spark: {missing}")
        self.spark_dir = work / "spark"
        yield {
            "DBT_TARGET": "spark",
            "SPARK_DIR": str(self.spark_dir),
            "SPARK_SCHEMA": DATABASE,
            "DUCKDB_PATH": NO_DUCKDB_FILE,
        }

    def differences(self, start: str, end: str, env: dict[str, str]) -> tuple[int, list[str]]:
        """`differences()` of the model and the oracle, computed in a child process."""
        cmd = [sys.executable, "-c", ORACLE, str(self.spark_dir), DATABASE, start, end]
        process = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
        if process.returncode != 0:
            raise SystemExit(f"the Spark oracle failed ({process.returncode}):\n{process.stderr}")
        count, bad = json.loads(process.stdout.strip().splitlines()[-1])
        return count, bad


# A new target: a class like these, and one line here.
TARGETS: dict[str, Any] = {
    "duckdb": DuckDBTarget,
    "postgres": PostgresTarget,
    "spark": SparkTarget,
}

# The Spark oracle's child process: the tests' metastore class opens the
# benchmark's SPARK_DIR with the one Java process, and ends it on the way out.
ORACLE = """
import json, sys
from pathlib import Path
from scripts.benchmark import differences
from tests.support.spark import SparkMetastore, SparkTestWarehouse
spark_dir, schema, start, end = sys.argv[1:]
metastore = SparkMetastore(Path(spark_dir))
try:
    result = differences(SparkTestWarehouse(metastore, schema), start, end)
finally:
    metastore.stop()
print(json.dumps(result))
"""

# The floor: the statements dbt-duckdb's delete+insert runs, in one process.
FLOOR = """
import duckdb
sql = open({sql!r}).read()
with duckdb.connect({db!r}, config={settings!r}) as con:
    con.execute("begin")
    con.execute(
        "delete from orders_by_month"
        " where order_month >= cast('{start}' as date) and order_month < cast('{end}' as date)"
    )
    con.execute("insert into orders_by_month " + sql)
    con.execute("commit")
"""


@dataclass
class Sample:
    seconds: float
    peak_mib: float
    model_seconds: float | None = None


@dataclass
class Row:
    size: str
    case: str
    path: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def first(self) -> float:
        """The first run of this window: dbt parses the project in full."""
        return self.samples[0].seconds

    @property
    def minimum(self) -> float:
        return min(s.seconds for s in self.samples)

    @property
    def peak_mib(self) -> float:
        return max(s.peak_mib for s in self.samples)

    @property
    def model_seconds(self) -> float | None:
        found = [s.model_seconds for s in self.samples if s.model_seconds is not None]
        return statistics.median(found) if found else None


# Linux carries a process's peak RSS across fork and exec, so a child forked
# from this (large) process would report at least this process's size. Each
# command is therefore started by this small launcher, which reports the peak
# RSS of the command's tree (wait4: the child and the children it waited for).
LAUNCHER = """
import os, subprocess, sys
process = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(process.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


# Progress on stderr (dagster_project/lib/progress.py): main() sets it for the
# length of the benchmark; each command run is a step.
_step: Step = lambda name: None  # noqa: E731


def run(cmd: list[str], env: dict[str, str], cwd: Path = REPO_ROOT) -> Sample:
    """Run `cmd` to completion; wall time and the peak RSS of its largest process."""
    _step(" ".join([Path(cmd[0]).name, *cmd[1:4]])[:100])
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as rss:
        began = time.perf_counter()
        process = subprocess.run(
            [sys.executable, "-c", LAUNCHER, rss.name, *cmd],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        seconds = time.perf_counter() - began
        if process.returncode != 0:
            out.seek(0)
            tail = out.read().decode(errors="replace")[-4000:]
            raise SystemExit(f"failed ({process.returncode}): {' '.join(cmd)}\n{tail}")
        peak_kib = int(rss.read() or 0)
    return Sample(seconds, peak_kib / 1024)


def this_month() -> str:
    """The first day of the current month (UTC): the end of the full history."""
    return dt.datetime.now(dt.UTC).date().replace(day=1).isoformat()


def window_vars(start: str, end: str) -> str:
    return json.dumps({"partition_start": start, "partition_end": end})


def model_seconds(target_dir: Path) -> float | None:
    """orders_by_month's execution time from dbt's run_results.json in `target_dir`."""
    path = target_dir / "run_results.json"
    if not path.exists():
        return None
    for result in json.loads(path.read_text())["results"]:
        if result["unique_id"] == "model.jaffle_shop.orders_by_month":
            return result["execution_time"]
    return None


def newest_invocation_dir(target: Path) -> Path:
    dirs = [
        p for p in target.iterdir() if p.is_dir() and p.name.startswith("orders_by_month_model-")
    ]
    return max(dirs, key=lambda p: p.stat().st_mtime)


class Bench:
    def __init__(
        self,
        size: str,
        orders: int,
        work: Path,
        reps: int,
        naive: int,
        target: Any,
        target_env: dict[str, str],
    ) -> None:
        self.size, self.orders, self.work, self.reps, self.naive = size, orders, work, reps, naive
        self.target = target
        home = work / "dagster_home"
        home.mkdir(exist_ok=True)
        shutil.copy(REPO_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        self.env = {
            **os.environ,
            **target_env,
            "DAGSTER_HOME": str(home),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            # Dagster's per-run dbt folders go to the scratch folder too, so
            # tests running beside the benchmark cannot mix with them.
            "DBT_TARGET_PATH": str(work / "dagster_target"),
        }
        # Bare dbt keeps its artifacts out of dbt_project/target, which is
        # Dagster's (manifest, partial parse, per-run folders).
        self.dbt_target = work / "dbt_target"
        self.dbt_env = {
            **self.env,
            "DBT_TARGET_PATH": str(self.dbt_target),
            "DBT_LOG_PATH": str(work / "dbt_logs"),
        }
        self.rows: list[Row] = []
        self.end = this_month()
        self.months = [m.isoformat() for m in months(FIRST_MONTH, self.end)]
        self.last_month = self.months[-1]

    def dbt(self, *args: str) -> list[str]:
        return [str(BIN / "dbt"), *args]

    def dagster(self, *args: str) -> list[str]:
        return [str(BIN / "dg"), "launch", "--assets", "orders_by_month", *args]

    def prepare(self) -> Row:
        today = dt.datetime.now(dt.UTC).date()
        generate = [
            str(BIN / "jaffle-generate"),
            "--orders",
            str(self.orders),
            "--end",
            today.isoformat(),
        ]
        row = Row(self.size, "generate raw data", "generator", [run(generate, self.env)])
        # staging views only; orders_by_month reads them, not the marts
        run(self.dbt("run", "--select", "staging"), self.dbt_env, DBT_PROJECT_DIR)
        # first full build creates the table, so every timed run is a delete+insert
        run(
            self.dbt(
                "run", "--select", "orders_by_month", "--vars", window_vars(FIRST_MONTH, self.end)
            ),
            self.dbt_env,
            DBT_PROJECT_DIR,
        )
        return row

    def compiled_sql(self, start: str, end: str) -> Path:
        """dbt's compiled SELECT of orders_by_month for the window, for the floor."""
        target = self.work / f"compile_{start}_{end}"
        env = {**self.dbt_env, "DBT_TARGET_PATH": str(target)}
        cmd = ["compile", "--select", "orders_by_month", "--vars", window_vars(start, end)]
        run(self.dbt(*cmd), env, DBT_PROJECT_DIR)
        (sql,) = target.rglob("compiled/**/orders_by_month.sql")
        return sql

    def measure(self, case: str, path: str, cmd: list[str], cwd: Path, model_dir=None) -> Row:
        row = Row(self.size, case, path)
        env = self.dbt_env if path.startswith("dbt") else self.env
        for _ in range(self.reps):
            sample = run(cmd, env, cwd)
            if model_dir is not None:
                sample.model_seconds = model_seconds(model_dir())
            row.samples.append(sample)
        self.rows.append(row)
        return row

    def window(self, case: str, start: str, end: str, partitions: str) -> None:
        if self.target.has_floor:
            sql = self.compiled_sql(start, end)
            duckdb = warehouse(self.env)
            floor = FLOOR.format(
                sql=str(sql), db=duckdb.location, settings=duckdb.settings, start=start, end=end
            )
            self.measure(case, "floor", [sys.executable, "-c", floor], REPO_ROOT)
        self.measure(
            case, "dbt",
            self.dbt("run", "--select", "orders_by_month", "--vars", window_vars(start, end)),
            DBT_PROJECT_DIR, lambda: self.dbt_target,
        )  # fmt: skip
        self.measure(
            case, "dbt build",
            self.dbt(
                "build", "--select", "orders_by_month", "--exclude-resource-type", "unit_test",
                "--vars", window_vars(start, end),
            ),
            DBT_PROJECT_DIR, lambda: self.dbt_target,
        )  # fmt: skip
        target = self.work / "dagster_target"
        self.measure(
            case, "dagster", self.dagster(*partitions.split()), REPO_ROOT,
            lambda: newest_invocation_dir(target),
        )  # fmt: skip

    def check(self) -> str:
        """orders_by_month against a direct GROUP BY over the raw tables, every month."""
        _step("check orders_by_month against a GROUP BY over the raw tables")
        if hasattr(self.target, "differences"):
            count, bad = self.target.differences(FIRST_MONTH, self.end, self.env)
        else:
            count, bad = differences(self.target.oracle(), FIRST_MONTH, self.end)
        if bad:
            raise SystemExit(f"{self.size}: orders_by_month differs from raw data in {bad[:5]}")
        return f"{self.size}: orders_by_month equals the GROUP BY over raw data ({count} months)"

    def naive_path(self) -> Row:
        """One run per partition over the last `naive` months, total wall time."""
        keys = [m.isoformat() for m in months(FIRST_MONTH, self.end)][-self.naive :]
        row = Row(self.size, f"{len(keys)} months", "naive")
        total, peak = 0.0, 0.0
        for key in keys:
            sample = run(self.dagster("--partition", key), self.env)
            total, peak = total + sample.seconds, max(peak, sample.peak_mib)
        row.samples.append(Sample(total, peak))
        self.rows.append(row)
        print(f"  {row.case:<24} naive    total  {total:7.2f} s", file=sys.stderr)
        return row

    def cold(self, case: str, length: int) -> None:
        """`dbt run` against Dagster, alternating, each on a window neither ran before.

        Repetition i gives dbt the window starting at month 2i+1 of the history
        and Dagster the one starting at 2i+2 (the warm cases use the whole
        history and the last months), so each command meets vars it has not
        parsed with, as a user moving to a new month does.
        """
        dbt_row, dagster_row = Row(self.size, case, "dbt"), Row(self.size, case, "dagster")
        for rep in range(self.reps):
            for offset in (1, 2) if rep % 2 == 0 else (2, 1):
                first = 2 * rep + offset
                last = first + length - 1
                start, end = self.months[first], self.months[last + 1]
                if offset == 1:
                    cmd = self.dbt(
                        "run", "--select", "orders_by_month", "--vars", window_vars(start, end)
                    )
                    sample = run(cmd, self.dbt_env, DBT_PROJECT_DIR)
                    sample.model_seconds = model_seconds(self.dbt_target)
                    dbt_row.samples.append(sample)
                else:
                    keys = (
                        ["--partition", start]
                        if length == 1
                        else ["--partition-range", f"{start}...{self.months[last]}"]
                    )
                    sample = run(self.dagster(*keys), self.env)
                    target = self.work / "dagster_target"
                    sample.model_seconds = model_seconds(newest_invocation_dir(target))
                    dagster_row.samples.append(sample)
        self.rows += [dbt_row, dagster_row]
        print(
            f"  {case:<24} dbt {dbt_row.median:6.2f} s, dagster {dagster_row.median:6.2f} s",
            file=sys.stderr,
        )

    def all(self) -> list[str]:
        print(f"{self.size}: {self.orders:,} orders", file=sys.stderr)
        self.rows.append(self.prepare())
        range_arg = f"--partition-range {FIRST_MONTH}...{self.last_month}"
        self.window("full history", FIRST_MONTH, self.end, range_arg)
        notes = [self.check()]
        one = f"--partition {self.last_month}"
        self.window("one partition", self.last_month, self.end, one)
        first_n = self.months[-RANGE_MONTHS]
        range_n = f"--partition-range {first_n}...{self.last_month}"
        self.window(f"{RANGE_MONTHS} months, one run", first_n, self.end, range_n)
        self.cold("one new month", 1)
        self.cold(f"{COLD_RANGE_MONTHS} new months", COLD_RANGE_MONTHS)
        self.naive_path()
        return notes


def differences(db: TestWarehouse, start: str, end: str) -> tuple[int, list[str]]:
    """orders_by_month's months, and those that differ from the tests' oracle over [start, end)."""
    found, expected = model_rows(db), expected_rows(db, start, end)
    bad = sorted(m for m in expected.keys() | found.keys() if found.get(m) != expected.get(m))
    return len(found), [m.isoformat() for m in bad]


def ratio(value: float, base: float | None) -> str:
    return f"{value / base:.2f}x" if base else ""


def table(rows: list[Row]) -> str:
    lines = [
        "| size | case | path | first s | median s | min s | runs | peak MiB | ÷ floor | ÷ dbt"
        " | ÷ dbt build | model s |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    base = {(r.size, r.case, r.path): r.median for r in rows}
    for r in rows:
        floor, dbt = base.get((r.size, r.case, "floor")), base.get((r.size, r.case, "dbt"))
        build = base.get((r.size, r.case, "dbt build"))
        model = f"{r.model_seconds:.3f}" if r.model_seconds is not None else ""
        lines.append(
            f"| {r.size} | {r.case} | {r.path} | {r.first:.2f} | {r.median:.2f} | "
            f"{r.minimum:.2f} | {len(r.samples)} | {r.peak_mib:.0f} | "
            f"{ratio(r.median, floor) if r.path != 'floor' else ''} | "
            f"{ratio(r.median, dbt) if r.path not in {'floor', 'dbt'} else ''} | "
            f"{ratio(r.median, build) if r.path == 'dagster' else ''} | {model} |"
        )
    return "\n".join(lines)


def summary(rows: list[Row]) -> list[str]:
    """The issue's targets, computed from the rows."""
    get = {(r.size, r.case, r.path): r for r in rows}
    out = []
    for size in dict.fromkeys(r.size for r in rows):
        full = get.get((size, "full history", "dagster"))
        full_dbt = get.get((size, "full history", "dbt"))
        one = get.get((size, "one partition", "dagster"))
        one_dbt = get.get((size, "one partition", "dbt"))
        full_build = get.get((size, "full history", "dbt build"))
        one_build = get.get((size, "one partition", "dbt build"))
        naive = next((r for r in rows if r.size == size and r.path == "naive"), None)
        gen = get.get((size, "generate raw data", "generator"))
        if full and full_dbt:
            out.append(
                f"{size}: full history via Dagster = {ratio(full.median, full_dbt.median)} bare dbt"
            )
        if full and full_build and one and one_build:
            out.append(
                f"{size}: Dagster = {ratio(full.median, full_build.median)} (full history), "
                f"{ratio(one.median, one_build.median)} (one partition) the same dbt build, bare"
            )
        if full and naive:
            n_naive = int(naive.case.split()[0])
            n_all = len(months(FIRST_MONTH, this_month()))
            per_run = naive.median / n_naive
            all_runs = per_run * n_all
            out.append(
                f"{size}: one run per partition ~ {per_run:.1f} s x {n_all} months = "
                f"{all_runs:.0f} s, {all_runs / full.median:.0f}x the single-run backfill"
            )
        if one and one_dbt:
            out.append(
                f"{size}: one partition via Dagster = {ratio(one.median, one_dbt.median)} bare dbt"
            )
        if full:
            out.append(
                f"{size}: full-history backfill via Dagster {full.median:.1f} s, "
                f"peak {full.peak_mib:.0f} MiB"
            )
        if gen:
            out.append(f"{size}: generator {gen.median:.1f} s, peak {gen.peak_mib:.0f} MiB")
        for case in ("one new month", f"{COLD_RANGE_MONTHS} new months"):
            cold, cold_dbt = get.get((size, case, "dagster")), get.get((size, case, "dbt"))
            if cold and cold_dbt:
                out.append(
                    f"{size}: {case} (cold, alternating) via Dagster = "
                    f"{ratio(cold.median, cold_dbt.median)} bare dbt run "
                    f"({cold.median:.2f} s vs {cold_dbt.median:.2f} s)"
                )
        extra = {}
        for case, n in (
            ("one partition", 1),
            (f"{RANGE_MONTHS} months, one run", RANGE_MONTHS),
            ("full history", len(months(FIRST_MONTH, this_month()))),
        ):
            dagster, build = get.get((size, case, "dagster")), get.get((size, case, "dbt build"))
            if dagster and build:
                extra[n] = dagster.median - build.median
        if len(extra) == 3:
            ns = sorted(extra)
            slope = (extra[ns[-1]] - extra[ns[0]]) / (ns[-1] - ns[0])
            out.append(
                f"{size}: Dagster's time beyond the same dbt build, by partitions in one run: "
                + ", ".join(f"{n}: {extra[n]:+.2f} s" for n in ns)
                + f"; {slope * 1000:+.0f} ms per extra partition"
            )
    models = {
        size: get[(size, "one partition", "dbt")].model_seconds
        for size in ("1M", "10M")
        if (size, "one partition", "dbt") in get
    }
    if len(models) == 2 and all(models.values()):
        out.append(
            f"one partition's model time 1M -> 10M: {models['1M']:.3f} s -> {models['10M']:.3f} s "
            f"({models['10M'] / models['1M']:.2f}x)"
        )
    return out


class OneLineParser(argparse.ArgumentParser):
    """Bad arguments: one line naming the value and what is allowed, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"benchmark: {message} (python -m scripts.benchmark --help)\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,10M", help="comma list of 1M, 10M, 100M")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per measurement")
    parser.add_argument("--naive", type=int, help="months run one per run (default 12; 2 on spark)")
    parser.add_argument(
        "--target", default="duckdb", help=f"dbt target: {', '.join(TARGETS)} (default duckdb)"
    )
    parser.add_argument(
        "--backfill",
        action="store_true",
        help="also a 12-month one-run-per-partition backfill through dg dev, "
        "warehouse pool limit 4 against 1 (postgres only)",
    )
    parser.add_argument("--smoke", action="store_true", help="CI: 1M, 1 repetition, 2 naive runs")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.reps, args.naive = "1M", 1, 2
    if args.naive is None:
        args.naive = getattr(TARGETS.get(args.target), "naive", 12)
    args.size_list = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in args.size_list if s not in SIZES]
    if unknown or not args.size_list:
        parser.error(f"--sizes {args.sizes!r}: expected a comma list of {', '.join(SIZES)}")
    if args.reps < 1 or args.naive < 1:
        parser.error(f"--reps {args.reps}, --naive {args.naive}: expected 1 or more each")
    if args.target not in TARGETS:
        parser.error(f"--target {args.target!r}: expected one of {', '.join(TARGETS)}")
    if args.backfill and args.target == "duckdb":
        parser.error("--backfill: DuckDB has one writer, so there is no parallel backfill")
    if args.backfill and args.target == "spark":
        parser.error(
            "--backfill: local Spark's metastore admits one Java process, "
            "so there is no parallel backfill"
        )
    return args


def parallel_backfill(target: Any, work: Path, env: dict[str, str], months_: int = 12) -> list[str]:
    """A one-run-per-partition backfill of the last `months_` months through `dg dev`,
    with the warehouse pool's limit 4 (parallel) and 1 (serial): wall time of each."""
    from tests.support.dagster_dev import graphql, running_dagster_dev

    db = target.oracle()
    keys = [m.isoformat() for m in months(FIRST_MONTH, this_month())][-months_:]
    notes, seconds = [], {}
    for limit in (4, 1):
        settings_env = {
            **env,
            "DAGSTER_BACKFILL_POLICY": "multi_run",
            "WAREHOUSE_POOL_LIMIT": str(limit),
        }
        home = work / f"backfill_home_{limit}"
        log = work / f"backfill_{limit}.log"
        with mock.patch.dict(os.environ, settings_env), running_dagster_dev(home, db, log) as url:
            began = time.perf_counter()
            launched = graphql(url, BACKFILL_LAUNCH, {"names": keys})["launchPartitionBackfill"]
            if launched.get("__typename") != "LaunchBackfillSuccess":
                raise SystemExit(f"backfill not launched: {launched}")
            while True:
                status = graphql(url, BACKFILL_STATUS, {"id": launched["backfillId"]})
                state = status["partitionBackfillOrError"].get("status")
                if state in {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED"}:
                    break
                time.sleep(0.5)
            seconds[limit] = time.perf_counter() - began
        if state not in {"COMPLETED", "COMPLETED_SUCCESS"}:
            raise SystemExit(f"backfill with pool limit {limit} ended {state}: see {log}")
        notes.append(
            f"{target.name}: one run per partition, {months_} months, pool limit {limit}: "
            f"{seconds[limit]:.1f} s"
        )
    notes.append(
        f"{target.name}: parallel (limit 4) = {seconds[4] / seconds[1]:.2f}x the serial backfill"
    )
    return notes


BACKFILL_LAUNCH = """
mutation Launch($names: [String!]!) {
  launchPartitionBackfill(backfillParams: {
    partitionNames: $names, assetSelection: [{path: ["orders_by_month"]}], fromFailure: false
  }) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}
"""
BACKFILL_STATUS = """
query Status($id: String!) {
  partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } }
}
"""


def main(argv: list[str] | None = None) -> None:
    global _step
    args = parse_args(argv)
    target = TARGETS[args.target]()
    rows, notes = [], []
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(dir=args.work) as scratch,
        steps(f"benchmark ({args.target})") as _step,
    ):
        for size in args.size_list:
            work = Path(scratch) / size
            work.mkdir()
            with target.environment(work) as target_env:
                env = {**os.environ, **target_env}
                # Dagster reads target/manifest.json at import: write it for this
                # target, as a deploy would.
                project_py = str(REPO_ROOT / "dagster_project" / "lib" / "project.py")
                prepare = [str(BIN / "dagster-dbt"), "project", "prepare-and-package"]
                run([*prepare, "--file", project_py], env)
                bench = Bench(size, SIZES[size], work, args.reps, args.naive, target, target_env)
                notes += bench.all()
                rows += bench.rows
                if args.backfill:
                    notes += parallel_backfill(target, work, env)

    limits = ""
    if args.target == "duckdb":
        duckdb = warehouse({**os.environ, "DBT_TARGET": "duckdb"}).settings
        limits = f"; DuckDB memory_limit {duckdb.get('memory_limit')}"
        limits += f", threads {duckdb.get('threads')}"
    if args.target == "spark":
        spark = warehouse({**os.environ, "DBT_TARGET": "spark"}).parameters
        limits = f"; Spark master {spark.get('spark.master')}"
        limits += f", driver memory {spark.get('spark.driver.memory')}"
        limits += f"; no floor; naive path over {args.naive} months"
        # pyspark never waits for its Java process, so wait4 does not count it.
        limits += "; peak MiB is the Python processes', not Spark's Java process"
    header = (
        f"# orders_by_month benchmark ({args.target}), {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
        f"\n\n{os.cpu_count()} CPUs{limits}; {args.reps} repetition(s).\n"
    )
    report = "\n".join([header, table(rows), "", *(f"- {n}" for n in summary(rows) + notes), ""])
    print("\n" + report)
    out = REPO_ROOT / "bench_results"
    out.mkdir(exist_ok=True)
    (out / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{args.target}.md").write_text(report)


if __name__ == "__main__":
    main()
