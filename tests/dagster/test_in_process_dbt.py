"""dbt in the Dagster run's process (dagster_project/lib/in_process_dbt).

The oracle for the in-process runner is the dbt CLI itself: the same command
must succeed or fail alike with the same result events, and a Dagster run
must give the same rows whichever way dbt runs. The speed claims are checked
by what dbt leaves behind: a run that reused the manifest has no parse in its
dbt.log.
"""

from __future__ import annotations

import gc
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster_dbt import DagsterDbtCliRuntimeError

from dagster_project.defs.dbt import orders_by_month_model
from dagster_project.lib import settings
from dagster_project.lib.in_process_dbt import dbt_cli_resource
from dagster_project.lib.in_process_dbt.resource import InProcessDbtCliResource
from dagster_project.lib.project import DBT_PROJECT_DIR, REPO_ROOT, dbt_project
from harness.oracle import expected_rows, model_rows
from tests.conftest import own_copy
from tests.support.dagster import materialize, materialize_month
from tests.support.dbt import DBT, dbt_env
from tests.support.warehouse import TestWarehouse

# dbt writes these to dbt.log when it parses the project; with a reused manifest it does not.
PARSE_MARKERS = ("Unable to do partial parsing", "Partial parsing enabled", "Nothing changed")


def result_events(lines: list[dict]) -> list[tuple[str, str]]:
    """(event name, node status) of dbt's result events, in order."""
    names = {"LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult"}
    return [
        (line["info"]["name"], line["data"]["node_info"]["node_status"])
        for line in lines
        if line["info"]["name"] in names
    ]


def json_lines(output: str) -> list[dict]:
    events = []
    for line in output.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


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


@pytest.fixture
def reusable_db(
    built_template: TestWarehouse, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestWarehouse]:
    """A database the prepared manifest was parsed for: DuckDB names a database
    after its file, and the manifest names `jaffle_shop` in every relation."""
    yield from own_copy(built_template, "jaffle_shop", monkeypatch)


# --- success, failure and events, against the CLI ------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["build", "--select", "orders_by_month", "--vars", '{"partition_key": "2018-03-01"}'],
        ["build", "--select", "orders_by_month", "--vars", '{"partition_key": "2018-03-15"}'],
        ["not-a-command"],
    ],
    ids=["one-month", "bad-var", "unknown-command"],
)
def test_success_and_result_events_are_the_clis(
    db: TestWarehouse, second_db: TestWarehouse, args: list[str]
) -> None:
    cli = subprocess.run(
        [str(DBT), *args],
        cwd=DBT_PROJECT_DIR,
        env={**dbt_env(second_db), "DBT_LOG_FORMAT": "json"},
        capture_output=True,
        text=True,
    )
    invocation = InProcessDbtCliResource(project_dir=dbt_project).cli(args, raise_on_error=False)
    raw = [event.raw_event for event in invocation.stream_raw_events()]

    assert invocation.is_successful() == (cli.returncode == 0), (cli.stdout, cli.stderr)
    assert result_events(raw) == result_events(json_lines(cli.stdout))
    if args[0] == "build" and cli.returncode == 0:
        assert ("LogModelResult", "success") in result_events(raw)
        assert model_rows(db) == model_rows(second_db)
    else:  # the reason is in the error, as the CLI prints it
        error = str(invocation.get_error())
        assert ("2018-03-15" in error) == ("2018-03-15" in cli.stdout + cli.stderr)
        assert ("not-a-command" in error) == ("not-a-command" in cli.stdout + cli.stderr)
        with pytest.raises(DagsterDbtCliRuntimeError):
            InProcessDbtCliResource(project_dir=dbt_project).cli(args).wait()


def test_a_second_command_while_one_runs_is_refused(db: TestWarehouse) -> None:
    resource = InProcessDbtCliResource(project_dir=dbt_project)
    first = resource.cli(["parse"]).stream_raw_events()
    next(first)  # dbt is running
    try:
        with pytest.raises(RuntimeError, match="dbt is already running in this process"):
            resource.cli(["parse"]).wait()
    finally:
        for _ in first:
            pass
    # and once it has finished, the next one starts
    assert resource.cli(["parse"]).wait().is_successful()


SPIN_SQL = "select count(*) from range(1000000000000) a"


@pytest.fixture
def spin_project(tmp_path: Path) -> Path:
    """A dbt project whose one operation runs a DuckDB query for hours."""
    (tmp_path / "macros").mkdir()
    (tmp_path / "macros" / "spin.sql").write_text(
        f"{{% macro spin() %}}{{% do run_query('{SPIN_SQL}') %}}{{% endmacro %}}\n"
    )
    (tmp_path / "dbt_project.yml").write_text(
        "name: spin\nversion: '1.0'\nprofile: spin\nconfig-version: 2\n"
    )
    (tmp_path / "profiles.yml").write_text(
        "spin:\n  target: dev\n  outputs:\n    dev:\n"
        f"      type: duckdb\n      path: {tmp_path / 'spin.duckdb'}\n"
    )
    return tmp_path


def wait_for_the_statement(log: Path, timeout: float = 120) -> None:
    """Until dbt's log shows the spinning query started (then one more second)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and SPIN_SQL in log.read_text():
            time.sleep(1)
            return
        time.sleep(0.2)
    raise AssertionError(f"dbt never started the statement: {log}")


def test_an_interrupt_stops_dbt_inside_its_statement(spin_project: Path) -> None:
    """stop() (what an interrupt calls) cancels the running statement: dbt ends at once."""
    tmp_path = spin_project
    resource = InProcessDbtCliResource(project_dir=tmp_path, profiles_dir=str(tmp_path))
    invocation = resource.cli(["run-operation", "spin"], target_path=tmp_path / "target")
    stopped: list[float] = []

    def interrupt_once_inside() -> None:
        wait_for_the_statement(tmp_path / "target" / "dbt.log")
        stopped.append(time.monotonic())
        invocation.stop()

    stopper = threading.Thread(target=interrupt_once_inside)
    stopper.start()
    with pytest.raises(DagsterDbtCliRuntimeError):
        invocation.wait()
    stopper.join()

    assert stopped, "dbt never started the statement"
    assert time.monotonic() - stopped[0] < 30
    assert not invocation.is_successful()


# The child takes SIGINT as a terminal's process does (KeyboardInterrupt): a
# process started from a background job inherits SIGINT ignored, and Python
# then installs no handler, so a suite started in the background (nohup ... &)
# would have a child that never sees the Ctrl-C. Dagster's run worker installs
# its own handler too (`capture_interrupts`, dagster/_cli/api.py).
CTRL_C = """
import signal
import sys
from pathlib import Path

signal.signal(signal.SIGINT, signal.default_int_handler)
from dagster_project.lib.in_process_dbt.resource import InProcessDbtCliResource

project = Path(sys.argv[1])
resource = InProcessDbtCliResource(project_dir=project, profiles_dir=str(project))
try:
    resource.cli(["run-operation", "spin"], target_path=project / "target").wait()
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
"""


def test_ctrl_c_stops_the_process_promptly(spin_project: Path) -> None:
    """SIGINT (Ctrl-C, and how Dagster stops a run worker) reaches the thread that reads
    dbt's events as KeyboardInterrupt: the statement is cancelled and the process ends."""
    process = subprocess.Popen(
        [sys.executable, "-c", CTRL_C, str(spin_project)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_the_statement(spin_project / "target" / "dbt.log")
        interrupted = time.monotonic()
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    finally:
        process.kill()
    assert time.monotonic() - interrupted < 30, output
    assert process.returncode == 130, output
    assert "interrupted" in output and "Traceback" not in output, output


# --- through Dagster ---------------------------------------------------------


def test_a_new_month_runs_with_the_loaded_manifest_and_no_dbt_process(
    reusable_db: TestWarehouse,
    instance: dg.DagsterInstance,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    children = ChildProcesses(monkeypatch)

    for month in ("2018-03-01", "2018-04-01"):
        assert materialize_month(instance, month).success

    assert children.dbt() == []
    logs = [folder / "dbt.log" for folder in (tmp_path / "target").iterdir()]
    assert len(logs) == 2
    for log in logs:
        text = log.read_text()
        assert not any(marker in text for marker in PARSE_MARKERS), log
    assert model_rows(reusable_db) == expected_rows(reusable_db, "2018-03-01", "2018-05-01")


def test_a_manifest_for_another_database_is_not_used(
    db: TestWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manifest names `jaffle_shop` in its SQL; this database has another name, so
    dbt parses, and a re-run of the same month parses partially in its own folder."""
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


def test_in_process_dbt_off_gives_the_same_rows_from_a_dbt_child_process(
    db: TestWarehouse, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(settings.IN_PROCESS_DBT, "false")
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


EXECUTE_IN_PROCESS = """
import sys
import dagster as dg
from dagster_project.defs.dbt import orders_by_month_model
from dagster_project.definitions import defs

job = dg.Definitions(
    assets=[orders_by_month_model],
    resources=defs.resources,
    jobs=[dg.define_asset_job("months", selection="orders_by_month")],
).resolve_job_def("months")
for key in sys.argv[1:]:
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), partition_key=key)
    assert result.success, key
"""


def execute_in_process_output(db: TestWarehouse, target: Path) -> str:
    """Three partitions by `execute_in_process` with an ephemeral instance: its output."""
    result = subprocess.run(
        [sys.executable, "-c", EXECUTE_IN_PROCESS, "2018-03-01", "2018-04-01", "2018-05-01"],
        cwd=REPO_ROOT,
        env={**dbt_env(db), "DBT_TARGET_PATH": str(target)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-06-01")
    return output


def test_execute_in_process_prints_no_traceback(reusable_db: TestWarehouse, tmp_path: Path) -> None:
    """Dagster's documented way to test and to run from a notebook."""
    output = execute_in_process_output(reusable_db, tmp_path / "target")
    assert "Traceback" not in output, output[-5000:]


def test_execute_in_process_prints_no_traceback_when_dbt_parses(
    db: TestWarehouse, tmp_path: Path
) -> None:
    output = execute_in_process_output(db, tmp_path / "target")
    assert "Traceback" not in output, output[-5000:]


LEAK_WHILE_DBT_PARSES = """
import sys
from pathlib import Path
import sqlalchemy as sa
from dagster_project.lib.in_process_dbt.resource import InProcessDbtCliResource
from dagster_project.lib.project import dbt_project

# What an ephemeral Dagster instance holds: SQLite in memory, which sqlite3
# lets only its own thread close.
engine = sa.create_engine("sqlite://")

class Holder:
    pass

def leave_a_connection_for_the_collector():
    holder = Holder()
    holder.connection = engine.connect()
    holder.itself = holder  # a cycle: only the garbage collector frees it

invocation = InProcessDbtCliResource(project_dir=dbt_project).cli(
    ["parse"], target_path=Path(sys.argv[1])
)
for number, _ in enumerate(invocation.stream_raw_events()):
    if number == 0:  # dbt's thread is parsing now, and allocating
        leave_a_connection_for_the_collector()
assert invocation.is_successful()
"""


def test_garbage_of_the_runs_thread_is_collected_in_that_thread(tmp_path: Path) -> None:
    """A SQLite connection the run's thread left for the collector while dbt parses is
    finalised in the run's thread: without that, sqlite3 prints a traceback."""
    result = subprocess.run(
        [sys.executable, "-c", LEAK_WHILE_DBT_PARSES, str(tmp_path / "target")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "Traceback" not in output, output[-5000:]


def test_the_collector_is_back_on_after_a_command(tmp_path: Path) -> None:
    invocation = InProcessDbtCliResource(project_dir=dbt_project).cli(
        ["not-a-command"], raise_on_error=False, target_path=tmp_path / "target"
    )
    invocation.wait()
    assert not invocation.is_successful()
    assert gc.isenabled()
