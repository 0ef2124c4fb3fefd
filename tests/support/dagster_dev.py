"""`dg dev` on a test's own database: its environment, and a copy of the repository.

`dg dev` itself (start, GraphQL API, stop) is harness/dg_dev.py, shared with
the benchmark; this module points it at a `TestWarehouse`.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

from dagster_project.lib.project import DBT_PROJECT_DIR, REPO_ROOT
from dagster_project.lib.warehouse import warehouse
from harness.dg_dev import BIN, DgDev, dagster_process_env, new_dagster_home, started_dg_dev
from tests.support.dbt import dbt_env, manifest_adapter
from tests.support.warehouse import TestWarehouse


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
    base = {**dbt_env(db), **(automation if automation is not None else {"AUTOMATION": "false"})}
    return dagster_process_env(base, dagster_home, storage_url)


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
    """The base URL of a `dg dev` on `db` with this home and storage (`started_dagster_dev`)."""
    with started_dagster_dev(
        dagster_home, db, log_file, storage_url, timeout, root, automation
    ) as dev:
        yield dev.url


@contextlib.contextmanager
def started_dagster_dev(
    dagster_home: Path,
    db: TestWarehouse,
    log_file: Path,
    storage_url: str | None = None,
    timeout: float = 180,
    root: Path | None = None,
    automation: Mapping[str, str] | None = None,
) -> Iterator[DgDev]:
    """Yield a `dg dev` on `db` with this home (and storage), up and answering.

    `dg dev` runs in `root`: the repository, or a copy of it (`repository_copy`)
    for a test that edits the project. On a target other than the one the
    shared manifest is parsed for (the default, DuckDB), it runs in a copy
    too, so the shared dbt_project/target the other tests read is never
    rewritten under them. As `scripts/dev` does, the dbt manifest is written
    for the target (in a copy) and the `warehouse` pool gets the target's
    limit (harness/dg_dev.py). Automation runs only if `automation` gives its
    settings (`dagster_env`). A test can kill it hard (`DgDev.kill`) and start
    another on the same home.
    """
    new_dagster_home(dagster_home, storage_url)
    env = dagster_env(dagster_home, db, storage_url, automation)
    if root is None and warehouse(env).adapter != manifest_adapter():
        copy = dagster_home.parent / "repository"  # a restart on this home reuses it
        root = copy if copy.exists() else repository_copy(copy)
    if root is not None and root != REPO_ROOT:
        env["PYTHONPATH"] = str(root)  # its dagster_project, not the installed one
        _prepare_manifest(env, root)
    with started_dg_dev(env, log_file, root or REPO_ROOT, timeout) as dev:
        yield dev


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


def _prepare_manifest(env: dict[str, str], root: Path) -> None:
    """`dagster-dbt project prepare-and-package`, the command `scripts/dev` runs first."""
    subprocess.run(
        [str(BIN / "dagster-dbt"), "project", "prepare-and-package",
         "--file", "dagster_project/lib/project.py"],
        cwd=root, env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
