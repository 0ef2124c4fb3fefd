"""The dbt project as Dagster sees it, and the facts dbt and Dagster share.

`dbt_project.yml`'s vars are the one home of what both sides must agree on:
the first partition month, the payment methods and the order statuses. dbt
reads them with `var()`; Dagster reads them here, never from a copy.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from dagster_dbt import DbtProject

from dagster_project.lib.fast_dbt import prepare_manifest

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# profiles.yml lives at the root (dbt_project/profiles.yml links to it), so
# `dbt` finds it from the root and from dbt_project/ alike.
PROFILES_DIR = REPO_ROOT

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=PROFILES_DIR)

# Under `dg dev` (or `dagster dev`) this parses the project when it changed, so
# edits show up on reload; elsewhere the manifest must have been prepared
# (`dagster-dbt project prepare-and-package`, or the tests' conftest).
prepare_manifest(dbt_project)


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


def warehouse_kind() -> str:
    """The dbt adapter the manifest was parsed for ("duckdb", "postgres"): an asset kind."""
    return str(_manifest()["metadata"]["adapter_type"])


def raw_source(table: str) -> dict:
    """The dbt source `raw.<table>` as the manifest has it: description, meta.dagster, ..."""
    return _manifest()["sources"][f"source.{_manifest()['metadata']['project_name']}.raw.{table}"]
