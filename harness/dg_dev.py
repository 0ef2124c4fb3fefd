"""A real `dg dev` (webserver + daemon) on loopback, and its GraphQL API.

`dg dev` is what `scripts/dev` ends in. Its instance is a DAGSTER_HOME with
the project's dagster.yaml: SQLite storage in that folder, or, given a
`storage_url`, dagster_home/postgres/dagster.yaml with Dagster's runs, event
log and schedules in that PostgreSQL database. Everything a `dg dev` needs
comes in its `env` mapping: this process's own environment is never changed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster_project.lib.project import REPO_ROOT
from dagster_project.lib.settings import warehouse_pool_limit
from dagster_project.lib.warehouse import warehouse
from dagster_project.lib.warehouse.contract import POOL

BIN = Path(sys.executable).parent
DG = BIN / "dg"


def dagster_dev_command(port: int) -> list[str]:
    """The command that starts the UI and the daemon, as `scripts/dev` does."""
    return [str(DG), "dev", "--host", "127.0.0.1", "--port", str(port)]


def new_dagster_home(path: Path, storage_url: str | None = None) -> Path:
    """A DAGSTER_HOME with the project's instance config (SQLite, or Postgres at `storage_url`)."""
    path.mkdir(parents=True, exist_ok=True)
    config = REPO_ROOT / "dagster_home" / ("postgres" if storage_url else "") / "dagster.yaml"
    shutil.copy(config, path / "dagster.yaml")
    return path


def dagster_process_env(
    base: Mapping[str, str], dagster_home: Path, storage_url: str | None = None
) -> dict[str, str]:
    """`base` (the warehouse's and dbt's settings) plus what a `dagster` or `dg` process needs."""
    env = {
        **base,
        "DAGSTER_HOME": str(dagster_home),
        "PATH": os.pathsep.join([str(BIN), *([base["PATH"]] if base.get("PATH") else [])]),
        # dg checks that it runs in the project's environment (scripts/bootstrap sets it).
        "VIRTUAL_ENV": str(BIN.parent),
    }
    if storage_url:
        env["DAGSTER_PG_URL"] = storage_url
    return env


@dataclass(frozen=True)
class DgDev:
    """A running `dg dev`: its base URL, and its process, which leads a process group that
    holds all of it (webserver, daemon, code server, run workers)."""

    url: str
    process: subprocess.Popen

    def pause(self) -> None:
        """Freeze every process of the group (SIGSTOP): a test can then read the instance
        knowing that nothing moves until `kill`."""
        os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused group go on (SIGCONT); nothing happens to one that runs."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGCONT)

    def kill(self) -> None:
        """Kill every process of the group at once (SIGKILL), as a crash or a power cut
        would: no process shuts down cleanly, runs in flight die with them."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@contextlib.contextmanager
def running_dg_dev(
    env: Mapping[str, str], log_file: Path, root: Path = REPO_ROOT, timeout: float = 180
) -> Iterator[str]:
    """Yield the base URL of a `dg dev` started in `root` with `env`, up and answering
    (`started_dg_dev`)."""
    with started_dg_dev(env, log_file, root, timeout) as dev:
        yield dev.url


@contextlib.contextmanager
def started_dg_dev(
    env: Mapping[str, str], log_file: Path, root: Path = REPO_ROOT, timeout: float = 180
) -> Iterator[DgDev]:
    """Yield a `dg dev` started in `root` with `env`, up and answering.

    As `scripts/dev` does, the `warehouse` pool gets the limit of env's target
    (WAREHOUSE_POOL_LIMIT), here through the GraphQL API, before anything is
    launched. The processes run in their own session and are always shut
    down, politely first, then killed (a `DgDev.kill` before is fine).
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_file, "w") as log:
        process = subprocess.Popen(
            dagster_dev_command(port),
            cwd=root,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(url, process, log_file, timeout)
        limit = warehouse_pool_limit(warehouse(env).pool_key, env)
        result = graphql(url, SET_POOL_LIMIT, {"pool": POOL, "limit": limit})
        if result["setConcurrencyLimit"] is not True:
            raise AssertionError(f"dg dev did not take the {POOL} pool's limit {limit}: {result}")
        yield DgDev(url, process)
    finally:
        _stop(process)


# The UI's own mutation (Deployment > Concurrency): the same storage call
# `set_pool_limit` makes, done by the running instance with its own config.
SET_POOL_LIMIT = """
mutation SetPoolLimit($pool: String!, $limit: Int!) {
  setConcurrencyLimit(concurrencyKey: $pool, limit: $limit)
}
"""

LAUNCH = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on InvalidSubsetError { message }
    ... on UnauthorizedError { message }
  }
}
"""

BACKFILL = """
query Backfill($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    ... on PartitionBackfill {
      status
      numPartitions
      assetBackfillData {
        assetBackfillStatuses {
          ... on AssetPartitionsStatusCounts {
            assetKey { path }
            numPartitionsTargeted
            numPartitionsMaterialized
            numPartitionsFailed
          }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

TERMINAL = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


def run_backfill(
    url: str,
    partition_names: list[str],
    asset: str,
    log_file: Path,
    timeout: float = 300,
    poll: float = 2,
) -> dict[str, Any]:
    """Launch a backfill of `asset` as the UI does, and return it once it has finished.

    Its status is read every `poll` seconds.
    """
    launched = graphql(
        url,
        LAUNCH,
        {
            "params": {
                "partitionNames": partition_names,
                "assetSelection": [{"path": [asset]}],
                "fromFailure": False,
            }
        },
    )["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        backfill = graphql(url, BACKFILL, {"id": launched["backfillId"]})
        if backfill["partitionBackfillOrError"].get("status") in TERMINAL:
            return backfill["partitionBackfillOrError"]
        time.sleep(poll)
    raise AssertionError(
        f"backfill {launched['backfillId']} not finished after {timeout} s:\n"
        f"{log_file.read_text()[-5000:]}"
    )


LOCATION = (
    "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
)

LAUNCH_RUN = """
mutation LaunchRun($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message stack }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""

RUN = """
query Run($id: ID!) {
  runOrError(runId: $id) { ... on Run { status } ... on PythonError { message } }
}
"""

FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


def run_partition(
    url: str, partition: str, asset: str, log_file: Path, timeout: float = 300, poll: float = 1
) -> str:
    """Launch one run of `asset`'s `partition`, as the UI's Materialize button does,
    and return its status once it has finished.

    A run, not a backfill: the daemon's run queue starts it within seconds,
    where a backfill waits for the backfill daemon's 30 s loop twice (to
    start and to be marked done). Tests that are about something else use it.
    """
    (repository,) = graphql(url, LOCATION)["repositoriesOrError"]["nodes"]
    selector = {
        "repositoryLocationName": repository["location"]["name"],
        "repositoryName": repository["name"],
        "jobName": "__ASSET_JOB",
        "assetSelection": [{"path": [asset]}],
    }
    metadata = {"tags": [{"key": "dagster/partition", "value": partition}]}
    params = {"selector": selector, "executionMetadata": metadata}
    launched = graphql(url, LAUNCH_RUN, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = graphql(url, RUN, {"id": run_id})["runOrError"].get("status")
        if status in FINISHED:
            return status
        time.sleep(poll)
    raise AssertionError(
        f"run {run_id} not finished after {timeout} s:\n{log_file.read_text()[-5000:]}"
    )


def graphql(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST a GraphQL query to the webserver; raise on GraphQL errors."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"{url}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = json.load(response)
    if payload.get("errors"):
        raise AssertionError(f"GraphQL errors: {payload['errors']}")
    return payload["data"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log_file: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"dg dev exited early:\n{log_file.read_text()[-5000:]}")
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            data = graphql(
                url, "{ repositoriesOrError { ... on RepositoryConnection { nodes { name } } } }"
            )
            if data["repositoriesOrError"].get("nodes"):
                return
        time.sleep(1)
    raise AssertionError(f"dg dev not up after {timeout} s:\n{log_file.read_text()[-5000:]}")


def _stop(process: subprocess.Popen) -> None:
    # Ctrl-C is what `dg dev` handles: it shuts its webserver and daemon down.
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    # The group may hold children that outlived the parent.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
