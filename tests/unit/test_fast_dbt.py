"""The speed machinery's parts (dagster_project/lib/fast_dbt.py): no dbt run, no database.

It leans on dagster-dbt internals with no public switch; the first tests here
fail if an upgrade renames them, rather than let the project silently pay
their cost again.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil
import subprocess
from functools import cached_property
from pathlib import Path

import pytest
from dagster_dbt import DbtCliResource
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

from dagster_project.definitions import defs
from dagster_project.lib import fast_dbt, settings
from dagster_project.lib.fast_dbt import (
    INVOCATION_DIR,
    DbtRunnerPopen,
    InProcessDbtCliResource,
    child_environment,
    dbt_cli_resource,
    dbt_in_this_process,
    manifest_is_fresh,
    prune_invocation_dirs,
    vars_folder_name,
)
from dagster_project.lib.project import DBT_PROJECT_DIR, dbt_project

# --- the dagster-dbt internals it relies on ------------------------------------


def test_dagster_dbt_still_has_the_hooks_we_override() -> None:
    """If dagster-dbt renames these, the overrides would silently stop working."""
    assert isinstance(DbtCliResource.__dict__["_cli_version"], cached_property)
    assert callable(DbtCliResource.__dict__["_initialize_dbt_core_adapter"])


def test_dagster_dbt_still_starts_dbt_through_its_modules_subprocess_name() -> None:
    """dbt_in_this_process() swaps this name; an upgrade that stops using it must fail here."""
    source = inspect.getsource(DbtCliInvocation.run)
    assert "subprocess.Popen(" in source
    import dagster_dbt.core.dbt_cli_invocation as module

    with dbt_in_this_process():
        assert module.subprocess.Popen is DbtRunnerPopen
    assert module.subprocess is subprocess


# --- the resource ----------------------------------------------------------------


def test_the_project_resource_runs_dbt_in_process() -> None:
    resource = defs.resources["dbt"]
    assert isinstance(resource, InProcessDbtCliResource)
    assert resource.runs_dbt_in_process()
    # Another executable than this environment's dbt keeps the child process.
    elsewhere = shutil.which("true")
    assert elsewhere is not None
    other = InProcessDbtCliResource(project_dir=DBT_PROJECT_DIR, dbt_executable=elsewhere)
    assert not other.runs_dbt_in_process()


def test_fast_dbt_false_gives_dagster_dbts_own_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.FAST_DBT, "false")
    assert type(dbt_cli_resource(dbt_project)) is DbtCliResource
    monkeypatch.setenv(settings.FAST_DBT, "true")
    assert type(dbt_cli_resource(dbt_project)) is InProcessDbtCliResource


def test_no_dbt_version_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    import dagster_dbt.core.resource as dagster_dbt_resource
    from dbt.version import __version__

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"unexpected subprocess {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    resource = InProcessDbtCliResource(project_dir=DBT_PROJECT_DIR)
    assert str(resource._cli_version) == __version__


def test_another_executable_is_still_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    import dagster_dbt.core.resource as dagster_dbt_resource

    monkeypatch.setattr(dagster_dbt_resource, "check_output", lambda *a, **k: b"dbt 9.8.7")
    monkeypatch.setattr(fast_dbt, "_is_this_environments_dbt", lambda executable: False)
    resource = InProcessDbtCliResource(project_dir=DBT_PROJECT_DIR)
    assert str(resource._cli_version) == "9.8.7"


def test_no_adapter_in_the_run_process() -> None:
    resource = InProcessDbtCliResource(project_dir=DBT_PROJECT_DIR)
    assert resource._initialize_dbt_core_adapter([]) is None


# --- the environment a dbt child would have had ------------------------------------


def test_child_environment_is_the_difference_with_relative_paths_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEPT", "same")
    monkeypatch.setenv("DROPPED", "x")
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    (tmp_path / "profiles.yml").write_text("")
    env = {k: v for k, v in os.environ.items() if k != "DROPPED"}
    env.update({"DBT_TARGET_PATH": "target/abc", "DBT_LOG_FORMAT": "json"})

    changes = child_environment(env, tmp_path)

    assert changes == {
        "DROPPED": None,
        "DBT_TARGET_PATH": str(tmp_path / "target" / "abc"),
        "DBT_LOG_FORMAT": "json",
        # a dbt child started in tmp_path would find profiles.yml there
        "DBT_PROFILES_DIR": str(tmp_path),
    }


# --- per-run dbt target folders ------------------------------------------------------


def test_prune_keeps_the_newest_invocation_dirs_only(tmp_path: Path) -> None:
    names = [f"orders_by_month_model-{i:07x}-{i + 1:07x}" for i in range(30)] + ["abcdef0"]
    for age, name in enumerate(reversed(names)):
        (tmp_path / name).mkdir()
        os.utime(tmp_path / name, (1_000_000 + age, 1_000_000 + age))
    for keep in ("compiled", "run", "some-other-dir"):
        (tmp_path / keep).mkdir()
    (tmp_path / "manifest.json").write_text("{}")

    deleted = prune_invocation_dirs(tmp_path, keep=5)

    assert len(deleted) == 26
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["compiled", "run", "some-other-dir", "manifest.json", *names[:5]]
    )


def test_a_folder_per_set_of_vars(tmp_path: Path) -> None:
    """The same --vars always get the same folder, other vars another; it is pruned too."""
    march = json.dumps({"partition_start": "2018-03-01", "partition_end": "2018-04-01"})
    april = json.dumps({"partition_start": "2018-04-01", "partition_end": "2018-05-01"})

    name = vars_folder_name("orders_by_month_model", ["build", "--vars", march])

    digest = hashlib.sha256(march.encode()).hexdigest()[:12]
    assert name == f"orders_by_month_model-vars-{digest}"
    assert name == vars_folder_name("orders_by_month_model", ["build", "--vars", march])
    assert name != vars_folder_name("orders_by_month_model", ["build", "--vars", april])
    assert INVOCATION_DIR.fullmatch(name)
    (tmp_path / name).mkdir()
    assert prune_invocation_dirs(tmp_path, keep=0) == [tmp_path / name]


def test_no_vars_folder_without_vars_or_with_a_full_refresh() -> None:
    assert vars_folder_name("orders_by_month_model", ["build"]) is None
    assert vars_folder_name("orders_by_month_model", ["build", "--full-refresh"]) is None


# --- the manifest under `dagster dev` ------------------------------------------------


def test_manifest_freshness(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "target").mkdir()
    model = project / "models" / "m.sql"
    model.write_text("select 1")
    profiles = tmp_path / "profiles.yml"
    profiles.write_text("p: {}")
    manifest = project / "target" / "manifest.json"
    assert not manifest_is_fresh(manifest, project, profiles)

    manifest.write_text("{}")
    for path in (model, profiles):
        os.utime(path, (1_000, 1_000))
    assert manifest_is_fresh(manifest, project, profiles)

    (project / "target" / "run_results.json").write_text("{}")  # output: ignored
    assert manifest_is_fresh(manifest, project, profiles)

    os.utime(model, (manifest.stat().st_mtime + 10,) * 2)
    assert not manifest_is_fresh(manifest, project, profiles)
