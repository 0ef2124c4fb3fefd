"""Another process holding the DuckDB file: retried, then named in the failure."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.assets.dbt import monthly_dbt_models
from dagster_project.definitions import defs
from dagster_project.locking import lock_failure_message
from tests.support import expected_rows, model_rows, snapshot

# What a notebook does: open the file for writing, and keep it.
HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


@contextmanager
def file_held(db: Path, seconds: float) -> Iterator[subprocess.Popen]:
    """Another process holds a write connection to `db` for `seconds`."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def test_lock_message_names_the_holder_and_the_file() -> None:
    duckdb_error = (
        'IO Error: Could not set lock on file "/d/j.duckdb": Conflicting lock is held in '
        "/usr/bin/python3.11 (PID 4242) by user me. See also https://duckdb.org/docs/..."
    )
    message = lock_failure_message(duckdb_error, Path("/d/j.duckdb"))
    assert message is not None
    assert message.startswith(
        "Another process (/usr/bin/python3.11 (PID 4242)) holds the DuckDB file /d/j.duckdb"
    )
    assert lock_failure_message("Compilation Error in model x", Path("/d/j.duckdb")) is None


def test_lock_released_within_the_retries_is_waited_out(db: Path) -> None:
    """The default 4 attempts wait up to 7 s for the lock; a 3 s lock passes."""
    with dg.instance_for_test() as instance, file_held(db, 3):
        started = time.monotonic()
        result = dg.materialize(
            [monthly_dbt_models],
            partition_key="2018-03-01",
            resources=defs.resources,
            instance=instance,
        )
        elapsed = time.monotonic() - started
    assert result.success
    assert elapsed >= 3 - 0.5  # it did wait for the lock
    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")


def test_lock_held_past_the_retries_fails_naming_the_holder(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two attempts: 1 s + 2 s of backoff, so the test stays short.
    monkeypatch.setenv("DUCKDB_CONNECT_ATTEMPTS", "2")
    before = snapshot(db)
    with dg.instance_for_test() as instance, file_held(db, 120) as holder:
        result = dg.materialize(
            [monthly_dbt_models],
            partition_key="2018-03-01",
            resources=defs.resources,
            instance=instance,
            raise_on_error=False,
        )
        holder_pid = holder.pid
    assert not result.success
    failure = result.failure_data_for_node(monthly_dbt_models.op.name)
    assert failure is not None
    assert failure.error is not None
    assert failure.error.cls_name == "Failure"
    assert f"(PID {holder_pid})) holds the DuckDB file {db}" in failure.error.message
    assert snapshot(db) == before
