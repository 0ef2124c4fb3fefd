"""The Dagster path of the category, two-dimensional and dynamic partitions."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

from dagster_project.assets.partition_kinds import (
    orders_by_store_model,
    payments_by_month_and_method_model,
    revenue_by_payment_method_model,
)
from dagster_project.definitions import defs
from tests.kinds_support import (
    by_method_rows,
    cell_rows,
    expected_by_method,
    expected_by_store,
    expected_cells,
    store_rows,
)
from tests.support import RANGE_END, RANGE_START, dbt_vars, execute, run_dbt, snapshot


def materialize(
    assets_def: dg.AssetsDefinition, instance: dg.DagsterInstance, **kwargs
) -> dg.ExecuteInJobResult:
    result = dg.materialize([assets_def], resources=defs.resources, instance=instance, **kwargs)
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    return result


def test_category_one_partition(db: Path, instance: dg.DagsterInstance) -> None:
    materialize(revenue_by_payment_method_model, instance, partition_key="bank_transfer")

    assert by_method_rows(db) == expected_by_method(db, ("bank_transfer",))
    assert instance.get_materialized_partitions(dg.AssetKey("revenue_by_payment_method")) == {
        "bank_transfer"
    }


def test_category_range_is_one_run_and_leaves_the_others(
    db: Path, instance: dg.DagsterInstance
) -> None:
    materialize(revenue_by_payment_method_model, instance, partition_key="credit_card")
    execute(db, "update revenue_by_payment_method set payment_count = -1")

    # coupon..gift_card in key order: coupon, bank_transfer, gift_card
    materialize(
        revenue_by_payment_method_model,
        instance,
        tags={RANGE_START: "coupon", RANGE_END: "gift_card"},
    )

    rows = by_method_rows(db)
    assert rows["credit_card"][0] == -1
    assert {m: rows[m] for m in ("coupon", "bank_transfer", "gift_card")} == expected_by_method(
        db, ("coupon", "bank_transfer", "gift_card")
    )
    first = snapshot(db)
    materialize(revenue_by_payment_method_model, instance, partition_key="coupon")
    assert snapshot(db) == first


def test_cell_one_partition_from_the_2d_picker(db: Path, instance: dg.DagsterInstance) -> None:
    key = dg.MultiPartitionKey({"month": "2019-06-01", "payment_method": "gift_card"})
    materialize(payments_by_month_and_method_model, instance, partition_key=key)

    assert cell_rows(db) == expected_cells(db, "2019-06-01", "2019-07-01", ("gift_card",))
    assert instance.get_materialized_partitions(dg.AssetKey("payments_by_month_and_method")) == {
        "2019-06-01|gift_card"
    }


def test_cell_range_along_time_is_one_run_of_only_its_cells(
    db: Path, instance: dg.DagsterInstance
) -> None:
    run_dbt(
        ["run", "--select", "payments_by_month_and_method",
         *dbt_vars(partition_start="2018-01-01", partition_end="2018-07-01")],
        db,
    )  # fmt: skip
    execute(db, "update payments_by_month_and_method set payment_count = -1")

    materialize(
        payments_by_month_and_method_model,
        instance,
        tags={RANGE_START: "2018-02-01|coupon", RANGE_END: "2018-04-01|coupon"},
    )

    rows = cell_rows(db)
    expected = expected_cells(db, "2018-02-01", "2018-05-01", ("coupon",))
    assert {cell: rows[cell] for cell in expected} == expected
    others = {cell: row for cell, row in rows.items() if cell not in expected}
    assert len(others) == 6 * 4 - 3
    assert all(row[0] == -1 for row in others.values())
    assert instance.get_materialized_partitions(dg.AssetKey("payments_by_month_and_method")) == {
        "2018-02-01|coupon",
        "2018-03-01|coupon",
        "2018-04-01|coupon",
    }
    assert len(instance.get_run_records()) == 1

    first = snapshot(db)
    materialize(
        payments_by_month_and_method_model,
        instance,
        tags={RANGE_START: "2018-02-01|coupon", RANGE_END: "2018-04-01|coupon"},
    )
    assert snapshot(db) == first


def test_store_partition(db: Path, instance: dg.DagsterInstance, tmp_path: Path) -> None:
    instance.add_dynamic_partitions("stores", ["3"])
    cli_db = tmp_path / "cli.duckdb"
    shutil.copy(db, cli_db)

    materialize(orders_by_store_model, instance, partition_key="3")
    first = snapshot(db)
    materialize(orders_by_store_model, instance, partition_key="3")

    assert snapshot(db) == first
    assert store_rows(db) == {3: expected_by_store(db)[3]}
    assert store_rows(db)[3][3] > 0
    # The dbt CLI with the same var writes the same row.
    run_dbt(["run", "--select", "orders_by_store", "--vars", "{store_id: 3}"], cli_db)
    assert store_rows(cli_db) == store_rows(db)
