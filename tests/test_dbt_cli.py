"""The dbt CLI path: `dbt run --select orders_by_month --vars ...`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.support import (
    REPO_ROOT,
    dbt_vars,
    execute,
    expected_rows,
    model_rows,
    months,
    run_dbt,
    table_exists,
)

MARCH = dt.date(2018, 3, 1)


def test_first_run_of_one_partition_writes_only_that_month(db: Path) -> None:
    assert not table_exists(db, "orders_by_month")

    run_dbt(["run", "--select", "orders_by_month", *dbt_vars(partition_key="2018-03-01")], db)

    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")


def test_partition_key_recomputes_its_month_and_leaves_the_others(db: Path) -> None:
    run_dbt(["run", "--select", "orders_by_month"], db)  # every month
    # Mark every stored month, so a month that is recomputed shows it, and
    # change March's source so that March must be recomputed to be right.
    execute(
        db,
        "update orders_by_month set order_count = -1",
        "delete from raw_orders where id = (select min(id) from raw_orders "
        "where order_date >= date '2018-03-01' and order_date < date '2018-04-01')",
    )
    run_dbt(["run", "--select", "orders_by_month", *dbt_vars(partition_key="2018-03-01")], db)

    rows = model_rows(db)
    assert rows[MARCH] == expected_rows(db, "2018-03-01", "2018-04-01")[MARCH]
    others = {month: row for month, row in rows.items() if month != MARCH}
    assert len(others) == len(rows) - 1 > 20
    assert all(row[0] == -1 for row in others.values())


def test_no_vars_builds_every_partition_month(db: Path) -> None:
    run_dbt(["run", "--select", "orders_by_month"], db)

    current_month = dt.datetime.now(dt.UTC).date().replace(day=1)
    expected = expected_rows(db, "2018-01-01", current_month.isoformat())
    assert model_rows(db) == expected
    # The default data ends in December 2019: later months are rows of zeros.
    assert expected[dt.date(2019, 12, 1)][0] > 0
    assert expected[dt.date(2020, 1, 1)][0] == 0


def test_range_vars_build_exactly_the_half_open_window(db: Path) -> None:
    run_dbt(
        [
            "run",
            "--select",
            "orders_by_month",
            *dbt_vars(partition_start="2018-02-01", partition_end="2018-05-01"),
        ],
        db,
    )

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
def test_date_and_string_vars_agree(db: Path, vars_text: str) -> None:
    run_dbt(["run", "--select", "orders_by_month", "--vars", vars_text], db)

    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")


def test_rerun_is_idempotent(db: Path) -> None:
    window = dbt_vars(partition_start="2018-01-01", partition_end="2018-07-01")
    run_dbt(["run", "--select", "orders_by_month", *window], db)
    first = model_rows(db)

    run_dbt(["run", "--select", "orders_by_month", *window], db)

    assert model_rows(db) == first == expected_rows(db, "2018-01-01", "2018-07-01")


def test_emptied_month_is_cleared_not_left_stale(db: Path) -> None:
    run_dbt(["run", "--select", "orders_by_month", *dbt_vars(partition_key="2018-03-01")], db)
    assert model_rows(db)[MARCH][0] > 0

    execute(
        db,
        "delete from raw_payments where order_id in (select id from raw_orders "
        "where order_date >= date '2018-03-01' and order_date < date '2018-04-01')",
        "delete from raw_orders "
        "where order_date >= date '2018-03-01' and order_date < date '2018-04-01'",
    )
    run_dbt(["run", "--select", "orders_by_month", *dbt_vars(partition_key="2018-03-01")], db)

    zeros = (0,) * 7 + (0,) * 6
    assert model_rows(db) == {MARCH: zeros}


def test_cli_from_root_and_from_dbt_project_open_the_same_file(db: Path) -> None:
    """Relative to where dbt runs, the profile must still find the same file."""
    from_project = run_dbt(["run-operation", "print_duckdb_path", "--quiet"], db)
    from_root = run_dbt(
        ["run-operation", "print_duckdb_path", "--quiet", "--project-dir", "dbt_project"],
        db,
        cwd=REPO_ROOT,
    )

    assert from_project.stdout.strip() == from_root.stdout.strip() == str(db)


def test_build_with_partition_key_passes_unit_and_data_tests(db: Path) -> None:
    """The unit tests pin their own vars, so any run's vars leave them valid."""
    result = run_dbt(
        ["build", "--select", "orders_by_month", "--vars", "{partition_key: 2018-03-01}"], db
    )

    for test in (
        "orders_by_month_window_is_half_open",
        "orders_by_month_empty_month_is_zeros",
        "unique_orders_by_month_order_month",
        "not_null_orders_by_month_order_month",
    ):
        assert any(test in line and "PASS" in line for line in result.stdout.splitlines()), test
    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")
