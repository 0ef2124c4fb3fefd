"""Fixtures: a prepared dbt manifest, and a DuckDB file of its own per test."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.duckdb_path import REPO_ROOT
from dagster_project.generator import GeneratorConfig, generate_file
from dagster_project.project import DBT_PROJECT_DIR, dbt_project, manifest_is_fresh
from tests.support import DBT_OUTPUT_DIR, run_dbt


def _prepare_manifest_once() -> None:
    """Write target/manifest.json before Dagster's definitions are imported.

    The way a deploy would (`dagster dev` does it through prepare_if_dev). Test
    workers run in parallel: the first one parses under a lock, the others find
    the manifest fresh and leave it alone, so none reads a half-written file.
    """
    lock_path = dbt_project.project_dir / "target" / ".prepare.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not manifest_is_fresh(
            dbt_project.manifest_path, DBT_PROJECT_DIR, REPO_ROOT / "profiles.yml"
        ):
            dbt_project.preparer.prepare(dbt_project)


_prepare_manifest_once()
# From here on every dbt process of this worker, from the dbt CLI, Dagster or a
# `dagster dev` a test starts, writes under the worker's own target folder:
# parallel workers never share dagster-dbt's per-window folders.
os.environ["DBT_TARGET_PATH"] = str(DBT_OUTPUT_DIR)
os.environ["DBT_LOG_PATH"] = str(DBT_OUTPUT_DIR / "logs")


@pytest.fixture(scope="session")
def raw_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Raw tables only, default generator settings; copied, never written."""
    path = tmp_path_factory.mktemp("template") / "raw.duckdb"
    generate_file(path, GeneratorConfig())
    return path


@pytest.fixture(scope="session")
def built_template(raw_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Raw tables plus every unpartitioned model, built by the dbt CLI."""
    path = tmp_path_factory.mktemp("template") / "built.duckdb"
    shutil.copy(raw_template, path)
    # The partitioned (incremental) models are left for the tests to build.
    run_dbt(["build", "--exclude", "config.materialized:incremental"], path)
    return path


def _own_copy(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "jaffle_shop.duckdb"
    shutil.copy(template, path)
    # Dagster's dbt resource and dagster_project.duckdb_path read this.
    monkeypatch.setenv("DUCKDB_PATH", str(path))
    return path


@pytest.fixture
def db(built_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own DuckDB file: raw tables and marts, no partitioned model yet."""
    return _own_copy(built_template, tmp_path, monkeypatch)


@pytest.fixture
def raw_db(raw_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own DuckDB file with the raw tables only."""
    return _own_copy(raw_template, tmp_path, monkeypatch)


@pytest.fixture
def instance():
    """A throwaway Dagster instance: run and event storage in a temporary folder."""
    with dg.instance_for_test() as test_instance:
        yield test_instance
