"""The local Spark cluster itself: distribution, concurrent runs, and faults mid-run.

All on the session's cluster (tests/conftest.py, `spark_cluster`), through
Dagster as `dg launch` processes (each run its own process, as under the
daemon), with expected numbers from Spark SQL over the raw tables through the
same server. A fault test kills one piece with SIGKILL and starts it again
with the project's command (`Cluster.start` starts the pieces that are not
running), so the next test finds the cluster whole.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.lib.project import REPO_ROOT
from dagster_project.lib.warehouse import set_pool_limit, warehouse
from harness.dg_dev import DG, new_dagster_home
from harness.oracle import expected_rows, model_rows
from harness.ports import free_ports
from scripts.spark_cluster import Cluster
from tests.support.dagster_dev import dagster_env
from tests.support.dbt import dbt_vars, run_dbt
from tests.support.spark_thrift import SparkThriftTestWarehouse
from tests.support.warehouse import TestWarehouse

pytestmark = [pytest.mark.spark_cluster, pytest.mark.spark(session=False)]

THRIFT_APP = "Thrift JDBC/ODBC Server"


def thrift_app_id(cluster: Cluster) -> str:
    """The Thrift server's application id, from the master's JSON."""
    state = cluster.master_state()
    assert state is not None, "the master's UI does not answer"
    apps = [app["id"] for app in state["activeapps"] if app["name"] == THRIFT_APP]
    assert len(apps) == 1, state["activeapps"]
    return apps[0]


def test_two_workers_alive_and_the_server_has_executors_on_both(
    spark_cluster: Cluster, db: TestWarehouse
) -> None:
    state = spark_cluster.master_state()
    assert state is not None
    assert state["status"] == "ALIVE"
    assert state["aliveworkers"] == 2
    alive = [w for w in state["workers"] if w["state"] == "ALIVE"]
    assert {w["webuiaddress"].rsplit(":", 1)[1] for w in alive} == {
        str(port) for port in spark_cluster.worker_ui_ports
    }
    app = thrift_app_id(spark_cluster)
    for index in (0, 1):
        worker = spark_cluster.worker_state(index)
        assert worker is not None
        assert [e["appid"] for e in worker["executors"]] == [app]
    # A second application still finds a core and memory on each worker.
    assert all(w["coresfree"] >= 1 and w["memoryfree"] >= 512 for w in alive)
    # And the server answers with the raw tables' numbers.
    assert db.query("select count(*) as n from raw_orders") == [{"n": 5000}]


def launch(db: TestWarehouse, home: Path, *args: str) -> subprocess.Popen[str]:
    """`dg launch <args>` on `db` with the instance at `home`, in its own process."""
    return subprocess.Popen(
        [str(DG), "launch", *args],
        cwd=REPO_ROOT,
        env=dagster_env(home, db),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def month_run(db: TestWarehouse, home: Path, first: str, last: str) -> subprocess.Popen[str]:
    """One Dagster run of orders_by_month over the months first..last."""
    return launch(db, home, "--assets", "orders_by_month", "--partition-range", f"{first}...{last}")


def dagster_home(tmp_path: Path, db: TestWarehouse) -> Path:
    """A DAGSTER_HOME whose `warehouse` pool has this target's limit, its storage created once."""
    home = new_dagster_home(tmp_path / "dagster_home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert set_pool_limit(instance, {**os.environ, **db.env}) == 2
    return home


def step_intervals(home: Path) -> list[tuple[float, float]]:
    """(start, end) of every orders_by_month step of the instance's runs."""
    intervals = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for record in instance.get_run_records():
            events = instance.all_logs(
                record.dagster_run.run_id,
                of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS},
            )
            times = sorted(e.timestamp for e in events)
            intervals.append((times[0], times[-1]))
    return intervals


def test_runs_of_different_months_at_once_both_succeed(db: TestWarehouse, tmp_path: Path) -> None:
    # The table exists (August is outside both runs): two first runs would
    # both `create table`, and the second fails, as on Postgres.
    run_dbt(["run", "--select", "orders_by_month", *dbt_vars(partition_key="2018-08-01")], db)
    home = dagster_home(tmp_path, db)
    runs = [
        month_run(db, home, "2018-01-01", "2018-03-01"),
        month_run(db, home, "2018-04-01", "2018-06-01"),
    ]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output[-5000:]

    (start_a, end_a), (start_b, end_b) = step_intervals(home)
    # The pool's limit of 2 let the two steps write at the same time.
    assert start_a < end_b and start_b < end_a, "the two runs' steps took turns"
    assert model_rows(db) == {
        **expected_rows(db, "2018-01-01", "2018-07-01"),
        **expected_rows(db, "2018-08-01", "2018-09-01"),
    }


def wait_for_step_start(home: Path, run: subprocess.Popen[str], timeout: float = 300) -> None:
    """Return once the run's orders_by_month step has started (read from the instance)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert run.poll() is None, run.communicate()[0][-5000:]
        with dg.DagsterInstance.from_config(str(home)) as instance:
            for record in instance.get_run_records():
                started = instance.all_logs(
                    record.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_START
                )
                if started:
                    return
        time.sleep(0.5)
    raise AssertionError("the run's step did not start in time")


def wait_for_write(cluster: Cluster, db: TestWarehouse, timeout: float = 120) -> None:
    """Return once Spark stages orders_by_month's new files (its insert overwrite writes),
    or after `timeout` (the run is under way anyway)."""
    assert isinstance(db, SparkThriftTestWarehouse)
    table = cluster.folder / "warehouse" / f"{db.schema}.db" / "orders_by_month"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not any(table.glob(".spark-staging-*")):
        time.sleep(0.05)


def kill_group(cluster: Cluster, piece: str) -> None:
    """SIGKILL a piece and what it started (a worker's executor), as a lost machine."""
    pid = cluster.pid(piece)
    assert pid is not None, f"{piece} is not running"
    os.killpg(pid, signal.SIGKILL)


def assert_months_correct_where_written(db: TestWarehouse, first: str, end: str) -> None:
    """Every month the table holds is whole and right: none half-written, none twice."""
    expected = expected_rows(db, first, end)
    for month, row in model_rows(db).items():
        assert row == expected[month], month


FIRST, LAST, END = "2018-01-01", "2019-12-01", "2020-01-01"  # 24 months in one run


def run_and_kill(
    cluster: Cluster, db: TestWarehouse, tmp_path: Path, piece: str
) -> tuple[int, str, Path]:
    """A 24-month Dagster run of orders_by_month with `piece` killed while Spark writes;
    the piece is started again after. Returns the run's exit code, output and DAGSTER_HOME."""
    # orders_by_month exists, with February: the run overwrites its partitions.
    run_dbt(["run", "--select", "orders_by_month", *dbt_vars(partition_key="2018-02-01")], db)
    home = dagster_home(tmp_path, db)
    run = month_run(db, home, FIRST, LAST)
    try:
        wait_for_step_start(home, run)
        wait_for_write(cluster, db)
        kill_group(cluster, piece)
        output = run.communicate(timeout=600)[0]
    finally:
        cluster.start(say=lambda _line: None)
    return run.returncode, output, home


def assert_rerun_is_correct(db: TestWarehouse, home: Path) -> None:
    rerun = month_run(db, home, FIRST, LAST)
    output = rerun.communicate(timeout=600)[0]
    assert rerun.returncode == 0, output[-5000:]
    assert model_rows(db) == expected_rows(db, FIRST, END)


def test_a_worker_killed_mid_run_then_a_rerun_is_correct(
    spark_cluster: Cluster, db: TestWarehouse, tmp_path: Path
) -> None:
    returncode, output, home = run_and_kill(spark_cluster, db, tmp_path, "worker-2")
    if returncode == 0:
        # Spark ran the lost executor's tasks again on the other worker.
        assert model_rows(db) == expected_rows(db, FIRST, END)
    else:
        assert "orders_by_month" in output, output[-5000:]
        assert_months_correct_where_written(db, FIRST, END)
    assert_rerun_is_correct(db, home)


def test_the_server_killed_mid_run_fails_in_one_sentence_then_a_rerun_is_correct(
    spark_cluster: Cluster, db: TestWarehouse, tmp_path: Path
) -> None:
    returncode, output, home = run_and_kill(spark_cluster, db, tmp_path, "thrift")
    assert returncode != 0, output[-5000:]
    assert (
        f"The Spark Thrift server at {spark_cluster.thrift_address} does not answer: start it "
        "(`scripts/spark-cluster start` for the local cluster)"
    ) in output, output[-5000:]
    # The killed run left no month half-written, none twice.
    assert_months_correct_where_written(db, FIRST, END)
    assert_rerun_is_correct(db, home)


def test_no_server_is_one_sentence_with_the_address_and_the_start_command(
    db: TestWarehouse, tmp_path: Path
) -> None:
    # A port where nothing listens (the session's cluster keeps its own).
    (port,) = free_ports(1)
    env = {**os.environ, **db.env, "SPARK_THRIFT_PORT": str(port)}
    target = warehouse(env)
    sentence = (
        f"The Spark Thrift server at 127.0.0.1:{port} does not answer: start it "
        "(`scripts/spark-cluster start` for the local cluster) or point SPARK_THRIFT_HOST "
        "and SPARK_THRIFT_PORT at a running one, and re-execute this run."
    )
    assert not target.has_table("raw_orders")
    with pytest.raises(Exception, match=r"^The Spark Thrift server at 127\.0\.0\.1:\d+ does"):
        target.store_ids()

    home = new_dagster_home(tmp_path / "dagster_home")
    run = subprocess.run(
        [str(DG), "launch", "--assets", "orders_by_month", "--partition", "2018-03-01"],
        cwd=REPO_ROOT,
        env={**dagster_env(home, db), "SPARK_THRIFT_PORT": str(port)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode != 0
    assert sentence in run.stdout + run.stderr, (run.stdout + run.stderr)[-5000:]
    # Nothing was written to the schema on the real server.
    assert not db.table_exists("orders_by_month")
