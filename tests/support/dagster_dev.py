"""A real `dg dev` (webserver + daemon) on loopback, and its GraphQL API.

`dg dev` is what `scripts/dev` ends in. Its instance is a DAGSTER_HOME with
the project's dagster.yaml: SQLite storage in that folder, or, given a
`storage_url`, dagster_home/postgres/dagster.yaml with Dagster's runs, event
log and schedules in that PostgreSQL database.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

import dagster as dg

from dagster_project.lib.project import DBT_PROJECT_DIR, REPO_ROOT
from dagster_project.lib.warehouse import set_pool_limit, warehouse
from tests.support.dbt import dbt_env, manifest_adapter
from tests.support.warehouse import TestWarehouse

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


def dagster_env(
    dagster_home: Path,
    db: TestWarehouse,
    storage_url: str | None = None,
    automation: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a `dagster` or `dg` process that works on `db`.

    Automation is off (AUTOMATION=false) unless `automation` gives its settings
    (docs/automation.md): a test about something else sees only its own runs.
    """
    env = {
        **dbt_env(db),
        **(automation if automation is not None else {"AUTOMATION": "false"}),
        "DAGSTER_HOME": str(dagster_home),
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        # dg checks that it runs in the project's environment (scripts/bootstrap sets it).
        "VIRTUAL_ENV": str(BIN.parent),
    }
    if storage_url:
        env["DAGSTER_PG_URL"] = storage_url
    return env


@contextlib.contextmanager
def running_dagster_dev(
    dagster_home: Path,
    db: TestWarehouse,
    log_file: Path,
    storage_url: str | None = None,
    timeout: float = 180,
    root: Path | None = None,
    automation: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Yield the base URL of a `dg dev` on `db` with this home (and storage).

    `dg dev` runs in `root`: the repository, or a copy of it (`repository_copy`)
    for a test that edits the project. On a target other than the one the
    shared manifest is parsed for (the default, DuckDB), it runs in a copy
    too, so the shared dbt_project/target the other tests read is never
    rewritten under them. As `scripts/dev` does, the dbt manifest is written
    for the target (in a copy) and the `warehouse` pool gets the target's
    limit. The processes run in their own session and are always shut down,
    politely first, then killed. Automation runs only if `automation` gives
    its settings (`dagster_env`).
    """
    new_dagster_home(dagster_home, storage_url)
    env = dagster_env(dagster_home, db, storage_url, automation)
    if root is None and warehouse(env).kind != manifest_adapter():
        copy = dagster_home.parent / "repository"  # a restart on this home reuses it
        root = copy if copy.exists() else repository_copy(copy)
    if root is not None and root != REPO_ROOT:
        env["PYTHONPATH"] = str(root)  # its dagster_project, not the installed one
        _prepare_manifest(env, root)
    with _one_at_a_time():
        yield from _run_dagster_dev(dagster_home, env, log_file, timeout, root or REPO_ROOT)


def repository_copy(folder: Path) -> Path:
    """A copy of what `dg dev` loads: pyproject.toml, profiles.yml, the Dagster code and
    the dbt project (without its target/ and logs/). Returns its root."""
    folder.mkdir(parents=True)
    for name in ("pyproject.toml", "profiles.yml"):
        shutil.copy2(REPO_ROOT / name, folder / name)
    shutil.copytree(
        REPO_ROOT / "dagster_project",
        folder / "dagster_project",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copytree(
        DBT_PROJECT_DIR,
        folder / DBT_PROJECT_DIR.name,
        symlinks=True,  # dbt_project/profiles.yml -> ../profiles.yml, the copy's
        ignore=shutil.ignore_patterns("target", "logs"),
    )
    return folder


@contextlib.contextmanager
def _one_at_a_time() -> Iterator[None]:
    """The test workers take turns, as they did when every `dg dev` shared one
    manifest: the suite's wall time on CI's two cores was measured that way, and
    two UI servers with their daemons and run workers would share those cores."""
    lock_file = Path(tempfile.gettempdir()) / "jaffle-shop-dg-dev.lock"
    with open(lock_file, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _prepare_manifest(env: dict[str, str], root: Path) -> None:
    """`dagster-dbt project prepare-and-package`, the command `scripts/dev` runs first."""
    subprocess.run(
        [str(BIN / "dagster-dbt"), "project", "prepare-and-package",
         "--file", "dagster_project/lib/project.py"],
        cwd=root, env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip


def _run_dagster_dev(
    dagster_home: Path, env: dict[str, str], log_file: Path, timeout: float, root: Path
) -> Iterator[str]:
    # dagster.yaml reads DAGSTER_PG_URL from the environment of whoever opens it.
    with (
        mock.patch.dict(os.environ, env),
        dg.DagsterInstance.from_config(str(dagster_home)) as instance,
    ):
        set_pool_limit(instance, env)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_file, "w") as log:
        process = subprocess.Popen(
            dagster_dev_command(port),
            cwd=root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(url, process, log_file, timeout)
        yield url
    finally:
        _stop(process)


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
    url: str, partition_names: list[str], asset: str, log_file: Path, timeout: float = 300
) -> dict[str, Any]:
    """Launch a backfill of `asset` as the UI does, and return it once it has finished."""
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
        time.sleep(2)
    raise AssertionError(
        f"backfill {launched['backfillId']} not finished after {timeout} s:\n"
        f"{log_file.read_text()[-5000:]}"
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
