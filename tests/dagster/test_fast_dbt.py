"""dbt in the Dagster run's process, and a target folder per set of vars (lib/fast_dbt.py).

The oracle for the in-process runner is the dbt CLI itself: the same command
must give the same return code and the same dbt events, and a Dagster run
must give the same rows whichever way dbt runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.defs.dbt import orders_by_month_model
from dagster_project.lib import settings
from dagster_project.lib.fast_dbt import DbtRunnerPopen, dbt_cli_resource
from dagster_project.lib.project import DBT_PROJECT_DIR, dbt_project
from tests.support.dagster import materialize, materialize_month
from tests.support.dbt import DBT, dbt_env
from tests.support.expected import expected_rows, model_rows
from tests.support.warehouse import TestWarehouse


def event_names(output: str) -> list[str]:
    """The names of dbt's JSON log events in `output`, in order."""
    names = []
    for line in output.splitlines():
        try:
            name = json.loads(line)["info"]["name"]
            if "Pars" not in name:
                names.append(name)
        except (ValueError, KeyError, TypeError):
            continue
    return names


class ChildProcesses:
    """Records every command started with subprocess.Popen, and still starts it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.commands: list[list[str]] = []
        real = subprocess.Popen
        recorder = self

        class Recording(real):  # type: ignore[misc, valid-type]
            def __init__(self, args, *rest, **kwargs):
                command = [args] if isinstance(args, str) else [str(a) for a in args]
                recorder.commands.append(command)
                super().__init__(args, *rest, **kwargs)

        monkeypatch.setattr(subprocess, "Popen", Recording)

    def dbt(self, command: str | None = None) -> list[list[str]]:
        """The dbt processes started (only `dbt <command>` ones, if given)."""
        return [c for c in self.commands if Path(c[0]).name == "dbt" and command in (None, *c[1:])]


# --- return codes and output, against the CLI --------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["not-a-command"],
        ["run", "--select", "orders_by_month", "--vars", '{"partition_key": "2018-03-15"}'],
        ["run", "--select", "orders_by_month", "--vars", '{"partition_key": "2018-03-01"}'],
    ],
    ids=["version", "unknown-command", "bad-var", "one-month"],
)
def test_return_code_and_events_are_the_clis(db: TestWarehouse, args: list[str]) -> None:
    env = {**dbt_env(db), "DBT_LOG_FORMAT": "json"}
    cli = subprocess.run(
        [str(DBT), *args], cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True
    )
    process = DbtRunnerPopen([str(DBT), *args], env=env, cwd=DBT_PROJECT_DIR)
    output = process.stdout.read().decode()
    assert process.wait(timeout=120) == cli.returncode, (output, cli.stdout, cli.stderr)
    # the same dbt events, in the same order, as the CLI prints (whether dbt
    # could parse partially depends on what ran before)
    assert event_names(output) == event_names(cli.stdout)
    if args[-1].endswith('-01"}'):
        assert "LogModelResult" in event_names(output)
    if cli.returncode != 0:  # the reason is in the output, as the CLI prints it
        assert ("2018-03-15" in output) == ("2018-03-15" in cli.stdout + cli.stderr)
        assert ("not-a-command" in output) == ("not-a-command" in cli.stdout + cli.stderr)


def test_environment_is_restored_after_the_command(db: TestWarehouse) -> None:
    before = dict(os.environ)
    env = {**dbt_env(db), "DBT_LOG_FORMAT": "json", "ONLY_FOR_DBT": "1"}
    process = DbtRunnerPopen([str(DBT), "parse"], env=env, cwd=DBT_PROJECT_DIR)
    process.stdout.read()
    assert process.wait(timeout=120) == 0
    assert dict(os.environ) == before


def test_a_second_command_while_one_runs_is_refused(db: TestWarehouse) -> None:
    first = DbtRunnerPopen([str(DBT), "parse"], env=dbt_env(db), cwd=DBT_PROJECT_DIR)
    try:
        with pytest.raises(RuntimeError, match="dbt is already running in this process"):
            DbtRunnerPopen([str(DBT), "parse"], env=dbt_env(db), cwd=DBT_PROJECT_DIR)
    finally:
        first.stdout.read()
        assert first.wait(timeout=120) == 0
    # and once it has finished, the next one starts
    second = DbtRunnerPopen([str(DBT), "--version"], env=dbt_env(db), cwd=DBT_PROJECT_DIR)
    second.stdout.read()
    assert second.wait(timeout=60) == 0


def test_an_interrupt_stops_dbt(tmp_path: Path) -> None:
    """SIGINT reaches dbt as KeyboardInterrupt: the command ends, non-zero."""
    (tmp_path / "macros").mkdir()
    (tmp_path / "macros" / "spin.sql").write_text(
        "{% macro spin() %}{% for i in range(100000) %}{% for j in range(100000) %}"
        "{% endfor %}{% endfor %}{% endmacro %}\n"
    )
    (tmp_path / "dbt_project.yml").write_text(
        "name: spin\nversion: '1.0'\nprofile: spin\nconfig-version: 2\n"
    )
    (tmp_path / "profiles.yml").write_text(
        "spin:\n  target: dev\n  outputs:\n    dev:\n"
        f"      type: duckdb\n      path: {tmp_path / 'spin.duckdb'}\n"
    )
    env = {**os.environ, "DBT_LOG_FORMAT": "json", "DBT_TARGET_PATH": str(tmp_path / "target")}
    process = DbtRunnerPopen([str(DBT), "run-operation", "spin"], env=env, cwd=tmp_path)
    lines = []
    for line in process.stdout:  # until dbt is inside the macro
        lines.append(line.decode())
        if "Registered adapter" in lines[-1] or "spin" in lines[-1]:
            break
    time.sleep(1)
    assert process.poll() is None, lines
    began = time.monotonic()
    process.send_signal(signal.SIGINT)
    lines += [line.decode() for line in process.stdout]
    assert process.wait(timeout=60) != 0
    assert time.monotonic() - began < 30
    assert os.environ.get("DBT_TARGET_PATH") != env["DBT_TARGET_PATH"]


# --- through Dagster ---------------------------------------------------------


def test_a_partition_run_starts_no_dbt_process(
    db: TestWarehouse, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    children = ChildProcesses(monkeypatch)

    assert materialize_month(instance, "2018-03-01").success

    assert children.dbt() == []
    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")


def test_fast_dbt_off_gives_the_same_rows_from_a_dbt_child_process(
    db: TestWarehouse, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(settings.FAST_DBT, "false")
    children = ChildProcesses(monkeypatch)

    result = materialize(
        orders_by_month_model,
        instance,
        partition_key="2018-03-01",
        resources={"dbt": dbt_cli_resource(dbt_project)},
    )

    assert result.success
    # dagster-dbt's own resource also asks `dbt --version`; one dbt builds.
    assert len(children.dbt("build")) == 1
    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")


def test_target_folders_stay_bounded_over_many_runs(
    db: TestWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five partition runs leave at most the configured two dbt target folders."""
    target = tmp_path / "target"
    monkeypatch.setenv("DBT_TARGET_PATH", str(target))
    monkeypatch.setenv(settings.KEEP_TARGETS, "2")
    keys = ["2018-01-01", "2018-02-01", "2018-03-01", "2018-04-01", "2018-05-01"]
    with dg.instance_for_test() as instance:
        for key in keys:
            assert materialize_month(instance, key).success

    folders = [p for p in target.iterdir() if p.is_dir()]
    assert len(folders) == 2, folders
    assert model_rows(db) == expected_rows(db, "2018-01-01", "2018-06-01")


def test_a_rerun_of_the_same_month_parses_partially(
    db: TestWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second run of a window reuses its folder's partial_parse.msgpack."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    with dg.instance_for_test() as instance:
        for _ in range(2):
            assert materialize_month(instance, "2018-03-01").success
    (folder,) = (tmp_path / "target").iterdir()
    log = (folder / "dbt.log").read_text()
    # dbt.log holds both runs: the first parses in full, the second does not.
    assert log.count("Unable to do partial parsing") == 1
    assert "Nothing changed, skipping partial parsing" in log
    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")
