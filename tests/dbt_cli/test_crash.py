"""SIGKILL dbt during a partition run: the table is the old state or the new one.

dbt-duckdb's delete+insert runs `delete ...; insert ...` as one statement batch
between BEGIN and COMMIT (see the incremental materialization in
dbt/include/duckdb), and DuckDB writes its WAL only on commit, so a process
killed anywhere leaves every month either as before the run or as after it.
This test kills dbt at random times over many trials and checks exactly that.

DuckDB only: it is about DuckDB's writer process and its WAL.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagster_project.lib.generator import GeneratorConfig
from dagster_project.lib.project import DBT_PROJECT_DIR
from harness.oracle import Row, expected_rows, model_rows
from tests.support.dbt import DBT, dbt_env, dbt_vars, run_dbt
from tests.support.warehouse import TestWarehouse, empty_warehouse

pytestmark = [pytest.mark.slow, pytest.mark.duckdb_only]

ORDERS = 3_000_000  # the aggregate then takes ~0.6 s, the whole process ~4 s
START, END = "2018-01-01", "2020-01-01"  # the generator's default span
WINDOW = dbt_vars(partition_start=START, partition_end=END)
TRIALS_AT_RANDOM = 4
TRIALS_IN_TRANSACTION = 4
MODEL = "model.jaffle_shop.orders_by_month"
BEGIN = f"On {MODEL}: BEGIN"
COMMIT = f"On {MODEL}: COMMIT"
# Lines of dbt's debug log that mark how far the model got, in order.
PHASES = {
    f"Began executing node {MODEL}": "computing the new rows",
    BEGIN: "inside the delete+insert transaction",
    COMMIT: "committed",
}


@pytest.fixture(scope="module")
def before_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestWarehouse, dict[dt.date, Row], dict[dt.date, Row]]]:
    """A large database holding orders_by_month for every month, then changed raw data.

    Yields the database and the rows before (the table as it stands) and after
    (what a run must write): every month differs between the two.
    """
    db = empty_warehouse("duckdb", "big", tmp_path_factory.mktemp("crash"))
    db.write_raw(GeneratorConfig(orders=ORDERS))
    run_dbt(["run", "--select", "staging", "orders_by_month", *WINDOW], db)
    old = expected_rows(db, START, END)
    assert model_rows(db) == old
    # Every payment one cent more: every month's revenue changes.
    db.execute("update raw_payments set amount = amount + 1")
    new = expected_rows(db, START, END)
    assert all(old[month] != new[month] for month in old)
    yield db, old, new
    db.drop()


def start_dbt(db: TestWarehouse, work: Path) -> subprocess.Popen:
    """`dbt run` of the generated months, logging to work/logs; own target dir so
    a killed dbt cannot leave a half-written manifest for other tests."""
    return subprocess.Popen(
        [str(DBT), "run", "--select", "orders_by_month", *WINDOW, "--log-path", str(work / "logs"),
         "--target-path", str(work / "target")],
        cwd=DBT_PROJECT_DIR, env=dbt_env(db), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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


def wait_for_log_line(dbt: subprocess.Popen, work: Path, line: str, timeout: float = 120) -> None:
    """Wait until dbt's debug log holds `line`; fail at once, with the log, if dbt exits first."""
    log = work / "logs" / "dbt.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text() if log.exists() else ""
        if line in text:
            return
        if dbt.poll() is not None:
            # Read once more: dbt may have logged the line just before exiting.
            text = log.read_text() if log.exists() else ""
            if line in text:
                return
            raise AssertionError(
                f"dbt exited ({dbt.returncode}) before logging {line!r}:\n{text[-3000:]}"
            )
        time.sleep(0.005)
    raise AssertionError(f"dbt never logged {line!r} in {timeout} s:\n{text[-3000:]}")


def test_sigkill_leaves_old_or_new_rows_and_a_rerun_converges(
    before_run: tuple[TestWarehouse, dict[dt.date, Row], dict[dt.date, Row]], tmp_path: Path
) -> None:
    template, old, new = before_run
    rng = random.Random(20180101)

    # One undisturbed run: how long a run takes, and that it writes `new`.
    calibration = tmp_path / "calibration"
    calibration_db = template.copy("calibration")
    assert start_dbt(calibration_db, calibration).wait() == 0
    model_seconds = _seconds_between(
        (calibration / "logs" / "dbt.log").read_text(), f"Began executing node {MODEL}", COMMIT
    )
    assert model_rows(calibration_db) == new
    calibration_db.drop()

    outcomes: Counter[tuple[str, str]] = Counter()
    tables_before = set(template.snapshot())
    old_state_copy: TestWarehouse | None = None
    for trial in range(TRIALS_AT_RANDOM + TRIALS_IN_TRANSACTION):
        work = tmp_path / f"trial{trial}"
        (work / "target").mkdir(parents=True)
        db = template.copy(f"trial{trial}")
        # dbt's partial parse from the calibration run saves each trial ~3 s.
        (work / "target" / "partial_parse.msgpack").write_bytes(
            (calibration / "target" / "partial_parse.msgpack").read_bytes()
        )
        dbt = start_dbt(db, work)
        if trial < TRIALS_AT_RANDOM:
            # Anywhere from the model's start to shortly after its commit.
            wait_for_log_line(dbt, work, f"Began executing node {MODEL}")
            time.sleep(rng.uniform(0, model_seconds + 0.2))
        else:
            # Aimed at the transaction: the delete+insert takes tens of ms.
            wait_for_log_line(dbt, work, BEGIN)
            time.sleep(rng.uniform(0, 0.03))
        dbt.send_signal(signal.SIGKILL)
        dbt.wait()
        phase = "finished before the kill" if dbt.returncode == 0 else phase_reached(work)

        rows = model_rows(db)  # opening the file replays DuckDB's WAL; no duplicates
        assert set(rows) == set(old), f"trial {trial} ({phase}): months changed"
        assert set(db.snapshot()) == tables_before, f"trial {trial}: leftover tables"
        state = "old" if rows == old else "new" if rows == new else "mixed"
        # Atomic: not one month old and another new, not one half-written month.
        assert state != "mixed", f"trial {trial} ({phase}): {rows}"
        outcomes[(phase, state)] += 1
        print(f"trial {trial}: killed while {phase} -> {state} rows")
        shutil.rmtree(work / "target")
        if state == "old" and old_state_copy is None:
            old_state_copy = db
        else:
            db.drop()

    print(f"model run {model_seconds:.2f} s; outcomes:", dict(outcomes))
    # The aimed trials did land inside the transaction, and rolled back.
    assert outcomes[("inside the delete+insert transaction", "old")] >= 1

    # A re-run after a kill converges to the right rows.
    assert old_state_copy is not None
    run_dbt(["run", "--select", "orders_by_month", *WINDOW], old_state_copy)
    assert model_rows(old_state_copy) == new
    old_state_copy.drop()
