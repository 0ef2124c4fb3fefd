"""One writer at a time: the `warehouse` pool serializes steps across runs.

DuckDB only: the pool's limit of 1 (dagster_home/dagster.yaml) is DuckDB's
one-writer-per-file rule.
"""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.lib.project import REPO_ROOT
from harness.dg_dev import DG, new_dagster_home
from harness.oracle import expected_rows, model_rows
from tests.support.dagster_dev import dagster_env
from tests.support.warehouse import TestWarehouse

pytestmark = pytest.mark.duckdb_only


def test_concurrent_runs_take_turns_on_the_warehouse(db: TestWarehouse, tmp_path: Path) -> None:
    """A backfill and a full rebuild launched at once both succeed, one step after the other."""
    home = new_dagster_home(tmp_path / "dagster_home")
    # Create the instance's storage once, as `dg dev` would: two processes
    # creating fresh SQLite storage at the same moment race on its migrations.
    dg.DagsterInstance.from_config(str(home)).dispose()
    # The launch commands of the README and docs/ui.md.
    commands = [
        [str(DG), "launch", "--assets", "orders_by_month",
         "--partition-range", "2018-01-01...2018-04-01"],
        [str(DG), "launch", "--job", "warehouse"],
    ]  # fmt: skip
    processes = [
        subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=dagster_env(home, db),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for command in commands
    ]
    outputs = [process.communicate(timeout=300)[0].decode() for process in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output[-5000:]

    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_run_records()
        assert len(runs) == 2
        assert all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in runs)
        intervals = []
        for record in runs:
            events = instance.all_logs(
                record.dagster_run.run_id,
                of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS},
            )
            starts = {e.step_key: e.timestamp for e in events if e.is_dagster_event
                      and e.dagster_event_type == dg.DagsterEventType.STEP_START}  # fmt: skip
            ends = {e.step_key: e.timestamp for e in events if e.is_dagster_event
                    and e.dagster_event_type == dg.DagsterEventType.STEP_SUCCESS}  # fmt: skip
            intervals += [(starts[step], ends[step], step) for step in starts]
    intervals.sort()
    assert [step for *_, step in intervals].count("orders_by_month_model") == 1
    assert len(intervals) == 3  # raw_tables and unpartitioned_models; orders_by_month_model
    for (_, end, step), (start, _, next_step) in itertools.pairwise(intervals):
        assert end <= start, f"{step} and {next_step} held the warehouse at the same time"

    assert model_rows(db) == expected_rows(db, "2018-01-01", "2018-05-01")
