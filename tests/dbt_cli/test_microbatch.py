"""The dbt CLI path of orders_by_month_microbatch: `dbt run --event-time-start/--event-time-end`.

The same guarantees as orders_by_month (tests/dbt_cli/test_orders_by_month.py),
from dbt's microbatch strategy; expected numbers from harness/oracle.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from harness.oracle import ZERO_MONTH, expected_rows, model_rows, months
from tests.support.dbt import assert_tests_passed, dbt_vars, run_dbt
from tests.support.microbatch import (
    MODEL,
    break_month,
    event_time,
    microbatch_rows,
    repair_month,
    run_microbatch,
)
from tests.support.warehouse import TestWarehouse

# The core semantics: on DuckDB and on a real PostgreSQL server; those marked
# `spark(session=False)` on the Spark cluster too, and the two models'
# equality (`spark`) on local Spark in the session as well.
pytestmark = pytest.mark.every_warehouse

MARCH = dt.date(2018, 3, 1)
IN_MARCH = "order_date >= cast('2018-03-01' as date) and order_date < cast('2018-04-01' as date)"


def first_of_next_month() -> dt.date:
    today = dt.datetime.now(dt.UTC).date()
    return (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


@pytest.mark.spark(session=False)
def test_first_run_writes_only_its_window(db: TestWarehouse) -> None:
    assert not db.table_exists(MODEL)

    run_microbatch(db, "2018-03-01", "2018-05-01")

    assert microbatch_rows(db) == expected_rows(db, "2018-03-01", "2018-05-01")


@pytest.mark.spark(session=False)
def test_a_run_writes_only_its_months(db: TestWarehouse) -> None:
    run_microbatch(db, "2018-01-01", "2018-07-01")
    # Mark every stored month, and change March's source so that March must
    # be recomputed to be right.
    db.execute(
        f"update {MODEL} set order_count = -1",
        f"delete from raw_orders where id = (select min(id) from raw_orders where {IN_MARCH})",
    )

    run_microbatch(db, "2018-03-01", "2018-04-01")

    rows = microbatch_rows(db)
    assert rows[MARCH] == expected_rows(db, "2018-03-01", "2018-04-01")[MARCH]
    others = {month: row for month, row in rows.items() if month != MARCH}
    assert sorted(others) == [m for m in months("2018-01-01", "2018-07-01") if m != MARCH]
    assert all(row["order_count"] == -1 for row in others.values())


@pytest.mark.spark  # on every target: the local session too
def test_the_two_models_are_equal_month_by_month(db: TestWarehouse) -> None:
    """Across the end of the data (2019-12): months with orders and months of zeros."""
    run_dbt(
        ["run", "--select", "orders_by_month",
         *dbt_vars(partition_start="2019-10-01", partition_end="2020-03-01")],
        db,
    )  # fmt: skip
    run_microbatch(db, "2019-10-01", "2020-03-01")

    expected = expected_rows(db, "2019-10-01", "2020-03-01")
    assert microbatch_rows(db) == model_rows(db) == expected
    assert expected[dt.date(2019, 12, 1)]["order_count"] > 0
    assert expected[dt.date(2020, 1, 1)] == ZERO_MONTH


@pytest.mark.spark(session=False)
def test_rerun_is_idempotent(db: TestWarehouse) -> None:
    run_microbatch(db, "2018-01-01", "2018-04-01")
    first = db.snapshot()

    run_microbatch(db, "2018-01-01", "2018-04-01")

    assert db.snapshot() == first
    assert microbatch_rows(db) == expected_rows(db, "2018-01-01", "2018-04-01")


@pytest.mark.spark(session=False)
def test_emptied_month_becomes_a_row_of_zeros(db: TestWarehouse) -> None:
    run_microbatch(db, "2018-03-01", "2018-04-01")
    assert microbatch_rows(db)[MARCH]["order_count"] > 0

    db.execute(
        f"delete from raw_payments where order_id in (select id from raw_orders where {IN_MARCH})",
        f"delete from raw_orders where {IN_MARCH}",
    )
    run_microbatch(db, "2018-03-01", "2018-04-01")

    assert microbatch_rows(db) == {MARCH: ZERO_MONTH}


def test_without_flags_dbt_builds_up_to_now_then_only_the_last_months(db: TestWarehouse) -> None:
    """dbt's own defaults, unlike orders_by_month's: a first run builds every month from
    `begin` through the current, incomplete one; a later run, the current and previous
    month (lookback 1)."""
    run_dbt(["run", "--select", MODEL], db)
    end = first_of_next_month()
    assert microbatch_rows(db) == expected_rows(db, "2018-01-01", end.isoformat())

    db.execute(f"update {MODEL} set order_count = -1")
    run_dbt(["run", "--select", MODEL], db)

    rows = microbatch_rows(db)
    rebuilt = {month for month, row in rows.items() if row["order_count"] != -1}
    previous = (end - dt.timedelta(days=32)).replace(day=1)
    current = (end - dt.timedelta(days=1)).replace(day=1)
    assert rebuilt == {previous, current}


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--event-time-start", "2018-03-01"],
            "The flag `--event-time-start` was specified, but `--event-time-end` was not.",
        ),
        (
            ["--event-time-end", "2018-04-01"],
            "The flag `--event-time-end` was specified, but `--event-time-start` was not.",
        ),
        (
            event_time("2018-13-01", "2019-01-01"),
            "Invalid value for '--event-time-start': '2018-13-01' does not match the formats",
        ),
        (
            event_time("2018-04-01", "2018-03-01"),
            "Value for `--event-time-start` must be less than `--event-time-end`",
        ),
        # dbt would round these out to whole months: refused by validate_event_time_flags().
        (
            event_time("2018-03-15", "2018-04-01"),
            "Invalid --event-time-start 2018-03-15T00:00:00: expected the first day of a month",
        ),
        (
            event_time("2018-03-01T06:00:00", "2018-04-01"),
            "Invalid --event-time-start 2018-03-01T06:00:00: expected the first day of a month",
        ),
        # dbt would write rows of zeros for months Dagster has no partition for.
        (
            event_time("2017-12-01", "2018-02-01"),
            "Invalid --event-time-start 2017-12-01T00:00:00: expected the first day of a month"
            " (YYYY-MM-01, UTC) from 2018-01-01 up to the current month",
        ),
        (
            event_time("2018-03-01", "2099-01-01"),
            "Invalid --event-time-end 2099-01-01T00:00:00: expected the first day of a month",
        ),
        # A full refresh recreates the table: with flags it would hold only their months.
        (
            ["--full-refresh", *event_time("2018-03-01", "2018-04-01")],
            "Invalid --event-time-start 2018-03-01T00:00:00 with --full-refresh",
        ),
    ],
)
def test_bad_or_half_given_flags_are_refused_and_change_nothing(
    db: TestWarehouse, flags: list[str], message: str
) -> None:
    run_microbatch(db, "2018-03-01", "2018-04-01")
    before = db.snapshot()

    # The `dbt` process: click's own errors are worded by the command line.
    result = run_dbt(["run", "--select", MODEL, *flags], db, check=False, process=True)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert message in " ".join(output.split()), output
    assert db.snapshot() == before


def test_build_passes_its_unit_and_data_tests(db: TestWarehouse) -> None:
    """The unit tests set the batch's months themselves, so any run's flags leave them valid."""
    result = run_dbt(["build", "--select", MODEL, *event_time("2018-03-01", "2018-04-01")], db)

    assert_tests_passed(
        result,
        [
            "orders_by_month_microbatch_batch_is_its_calendar_month",
            "orders_by_month_microbatch_empty_month_is_zeros",
            "orders_by_month_microbatch_leap_day_is_the_last_day_of_february",
            "orders_by_month_microbatch_average_rounds_the_half_cent_up",
            "unique_orders_by_month_microbatch_order_month",
            "not_null_orders_by_month_microbatch_order_month",
        ],
    )
    assert microbatch_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")


# --- a failed batch ----------------------------------------------------------------


@pytest.mark.spark(session=False)
def test_a_failed_batch_leaves_the_others_and_dbt_retry_runs_it_alone(db: TestWarehouse) -> None:
    """March's batch fails: January, February and April are written all the same (a
    partial success), and `dbt retry` runs March alone once its data is repaired."""
    break_month(db, "2018-03-15")

    failed = run_microbatch(db, "2018-01-01", "2018-05-01", check=False)

    assert failed.returncode == 1
    assert "PARTIAL SUCCESS (3/4)" in failed.stdout, failed.stdout
    others = ["2018-01-01", "2018-02-01", "2018-04-01"]
    expected = expected_rows(db, "2018-01-01", "2018-05-01")
    assert microbatch_rows(db) == {
        dt.date.fromisoformat(m): expected[dt.date.fromisoformat(m)] for m in others
    }

    repair_month(db)
    # Marked, to show that the retry leaves the months that succeeded alone.
    db.execute(f"update {MODEL} set order_count = -1")
    retried = run_dbt(["retry"], db)

    assert "Batch 1 of 1" in retried.stdout, retried.stdout
    rows = microbatch_rows(db)
    assert rows[MARCH] == expected_rows(db, "2018-03-01", "2018-04-01")[MARCH]
    assert sorted(rows) == months("2018-01-01", "2018-05-01")
    assert all(row["order_count"] == -1 for month, row in rows.items() if month != MARCH)
