"""The new_stores sensor: new store in raw_stores -> new partition and a run request."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.assets.partition_kinds import orders_by_store_model
from dagster_project.definitions import defs
from dagster_project.generator import GeneratorConfig, generate
from dagster_project.sensors import new_stores
from tests.kinds_support import expected_by_store, store_rows
from tests.support import execute

STORES = "stores"


def tick(instance: dg.DagsterInstance) -> dg.SensorResult | dg.SkipReason:
    """One sensor evaluation, its partition requests applied as the daemon would."""
    result = new_stores(dg.build_sensor_context(instance=instance))
    if isinstance(result, dg.SensorResult):
        for request in result.dynamic_partitions_requests or []:
            assert isinstance(request, dg.AddDynamicPartitionsRequest)
            instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
    return result


def store_ids(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [str(r[0]) for r in con.execute("select id from raw_stores order by id").fetchall()]


def test_first_tick_adds_every_store_and_requests_each(
    raw_db: Path, instance: dg.DagsterInstance
) -> None:
    result = tick(instance)

    assert isinstance(result, dg.SensorResult)
    assert store_ids(raw_db) == ["1", "2", "3", "4", "5"]
    assert [r.partition_key for r in result.run_requests] == store_ids(raw_db)
    assert instance.get_dynamic_partitions(STORES) == store_ids(raw_db)


def test_a_tick_with_nothing_new_requests_nothing(
    raw_db: Path, instance: dg.DagsterInstance
) -> None:
    tick(instance)

    result = tick(instance)

    assert isinstance(result, dg.SkipReason)
    assert "No new stores" in result.skip_message
    assert instance.get_dynamic_partitions(STORES) == ["1", "2", "3", "4", "5"]


def test_a_new_store_is_a_new_partition_and_a_run(db: Path, instance: dg.DagsterInstance) -> None:
    tick(instance)
    with duckdb.connect(str(db)) as con:  # a later end date: Los Angeles opens
        generate(con, GeneratorConfig(end=dt.date(2020, 12, 31)))

    result = tick(instance)

    assert isinstance(result, dg.SensorResult)
    assert [r.partition_key for r in result.run_requests] == ["6"]
    assert instance.get_dynamic_partitions(STORES) == ["1", "2", "3", "4", "5", "6"]
    # The requested run builds the new store's row.
    run = dg.materialize(
        [orders_by_store_model],
        partition_key=result.run_requests[0].partition_key,
        resources=defs.resources,
        instance=instance,
    )
    assert run.success
    assert store_rows(db) == {6: expected_by_store(db)[6]}


def test_a_removed_store_keeps_its_partition(db: Path, instance: dg.DagsterInstance) -> None:
    tick(instance)
    execute(db, "delete from raw_stores where id = 4")

    result = tick(instance)

    assert isinstance(result, dg.SkipReason)
    assert instance.get_dynamic_partitions(STORES) == ["1", "2", "3", "4", "5"]


def test_a_locked_file_skips_the_tick(raw_db: Path, instance: dg.DagsterInstance) -> None:
    """DuckDB lets no other process read while one writes: wait for the next tick."""
    writer = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
         "print('open', flush=True); time.sleep(60)", str(raw_db)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "open"
        result = tick(instance)
    finally:
        writer.kill()
        writer.wait()

    assert isinstance(result, dg.SkipReason)
    assert "is locked by a writer" in result.skip_message
    assert instance.get_dynamic_partitions(STORES) == []


def test_no_database_yet_skips_the_tick(
    tmp_path: Path, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "missing.duckdb"))

    result = tick(instance)

    assert isinstance(result, dg.SkipReason)
    assert "does not exist yet" in result.skip_message
    assert not (tmp_path / "missing.duckdb").exists()
