"""The settings and shortcuts behind the benchmark's figures (no timings here)."""

from __future__ import annotations

import os
import subprocess
import sys
from functools import cached_property
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_dbt import DbtCliResource

from dagster_project import resources
from dagster_project.assets.dbt import monthly_dbt_models
from dagster_project.definitions import defs
from dagster_project.duckdb_settings import apply_duckdb_settings, duckdb_settings
from dagster_project.generator import GeneratorConfig, generate_file
from dagster_project.partitions import BACKFILL_POLICY_ENV, backfill_policy_from_setting
from dagster_project.project import manifest_is_fresh
from dagster_project.resources import FastDbtCliResource, prune_invocation_dirs
from tests.support import REPO_ROOT, expected_rows, model_rows

# --- backfill policy -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, dg.BackfillPolicy.single_run()),
        ("", dg.BackfillPolicy.single_run()),
        ("single_run", dg.BackfillPolicy.single_run()),
        ("multi_run", dg.BackfillPolicy.multi_run(max_partitions_per_run=1)),
        ("multi_run:6", dg.BackfillPolicy.multi_run(max_partitions_per_run=6)),
    ],
)
def test_backfill_policy_setting(value: str | None, expected: dg.BackfillPolicy) -> None:
    assert backfill_policy_from_setting(value) == expected


@pytest.mark.parametrize("value", ["multi", "multi_run:0", "multi_run:x", "single_run:2"])
def test_bad_backfill_policy_names_the_value(value: str) -> None:
    with pytest.raises(ValueError, match=f"{BACKFILL_POLICY_ENV}='{value}'"):
        backfill_policy_from_setting(value)


def test_the_setting_changes_the_assets_backfill_policy() -> None:
    """A fresh process with DAGSTER_BACKFILL_POLICY set loads a different policy."""
    code = (
        "from dagster_project.definitions import defs; import dagster as dg;"
        "print(defs.resolve_asset_graph().get(dg.AssetKey('orders_by_month')).backfill_policy)"
    )
    env = {**os.environ, BACKFILL_POLICY_ENV: "multi_run:3"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "max_partitions_per_run=3" in out.stdout
    # and this process, without the variable, has the default
    assert monthly_dbt_models.backfill_policy == dg.BackfillPolicy.single_run()


# --- the dbt resource ------------------------------------------------------


def test_dagster_dbt_still_has_the_hooks_we_override() -> None:
    """If dagster-dbt renames these, the overrides would silently stop working."""
    assert isinstance(DbtCliResource.__dict__["_cli_version"], cached_property)
    assert callable(DbtCliResource.__dict__["_initialize_dbt_core_adapter"])


def test_no_dbt_version_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    import dagster_dbt.core.resource as dagster_dbt_resource
    from dbt.version import __version__

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"unexpected subprocess {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    resource = defs.resources["dbt"]
    assert isinstance(resource, FastDbtCliResource)
    assert str(FastDbtCliResource(project_dir=resource.project_dir)._cli_version) == __version__


def test_another_executable_is_still_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    import dagster_dbt.core.resource as dagster_dbt_resource

    monkeypatch.setattr(dagster_dbt_resource, "check_output", lambda *a, **k: b"dbt 9.8.7")
    resource = FastDbtCliResource(project_dir=defs.resources["dbt"].project_dir)
    monkeypatch.setattr(resources, "_is_this_environments_dbt", lambda executable: False)
    assert str(resource._cli_version) == "9.8.7"


def test_adapter_only_when_asked() -> None:
    project_dir = defs.resources["dbt"].project_dir
    assert FastDbtCliResource(project_dir=project_dir)._initialize_dbt_core_adapter([]) is None


# --- per-run dbt target folders --------------------------------------------


def test_prune_keeps_the_newest_invocation_dirs_only(tmp_path: Path) -> None:
    names = [f"monthly_dbt_models-{i:07x}-{i + 1:07x}" for i in range(30)] + ["abcdef0"]
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


def test_keep_setting_rejects_nonsense() -> None:
    assert resources.keep_invocation_targets({}) == resources.DEFAULT_KEEP_TARGETS
    assert resources.keep_invocation_targets({resources.KEEP_TARGETS_ENV: "3"}) == 3
    with pytest.raises(ValueError, match="DBT_KEEP_INVOCATION_TARGETS='-1'"):
        resources.keep_invocation_targets({resources.KEEP_TARGETS_ENV: "-1"})


def test_target_folders_stay_bounded_over_many_runs(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five partition runs leave at most the configured two dbt target folders."""
    target = tmp_path / "target"
    monkeypatch.setenv("DBT_TARGET_PATH", str(target))
    monkeypatch.setenv(resources.KEEP_TARGETS_ENV, "2")
    keys = ["2018-01-01", "2018-02-01", "2018-03-01", "2018-04-01", "2018-05-01"]
    with dg.instance_for_test() as instance:
        for key in keys:
            assert dg.materialize(
                [monthly_dbt_models], partition_key=key, resources=defs.resources, instance=instance
            ).success

    folders = [p for p in target.iterdir() if p.is_dir()]
    assert len(folders) == 2, folders
    assert model_rows(db) == expected_rows(db, "2018-01-01", "2018-06-01")


# --- DuckDB limits, in one place --------------------------------------------


def test_duckdb_settings_come_from_the_profile() -> None:
    assert duckdb_settings({}) == {"memory_limit": "512MB", "threads": "2"}
    assert duckdb_settings({"DUCKDB_MEMORY_LIMIT": "1GB", "DUCKDB_THREADS": "1"}) == {
        "memory_limit": "1GB",
        "threads": "1",
    }


def test_apply_duckdb_settings_sets_them() -> None:
    with duckdb.connect() as con:
        apply_duckdb_settings(con, {"DUCKDB_MEMORY_LIMIT": "300MB", "DUCKDB_THREADS": "1"})
        limit, threads = con.execute(
            "select current_setting('memory_limit'), current_setting('threads')"
        ).fetchone()
    assert limit.replace(" ", "").lower() in {"286.1mib", "300.0mb", "300mb"}
    assert threads == 1


# --- generator layout and dev re-parse ---------------------------------------


def test_generator_stores_rows_in_id_order(tmp_path: Path) -> None:
    """Month filters prune row groups only if rows are stored by id (hence by date)."""
    path = tmp_path / "g.duckdb"
    generate_file(path, GeneratorConfig(orders=50_000))
    with duckdb.connect(str(path), read_only=True) as con:
        for table in ("raw_orders", "raw_payments"):
            out_of_order = con.execute(
                f"select count(*) from (select id, lag(id) over (order by rowid) as prev "
                f"from {table}) where id <= prev"
            ).fetchone()[0]
            assert out_of_order == 0, table
        dates_back = con.execute(
            "select count(*) from (select order_date, lag(order_date) over (order by rowid) "
            "as prev from raw_orders) where order_date < prev"
        ).fetchone()[0]
        assert dates_back == 0


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


def test_window_folders_are_named_by_window_and_pruned(tmp_path: Path) -> None:
    resource = FastDbtCliResource(project_dir=defs.resources["dbt"].project_dir)
    path = resource.window_target_path(
        "monthly_dbt_models", {"partition_start": "2018-01-01", "partition_end": "2018-02-01"}
    )
    assert path.name == "monthly_dbt_models-2018-01-01-2018-02-01"
    assert resources.INVOCATION_DIR.fullmatch(path.name)
    (tmp_path / path.name).mkdir()
    assert prune_invocation_dirs(tmp_path, keep=0) == [tmp_path / path.name]


def test_a_rerun_of_the_same_month_parses_partially(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second run of a window reuses its folder's partial_parse.msgpack."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    with dg.instance_for_test() as instance:
        for _ in range(2):
            assert dg.materialize(
                [monthly_dbt_models],
                partition_key="2018-03-01",
                resources=defs.resources,
                instance=instance,
            ).success
    (folder,) = (tmp_path / "target").iterdir()
    log = (folder / "dbt.log").read_text()
    # dbt.log holds both runs: the first parses in full, the second does not.
    assert log.count("Unable to do partial parsing") == 1
    assert "Nothing changed, skipping partial parsing" in log
    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")
