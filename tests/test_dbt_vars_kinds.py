"""The pure bridges from category, multi and dynamic partition keys to dbt vars."""

import dagster as dg
import pytest

from dagster_project.dbt_vars import (
    dbt_vars_for_cells,
    dbt_vars_for_payment_methods,
    dbt_vars_for_store,
)
from dagster_project.partitions import (
    PAYMENT_METHODS,
    month_and_method_partitions,
    payment_method_partitions,
)


def cell(month: str, method: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"month": month, "payment_method": method})


def test_payment_methods_come_from_dbt_project_yml() -> None:
    assert PAYMENT_METHODS == ["credit_card", "coupon", "bank_transfer", "gift_card"]
    assert payment_method_partitions.get_partition_keys() == PAYMENT_METHODS


def test_one_or_several_methods_are_a_list() -> None:
    assert dbt_vars_for_payment_methods(["coupon"]) == {"payment_method": ["coupon"]}
    assert dbt_vars_for_payment_methods(["gift_card", "coupon"]) == {
        "payment_method": ["gift_card", "coupon"]
    }
    with pytest.raises(ValueError, match="at least one"):
        dbt_vars_for_payment_methods([])


def test_one_cell_is_one_month_and_one_method() -> None:
    assert dbt_vars_for_cells([cell("2018-03-01", "coupon")]) == {
        "partition_start": "2018-03-01",
        "partition_end": "2018-04-01",
        "payment_method": ["coupon"],
    }


def test_a_range_of_months_for_one_method_is_one_window() -> None:
    keys = month_and_method_partitions.get_partition_keys_in_range(
        dg.PartitionKeyRange("2018-11-01|gift_card", "2019-02-01|gift_card")
    )
    assert len(keys) == 4

    assert dbt_vars_for_cells(keys) == {
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
        dbt_vars = dbt_vars_for_cells(keys)
        assert (dbt_vars["partition_start"], dbt_vars["partition_end"]) == (
            "2018-01-01",
            "2018-04-01",
        )
        built |= {(m, method) for m in ("2018-01", "2018-02", "2018-03")
                  for method in dbt_vars["payment_method"]}  # fmt: skip
    assert built == {(m, method) for m in ("2018-01", "2018-02", "2018-03")
                     for method in ("coupon", "gift_card")}  # fmt: skip


def test_one_month_for_several_methods_is_one_window() -> None:
    keys = month_and_method_partitions.get_partition_keys_in_range(
        dg.PartitionKeyRange("2018-05-01|coupon", "2018-05-01|gift_card")
    )

    assert dbt_vars_for_cells(keys) == {
        "partition_start": "2018-05-01",
        "partition_end": "2018-06-01",
        # a range of a static dimension follows its key order
        "payment_method": ["coupon", "bank_transfer", "gift_card"],
    }


@pytest.mark.parametrize(
    "keys",
    [
        [cell("2018-01-01", "coupon"), cell("2018-03-01", "coupon")],  # a gap
        [cell("2018-01-01", "coupon"), cell("2018-02-01", "gift_card")],  # a diagonal
        [
            cell("2018-01-01", "coupon"),
            cell("2018-01-01", "gift_card"),
            cell("2018-02-01", "coupon"),
        ],  # an L
    ],
)
def test_cells_that_are_not_a_rectangle_are_refused(keys: list[dg.MultiPartitionKey]) -> None:
    with pytest.raises(ValueError, match=r"2018-01-01\|coupon.*not consecutive months"):
        dbt_vars_for_cells(keys)


def test_store_key_is_the_store_id() -> None:
    assert dbt_vars_for_store("6") == {"store_id": 6}
    for bad in ("", "0", "Chicago", "-1", "²"):
        with pytest.raises(ValueError, match="is not a store id"):
            dbt_vars_for_store(bad)
