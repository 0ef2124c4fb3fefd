"""SIGKILL dbt during a partition run: the table is the old state or the new one.

dbt-duckdb's delete+insert runs `delete ...; insert ...` as one statement batch
between BEGIN and COMMIT (see the incremental materialization in
dbt/include/duckdb), and DuckDB writes its WAL only on commit, so a process
killed anywhere leaves every month either as before the run or as after it.
This test kills dbt at random times over many trials and checks exactly that.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.assets.dbt import monthly_dbt_models
from dagster_project.definitions import defs
from dagster_project.generator import GeneratorConfig, generate_file
from dagster_project.partitions import orders_by_month_job
from tests.support import (
    DBT,
    DBT_PROJECT_DIR,
    execute,
    expected_rows,
    model_rows,
    run_dbt,
    snapshot,
)

ORDERS = 3_000_000  # the aggregate then takes ~0.6 s, the whole process ~4 s
START, END = "2018-01-01", "2020-01-01"  # the generator's default span
WINDOW = ["--vars", f'{{"partition_start": "{START}", "partition_end": "{END}"}}']
TRIALS_AT_RANDOM = 6
TRIALS_IN_TRANSACTION = 6
MODEL = "model.jaffle_shop.orders_by_month"
# Lines of dbt's debug log that mark how far the model got, in order.
PHASES = {
    f"Began executing node {MODEL}": "computing the new rows",
    "On model.jaffle_shop.orders_by_month: BEGIN": "inside the delete+insert transaction",
    "On model.jaffle_shop.orders_by_month: COMMIT": "committed",
}

ORDERS_BY_MONTH = dg.AssetKey("orders_by_month")


@pytest.fixture(scope="module")
def before_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """A large file holding orders_by_month for every month, then changed raw data.

    Returns the file and the rows before (the table as it stands) and after (what
    a run must write): every month differs between the two.
    """
    path = tmp_path_factory.mktemp("crash") / "big.duckdb"
    generate_file(path, GeneratorConfig(orders=ORDERS))
    run_dbt(["run", "--select", "staging", "orders_by_month", *WINDOW], path)
    old = expected_rows(path, START, END)
    assert model_rows(path) == old
    # Every payment one cent more: every month's revenue changes.
    execute(path, "update raw_payments set amount = amount + 1")
    new = expected_rows(path, START, END)
    assert all(old[month] != new[month] for month in old)
    return path, old, new


def start_dbt(db: Path, work: Path) -> subprocess.Popen:
    """`dbt run` of the generated months, logging to work/logs; own target dir so
    a killed dbt cannot leave a half-written manifest for other tests."""
    env = {**os.environ, "DUCKDB_PATH": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    return subprocess.Popen(
        [str(DBT), "run", "--select", "orders_by_month", *WINDOW, "--log-path", str(work / "logs"),
         "--target-path", str(work / "target")],
        cwd=DBT_PROJECT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def phase_reached(work: Path) -> str:
    log = work / "logs" / "dbt.log"
    text = log.read_text() if log.exists() else ""
    reached = "starting up (no SQL yet)"
    for line, phase in PHASES.items():
        if line in text:
            reached = phase
    return reached


def _seconds_between(log: str, first: str, second: str) -> float:
    """Seconds between the dbt debug-log lines holding `first` and `second`."""

    def stamp(text: str) -> float:
        line = next(line for line in log.splitlines() if text in line)
        clock = line.split()[0][-15:]  # HH:MM:SS.ffffff after the colour code
        hours, minutes, seconds = clock.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)

    return stamp(second) - stamp(first)


def wait_for_log_line(work: Path, line: str, timeout: float = 60) -> None:
    log = work / "logs" / "dbt.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and line in log.read_text():
            return
        time.sleep(0.001)
    raise AssertionError(f"dbt never logged {line!r}")


@pytest.mark.slow
def test_sigkill_leaves_old_or_new_rows_and_a_rerun_converges(
    before_run: tuple[Path, dict, dict], tmp_path: Path
) -> None:
    template, old, new = before_run
    rng = random.Random(20180101)

    # One undisturbed run: how long a run takes, and that it writes `new`.
    calibration = tmp_path / "calibration"
    shutil.copytree(template.parent, calibration, ignore=shutil.ignore_patterns("*.wal"))
    assert start_dbt(calibration / template.name, calibration).wait() == 0
    model_seconds = _seconds_between(
        (calibration / "logs" / "dbt.log").read_text(),
        f"Began executing node {MODEL}",
        "On model.jaffle_shop.orders_by_month: COMMIT",
    )
    assert model_rows(calibration / template.name) == new

    outcomes: Counter[tuple[str, str]] = Counter()
    tables_before = set(snapshot(template))
    old_state_copy: Path | None = None
    for trial in range(TRIALS_AT_RANDOM + TRIALS_IN_TRANSACTION):
        work = tmp_path / f"trial{trial}"
        work.mkdir()
        db = work / "jaffle_shop.duckdb"
        shutil.copy(template, db)
        # dbt's partial parse from the calibration run saves each trial ~3 s.
        (work / "target").mkdir()
        shutil.copy(calibration / "target" / "partial_parse.msgpack", work / "target")
        dbt = start_dbt(db, work)
        if trial < TRIALS_AT_RANDOM:
            # Anywhere from the model's start to shortly after its commit.
            wait_for_log_line(work, f"Began executing node {MODEL}")
            time.sleep(rng.uniform(0, model_seconds + 0.2))
        else:
            # Aimed at the transaction: the delete+insert takes tens of ms.
            wait_for_log_line(work, "On model.jaffle_shop.orders_by_month: BEGIN")
            time.sleep(rng.uniform(0, 0.03))
        dbt.send_signal(signal.SIGKILL)
        dbt.wait()
        phase = "finished before the kill" if dbt.returncode == 0 else phase_reached(work)

        rows = model_rows(db)  # opening the file replays DuckDB's WAL; no duplicates
        assert set(rows) == set(old), f"trial {trial} ({phase}): months changed"
        assert set(snapshot(db)) == tables_before, f"trial {trial}: leftover tables"
        state = "old" if rows == old else "new" if rows == new else "mixed"
        # Atomic: not one month old and another new, not one half-written month.
        assert state != "mixed", f"trial {trial} ({phase}): {rows}"
        outcomes[(phase, state)] += 1
        if state == "old":
            old_state_copy = db
        print(f"trial {trial}: killed while {phase} -> {state} rows")
        shutil.rmtree(work / "target")

    print(f"model run {model_seconds:.2f} s; outcomes:", dict(outcomes))
    # The aimed trials did land inside the transaction, and rolled back.
    assert outcomes[("inside the delete+insert transaction", "old")] >= 1

    # A re-run after a kill converges to the right rows.
    assert old_state_copy is not None
    run_dbt(["run", "--select", "orders_by_month", *WINDOW], old_state_copy)
    assert model_rows(old_state_copy) == new


def test_failed_dagster_run_reexecuted_from_failure_finishes(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that fails (here: the DuckDB file's folder is missing) is re-executed
    from failure once the cause is gone, and records its partitions."""
    monkeypatch.setenv("DUCKDB_CONNECT_ATTEMPTS", "1")
    tags = {
        "dagster/asset_partition_range_start": "2018-01-01",
        "dagster/asset_partition_range_end": "2018-03-01",
    }
    job = dg.reconstructable(_monthly_job)
    with dg.instance_for_test() as instance:
        monkeypatch.setenv("DUCKDB_PATH", str(db.parent / "missing-dir" / db.name))
        with dg.execute_job(job, instance=instance, tags=tags) as failed:
            assert not failed.success
        assert not instance.get_materialized_partitions(ORDERS_BY_MONTH)

        monkeypatch.setenv("DUCKDB_PATH", str(db))
        options = dg.ReexecutionOptions.from_failure(failed.run_id, instance)
        # The UI's "Re-execute from failure" carries the parent's partition tags
        # over; the Python API takes them explicitly.
        with dg.execute_job(
            job, instance=instance, reexecution_options=options, tags=failed.dagster_run.tags
        ) as retried:
            errors = [
                str(e.event_specific_data.error) for e in retried.all_events if e.is_step_failure
            ]
            assert retried.success, errors
        assert instance.get_materialized_partitions(ORDERS_BY_MONTH) == {
            "2018-01-01",
            "2018-02-01",
            "2018-03-01",
        }
    assert model_rows(db) == expected_rows(db, "2018-01-01", "2018-04-01")


def _monthly_job() -> dg.JobDefinition:
    """orders_by_month's job, importable by reference (re-execution needs that)."""
    return dg.Definitions(
        assets=[monthly_dbt_models],
        jobs=[orders_by_month_job],
        resources=defs.resources,
        executor=dg.in_process_executor,
    ).resolve_job_def(orders_by_month_job.name)
