"""Another process holding the DuckDB file: retried, then named in the failure.

DuckDB only: it is about DuckDB's one-writer file lock.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import pytest

from harness.oracle import expected_rows, model_rows
from tests.support.dagster import materialize_month
from tests.support.warehouse import DuckDBTestWarehouse

pytestmark = pytest.mark.duckdb_only

# What a notebook does: open the file for writing, and keep it.
HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


@contextmanager
def file_held(db: DuckDBTestWarehouse, seconds: float) -> Iterator[subprocess.Popen]:
    """Another process holds a write connection to `db` for `seconds`."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db.path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def test_lock_released_within_the_retries_is_waited_out(
    db: DuckDBTestWarehouse, instance: dg.DagsterInstance
) -> None:
    """The default 4 attempts wait up to 7 s for the lock; a 3 s lock passes."""
    with file_held(db, 3):
        started = time.monotonic()
        result = materialize_month(instance, "2018-03-01")
        elapsed = time.monotonic() - started

    assert result.success
    assert elapsed >= 3 - 0.5  # it did wait for the lock
    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")


def test_lock_held_past_the_retries_fails_naming_the_holder(
    db: DuckDBTestWarehouse, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two attempts: 1 s + 2 s of backoff, so the test stays short.
    monkeypatch.setenv("DUCKDB_CONNECT_ATTEMPTS", "2")
    before = db.snapshot()
    with file_held(db, 120) as holder:
        result = materialize_month(instance, "2018-03-01", raise_on_error=False)

    assert not result.success
    failure = result.failure_data_for_node("orders_by_month_model")
    assert failure is not None
    assert failure.error is not None
    assert failure.error.cls_name == "Failure"
    assert f"(PID {holder.pid})) holds the DuckDB file {db.path}" in failure.error.message
    assert db.snapshot() == before
