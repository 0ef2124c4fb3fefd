"""Fixtures: a prepared dbt manifest, and a DuckDB file of its own per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dagster_project.generator import GeneratorConfig, generate_file
from dagster_project.project import dbt_project
from tests.support import run_dbt

# Dagster's definitions read target/manifest.json at import: write it first,
# the way a deploy would (`dagster dev` does the same through prepare_if_dev).
dbt_project.preparer.prepare(dbt_project)


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
