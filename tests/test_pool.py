"""One DuckDB writer at a time: the `duckdb` pool serializes steps across runs."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from tests.support import REPO_ROOT, expected_rows, model_rows

DAGSTER = Path(sys.executable).with_name("dagster")


def test_concurrent_runs_take_turns_on_the_duckdb_file(db: Path, tmp_path: Path) -> None:
    """A backfill and a full rebuild launched at once both succeed, one step after the other."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    # Create the instance's storage once, as `dagster dev` would: two processes
    # creating fresh SQLite storage at the same moment race on its migrations.
    dg.DagsterInstance.from_config(str(home)).dispose()
    env = {**os.environ, "DAGSTER_HOME": str(home), "DUCKDB_PATH": str(db)}
    module = ["-m", "dagster_project.definitions"]
    commands = [
        [str(DAGSTER), "asset", "materialize", *module, "--select", "orders_by_month",
         "--partition-range", "2018-01-01...2018-06-01"],
        [str(DAGSTER), "job", "execute", *module, "-j", "warehouse"],
    ]  # fmt: skip
    processes = [
        subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
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
    assert [step for *_, step in intervals].count("monthly_dbt_models") == 1
    assert len(intervals) == 3  # raw_tables and dbt_models; monthly_dbt_models
    for (_, end, step), (start, _, next_step) in itertools.pairwise(intervals):
        assert end <= start, f"{step} and {next_step} held the DuckDB file at the same time"

    assert model_rows(db) == expected_rows(db, "2018-01-01", "2018-07-01")
