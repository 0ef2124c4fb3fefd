"""The cases at one size: each path's commands over each window, in the order they run."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from dagster_project.lib.dbt_vars import dbt_build_args
from dagster_project.lib.progress import Step
from dagster_project.lib.project import DBT_PROJECT_DIR, REPO_ROOT
from dagster_project.lib.warehouse import warehouse
from harness.dg_dev import dagster_process_env, new_dagster_home
from scripts.benchmark.models import MODELS, Model
from scripts.benchmark.report import FULL_HISTORY, ONE_PARTITION, Row
from scripts.benchmark.targets import Target
from scripts.benchmark.timing import Sample, run
from scripts.benchmark.windows import Window, cold_windows, partition_keys

BIN = Path(sys.executable).parent
RANGE_MONTHS = 12  # the "N months, one run" case
COLD_RANGE_MONTHS = 24  # the cold range case
# The cases --cases can choose, in the order they run (all by default): at
# 100M a microbatch model's full history is many minutes a run.
CASES = ("full-history", "one-partition", "range", "one-new-month", "new-months", "naive")
FIRST_BUILD = "first build (full history)"


def model_seconds(target_dir: Path | None, model: str) -> float | None:
    """`model`'s execution time from dbt's run_results.json in `target_dir`, if it ran."""
    path = target_dir / "run_results.json" if target_dir is not None else None
    if path is None or not path.exists():
        return None
    for result in json.loads(path.read_text())["results"]:
        # model.<project>.<name>; tests and other nodes have other prefixes.
        resource_type, _, name = result["unique_id"].split(".", 2)
        if resource_type == "model" and name == model:
            return result["execution_time"]
    return None


def batch_count(target_dir: Path | None, model: str) -> int | None:
    """How many batches a microbatch `model` ran, from run_results.json in `target_dir`
    (dbt lists them under `batch_results`); None for another model or no results."""
    path = target_dir / "run_results.json" if target_dir is not None else None
    if path is None or not path.exists():
        return None
    for result in json.loads(path.read_text())["results"]:
        resource_type, _, name = result["unique_id"].split(".", 2)
        batches = result.get("batch_results")
        if resource_type == "model" and name == model and batches:
            return len(batches.get("successful", [])) + len(batches.get("failed", []))
    return None


def batch_seconds(target_dir: Path | None, log_dir: Path | None, model: str) -> list[float] | None:
    """Each batch's own time for a microbatch `model`, in batch order, from dbt's JSON log
    in `log_dir` (its `LogBatchResult` events), for the invocation whose run_results.json
    is in `target_dir`; None when either is missing or the model ran no batches.

    run_results.json times only the model as a whole; the log is where dbt times
    each batch. dbt appends every invocation to one dbt.log, so the run's
    invocation id picks its events.
    """
    results = target_dir / "run_results.json" if target_dir is not None else None
    log = log_dir / "dbt.log" if log_dir is not None else None
    if results is None or log is None or not results.exists() or not log.exists():
        return None
    invocation = json.loads(results.read_text())["metadata"]["invocation_id"]
    found: dict[int, float] = {}
    for line in log.read_text().splitlines():
        # the file is JSON only with DBT_LOG_FORMAT_FILE=json; skip anything else
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        info, data = event.get("info", {}), event.get("data", {})
        if (
            info.get("name") == "LogBatchResult"
            and info.get("invocation_id") == invocation
            and data.get("node_info", {}).get("node_name") == model
        ):
            found[data["batch_index"]] = data.get("execution_time", 0.0)
    return [found[i] for i in sorted(found)] or None


def newest_run_dir(target: Path) -> Path | None:
    """The per-run dbt folder Dagster wrote last under `target` (the one with run results)."""
    results = list(target.glob("*/run_results.json"))
    return max(results, key=lambda p: p.stat().st_mtime).parent if results else None


class Bench:
    """One size on one target: the raw data, then every case's samples (`rows`)."""

    def __init__(
        self,
        size: str,
        orders: int,
        work: Path,
        *,
        reps: int,
        naive: int,
        target: Target,
        target_env: Mapping[str, str],
        model: Model,
        environ: Mapping[str, str],
        step: Step,
        cases: Sequence[str] = CASES,
    ) -> None:
        self.size, self.orders, self.work, self.reps, self.naive = size, orders, work, reps, naive
        self.cases = set(cases)
        self.target, self.model, self.step = target, model, step
        # The environment `dagster-dbt project prepare-and-package` runs in: the
        # target's, and the manifest where Dagster reads it, as a deploy would.
        self.prepare_env = {**environ, **target_env}
        self.env = dagster_process_env(
            {
                **self.prepare_env,
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                # Dagster's per-run dbt folders go to the scratch folder too, so
                # tests running beside the benchmark cannot mix with them.
                "DBT_TARGET_PATH": str(work / "dagster_target"),
                # dbt's log file as JSON lines: where dbt times each microbatch
                # batch (batch_seconds()); the console stays as a user sees it.
                "DBT_LOG_FORMAT_FILE": "json",
            },
            new_dagster_home(work / "dagster_home"),
        )
        # Bare dbt keeps its artifacts out of dbt_project/target, which is
        # Dagster's (manifest, partial parse, per-run folders).
        self.dbt_target = work / "dbt_target"
        self.dbt_logs = work / "dbt_logs"
        self.dbt_env = {
            **self.env,
            "DBT_TARGET_PATH": str(self.dbt_target),
            "DBT_LOG_PATH": str(self.dbt_logs),
        }
        self.rows: list[Row] = []
        self.keys = partition_keys()

    def run(self, cmd: list[str], env: Mapping[str, str], cwd: Path = REPO_ROOT) -> Sample:
        return run(cmd, env, cwd, self.step)

    def dbt(self, *args: str) -> list[str]:
        return [str(BIN / "dbt"), *args]

    def dagster(self, window: Window) -> list[str]:
        return [str(BIN / "dg"), "launch", "--assets", self.model.name, *window.dagster_args()]

    def prepare(self) -> list[Row]:
        """The manifest for this target, the raw data and the model's first build, both timed."""
        # Dagster reads target/manifest.json at import: write it for this
        # target, as a deploy would.
        project_py = str(REPO_ROOT / "dagster_project" / "lib" / "project.py")
        prepare = [str(BIN / "dagster-dbt"), "project", "prepare-and-package", "--file", project_py]
        self.run(prepare, self.prepare_env)
        today = dt.datetime.now(dt.UTC).date()
        generate = [str(BIN / "jaffle-generate"), "--orders", str(self.orders)]
        generate += ["--end", today.isoformat()]
        row = Row(self.size, "generate raw data", "generator", [self.run(generate, self.env)])
        # staging views only; the model reads them, not the marts
        self.run(self.dbt("run", "--select", "staging"), self.dbt_env, DBT_PROJECT_DIR)
        # first full build creates the table, so every timed run is a delete+insert
        full = Window(self.keys[0], self.keys[-1])
        cmd = self.dbt("run", "--select", self.model.name, *self.model.window_args(full))
        first = self.run(cmd, self.dbt_env, DBT_PROJECT_DIR)
        self.dbt_times(first, self.dbt_target)
        build = Row(self.size, FIRST_BUILD, "dbt", [first], partitions=full.months, cold=True)
        return [row, build]

    def compiled_sql(self, window: Window) -> Path:
        """dbt's compiled SELECT of the model for the window, for the floor."""
        target = self.work / f"compile_{window.start}_{window.end}"
        env = {**self.dbt_env, "DBT_TARGET_PATH": str(target)}
        cmd = ["compile", "--select", self.model.name, *window.vars_args()]
        self.run(self.dbt(*cmd), env, DBT_PROJECT_DIR)
        (sql,) = target.rglob(f"compiled/**/{self.model.name}.sql")
        return sql

    def dbt_times(self, sample: Sample, run_dir: Path | None) -> None:
        """dbt's own times for the run whose artifacts are in `run_dir`, onto `sample`.

        Bare dbt logs to one folder; Dagster's runs log to each run's own folder.
        """
        sample.model_seconds = model_seconds(run_dir, self.model.name)
        sample.batches = batch_count(run_dir, self.model.name)
        if sample.batches:
            log_dir = self.dbt_logs if run_dir == self.dbt_target else run_dir
            sample.batch_seconds = batch_seconds(run_dir, log_dir, self.model.name)

    def measure(
        self,
        case: str,
        path: str,
        cmd: list[str],
        cwd: Path,
        window: Window,
        run_dir: Callable[[], Path | None] | None = None,
    ) -> Row:
        """`reps` runs of `cmd`: a row of `path` in `case`, with dbt's model time from `run_dir`."""
        row = Row(self.size, case, path, partitions=window.months)
        env = self.dbt_env if path.startswith("dbt") else self.env
        for _ in range(self.reps):
            sample = self.run(cmd, env, cwd)
            if run_dir is not None:
                self.dbt_times(sample, run_dir())
            row.samples.append(sample)
        self.rows.append(row)
        return row

    def window(self, case: str, window: Window) -> None:
        """A warm case: each path `reps` times over the same window."""
        name = self.model.name
        if self.target.has_floor and not self.model.microbatch:
            duckdb = warehouse(self.env)
            floor = {
                "sql": str(self.compiled_sql(window)),
                "database": duckdb.location,
                "config": duckdb.settings,  # type: ignore[attr-defined]
                "table": name,
                "column": self.model.month_column,
                "start": window.start,
                "end": window.end,
            }
            cmd = [sys.executable, "-m", "scripts.benchmark.floor", json.dumps(floor)]
            self.measure(case, "floor", cmd, REPO_ROOT, window)
        self.measure(
            case, "dbt", self.dbt("run", "--select", name, *self.model.window_args(window)),
            DBT_PROJECT_DIR, window, lambda: self.dbt_target,
        )  # fmt: skip
        build = dbt_build_args(
            self.model.build_vars(window), extra_args=self.model.build_extra_args(window)
        )
        self.measure(
            case, "dbt build", self.dbt(*build, "--select", name),
            DBT_PROJECT_DIR, window, lambda: self.dbt_target,
        )  # fmt: skip
        target = self.work / "dagster_target"
        self.measure(
            case, "dagster", self.dagster(window), REPO_ROOT, window,
            lambda: newest_run_dir(target),
        )  # fmt: skip

    def check(self, window: Window) -> list[str]:
        """The model against the oracle, plain SQL over the raw tables, every month.

        For the microbatch model, orders_by_month is built over the same window
        in the same database and checked too: both equal the oracle, so they
        equal each other month by month.
        """
        models = [self.model]
        if self.model.microbatch:
            delete_insert = MODELS["orders_by_month"]
            cmd = self.dbt(
                "run", "--select", delete_insert.name, *delete_insert.window_args(window)
            )
            self.run(cmd, self.dbt_env, DBT_PROJECT_DIR)
            models.append(delete_insert)
        notes = []
        for model in models:
            self.step(f"check {model.name} against a GROUP BY over the raw tables")
            count, bad = self.target.differences(model, window.start, window.end, self.env)
            if bad:
                raise SystemExit(f"{self.size}: {model.name} differs from raw data in {bad[:5]}")
            notes.append(
                f"{self.size}: {model.name} equals the GROUP BY over raw data ({count} months)"
            )
        if len(models) > 1:
            notes.append(
                f"{self.size}: so {models[0].name} equals {models[1].name}, month by month"
            )
        return notes

    def naive_path(self) -> Row:
        """One run per partition over the last `naive` months, total wall time."""
        keys = self.keys[-self.naive :]
        row = Row(self.size, f"{len(keys)} months", "naive", partitions=len(keys))
        total, peak = 0.0, 0.0
        for key in keys:
            sample = self.run(self.dagster(Window(key, key)), self.env)
            total, peak = total + sample.seconds, max(peak, sample.peak_mib)
        row.samples.append(Sample(total, peak))
        self.rows.append(row)
        print(f"  {row.case:<24} naive    total  {total:7.2f} s", file=sys.stderr)
        return row

    def cold(self, case: str, length: int) -> None:
        """`dbt run` against Dagster, alternating, each on a window neither ran before."""
        dbt_row = Row(self.size, case, "dbt", partitions=length, cold=True)
        dagster_row = Row(self.size, case, "dagster", partitions=length, cold=True)
        target = self.work / "dagster_target"
        for rep, (dbt_window, dagster_window) in enumerate(
            cold_windows(self.keys, length, self.reps)
        ):
            for path in ("dbt", "dagster") if rep % 2 == 0 else ("dagster", "dbt"):
                if path == "dbt":
                    args = self.model.window_args(dbt_window)
                    cmd = self.dbt("run", "--select", self.model.name, *args)
                    sample = self.run(cmd, self.dbt_env, DBT_PROJECT_DIR)
                    self.dbt_times(sample, self.dbt_target)
                    dbt_row.samples.append(sample)
                else:
                    sample = self.run(self.dagster(dagster_window), self.env)
                    self.dbt_times(sample, newest_run_dir(target))
                    dagster_row.samples.append(sample)
        self.rows += [dbt_row, dagster_row]
        print(
            f"  {case:<24} dbt {dbt_row.median:6.2f} s, dagster {dagster_row.median:6.2f} s",
            file=sys.stderr,
        )

    def all(self) -> list[str]:
        """Every case in order; returns the check's note for the report."""
        print(f"{self.size}: {self.orders:,} orders", file=sys.stderr)
        self.rows += self.prepare()
        first, last = self.keys[0], self.keys[-1]
        full = Window(first, last)
        if "full-history" in self.cases:
            self.window(FULL_HISTORY, full)
        # the first build wrote every month: the check needs no other case
        notes = self.check(full)
        if "one-partition" in self.cases:
            self.window(ONE_PARTITION, Window(last, last))
        if "range" in self.cases:
            self.window(f"{RANGE_MONTHS} months, one run", Window(self.keys[-RANGE_MONTHS], last))
        if "one-new-month" in self.cases:
            self.cold("one new month", 1)
        if "new-months" in self.cases:
            self.cold(f"{COLD_RANGE_MONTHS} new months", COLD_RANGE_MONTHS)
        if "naive" in self.cases:
            self.naive_path()
        return notes
