"""The pure bridge from a Dagster partition window to dbt vars: no dbt, no database."""

import datetime as dt

import dagster as dg
import pytest

from dagster_project.dbt_vars import dbt_vars_for_window
from dagster_project.partitions import monthly_partitions

UTC = dt.UTC


def window(start: str, end: str) -> dg.TimeWindow:
    return dg.TimeWindow(
        dt.datetime.fromisoformat(start).replace(tzinfo=UTC),
        dt.datetime.fromisoformat(end).replace(tzinfo=UTC),
    )


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
    assert monthly_partitions.get_first_partition_key() == "2018-01-01"
    assert monthly_partitions.get_partition_keys()[:2] == ["2018-01-01", "2018-02-01"]
