"""A local Spark standalone cluster from pyspark: a master, two workers, the Thrift server.

    scripts/spark-cluster start|stop|status
    python -m scripts.spark_cluster start|stop|status

The `spark_thrift` dbt target (DBT_TARGET=spark_thrift) talks to the Thrift
server this starts. The pyspark wheel ships `spark-class` and `spark-submit`
but none of Spark's `sbin/start-*.sh` scripts, so each piece is started by its
class, with SPARK_HOME the pyspark package folder:

    master         org.apache.spark.deploy.master.Master
    worker (x2)    org.apache.spark.deploy.worker.Worker
    Thrift server  spark-submit --class org.apache.spark.sql.hive.thriftserver.HiveThriftServer2

Every port binds 127.0.0.1 (SPARK_LOCAL_IP, --host, the server's bind host):
the local server's authentication is NONE, so only this machine may reach it.
Everything the cluster writes is under SPARK_CLUSTER_DIR (default
data/spark-cluster under the repository root): logs/, pids/, the workers'
work/ folders, warehouse/ (the tables), metastore_db/ (Derby, held by the
Thrift server alone) and raw/ (the raw tables' parquet, written by Dagster,
read by every worker; SPARK_RAW_DATA_DIR moves it).

Cores: each worker offers SPARK_WORKER_CORES scheduling slots (2) and
SPARK_WORKER_MEMORY (1g). The Thrift server takes SPARK_THRIFT_CORES (2) in
executors of 1 core and 512m, which the master spreads one per worker; that
leaves 1 slot and 512m on each worker for a second application (a
spark-submit job, a notebook on the master). Slots are not physical cores:
on this 2-core machine they share the CPUs. docs/spark-cluster.md says more.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.ports import free_ports

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
THRIFT_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
START_COMMAND = "scripts/spark-cluster start"
# The JIT and GC flags halve a JVM's start-up on a small machine.
JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
# On the Thrift server's classpath: closing a session can build a Hive client,
# which initialises Hive's function registry, which needs a class of
# hive-llap-common, a jar the pyspark 4 wheel lacks. scripts/bootstrap puts it
# beside the pyspark it completes (docs/spark-cluster.md).
HIVE_LLAP_COMMON = Path(sys.prefix) / "spark-jars" / "hive-llap-common-2.3.9.jar"


def _setting(environ: Mapping[str, str], name: str, default: str) -> str:
    return (environ.get(name) or "").strip() or default


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    value = _setting(environ, name, str(default))
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ValueError(f"{name}={value!r}: expected a TCP port number, 1 to 65535.")
    return int(value)


def _path(environ: Mapping[str, str], name: str, default: str) -> Path:
    path = Path(_setting(environ, name, default))
    return path if path.is_absolute() else ROOT / path


@dataclass(frozen=True)
class Cluster:
    """Where a cluster lives and which ports it uses; all from the environment."""

    folder: Path
    raw_dir: Path
    master_port: int = 7077
    master_ui_port: int = 8080
    worker_ui_ports: tuple[int, int] = (8081, 8082)
    thrift_port: int = 10000
    worker_cores: int = 2
    worker_memory: str = "1g"
    thrift_cores: int = 2

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> Cluster:
        """The cluster the settings describe (docs/settings.md, "Spark cluster")."""
        folder = _path(environ, "SPARK_CLUSTER_DIR", "data/spark-cluster")
        cores = {
            name: _setting(environ, name, default)
            for name, default in (("SPARK_WORKER_CORES", "2"), ("SPARK_THRIFT_CORES", "2"))
        }
        for name, value in cores.items():
            if not value.isdigit() or int(value) < 1:
                raise ValueError(f"{name}={value!r}: expected a whole number of cores, 1 or more.")
        return cls(
            folder=folder,
            raw_dir=_path(environ, "SPARK_RAW_DATA_DIR", str(folder / "raw")),
            master_port=_port(environ, "SPARK_MASTER_PORT", 7077),
            master_ui_port=_port(environ, "SPARK_MASTER_WEBUI_PORT", 8080),
            worker_ui_ports=(
                _port(environ, "SPARK_WORKER1_WEBUI_PORT", 8081),
                _port(environ, "SPARK_WORKER2_WEBUI_PORT", 8082),
            ),
            thrift_port=_port(environ, "SPARK_THRIFT_PORT", 10000),
            worker_cores=int(cores["SPARK_WORKER_CORES"]),
            worker_memory=_setting(environ, "SPARK_WORKER_MEMORY", "1g"),
            thrift_cores=int(cores["SPARK_THRIFT_CORES"]),
        )

    @classmethod
    def on_free_ports(cls, folder: Path) -> Cluster:
        """A cluster in `folder` (raw data in its raw/) on ports free on loopback now, not
        started: what the tests and the benchmark start beside anything else running."""
        master, master_ui, ui_1, ui_2, thrift = free_ports(5)
        return cls(
            folder=folder,
            raw_dir=folder / "raw",
            master_port=master,
            master_ui_port=master_ui,
            worker_ui_ports=(ui_1, ui_2),
            thrift_port=thrift,
        )

    # --- where things are -------------------------------------------------

    @property
    def master_url(self) -> str:
        return f"spark://{HOST}:{self.master_port}"

    @property
    def master_ui(self) -> str:
        return f"http://{HOST}:{self.master_ui_port}"

    @property
    def thrift_address(self) -> str:
        return f"{HOST}:{self.thrift_port}"

    def pid_file(self, piece: str) -> Path:
        return self.folder / "pids" / f"{piece}.pid"

    def log_file(self, piece: str) -> Path:
        return self.folder / "logs" / f"{piece}.log"

    @property
    def pieces(self) -> list[str]:
        """Names of the processes, in start order."""
        return ["master", "worker-1", "worker-2", "thrift"]

    # --- what runs ----------------------------------------------------------

    def pid(self, piece: str) -> int | None:
        """The piece's process id if that process still runs, else None."""
        try:
            pid = int(self.pid_file(piece).read_text())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _alive(pid) else None

    def master_state(self) -> dict | None:
        """The master's JSON (its UI's /json/; without the slash it redirects), or None."""
        return _get_json(f"{self.master_ui}/json/")

    def worker_state(self, index: int) -> dict | None:
        """Worker `index`'s (0 or 1) JSON from its UI, or None."""
        return _get_json(f"http://{HOST}:{self.worker_ui_ports[index]}/json/")

    def thrift_answers(self) -> bool:
        """Whether the Thrift server accepts a TCP connection."""
        try:
            with socket.create_connection((HOST, self.thrift_port), timeout=2):
                return True
        except OSError:
            return False

    def select_one(self) -> bool:
        """Whether the Thrift server answers `select 1` through PyHive (dbt-spark's client)."""
        from pyhive import hive

        try:
            with hive.connect(host=HOST, port=self.thrift_port, username="spark-cluster") as con:
                cursor = con.cursor()
                cursor.execute("select 1")
                return cursor.fetchall() == [(1,)]
        except Exception:  # not up yet: any transport or server error means "not yet"
            return False

    # --- start and stop -----------------------------------------------------

    def environment(self) -> dict[str, str]:
        """The Java processes' environment: SPARK_HOME = the pyspark package, loopback only."""
        import pyspark

        env = dict(os.environ)
        env.update(
            SPARK_HOME=str(Path(pyspark.__file__).parent),
            SPARK_LOCAL_IP=HOST,
            SPARK_LOG_DIR=str(self.folder / "logs"),
            SPARK_PID_DIR=str(self.folder / "pids"),
            # The pieces' own settings come from the command line, never a
            # spark-defaults.conf or SPARK_CONF_DIR of the user's.
            SPARK_CONF_DIR=str(self.folder / "conf"),
        )
        env.pop("SPARK_DAEMON_MEMORY", None)
        return env

    def commands(self) -> dict[str, tuple[list[str], dict[str, str]]]:
        """Each piece's command line and extra environment."""
        import pyspark

        bin_dir = Path(pyspark.__file__).parent / "bin"
        # Master and workers are small daemons; the Thrift server's driver
        # must NOT get SPARK_DAEMON_MEMORY (its driver then fails with
        # "Insufficient driver memory"): --driver-memory sizes it.
        daemon = {"SPARK_DAEMON_MEMORY": "256m", "SPARK_DAEMON_JAVA_OPTS": JAVA_OPTIONS}
        master = daemon | {
            # Its REST submission server would take port 6066 on every
            # cluster of the machine; spark-submit uses the master's port.
            "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",
        }
        commands = {
            "master": (
                [
                    str(bin_dir / "spark-class"),
                    MASTER_CLASS,
                    "--host",
                    HOST,
                    "--port",
                    str(self.master_port),
                    "--webui-port",
                    str(self.master_ui_port),
                ],
                master,
            ),
        }
        for index, ui_port in enumerate(self.worker_ui_ports, start=1):
            commands[f"worker-{index}"] = (
                [
                    str(bin_dir / "spark-class"),
                    WORKER_CLASS,
                    "--host",
                    HOST,
                    "--cores",
                    str(self.worker_cores),
                    "--memory",
                    self.worker_memory,
                    "--webui-port",
                    str(ui_port),
                    "--work-dir",
                    str(self.folder / "work" / f"worker-{index}"),
                    self.master_url,
                ],
                daemon,
            )
        warehouse = self.folder / "warehouse"
        llap = ["--driver-class-path", str(HIVE_LLAP_COMMON)] if HIVE_LLAP_COMMON.exists() else []
        commands["thrift"] = (
            [
                str(bin_dir / "spark-submit"),
                "--class",
                THRIFT_CLASS,
                *llap,
                "--name",
                "Thrift JDBC/ODBC Server",
                "--master",
                self.master_url,
                "--driver-memory",
                "768m",
                "--executor-memory",
                "512m",
                "--executor-cores",
                "1",
                "--total-executor-cores",
                str(self.thrift_cores),
                "--conf",
                f"spark.driver.host={HOST}",
                "--conf",
                f"spark.driver.bindAddress={HOST}",
                "--conf",
                f"spark.sql.warehouse.dir={warehouse}",
                "--conf",
                f"spark.driver.extraJavaOptions=-Dderby.system.home={self.folder} {JAVA_OPTIONS}",
                "--conf",
                f"spark.executor.extraJavaOptions={JAVA_OPTIONS}",
                # Small data on a small machine: 2 shuffle partitions, not 200.
                "--conf",
                "spark.sql.shuffle.partitions=2",
                # Its own UI would take port 4040 (or the next free one): the
                # master's UI shows the application.
                "--conf",
                "spark.ui.enabled=false",
                "--hiveconf",
                f"hive.server2.thrift.port={self.thrift_port}",
                "--hiveconf",
                f"hive.server2.thrift.bind.host={HOST}",
                # Statements run as the server's own user, not as each
                # client's name (auth is NONE: a name proves nothing).
                "--hiveconf",
                "hive.server2.enable.doAs=false",
                # Its per-session logs and scratch files in the cluster's
                # folder, not in /tmp/<user> shared by every server here.
                "--hiveconf",
                f"hive.server2.logging.operation.log.location={self.folder / 'logs' / 'hive'}",
                "--hiveconf",
                f"hive.exec.scratchdir={self.folder / 'scratch'}",
                "--hiveconf",
                f"hive.exec.local.scratchdir={self.folder / 'scratch' / 'local'}",
                # A fixed name for the spark-internal primary resource.
                "spark-internal",
            ],
            {},
        )
        return commands

    def _launch(self, piece: str, command: list[str], extra: dict[str, str]) -> None:
        env = self.environment() | extra
        log = self.log_file(piece).open("ab")
        # Its own session: `stop` can end the piece and what it started (a
        # worker's executors) together by the process group, and a Ctrl-C in
        # the shell that ran `start` does not reach the cluster. Each script
        # `exec`s Java, so this pid is the JVM's.
        process = subprocess.Popen(
            command,
            cwd=self.folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid_file(piece).write_text(str(process.pid))

    def start(self, timeout: float = 180.0, say=print) -> bool:
        """Start the pieces that are not running; wait for the server; True if it was already up."""
        running = {piece: self.pid(piece) for piece in self.pieces}
        if all(running.values()) and self.thrift_answers():
            return True
        for folder in ("logs", "pids", "conf", "warehouse", "work", "scratch/local"):
            (self.folder / folder).mkdir(parents=True, exist_ok=True)
        self.raw_dir.mkdir(parents=True, exist_ok=True)
        busy = [
            port for piece, port in self._ports().items() if not running.get(piece) and _taken(port)
        ]
        if busy:
            raise RuntimeError(
                f"Port(s) {', '.join(map(str, busy))} on {HOST} are taken by another process: "
                "stop it, or choose other ports (SPARK_MASTER_PORT, SPARK_MASTER_WEBUI_PORT, "
                "SPARK_WORKER1_WEBUI_PORT, SPARK_WORKER2_WEBUI_PORT, SPARK_THRIFT_PORT)."
            )
        commands = self.commands()
        deadline = time.monotonic() + timeout
        if not running["master"]:
            say(f"starting the master on {self.master_url}")
            self._launch("master", *commands["master"])
        self._wait(lambda: (self.master_state() or {}).get("status") == "ALIVE", "master", deadline)
        for piece in ("worker-1", "worker-2"):
            if not running[piece]:
                say(f"starting {piece}")
                self._launch(piece, *commands[piece])
        self._wait(lambda: _alive_workers(self.master_state()) >= 2, "worker-1", deadline)
        if not running["thrift"]:
            say(f"starting the Thrift server on {self.thrift_address}")
            if not HIVE_LLAP_COMMON.exists():
                say(
                    f"{HIVE_LLAP_COMMON} is missing: the server may drop a client that closes "
                    "its session; `BOOTSTRAP_EXTRAS=dev,postgres,spark source scripts/bootstrap` "
                    "adds it."
                )
            self._launch("thrift", *commands["thrift"])
        self._wait(lambda: self.thrift_answers() and self.select_one(), "thrift", deadline)
        return False

    def _ports(self) -> dict[str, int]:
        return {
            "master": self.master_port,
            "worker-1": self.worker_ui_ports[0],
            "worker-2": self.worker_ui_ports[1],
            "thrift": self.thrift_port,
        }

    def _wait(self, ready, piece: str, deadline: float) -> None:
        while not ready():
            if self.pid(piece) is None and piece != "worker-1":
                raise RuntimeError(
                    f"The Spark {piece} exited while starting: see {self.log_file(piece)}."
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"The Spark {piece} did not get ready in time: see {self.log_file(piece)}."
                )
            time.sleep(1)

    def stop(self, timeout: float = 30.0) -> list[str]:
        """End every piece (server first, master last) and what it started; return their names."""
        stopped = []
        for piece in reversed(self.pieces):
            pid = self.pid(piece)
            if pid is not None:
                _end_group(pid, timeout)
                stopped.append(piece)
            self.pid_file(piece).unlink(missing_ok=True)
        return stopped

    def status(self) -> list[str]:
        """One line per piece: runs (pid) or not; then the master's view."""
        lines = []
        for piece in self.pieces:
            pid = self.pid(piece)
            lines.append(f"{piece:9} {'runs, pid ' + str(pid) if pid else 'not running'}")
        state = self.master_state()
        if state is not None:
            apps = ", ".join(f"{app['name']} ({app['cores']} cores)" for app in state["activeapps"])
            lines.append(
                f"master {self.master_ui}: {_alive_workers(state)} alive worker(s), "
                f"{state['coresused']}/{state['cores']} cores used; applications: {apps or 'none'}"
            )
        answers = self.thrift_answers()
        lines.append(
            f"Thrift server {self.thrift_address}: {'answers' if answers else 'does not answer'}"
        )
        return lines


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) counts as ended.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _end_group(pid: int, timeout: float) -> None:
    """SIGTERM the piece's process group (its JVM and children); SIGKILL what outlives `timeout`."""
    try:
        group = os.getpgid(pid)
    except ProcessLookupError:
        return
    # Only a group this command started: the piece leads its own session.
    if group != pid:
        os.kill(pid, signal.SIGTERM)
        group = None
    else:
        os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid) and (group is None or not _group_alive(group)):
            return
        time.sleep(0.3)
    if group is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    else:
        os.kill(pid, signal.SIGKILL)


def _group_alive(group: int) -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()
        except (FileNotFoundError, IndexError, ProcessLookupError):
            continue
        # fields: state, ppid, pgrp, ...
        if fields[2] == str(group) and fields[0] != "Z":
            return True
    return False


def _taken(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


def _get_json(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return json.load(response)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _alive_workers(state: dict | None) -> int:
    return int((state or {}).get("aliveworkers", 0))


def main(argv: list[str] | None = None) -> int:
    """`start`, `stop` or `status` of the local cluster; the exit code says whether it worked."""
    parser = argparse.ArgumentParser(
        prog="scripts/spark-cluster",
        description="A local Spark standalone cluster (master, 2 workers, Thrift server).",
    )
    parser.add_argument("action", choices=["start", "stop", "status"])
    action = parser.parse_args(argv).action
    cluster = Cluster.from_environ()
    if action == "start":
        started = time.monotonic()
        try:
            already = cluster.start()
        except RuntimeError as error:
            print(error, file=sys.stderr)
            return 1
        if already:
            print(f"The Spark cluster is already up: Thrift server {cluster.thrift_address}.")
        else:
            print(
                f"The Spark cluster is up in {time.monotonic() - started:.0f} s: "
                f"Thrift server {cluster.thrift_address}."
            )
        print(f"Master UI: {cluster.master_ui}")
        return 0
    if action == "stop":
        stopped = cluster.stop()
        print(f"Stopped: {', '.join(stopped)}." if stopped else "The Spark cluster was not up.")
        return 0
    for line in cluster.status():
        print(line)
    return 0 if cluster.thrift_answers() else 3


if __name__ == "__main__":
    sys.exit(main())
