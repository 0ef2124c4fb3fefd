"""The dbt CLI path of orders_by_month: `dbt run --select orders_by_month --vars ...`."""

from __future__ import annotations

import datetime as dt

import pytest

from dagster_project.defs.partitions import all_months_window
from harness.oracle import ZERO_MONTH, expected_rows, model_rows, months
from tests.support.dbt import assert_tests_passed, dbt_vars, run_dbt
from tests.support.warehouse import TestWarehouse

# The core semantics: on DuckDB and on a real PostgreSQL server; those marked
# `spark` on local Spark too.
pytestmark = pytest.mark.every_warehouse

MARCH = dt.date(2018, 3, 1)


def run_march(db: TestWarehouse) -> None:
    run_dbt(["run", "--select", "orders_by_month", *dbt_vars(partition_key="2018-03-01")], db)


def every_month_end() -> str:
    """The end of every partition month: the first day of the current month."""
    return all_months_window().end.date().isoformat()


@pytest.mark.spark
@pytest.mark.quick
def test_first_run_of_one_partition_writes_only_that_month(db: TestWarehouse) -> None:
    assert not db.table_exists("orders_by_month")

    run_march(db)

    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")


@pytest.mark.spark
def test_partition_key_recomputes_its_month_and_leaves_the_others(db: TestWarehouse) -> None:
    run_dbt(["run", "--select", "orders_by_month"], db)  # every month
    # Mark every stored month, so a month that is recomputed shows it, and
    # change March's source so that March must be recomputed to be right.
    db.execute(
        "update orders_by_month set order_count = -1",
        "delete from raw_orders where id = (select min(id) from raw_orders "
        "where order_date >= cast('2018-03-01' as date) "
        "and order_date < cast('2018-04-01' as date))",
    )

    run_march(db)

    rows = model_rows(db)
    assert rows[MARCH] == expected_rows(db, "2018-03-01", "2018-04-01")[MARCH]
    others = {month: row for month, row in rows.items() if month != MARCH}
    assert len(others) == len(rows) - 1 > 20
    assert all(row["order_count"] == -1 for row in others.values())


@pytest.mark.spark(session=False)
@pytest.mark.quick
def test_no_vars_builds_every_partition_month(db: TestWarehouse) -> None:
    run_dbt(["run", "--select", "orders_by_month"], db)

    current_month = dt.datetime.now(dt.UTC).date().replace(day=1)
    expected = expected_rows(db, "2018-01-01", current_month.isoformat())
    assert model_rows(db) == expected
    # The default data ends in December 2019: later months are rows of zeros.
    assert expected[dt.date(2019, 12, 1)]["order_count"] > 0
    assert expected[dt.date(2020, 1, 1)]["order_count"] == 0


@pytest.mark.quick
def test_range_vars_build_exactly_the_half_open_window(db: TestWarehouse) -> None:
    window = dbt_vars(partition_start="2018-02-01", partition_end="2018-05-01")
    run_dbt(["run", "--select", "orders_by_month", *window], db)

    rows = model_rows(db)
    assert sorted(rows) == months("2018-02-01", "2018-05-01")
    assert rows == expected_rows(db, "2018-02-01", "2018-05-01")


@pytest.mark.parametrize(
    "vars_text",
    [
        '{"partition_key": "2018-03-01"}',  # JSON: a string
        "{partition_key: 2018-03-01}",  # YAML: a date
        "partition_key: '2018-03-01'",  # YAML: a quoted string
    ],
)
def test_date_and_string_vars_agree(db: TestWarehouse, vars_text: str) -> None:
    run_dbt(["run", "--select", "orders_by_month", "--vars", vars_text], db)

    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")


@pytest.mark.spark(session=False)
def test_rerun_is_idempotent(db: TestWarehouse) -> None:
    window = dbt_vars(partition_start="2018-01-01", partition_end="2018-07-01")
    run_dbt(["run", "--select", "orders_by_month", *window], db)
    first = model_rows(db)

    run_dbt(["run", "--select", "orders_by_month", *window], db)

    assert model_rows(db) == first == expected_rows(db, "2018-01-01", "2018-07-01")


@pytest.mark.spark(session=False)
def test_emptied_month_is_cleared_not_left_stale(db: TestWarehouse) -> None:
    run_march(db)
    assert model_rows(db)[MARCH]["order_count"] > 0

    march = "order_date >= cast('2018-03-01' as date) and order_date < cast('2018-04-01' as date)"
    db.execute(
        f"delete from raw_payments where order_id in (select id from raw_orders where {march})",
        f"delete from raw_orders where {march}",
    )
    run_march(db)

    assert model_rows(db) == {MARCH: ZERO_MONTH}


def test_build_with_partition_key_passes_unit_and_data_tests(db: TestWarehouse) -> None:
    """The unit tests pin their own vars, so any run's vars leave them valid."""
    result = run_dbt(
        ["build", "--select", "orders_by_month", "--vars", "{partition_key: 2018-03-01}"], db
    )

    assert_tests_passed(
        result,
        [
            "orders_by_month_window_is_half_open",
            "orders_by_month_empty_month_is_zeros",
            "unique_orders_by_month_order_month",
            "not_null_orders_by_month_order_month",
        ],
    )
    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")


# --- full refresh and schema change --------------------------------------------


def test_full_refresh_rebuilds_every_month_and_refuses_a_window(db: TestWarehouse) -> None:
    run_march(db)
    before = db.snapshot()
    refused = run_dbt(
        ["run", "--select", "orders_by_month", "--full-refresh",
         *dbt_vars(partition_key="2018-03-01")],
        db,
        check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "Invalid vars with --full-refresh" in refused.stdout
    assert 'partition_key="2018-03-01"' in refused.stdout
    assert db.snapshot() == before

    run_dbt(["run", "--select", "orders_by_month", "--full-refresh"], db)
    assert model_rows(db) == expected_rows(db, "2018-01-01", every_month_end())


def test_schema_change_fails_and_leaves_the_table_until_a_full_refresh(
    db: TestWarehouse,
) -> None:
    """on_schema_change='fail': a column the table lacks stops the run."""
    run_march(db)
    # The table as an older version of the model left it: one column fewer.
    db.execute("alter table orders_by_month drop column average_order_value")
    before = db.snapshot()

    result = run_dbt(
        ["run", "--select", "orders_by_month", *dbt_vars(partition_key="2018-04-01")],
        db,
        check=False,
    )
    assert result.returncode != 0
    assert "on_schema_change" in result.stdout, result.stdout
    assert db.snapshot() == before

    run_dbt(["run", "--select", "orders_by_month", "--full-refresh"], db)
    assert model_rows(db) == expected_rows(db, "2018-01-01", every_month_end())
