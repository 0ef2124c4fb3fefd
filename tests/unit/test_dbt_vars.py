"""The pure bridges from a Dagster run's partitions to dbt vars and args: no dbt, no database."""

import datetime as dt

import dagster as dg
import pytest

from dagster_project.defs.partitions import (
    month_and_method_partitions,
    monthly_partitions,
    payment_method_partitions,
)
from dagster_project.lib.dbt_vars import (
    dbt_build_args,
    dbt_vars_for_cells,
    dbt_vars_for_payment_methods,
    dbt_vars_for_stores,
    dbt_vars_for_window,
)
from dagster_project.lib.project import shared_vars
from harness import oracle


def window(start: str, end: str) -> dg.TimeWindow:
    return dg.TimeWindow(
        dt.datetime.fromisoformat(start).replace(tzinfo=dt.UTC),
        dt.datetime.fromisoformat(end).replace(tzinfo=dt.UTC),
    )


def cell(month: str, method: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"month": month, "payment_method": method})


def cells_vars(keys: list[dg.MultiPartitionKey]) -> dict:
    """dbt_vars_for_cells for a run of `keys`, called as the asset calls it.

    A run's keys are a range, first to last: Dagster's `partition_time_window`
    is the first key's month start to the last key's month end.
    """
    run_window = dg.TimeWindow(
        month_and_method_partitions.time_window_for_partition_key(keys[0]).start,
        month_and_method_partitions.time_window_for_partition_key(keys[-1]).end,
    )
    methods = [key.keys_by_dimension["payment_method"] for key in keys]
    return dbt_vars_for_cells(run_window, methods, len(keys))


# --- time ----------------------------------------------------------------------


def test_one_partition_is_a_one_month_window() -> None:
    partition_window = monthly_partitions.time_window_for_partition_key("2018-03-01")

    assert dbt_vars_for_window(partition_window) == {
        "partition_start": "2018-03-01",
        "partition_end": "2018-04-01",
    }


def test_a_range_of_partitions_is_one_window_with_an_exclusive_end() -> None:
    keys = monthly_partitions.get_partition_keys_in_range(
        dg.PartitionKeyRange("2018-01-01", "2018-04-01")
    )
    assert len(keys) == 4
    start = monthly_partitions.time_window_for_partition_key(keys[0]).start
    end = monthly_partitions.time_window_for_partition_key(keys[-1]).end

    assert dbt_vars_for_window(dg.TimeWindow(start, end)) == {
        "partition_start": "2018-01-01",
        "partition_end": "2018-05-01",
    }


def test_december_rolls_into_the_next_year() -> None:
    assert dbt_vars_for_window(window("2018-12-01", "2019-01-01")) == {
        "partition_start": "2018-12-01",
        "partition_end": "2019-01-01",
    }


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2018-03-15", "2018-04-01", "start=2018-03-15"),
        ("2018-03-01", "2018-04-01T06:00:00", "end=2018-04-01T06:00"),
        ("2018-04-01", "2018-04-01", "is empty"),
        ("2018-05-01", "2018-04-01", "is empty"),
    ],
)
def test_windows_that_are_not_whole_months_are_refused(start: str, end: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dbt_vars_for_window(window(start, end))


def test_partitions_start_where_dbt_validates_them() -> None:
    assert shared_vars().partitions_start_date == "2018-01-01"
    assert monthly_partitions.get_first_partition_key() == "2018-01-01"
    assert monthly_partitions.get_partition_keys()[:2] == ["2018-01-01", "2018-02-01"]


# --- category --------------------------------------------------------------------


def test_payment_methods_come_from_dbt_project_yml() -> None:
    assert shared_vars().payment_methods == ("credit_card", "coupon", "bank_transfer", "gift_card")
    assert payment_method_partitions.get_partition_keys() == list(shared_vars().payment_methods)


def test_the_oracles_lists_cannot_drift_from_dbt_project_yml() -> None:
    """harness/oracle.py spells the lists out to stay independent of the code
    under test; this keeps that copy equal to the one home, dbt_project.yml's vars."""
    assert shared_vars().payment_methods == oracle.METHODS
    assert shared_vars().order_statuses == oracle.STATUSES


def test_one_or_several_methods_are_a_list() -> None:
    assert dbt_vars_for_payment_methods(["coupon"]) == {"payment_method": ["coupon"]}
    assert dbt_vars_for_payment_methods(["gift_card", "coupon"]) == {
        "payment_method": ["gift_card", "coupon"]
    }
    with pytest.raises(ValueError, match="at least one"):
        dbt_vars_for_payment_methods([])


# --- two-dimensional ------------------------------------------------------------


def test_one_cell_is_one_month_and_one_method() -> None:
    assert cells_vars([cell("2018-03-01", "coupon")]) == {
        "partition_start": "2018-03-01",
        "partition_end": "2018-04-01",
        "payment_method": ["coupon"],
    }


def test_a_range_of_months_for_one_method_is_one_window() -> None:
    keys = month_and_method_partitions.get_partition_keys_in_range(
        dg.PartitionKeyRange("2018-11-01|gift_card", "2019-02-01|gift_card")
    )
    assert len(keys) == 4

    assert cells_vars(keys) == {
        "partition_start": "2018-11-01",
        "partition_end": "2019-03-01",
        "payment_method": ["gift_card"],
    }


def test_dagster_backfill_ranges_of_a_2d_selection_are_rectangles() -> None:
    """A backfill of 3 months x 2 methods: Dagster splits it into ranges that fit."""
    selected = [
        cell(month, method)
        for month in ("2018-01-01", "2018-02-01", "2018-03-01")
        for method in ("coupon", "gift_card")
    ]
    subset = month_and_method_partitions.subset_with_partition_keys(selected)
    ranges = subset.get_partition_key_ranges(month_and_method_partitions)
    assert len(ranges) == 2  # one per method, the dimension with fewer keys

    built = set()
    for key_range in ranges:
        keys = month_and_method_partitions.get_partition_keys_in_range(key_range)
        dbt_vars = cells_vars(keys)
        assert (dbt_vars["partition_start"], dbt_vars["partition_end"]) == (
            "2018-01-01",
            "2018-04-01",
        )
        built |= {
            (month, method)
            for month in ("2018-01", "2018-02", "2018-03")
            for method in dbt_vars["payment_method"]
        }
    assert built == {
        (month, method)
        for month in ("2018-01", "2018-02", "2018-03")
        for method in ("coupon", "gift_card")
    }


def test_one_month_for_several_methods_is_one_window() -> None:
    keys = month_and_method_partitions.get_partition_keys_in_range(
        dg.PartitionKeyRange("2018-05-01|coupon", "2018-05-01|gift_card")
    )

    assert cells_vars(keys) == {
        "partition_start": "2018-05-01",
        "partition_end": "2018-06-01",
        # a range of a static dimension follows its key order
        "payment_method": ["coupon", "bank_transfer", "gift_card"],
    }


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (
            [cell("2018-01-01", "coupon"), cell("2018-03-01", "coupon")],
            "2 partitions are not the 3 months from 2018-01-01 times the payment methods coupon",
        ),
        (
            [cell("2018-01-01", "coupon"), cell("2018-02-01", "gift_card")],
            "2 partitions are not the 2 months from 2018-01-01 times the payment methods "
            "coupon, gift_card",
        ),
        (
            [
                cell("2018-01-01", "coupon"),
                cell("2018-01-01", "gift_card"),
                cell("2018-02-01", "coupon"),
            ],
            "3 partitions are not the 2 months from 2018-01-01 times the payment methods "
            "coupon, gift_card",
        ),
    ],
    ids=["a-gap", "a-diagonal", "an-L"],
)
def test_cells_that_are_not_a_rectangle_are_refused(
    keys: list[dg.MultiPartitionKey], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        cells_vars(keys)


# --- dynamic ---------------------------------------------------------------------


def test_store_keys_are_store_ids() -> None:
    assert dbt_vars_for_stores(["6"]) == {"store_id": [6]}
    assert dbt_vars_for_stores(["3", "1", "3"]) == {"store_id": [3, 1]}
    for bad in ("", "0", "Chicago", "-1", "²"):
        with pytest.raises(ValueError, match="is not a store id"):
            dbt_vars_for_stores([bad])
    with pytest.raises(ValueError, match="at least one"):
        dbt_vars_for_stores([])


# --- dbt build arguments ---------------------------------------------------------


def test_build_args_carry_the_vars_and_skip_unit_tests() -> None:
    one = dbt_vars_for_window(monthly_partitions.time_window_for_partition_key("2018-03-01"))

    assert dbt_build_args(one) == [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        '{"partition_start": "2018-03-01", "partition_end": "2018-04-01"}',
    ]
    assert dbt_build_args(None) == ["build", "--exclude-resource-type", "unit_test"]


def test_an_exclude_is_passed_on() -> None:
    assert dbt_build_args(None, exclude="config.materialized:incremental") == [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--exclude",
        "config.materialized:incremental",
    ]


def test_a_full_refresh_takes_no_vars() -> None:
    one = dbt_vars_for_window(monthly_partitions.time_window_for_partition_key("2018-03-01"))

    assert dbt_build_args(one, full_refresh=True) == [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--full-refresh",
    ]
