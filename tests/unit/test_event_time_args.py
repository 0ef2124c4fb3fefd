"""A microbatch run's event-time flags from a Dagster partition window: no dbt, no database."""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from dagster_project.defs.partitions import monthly_partitions
from dagster_project.lib.dbt_vars import dbt_build_args, event_time_args


def flags(start: str, end: str) -> list[str]:
    return ["--event-time-start", start, "--event-time-end", end]


def test_one_partition_is_one_month_of_batches() -> None:
    window = monthly_partitions.time_window_for_partition_key("2018-03-01")

    assert event_time_args(window) == flags("2018-03-01", "2018-04-01")


def test_a_range_ends_after_its_last_partition() -> None:
    window = dg.TimeWindow(
        monthly_partitions.time_window_for_partition_key("2018-11-01").start,
        monthly_partitions.time_window_for_partition_key("2019-01-01").end,
    )

    assert event_time_args(window) == flags("2018-11-01", "2019-02-01")


def test_the_same_instants_in_another_zone_are_the_same_flags() -> None:
    """dbt reads the flags as UTC: a window given in Berlin time is converted, not relabelled."""
    berlin = ZoneInfo("Europe/Berlin")
    window = dg.TimeWindow(
        dt.datetime(2018, 3, 1, 1, tzinfo=berlin), dt.datetime(2018, 4, 1, 2, tzinfo=berlin)
    )

    assert event_time_args(window) == flags("2018-03-01", "2018-04-01")


def test_a_time_without_a_zone_is_read_as_utc() -> None:
    window = dg.TimeWindow(dt.datetime(2018, 3, 1), dt.datetime(2018, 4, 1))

    assert event_time_args(window) == flags("2018-03-01", "2018-04-01")


@pytest.mark.parametrize(
    ("window", "message"),
    [
        # Months in Berlin are not months in UTC: dbt's batches would not match them.
        (
            dg.TimeWindow(
                dt.datetime(2018, 3, 1, tzinfo=ZoneInfo("Europe/Berlin")),
                dt.datetime(2018, 4, 1, tzinfo=ZoneInfo("Europe/Berlin")),
            ),
            r"start=2018-02-28T23:00:00\+00:00 is not the first instant of a month",
        ),
        (
            dg.TimeWindow(
                dt.datetime(2018, 3, 1, tzinfo=dt.UTC), dt.datetime(2018, 3, 15, tzinfo=dt.UTC)
            ),
            r"end=2018-03-15T00:00:00\+00:00 is not the first instant of a month",
        ),
        (
            dg.TimeWindow(
                dt.datetime(2018, 3, 1, tzinfo=dt.UTC), dt.datetime(2018, 3, 1, tzinfo=dt.UTC)
            ),
            r"is empty",
        ),
    ],
)
def test_windows_that_are_not_whole_utc_months_are_refused(
    window: dg.TimeWindow, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        event_time_args(window)


def test_build_args_carry_the_flags_beside_the_selection() -> None:
    args = dbt_build_args(None, extra_args=flags("2018-03-01", "2018-04-01"))

    assert args == [
        "build", "--exclude-resource-type", "unit_test",
        "--event-time-start", "2018-03-01", "--event-time-end", "2018-04-01",
    ]  # fmt: skip
