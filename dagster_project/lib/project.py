"""The dbt project as Dagster sees it: its folders, its manifest, its profile, and the
facts dbt and Dagster share.

`dbt_project.yml`'s vars are the one home of what both sides must agree on:
the first partition month, the payment methods and the order statuses. dbt
reads them with `var()`; Dagster reads them here, never from a copy.

Importing this module reads and writes nothing: `prepare_manifest()` is
called where the definitions load (dagster_project/defs/__init__.py).
"""

from __future__ import annotations

import functools
import json
from argparse import Namespace
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from dagster_dbt import DbtProject

from dagster_project.lib import settings

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# profiles.yml lives at the root (dbt_project/profiles.yml links to it), so
# `dbt` finds it from the root and from dbt_project/ alike.
PROFILES_DIR = REPO_ROOT

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=PROFILES_DIR)


def prepare_manifest(project: DbtProject) -> None:
    """Under `dagster dev`, parse the dbt project if it changed since the manifest.

    With in-process dbt (IN_PROCESS_DBT, the default) only when a project
    file is newer than the manifest; otherwise dagster-dbt's `prepare_if_dev()`,
    which parses every time. Elsewhere the manifest must have been prepared
    (`dagster-dbt project prepare-and-package`, or the tests' conftest).
    """
    if not settings.in_process_dbt():
        project.prepare_if_dev()
        return
    profiles_yml = Path(project.profiles_dir or project.project_dir) / "profiles.yml"
    if not manifest_is_fresh(project.manifest_path, Path(project.project_dir), profiles_yml):
        project.prepare_if_dev()


# Folders dbt writes into; their contents never change the manifest.
_OUTPUT_DIRS = {"target", "logs", "dbt_packages"}


def manifest_is_fresh(manifest: Path, project_dir: Path, profiles_yml: Path) -> bool:
    """True when `manifest` exists and is newer than every source file of the project."""
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    sources = [profiles_yml, *project_dir.iterdir()]
    while sources:
        path = sources.pop()
        if path.is_dir():
            if path.parent != project_dir or path.name not in _OUTPUT_DIRS:
                sources.extend(path.iterdir())
        elif path.exists() and path.stat().st_mtime > built:
            return False
    return True


@dataclass(frozen=True)
class SharedVars:
    """The dbt vars Dagster needs too (dbt_project.yml, `vars:`)."""

    partitions_start_date: str
    payment_methods: tuple[str, ...]
    order_statuses: tuple[str, ...]


@functools.cache
def shared_vars() -> SharedVars:
    """Read the shared vars from dbt_project.yml (once per process)."""
    project_vars = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    return SharedVars(
        partitions_start_date=str(project_vars["partitions_start_date"]),
        payment_methods=tuple(str(m) for m in project_vars["payment_methods"]),
        order_statuses=tuple(str(s) for s in project_vars["order_statuses"]),
    )


@functools.cache
def _manifest() -> dict:
    return json.loads(dbt_project.manifest_path.read_text())


def adapter_type() -> str:
    """The dbt adapter the manifest was parsed for ("duckdb", "postgres"): an asset kind."""
    return str(_manifest()["metadata"]["adapter_type"])


def raw_source(table: str) -> dict:
    """The dbt source `raw.<table>` as the manifest has it: description, meta.dagster, ..."""
    return _manifest()["sources"][f"source.{_manifest()['metadata']['project_name']}.raw.{table}"]


def dbt_profile_target(
    environ: Mapping[str, str],
    project_dir: Path = DBT_PROJECT_DIR,
    profiles_dir: Path = PROFILES_DIR,
) -> tuple[str, Any]:
    """(target name, dbt credentials) of profiles.yml for DBT_TARGET, rendered by dbt."""
    # Imported when first called: dbt's profile loader brings some 300 modules
    # that loading the definitions (which read only the manifest) never needs.
    from dbt.config.runtime import load_profile
    from dbt.flags import set_from_args
    from dbt_common.context import set_invocation_context

    # dbt's env_var() reads the invocation context; flags.PROFILES_DIR is the
    # folder profiles.yml is read from (its DuckDB path rule uses it).
    set_invocation_context(dict(environ))
    set_from_args(Namespace(profiles_dir=str(profiles_dir)), None)
    profile = load_profile(str(project_dir), {}, None, environ.get("DBT_TARGET") or None)
    return profile.target_name, profile.credentials
