"""The new_stores sensor: new store in raw_stores -> new partition and a run request."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import dagster as dg
import pytest

from dagster_project.defs.dbt import orders_by_store_model
from dagster_project.defs.sensors import new_stores
from dagster_project.lib.generator import GeneratorConfig
from harness.oracle import expected_by_store, store_rows
from tests.support.dagster import materialize
from tests.support.warehouse import DuckDBTestWarehouse, TestWarehouse

STORES = "stores"


def tick(instance: dg.DagsterInstance) -> dg.SensorResult | dg.SkipReason:
    """One sensor evaluation, its partition requests applied as the daemon would."""
    result = new_stores(dg.build_sensor_context(instance=instance))
    if isinstance(result, dg.SensorResult):
        for request in result.dynamic_partitions_requests or []:
            assert isinstance(request, dg.AddDynamicPartitionsRequest)
            instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
    return result


def store_ids(db: TestWarehouse) -> list[str]:
    return [str(row["id"]) for row in db.query("select id from raw_stores order by id")]


@pytest.mark.quick
def test_first_tick_adds_every_store_and_requests_each(
    raw_db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    result = tick(instance)

    assert isinstance(result, dg.SensorResult)
    assert store_ids(raw_db) == ["1", "2", "3", "4", "5"]
    assert [r.partition_key for r in result.run_requests] == store_ids(raw_db)
    assert instance.get_dynamic_partitions(STORES) == store_ids(raw_db)


def test_a_tick_with_nothing_new_requests_nothing(
    raw_db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    tick(instance)

    result = tick(instance)

    assert isinstance(result, dg.SkipReason)
    assert "No new stores" in result.skip_message
    assert instance.get_dynamic_partitions(STORES) == ["1", "2", "3", "4", "5"]


def test_a_new_store_is_a_new_partition_and_a_run(
    db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    tick(instance)
    db.write_raw(GeneratorConfig(end=dt.date(2020, 12, 31)))  # a later end: Los Angeles opens

    result = tick(instance)

    assert isinstance(result, dg.SensorResult)
    assert [r.partition_key for r in result.run_requests] == ["6"]
    assert instance.get_dynamic_partitions(STORES) == ["1", "2", "3", "4", "5", "6"]
    # The requested run builds the new store's row.
    run = materialize(
        orders_by_store_model, instance, partition_key=result.run_requests[0].partition_key
    )
    assert run.success
    assert store_rows(db) == {6: expected_by_store(db)[6]}


def test_a_removed_store_keeps_its_partition(
    db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    tick(instance)
    db.execute("delete from raw_stores where id = 4")

    result = tick(instance)

    assert isinstance(result, dg.SkipReason)
    assert instance.get_dynamic_partitions(STORES) == ["1", "2", "3", "4", "5"]


@pytest.mark.duckdb_only
def test_a_locked_file_skips_the_tick(
    raw_db: DuckDBTestWarehouse, instance: dg.DagsterInstance
) -> None:
    """DuckDB lets no other process read while one writes: wait for the next tick."""
    writer = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
         "print('open', flush=True); time.sleep(60)", str(raw_db.path)],
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


@pytest.mark.duckdb_only
def test_no_database_yet_skips_the_tick(
    empty_db: DuckDBTestWarehouse, instance: dg.DagsterInstance
) -> None:
    result = tick(instance)

    assert isinstance(result, dg.SkipReason)
    assert "does not exist yet" in result.skip_message
    assert not empty_db.path.exists()
