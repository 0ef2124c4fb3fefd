"""The dbt CLI path of the category, two-dimensional and dynamic models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagster_project.lib.generator import GeneratorConfig
from harness.oracle import (
    by_method_rows,
    cell_rows,
    expected_by_method,
    expected_by_store,
    expected_cells,
    store_rows,
)
from tests.support.dbt import assert_tests_passed, dbt_vars, run_dbt
from tests.support.warehouse import TestWarehouse

# The core semantics: on DuckDB and on a real PostgreSQL server; those marked
# `spark` on local Spark too.
pytestmark = pytest.mark.every_warehouse

BY_METHOD = "revenue_by_payment_method"
CELLS = "payments_by_month_and_method"
BY_STORE = "orders_by_store"
MARCH = dt.date(2018, 3, 1)
IN_MARCH = (
    "o.order_date >= cast('2018-03-01' as date) and o.order_date < cast('2018-04-01' as date)"
)


# --- category -----------------------------------------------------------------


def test_category_first_run_writes_only_its_method(db: TestWarehouse) -> None:
    run_dbt(["run", "--select", BY_METHOD, *dbt_vars(payment_method="coupon")], db)

    assert by_method_rows(db) == expected_by_method(db, ("coupon",))


@pytest.mark.spark(session=False)
def test_category_recomputes_its_method_and_leaves_the_others(db: TestWarehouse) -> None:
    run_dbt(["run", "--select", BY_METHOD], db)  # every method
    assert by_method_rows(db) == expected_by_method(db)
    db.execute(
        f"update {BY_METHOD} set payment_count = -1",
        "delete from raw_payments where payment_method = 'gift_card' "
        "and id = (select min(id) from raw_payments where payment_method = 'gift_card')",
    )

    run_dbt(["run", "--select", BY_METHOD, "--vars", "{payment_method: gift_card}"], db)

    rows = by_method_rows(db)
    assert rows["gift_card"] == expected_by_method(db, ("gift_card",))["gift_card"]
    assert {m: row["payment_count"] for m, row in rows.items() if m != "gift_card"} == {
        "credit_card": -1,
        "coupon": -1,
        "bank_transfer": -1,
    }


def test_category_list_of_methods_and_rerun_is_idempotent(db: TestWarehouse) -> None:
    args = ["run", "--select", BY_METHOD, "--vars", "{payment_method: [coupon, bank_transfer]}"]
    run_dbt(args, db)
    first = db.snapshot()

    run_dbt(args, db)

    assert db.snapshot() == first
    assert by_method_rows(db) == expected_by_method(db, ("coupon", "bank_transfer"))


# --- two-dimensional ----------------------------------------------------------


@pytest.mark.quick
def test_cell_first_run_writes_only_its_cell(db: TestWarehouse) -> None:
    one_cell = dbt_vars(partition_key="2018-03-01", payment_method="coupon")
    run_dbt(["run", "--select", CELLS, *one_cell], db)

    assert cell_rows(db) == expected_cells(db, "2018-03-01", "2018-04-01", ("coupon",))


@pytest.mark.spark(session=False)
def test_cell_recomputes_its_cell_and_leaves_its_row_and_column(db: TestWarehouse) -> None:
    half_year = dbt_vars(partition_start="2018-01-01", partition_end="2018-07-01")
    run_dbt(["run", "--select", CELLS, *half_year], db)
    assert cell_rows(db) == expected_cells(db, "2018-01-01", "2018-07-01")
    db.execute(
        f"update {CELLS} set payment_count = -1",
        # March's coupon cell changes in the source, so it must be recomputed.
        "delete from raw_payments where id = (select min(p.id) from raw_payments as p "
        "join raw_orders as o on o.id = p.order_id where p.payment_method = 'coupon' "
        f"and {IN_MARCH})",
    )

    one_cell = dbt_vars(partition_key="2018-03-01", payment_method="coupon")
    run_dbt(["run", "--select", CELLS, *one_cell], db)

    rows = cell_rows(db)
    expected = expected_cells(db, "2018-03-01", "2018-04-01", ("coupon",))
    assert rows[(MARCH, "coupon")] == expected[(MARCH, "coupon")]
    others = {cell: row for cell, row in rows.items() if cell != (MARCH, "coupon")}
    # The same month's other methods and the same method's other months stay.
    assert len(others) == 6 * 4 - 1
    assert all(row["payment_count"] == -1 for row in others.values())


def test_cell_range_along_time_for_one_method_is_idempotent(db: TestWarehouse) -> None:
    window = dbt_vars(
        partition_start="2018-11-01", partition_end="2019-03-01", payment_method="gift_card"
    )
    run_dbt(["run", "--select", CELLS, *window], db)
    first = db.snapshot()

    run_dbt(["run", "--select", CELLS, *window], db)

    assert db.snapshot() == first
    assert cell_rows(db) == expected_cells(db, "2018-11-01", "2019-03-01", ("gift_card",))


# --- dynamic ------------------------------------------------------------------


@pytest.mark.quick
def test_store_first_run_writes_only_its_store(db: TestWarehouse) -> None:
    run_dbt(["run", "--select", BY_STORE, "--vars", "{store_id: 3}"], db)

    assert store_rows(db) == {3: expected_by_store(db)[3]}


@pytest.mark.spark(session=False)
def test_store_recomputes_its_store_and_leaves_the_others(db: TestWarehouse) -> None:
    run_dbt(["run", "--select", BY_STORE], db)  # every store
    assert store_rows(db) == expected_by_store(db)
    db.execute(
        f"update {BY_STORE} set order_count = -1",
        "delete from raw_orders where id = (select min(id) from raw_orders where store_id = 2)",
    )

    run_dbt(["run", "--select", BY_STORE, *dbt_vars(store_id="2")], db)  # JSON: a string
    rows = store_rows(db)
    assert rows[2] == expected_by_store(db)[2]
    assert {store: row["order_count"] for store, row in rows.items() if store != 2} == {
        1: -1,
        3: -1,
        4: -1,
        5: -1,
    }

    run_dbt(["run", "--select", BY_STORE, *dbt_vars(store_id="2")], db)  # again
    assert store_rows(db) == rows


def test_a_list_of_stores_builds_exactly_those(db: TestWarehouse) -> None:
    """A single-run backfill of several stores passes them as one list."""
    run_dbt(["run", "--select", BY_STORE, *dbt_vars(store_id=[4, 2])], db)

    expected = expected_by_store(db)
    assert store_rows(db) == {2: expected[2], 4: expected[4]}


def test_a_later_end_brings_a_new_store(db: TestWarehouse) -> None:
    """Default data has stores opening after 2018; a later --end adds another."""
    before = expected_by_store(db)
    assert len(before) == 5
    assert max(row["opened_date"] for row in before.values()) > dt.date(2018, 12, 31)
    with_los_angeles = GeneratorConfig(end=dt.date(2020, 12, 31))
    assert [name for _, name, _ in with_los_angeles.stores][5:] == ["Los Angeles"]

    db.write_raw(with_los_angeles)
    run_dbt(["run", "--select", BY_STORE, "--vars", "{store_id: 6}"], db)

    assert store_rows(db) == {6: expected_by_store(db)[6]}
    # Orders only go to stores already open on the order date.
    [early] = db.query(
        "select count(*) as orders from raw_orders as o "
        "join raw_stores as s on s.id = o.store_id where o.order_date < s.opened_at"
    )
    assert early["orders"] == 0
    assert store_rows(db)[6]["order_count"] > 0


def test_a_removed_store_keeps_its_row(db: TestWarehouse) -> None:
    run_dbt(["run", "--select", BY_STORE], db)
    kept = store_rows(db)[5]
    db.execute("delete from raw_stores where id = 5")

    run_dbt(["run", "--select", BY_STORE], db)  # every store still in the data
    assert store_rows(db)[5] == kept

    before = db.snapshot()
    result = run_dbt(["run", "--select", BY_STORE, "--vars", "{store_id: 5}"], db, check=False)
    assert result.returncode != 0
    assert 'store_id="5": no such store in raw_stores' in result.stdout
    assert db.snapshot() == before


# --- validation ---------------------------------------------------------------


@pytest.fixture(scope="module")
def partition_types_built(built_template: TestWarehouse) -> Iterator[TestWarehouse]:
    """Every model built once, all three partitioned ones included; copied, never written."""
    db = built_template.copy("partition_types_built")
    run_dbt(["run", "--select", BY_METHOD, CELLS, BY_STORE], db)
    yield db
    db.drop()


@pytest.fixture
def partition_types_db(
    partition_types_built: TestWarehouse, tmp_path: Path
) -> Iterator[TestWarehouse]:
    """This test's own copy of `partition_types_built`."""
    db = partition_types_built.copy(tmp_path.name)
    yield db
    db.drop()


@pytest.mark.parametrize(
    ("vars_text", "message", "model"),
    [
        ("{payment_method: cash}", 'Invalid var payment_method="cash": expected one of', BY_METHOD),
        ("{payment_method: []}", "Invalid var payment_method=[]: expected one of", BY_METHOD),
        ("{payment_method: [coupon, Coupon]}", 'Invalid var payment_method="Coupon"', CELLS),
        ("{payment_method: 3}", 'Invalid var payment_method="3"', CELLS),
        ("{store_id: 0}", 'Invalid var store_id="0": expected the id of a store', BY_STORE),
        ("{store_id: Chicago}", 'Invalid var store_id="Chicago"', BY_STORE),
        ("{store_id: 2.5}", 'Invalid var store_id="2.5"', BY_STORE),
        ("{store_id: 99}", 'Invalid var store_id="99": no such store in raw_stores', BY_STORE),
        ("{store_id: []}", "Invalid var store_id=[]: expected the id of a store", BY_STORE),
        ("{store_id: [2, 99]}", 'Invalid var store_id="99": no such store in raw_stores', BY_STORE),
        ("{partition_key: 2018-03-15, payment_method: coupon}", "partition_key", CELLS),
    ],
)
def test_bad_vars_stop_dbt_and_change_nothing(
    partition_types_db: TestWarehouse, vars_text: str, message: str, model: str
) -> None:
    """Each model that reads a bad var stops before its SQL, and the error is
    headed with its name; a model that does not read it rebuilds the same rows."""
    before = partition_types_db.snapshot()

    result = run_dbt(
        ["run", "--select", BY_METHOD, CELLS, BY_STORE, "--vars", vars_text],
        partition_types_db,
        check=False,
    )

    assert result.returncode != 0
    assert message in result.stdout, result.stdout
    assert f"Compilation Error in model {model} " in result.stdout, result.stdout
    assert partition_types_db.snapshot() == before


def test_build_runs_the_unit_and_data_tests_of_each_partition_type(db: TestWarehouse) -> None:
    """The unit tests pin every var, so the run's own vars leave them valid."""
    result = run_dbt(
        ["build", "--select", BY_METHOD, CELLS, BY_STORE, "--vars",
         "{partition_key: 2018-03-01, payment_method: coupon, store_id: 4}"],
        db,
    )  # fmt: skip

    assert_tests_passed(
        result,
        [
            "revenue_by_payment_method_filters_to_its_method",
            "revenue_by_payment_method_unpaid_method_is_zeros",
            "payments_by_month_and_method_builds_only_its_cell",
            "payments_by_month_and_method_range_is_a_rectangle_of_cells",
            "orders_by_store_filters_to_its_store",
            "orders_by_store_new_store_without_orders_is_zeros",
            "unique_combination_payments_by_month_and_method_order_month__payment_method",
            "unique_orders_by_store_store_id",
            "unique_revenue_by_payment_method_payment_method",
        ],
    )
    assert by_method_rows(db) == expected_by_method(db, ("coupon",))
    assert cell_rows(db) == expected_cells(db, "2018-03-01", "2018-04-01", ("coupon",))
    assert store_rows(db) == {4: expected_by_store(db)[4]}
