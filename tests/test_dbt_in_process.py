"""dbt in the Dagster run's process (dagster_project/dbt_in_process.py).

The oracle for the in-process runner is the dbt CLI itself: the same command
must give the same return code, and a Dagster run must give the same rows
whichever way dbt runs.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

from dagster_project import dbt_in_process
from dagster_project.assets.dbt import monthly_dbt_models
from dagster_project.dbt_in_process import DbtProcess, child_environment
from dagster_project.definitions import defs
from dagster_project.resources import IN_PROCESS_ENV, FastDbtCliResource, dbt_in_process_setting
from tests.support import DBT, DBT_OUTPUT_DIR, DBT_PROJECT_DIR, expected_rows, model_rows


def dbt_env(db: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DUCKDB_PATH": str(db),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_TARGET_PATH": str(DBT_OUTPUT_DIR),
        "DBT_LOG_PATH": str(DBT_OUTPUT_DIR / "logs"),
    }


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

    def dbt(self) -> list[list[str]]:
        return [c for c in self.commands if Path(c[0]).name == "dbt"]


# --- the setting ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), ("", True), ("true", True), ("1", True), ("false", False), ("0", False)],
)
def test_in_process_setting(value: str | None, expected: bool) -> None:
    environ = {} if value is None else {IN_PROCESS_ENV: value}
    assert dbt_in_process_setting(environ) is expected


def test_bad_in_process_setting_names_the_value() -> None:
    with pytest.raises(ValueError, match="DBT_IN_PROCESS='maybe': expected true or false"):
        dbt_in_process_setting({IN_PROCESS_ENV: "maybe"})


def test_the_project_resource_runs_dbt_in_process() -> None:
    resource = defs.resources["dbt"]
    assert isinstance(resource, FastDbtCliResource)
    assert resource.runs_dbt_in_process()
    # Another executable than this environment's dbt keeps the child process.
    elsewhere = shutil.which("true")
    assert elsewhere is not None
    other = FastDbtCliResource(project_dir=resource.project_dir, dbt_executable=elsewhere)
    assert not other.runs_dbt_in_process()


def test_dagster_dbt_still_starts_dbt_through_its_modules_subprocess_name() -> None:
    """dbt_in_this_process() swaps this name; an upgrade that stops using it must fail here."""
    source = inspect.getsource(DbtCliInvocation.run)
    assert "subprocess.Popen(" in source
    import dagster_dbt.core.dbt_cli_invocation as module

    with dbt_in_process.dbt_in_this_process():
        assert module.subprocess.Popen is DbtProcess
    assert module.subprocess is subprocess


# --- the environment a child would have had --------------------------------


def test_child_environment_is_the_difference_with_relative_paths_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEPT", "same")
    monkeypatch.setenv("DROPPED", "x")
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    (tmp_path / "profiles.yml").write_text("")
    env = {k: v for k, v in os.environ.items() if k != "DROPPED"}
    env.update({"DBT_TARGET_PATH": "target/abc", "DBT_LOG_FORMAT": "json"})

    changes = child_environment(env, tmp_path)

    assert changes == {
        "DROPPED": None,
        "DBT_TARGET_PATH": str(tmp_path / "target" / "abc"),
        "DBT_LOG_FORMAT": "json",
        # a dbt child started in tmp_path would find profiles.yml there
        "DBT_PROFILES_DIR": str(tmp_path),
    }


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
def test_return_code_is_the_clis(db: Path, args: list[str]) -> None:
    env = {**dbt_env(db), "DBT_LOG_FORMAT": "json"}
    cli = subprocess.run(
        [str(DBT), *args], cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True
    )
    process = DbtProcess([str(DBT), *args], env=env, cwd=DBT_PROJECT_DIR)
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


def test_environment_is_restored_after_the_command(db: Path) -> None:
    before = dict(os.environ)
    env = {**dbt_env(db), "DBT_LOG_FORMAT": "json", "ONLY_FOR_DBT": "1"}
    process = DbtProcess([str(DBT), "parse"], env=env, cwd=DBT_PROJECT_DIR)
    process.stdout.read()
    assert process.wait(timeout=120) == 0
    assert dict(os.environ) == before


def test_a_second_command_while_one_runs_is_refused(db: Path) -> None:
    first = DbtProcess([str(DBT), "parse"], env=dbt_env(db), cwd=DBT_PROJECT_DIR)
    try:
        with pytest.raises(RuntimeError, match="dbt is already running in this process"):
            DbtProcess([str(DBT), "parse"], env=dbt_env(db), cwd=DBT_PROJECT_DIR)
    finally:
        first.stdout.read()
        assert first.wait(timeout=120) == 0
    # and once it has finished, the next one starts
    second = DbtProcess([str(DBT), "--version"], env=dbt_env(db), cwd=DBT_PROJECT_DIR)
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
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_LOG_FORMAT": "json"}
    env["DBT_TARGET_PATH"] = str(tmp_path / "target")
    process = DbtProcess([str(DBT), "run-operation", "spin"], env=env, cwd=tmp_path)
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
    assert dict(os.environ).get("DBT_TARGET_PATH") != env["DBT_TARGET_PATH"]


# --- through Dagster ---------------------------------------------------------


def test_a_partition_run_starts_no_dbt_process(
    db: Path, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    children = ChildProcesses(monkeypatch)
    result = dg.materialize(
        [monthly_dbt_models],
        partition_key="2018-03-01",
        resources=defs.resources,
        instance=instance,
    )
    assert result.success
    assert children.dbt() == []
    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")


def test_the_child_process_path_gives_the_same_rows(
    db: Path, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    children = ChildProcesses(monkeypatch)
    project_dir = defs.resources["dbt"].project_dir
    child = FastDbtCliResource(project_dir=project_dir, in_process=False)
    result = dg.materialize(
        [monthly_dbt_models],
        partition_key="2018-03-01",
        resources={"dbt": child},
        instance=instance,
    )
    assert result.success
    assert len(children.dbt()) == 1
    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")
