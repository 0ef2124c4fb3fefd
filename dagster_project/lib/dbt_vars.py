"""dbt vars and arguments for Dagster partitions: pure functions, the one bridge.

Each partition type's run becomes the dbt vars of the partition contract
(dbt_project/macros/partition_window.sql, partition_vars.sql), which dbt
validates again: these functions refuse what they can't express rather than
build more or fewer partitions than the run asks for.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg


def dbt_vars_for_window(window: dg.TimeWindow) -> dict[str, str]:
    """The vars that make dbt build exactly the half-open window [start, end) of months.

    One partition and a single-run backfill of a range both arrive as a window
    of whole months (`context.partition_time_window`, for a multi-partition
    too), so both use partition_start/partition_end.
    """
    start, end = window.start, window.end
    for name, moment in (("start", start), ("end", end)):
        if (moment.day, moment.hour, moment.minute, moment.second) != (1, 0, 0, 0):
            raise ValueError(
                f"Partition window {name}={moment.isoformat()} is not the first "
                "instant of a month: expected a window of whole months."
            )
    if start >= end:
        raise ValueError(f"Partition window [{start.isoformat()}, {end.isoformat()}) is empty.")
    return {"partition_start": start.date().isoformat(), "partition_end": end.date().isoformat()}


def event_time_args(window: dg.TimeWindow) -> list[str]:
    """`--event-time-start/--event-time-end` for a microbatch model: the window's months.

    dbt reads the two flags as UTC and builds one batch per month of
    [start, end); the window must be whole months in UTC, checked as for the
    vars. Dates alone, as a user types them (`--event-time-start 2018-03-01`).
    """
    utc = dg.TimeWindow(_utc(window.start), _utc(window.end))
    dates = dbt_vars_for_window(utc)
    return [
        "--event-time-start",
        dates["partition_start"],
        "--event-time-end",
        dates["partition_end"],
    ]


def _utc(moment: dt.datetime) -> dt.datetime:
    # dbt takes a time without a zone as UTC; so does this.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def dbt_vars_for_payment_methods(keys: Sequence[str]) -> dict[str, list[str]]:
    """The payment_method var for one or more category partitions.

    A list even for one key, so one run of several partitions (a single-run
    backfill) and one partition take the same path; dbt accepts either.
    """
    if not keys:
        raise ValueError("No payment-method partitions to build: expected at least one key.")
    return {"payment_method": list(dict.fromkeys(keys))}


def dbt_vars_for_cells(
    window: dg.TimeWindow, methods: Sequence[str], cell_count: int
) -> dict[str, Any]:
    """The vars for a run of (month, payment method) cells: its months times its methods.

    dbt takes a window of months times a list of methods. Dagster's runs of a
    two-dimensional asset are ranges along one dimension with the other fixed,
    which always form that rectangle; a run whose `cell_count` does not fill
    it is refused rather than built wider than asked.
    """
    dbt_vars = {**dbt_vars_for_window(window), **dbt_vars_for_payment_methods(methods)}
    month_count = (window.end.year - window.start.year) * 12 + window.end.month - window.start.month
    if cell_count != month_count * len(dbt_vars["payment_method"]):
        raise ValueError(
            f"{cell_count} partitions are not the {month_count} months from "
            f"{dbt_vars['partition_start']} times the payment methods "
            f"{', '.join(dbt_vars['payment_method'])}: launch a backfill of one method over a "
            "range of months, or of one month over several methods."
        )
    return dbt_vars


def dbt_vars_for_stores(keys: Sequence[str]) -> dict[str, list[int]]:
    """The store_id var for one or more store partitions, whose keys are store ids as text."""
    if not keys:
        raise ValueError("No store partitions to build: expected at least one key.")
    for key in keys:
        if not (key.isascii() and key.isdigit()) or int(key) < 1:
            raise ValueError(f"Store partition key {key!r} is not a store id: expected digits.")
    return {"store_id": list(dict.fromkeys(int(key) for key in keys))}


def dbt_build_args(
    dbt_vars: Mapping[str, Any] | None,
    *,
    full_refresh: bool = False,
    exclude: str | None = None,
    extra_args: Sequence[str] = (),
) -> list[str]:
    """`dbt build` arguments for a run: its vars, or --full-refresh without vars.

    Unit tests check the SQL's logic, not the data: CI runs them, so runs
    from Dagster skip them. The data tests still run, as asset checks.
    `exclude` is a dbt selection kept out of the run whatever Dagster selects.
    `extra_args` are passed as given (e.g. `event_time_args()`).
    """
    args = ["build", "--exclude-resource-type", "unit_test", *extra_args]
    if exclude is not None:
        args += ["--exclude", exclude]
    if full_refresh:
        return [*args, "--full-refresh"]
    return args if dbt_vars is None else [*args, "--vars", json.dumps(dbt_vars)]
