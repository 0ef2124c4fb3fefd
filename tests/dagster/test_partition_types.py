"""The Dagster path of the category, two-dimensional and dynamic partitions."""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_project.defs.dbt import (
    orders_by_store_model,
    payments_by_month_and_method_model,
    revenue_by_payment_method_model,
)
from harness.oracle import (
    by_method_rows,
    cell_rows,
    expected_by_method,
    expected_by_store,
    expected_cells,
    store_rows,
)
from tests.support.dagster import materialize
from tests.support.dbt import dbt_vars, run_dbt
from tests.support.warehouse import TestWarehouse

# The core semantics: on DuckDB and on a real PostgreSQL server.
pytestmark = pytest.mark.every_warehouse


def materialize_passing(
    assets_def: dg.AssetsDefinition, instance: dg.DagsterInstance, **kwargs
) -> dg.ExecuteInJobResult:
    """One run that must succeed with every check passed."""
    result = materialize(assets_def, instance, **kwargs)
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    return result


@pytest.mark.quick
def test_category_one_partition(db: TestWarehouse, instance: dg.DagsterInstance) -> None:
    materialize_passing(revenue_by_payment_method_model, instance, partition_key="bank_transfer")

    assert by_method_rows(db) == expected_by_method(db, ("bank_transfer",))
    assert instance.get_materialized_partitions(dg.AssetKey("revenue_by_payment_method")) == {
        "bank_transfer"
    }


def test_category_range_is_one_run_and_leaves_the_others(
    db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    materialize_passing(revenue_by_payment_method_model, instance, partition_key="credit_card")
    db.execute("update revenue_by_payment_method set payment_count = -1")

    # coupon..gift_card in key order: coupon, bank_transfer, gift_card
    materialize_passing(
        revenue_by_payment_method_model, instance, key_range=("coupon", "gift_card")
    )

    rows = by_method_rows(db)
    assert rows["credit_card"]["payment_count"] == -1
    assert {m: rows[m] for m in ("coupon", "bank_transfer", "gift_card")} == expected_by_method(
        db, ("coupon", "bank_transfer", "gift_card")
    )
    first = db.snapshot()
    materialize_passing(revenue_by_payment_method_model, instance, partition_key="coupon")
    assert db.snapshot() == first


@pytest.mark.quick
def test_cell_one_partition_from_the_2d_picker(
    db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    key = dg.MultiPartitionKey({"month": "2019-06-01", "payment_method": "gift_card"})
    materialize_passing(payments_by_month_and_method_model, instance, partition_key=key)

    assert cell_rows(db) == expected_cells(db, "2019-06-01", "2019-07-01", ("gift_card",))
    assert instance.get_materialized_partitions(dg.AssetKey("payments_by_month_and_method")) == {
        "2019-06-01|gift_card"
    }


def test_cell_range_along_time_is_one_run_of_only_its_cells(
    db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    half_year = dbt_vars(partition_start="2018-01-01", partition_end="2018-07-01")
    run_dbt(["run", "--select", "payments_by_month_and_method", *half_year], db)
    db.execute("update payments_by_month_and_method set payment_count = -1")
    coupon_february_to_april = ("2018-02-01|coupon", "2018-04-01|coupon")

    materialize_passing(
        payments_by_month_and_method_model, instance, key_range=coupon_february_to_april
    )

    rows = cell_rows(db)
    expected = expected_cells(db, "2018-02-01", "2018-05-01", ("coupon",))
    assert {cell: rows[cell] for cell in expected} == expected
    others = {cell: row for cell, row in rows.items() if cell not in expected}
    assert len(others) == 6 * 4 - 3
    assert all(row["payment_count"] == -1 for row in others.values())
    assert instance.get_materialized_partitions(dg.AssetKey("payments_by_month_and_method")) == {
        "2018-02-01|coupon",
        "2018-03-01|coupon",
        "2018-04-01|coupon",
    }
    assert len(instance.get_run_records()) == 1

    first = db.snapshot()
    materialize_passing(
        payments_by_month_and_method_model, instance, key_range=coupon_february_to_april
    )
    assert db.snapshot() == first


def test_store_partition(
    db: TestWarehouse, second_db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    instance.add_dynamic_partitions("stores", ["3"])

    materialize_passing(orders_by_store_model, instance, partition_key="3")
    first = db.snapshot()
    materialize_passing(orders_by_store_model, instance, partition_key="3")

    assert db.snapshot() == first
    assert store_rows(db) == {3: expected_by_store(db)[3]}
    assert store_rows(db)[3]["order_count"] > 0
    # The dbt CLI with the same var writes the same row.
    run_dbt(["run", "--select", "orders_by_store", "--vars", "{store_id: 3}"], second_db)
    assert store_rows(second_db) == store_rows(db)


def test_a_range_of_stores_is_one_run(db: TestWarehouse, instance: dg.DagsterInstance) -> None:
    """A single-run backfill of several stores: one dbt command with a list of store ids."""
    instance.add_dynamic_partitions("stores", ["1", "2", "3", "4", "5"])

    materialize_passing(orders_by_store_model, instance, key_range=("2", "4"))

    expected = expected_by_store(db)
    assert store_rows(db) == {store: expected[store] for store in (2, 3, 4)}
    assert instance.get_materialized_partitions(dg.AssetKey("orders_by_store")) == {"2", "3", "4"}
    assert len(instance.get_run_records()) == 1
