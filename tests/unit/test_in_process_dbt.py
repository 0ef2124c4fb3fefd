"""The in-process runner's parts (dagster_project/lib/in_process_dbt): no database; one `dbt parse`.

The one dagster-dbt internal it uses is tested first: an upgrade that
renames it must fail here, not silently change what dbt selects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from dagster_dbt import DagsterDbtTranslator, DbtCliEventMessage, DbtCliResource
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from dagster_project.definitions import defs
from dagster_project.lib import settings
from dagster_project.lib.in_process_dbt import dbt_cli_resource
from dagster_project.lib.in_process_dbt.manifest_reuse import PARTIAL_PARSE_FILE, preparsed_manifest
from dagster_project.lib.in_process_dbt.resource import (
    InProcessDbtCliResource,
    _selection_for_context,
)
from dagster_project.lib.in_process_dbt.target_folders import (
    INVOCATION_DIR,
    prune_invocation_dirs,
    vars_folder_name,
)
from dagster_project.lib.project import (
    DBT_PROJECT_DIR,
    PROFILES_DIR,
    dbt_project,
    manifest_is_fresh,
)
from tests.support.dbt import DBT

# --- the one dagster-dbt internal -------------------------------------------------


def test_dagster_dbt_still_builds_selection_args_the_way_we_call_it() -> None:
    """DbtCliResource.cli's own selection helpers, which `_selection_for_context` calls."""
    from dagster_dbt import asset_utils

    params = inspect.signature(asset_utils.get_updated_cli_invocation_params_for_context)
    assert {"context", "manifest", "dagster_dbt_translator", "runtime_selects"} <= set(
        params.parameters
    )
    assert "get_updated_cli_invocation_params_for_context" in inspect.getsource(DbtCliResource.cli)
    selection = _selection_for_context(
        None, {}, DagsterDbtTranslator(), ["build", "--select", "orders_by_month", "--vars", "{}"]
    )
    assert selection.cleaned_args == ["build", "--vars", "{}"]
    assert selection.selection_args == ["--select", "orders_by_month"]
    # the event type dagster-dbt's own stream builds for dbt Core
    assert issubclass(DbtCoreCliEventMessage, DbtCliEventMessage)


# --- the resource ----------------------------------------------------------------


def test_the_project_resource_runs_dbt_in_process() -> None:
    resource = defs.resources["dbt"]
    assert isinstance(resource, InProcessDbtCliResource)
    assert resource.runs_dbt_in_process()
    # Another executable than this environment's dbt runs as dagster-dbt runs it.
    elsewhere = shutil.which("true")
    assert elsewhere is not None
    other = InProcessDbtCliResource(project_dir=DBT_PROJECT_DIR, dbt_executable=elsewhere)
    assert not other.runs_dbt_in_process()


def test_in_process_dbt_false_gives_dagster_dbts_own_resource(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(settings.IN_PROCESS_DBT, "false")
    assert type(dbt_cli_resource(dbt_project)) is DbtCliResource
    monkeypatch.setenv(settings.IN_PROCESS_DBT, "true")
    assert type(dbt_cli_resource(dbt_project)) is InProcessDbtCliResource


# --- the manifest dbt runs with ----------------------------------------------------


@pytest.fixture(scope="module")
def parsed_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the dbt project, parsed by dbt for the default DuckDB target.

    Its own parse, not the shared dbt_project/target (which a benchmark may
    have prepared for another target).
    """
    project = tmp_path_factory.mktemp("parsed") / "project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "profiles.yml").unlink()
    shutil.copy(PROFILES_DIR / "profiles.yml", project / "profiles.yml")
    env = {k: v for k, v in os.environ.items() if k not in {"DBT_TARGET", "DBT_TARGET_PATH"}}
    env.update({"DUCKDB_PATH": "/nowhere/jaffle_shop.duckdb", "DBT_LOG_PATH": str(project)})
    subprocess.run(
        [str(DBT), "parse", "--project-dir", str(project), "--profiles-dir", str(project)],
        env=env,
        check=True,
        capture_output=True,
    )
    return project


@pytest.fixture
def parsed_copy(
    parsed_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, dict]:
    """This test's copy of the parsed project, and the manifest.json Dagster would load."""
    project = tmp_path / "project"
    shutil.copytree(parsed_project, project)
    msgpack = project / "target" / PARTIAL_PARSE_FILE
    os.utime(msgpack, (msgpack.stat().st_mtime + 5,) * 2)  # newer than the copied files
    monkeypatch.delenv("DBT_TARGET", raising=False)
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "jaffle_shop.duckdb"))
    return project, json.loads((project / "target" / "manifest.json").read_text())


def reused(project: Path, loaded: dict) -> bool:
    return preparsed_manifest(loaded, project, project, project / "target") is not None


def test_the_loaded_manifest_is_used_while_it_matches(parsed_copy: tuple[Path, dict]) -> None:
    project, loaded = parsed_copy
    manifest = preparsed_manifest(loaded, project, project, project / "target")
    assert manifest is not None
    assert manifest.metadata.invocation_id == loaded["metadata"]["invocation_id"]
    node = manifest.nodes["model.jaffle_shop.orders_by_month"]
    # the run's vars are rendered when dbt runs the hook, not frozen at parse time
    assert node.config.pre_hook[0].sql == "{{ partitioned_model_pre_hook() }}"


def test_the_reused_manifest_keeps_datetimes_so_dbt_can_write_it(
    parsed_copy: tuple[Path, dict],
) -> None:
    project, loaded = parsed_copy
    manifest = preparsed_manifest(loaded, project, project, project / "target")
    assert manifest is not None
    # dbt writes the microbatch model's `begin` to the msgpack as an extension;
    # read without dbt's decoder it came back as bytes, and writing manifest.json failed.
    node = manifest.nodes["model.jaffle_shop.orders_by_month_microbatch"]
    assert node.config.begin == dt.datetime(2018, 1, 1)
    manifest.write(str(project / "target" / "rewritten.json"))
    written = json.loads((project / "target" / "rewritten.json").read_text())
    begin = written["nodes"]["model.jaffle_shop.orders_by_month_microbatch"]["config"]["begin"]
    assert begin.startswith("2018-01-01")


def test_an_edited_model_makes_dbt_parse(parsed_copy: tuple[Path, dict]) -> None:
    project, loaded = parsed_copy
    model = project / "models" / "marts" / "orders_by_month.sql"
    model.write_text(model.read_text() + "\n-- edited\n")
    msgpack = project / "target" / PARTIAL_PARSE_FILE
    os.utime(model, (msgpack.stat().st_mtime + 10,) * 2)
    assert not reused(project, loaded)


def test_another_parse_than_the_loaded_one_is_not_used(parsed_copy: tuple[Path, dict]) -> None:
    project, loaded = parsed_copy
    other = {**loaded, "metadata": {**loaded["metadata"], "invocation_id": "another-parse"}}
    assert not reused(project, other)


@pytest.mark.parametrize(
    "env",
    [{"DUCKDB_PATH": "/elsewhere/other_name.duckdb"}, {"DBT_TARGET": "postgres"}],
    ids=["another-duckdb-database", "another-target"],
)
def test_another_target_makes_dbt_parse(
    parsed_copy: tuple[Path, dict], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parse wrote the database's name into every relation: another one must parse."""
    project, loaded = parsed_copy
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert not reused(project, loaded)


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


# --- the manifest under `dagster dev` (dagster_project/lib/project.py) ---------------


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
