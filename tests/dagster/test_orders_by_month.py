"""The Dagster path of orders_by_month: materialize partitions the way the UI and backfills do."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from dagster_project.definitions import defs
from dagster_project.defs.dbt import unpartitioned_models
from dagster_project.defs.partitions import all_months_window, monthly_partitions
from dagster_project.defs.raw import raw_tables
from harness.oracle import expected_rows, model_rows, months
from tests.support.dagster import materialize_month, materialize_months
from tests.support.dbt import dbt_vars, run_dbt
from tests.support.spark import spark_session_running
from tests.support.warehouse import TestWarehouse

# The core semantics: on DuckDB and on a real PostgreSQL server; those marked
# `spark` on local Spark too.
pytestmark = pytest.mark.every_warehouse

ORDERS_BY_MONTH = dg.AssetKey("orders_by_month")
FULL_REFRESH = {"ops": {"orders_by_month_model": {"config": {"full_refresh": True}}}}


@pytest.mark.spark
@pytest.mark.quick
def test_one_partition(db: TestWarehouse, instance: dg.DagsterInstance) -> None:
    result = materialize_month(instance, "2018-03-01")

    assert result.success
    if db.adapter in ("spark", "spark_thrift"):
        # The run stopped its Spark session (local Spark), or never started
        # one (the cluster): none is left in this process.
        assert not spark_session_running()
    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")
    assert instance.get_materialized_partitions(ORDERS_BY_MONTH) == {"2018-03-01"}
    checks = result.get_asset_check_evaluations()
    assert {c.check_name for c in checks} >= {
        "unique_orders_by_month_order_month",
        "not_null_orders_by_month_order_month",
    }
    assert all(c.passed for c in checks)


@pytest.mark.spark
@pytest.mark.quick
def test_range_run_records_every_partition(db: TestWarehouse, instance: dg.DagsterInstance) -> None:
    result = materialize_months(instance, "2018-01-01", "2018-04-01")

    assert result.success
    assert model_rows(db) == expected_rows(db, "2018-01-01", "2018-05-01")
    assert instance.get_materialized_partitions(ORDERS_BY_MONTH) == {
        "2018-01-01",
        "2018-02-01",
        "2018-03-01",
        "2018-04-01",
    }
    # One run, one dbt command for the four months.
    assert len(instance.get_run_records()) == 1


def test_rerun_of_a_range_is_idempotent(db: TestWarehouse, instance: dg.DagsterInstance) -> None:
    assert materialize_months(instance, "2018-01-01", "2018-04-01").success
    first = db.snapshot()

    assert materialize_months(instance, "2018-02-01", "2018-03-01").success

    assert db.snapshot() == first


def test_cli_and_dagster_give_identical_rows(
    db: TestWarehouse, second_db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    assert materialize_months(instance, "2018-01-01", "2018-04-01").success
    assert materialize_month(instance, "2019-06-01").success
    for month in ["2018-01-01", "2018-02-01", "2018-03-01", "2018-04-01", "2019-06-01"]:
        run_dbt(["run", "--select", "orders_by_month", *dbt_vars(partition_key=month)], second_db)

    dagster_rows = model_rows(db)
    assert dagster_rows == model_rows(second_db)
    assert sorted(dagster_rows) == [*months("2018-01-01", "2018-05-01"), dt.date(2019, 6, 1)]


def test_everything_from_an_empty_database(
    empty_db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    """Raw tables, then every unpartitioned model, then a partition, through Dagster."""
    everything = dg.materialize(
        [raw_tables, unpartitioned_models],
        resources=defs.resources,
        instance=instance,
    )
    assert everything.success
    assert all(c.passed for c in everything.get_asset_check_evaluations())
    materialized = {
        e.asset_key.to_user_string() for e in everything.get_asset_materialization_events()
    }
    assert materialized == {
        "raw_customers", "raw_orders", "raw_payments", "raw_stores",
        "stg_customers", "stg_orders", "stg_payments", "stg_stores",
        "customers", "orders",
    }  # fmt: skip

    assert materialize_month(instance, "2019-12-01").success
    assert model_rows(empty_db) == expected_rows(empty_db, "2019-12-01", "2020-01-01")


def test_late_orders_appear_in_their_month_only(
    db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    assert materialize_months(instance, "2018-01-01", "2018-03-01").success
    before = model_rows(db)

    # Two orders for February 2018 arrive late, one of them paid.
    db.execute(
        "insert into raw_orders (id, user_id, order_date, status, store_id) values "
        "(900001, 1, cast('2018-02-01' as date), 'placed', 1), "
        "(900002, 2, cast('2018-02-28' as date), 'completed', 1)",
        "insert into raw_payments (id, order_id, payment_method, amount) "
        "values (900001, 900002, 'gift_card', 1234)",
    )
    assert materialize_month(instance, "2018-02-01").success

    after = model_rows(db)
    february = dt.date(2018, 2, 1)
    assert after[february] == expected_rows(db, "2018-02-01", "2018-03-01")[february]
    assert after[february]["order_count"] == before[february]["order_count"] + 2
    assert {m: r for m, r in after.items() if m != february} == {
        m: r for m, r in before.items() if m != february
    }


@pytest.mark.parametrize("key", ["2018-03-15", "2017-12-01", "2018-13-01", "nonsense"])
def test_unknown_partition_keys_are_refused(
    db: TestWarehouse, instance: dg.DagsterInstance, key: str
) -> None:
    before = db.snapshot()
    with pytest.raises(
        dg.DagsterUnknownPartitionError, match=f"Could not find a partition with key `{key}`"
    ):
        materialize_month(instance, key)
    assert db.snapshot() == before


# --- full refresh ----------------------------------------------------------------


def test_full_refresh_of_one_partition_is_refused(
    db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    run_dbt(["run", "--select", "orders_by_month", *dbt_vars(partition_key="2018-03-01")], db)
    before = db.snapshot()

    result = materialize_month(
        instance, "2018-03-01", run_config=FULL_REFRESH, raise_on_error=False
    )

    assert not result.success
    failure = result.failure_data_for_node("orders_by_month_model")
    assert failure is not None and failure.error is not None
    assert "must target every partition" in failure.error.message
    assert "not [2018-03-01, 2018-04-01)" in failure.error.message
    assert db.snapshot() == before


def test_full_refresh_over_every_partition_rebuilds_every_month(
    db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    run_dbt(["run", "--select", "orders_by_month", *dbt_vars(partition_key="2018-03-01")], db)
    db.execute("update orders_by_month set order_count = -1")  # a damaged table
    keys = monthly_partitions.get_partition_keys()

    result = materialize_months(instance, keys[0], keys[-1], run_config=FULL_REFRESH)

    assert result.success
    end = all_months_window().end.date().isoformat()
    assert model_rows(db) == expected_rows(db, "2018-01-01", end)
    assert instance.get_materialized_partitions(ORDERS_BY_MONTH) == set(keys)
