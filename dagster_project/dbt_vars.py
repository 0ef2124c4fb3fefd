"""dbt vars for Dagster partitions: the one bridge between the two."""

import datetime as dt
import itertools
from collections.abc import Sequence

import dagster as dg

from dagster_project.partitions import MONTH, PAYMENT_METHOD


def dbt_vars_for_window(window: dg.TimeWindow) -> dict[str, str]:
    """The vars that make dbt build exactly the half-open window [start, end).

    One partition and a single-run backfill of a range both arrive as a window
    of whole months, so both use partition_start/partition_end; dbt's
    partition_window() macro reads them (and validates them) the same way it
    reads the CLI's partition_key.
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
    return {
        "partition_start": _month(start),
        "partition_end": _month(end),
    }


def _month(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def dbt_vars_for_payment_methods(keys: Sequence[str]) -> dict[str, list[str]]:
    """The payment_method var for a run of one or more category partitions.

    A list even for one key, so one run of several partitions (a single-run
    backfill) and one partition take the same path; dbt accepts either.
    """
    if not keys:
        raise ValueError("No payment-method partitions to build: expected at least one key.")
    return {"payment_method": list(dict.fromkeys(keys))}


def dbt_vars_for_cells(keys: Sequence[dg.MultiPartitionKey]) -> dict[str, str | list[str]]:
    """The vars that make dbt build exactly the (month, payment method) cells `keys`.

    dbt takes a window of months times a list of methods, so the cells must
    form that rectangle: whole months without gaps, each with the same
    methods. Dagster's single-run backfills of a multi-partitioned asset give
    ranges along one dimension with the other fixed, which always fit; any
    other set is refused rather than built wider or narrower than asked.
    """
    if not keys:
        raise ValueError("No (month, payment method) partitions to build: expected at least one.")
    cells = {(key.keys_by_dimension[MONTH], key.keys_by_dimension[PAYMENT_METHOD]) for key in keys}
    months = sorted({month for month, _ in cells})
    methods = list(dict.fromkeys(key.keys_by_dimension[PAYMENT_METHOD] for key in keys))
    firsts = [dt.datetime.fromisoformat(month).replace(tzinfo=dt.UTC) for month in months]
    contiguous = all(_next_month(a) == b for a, b in itertools.pairwise(firsts))
    if not contiguous or len(cells) != len(months) * len(methods):
        shown = ", ".join(sorted(f"{month}|{method}" for month, method in cells))
        raise ValueError(
            f"Partitions {shown} are not consecutive months times the same payment "
            "methods: launch a backfill of one method over a range of months, or of "
            "one month over several methods."
        )
    window = dbt_vars_for_window(dg.TimeWindow(firsts[0], _next_month(firsts[-1])))
    return {**window, "payment_method": methods}


def dbt_vars_for_store(key: str) -> dict[str, int]:
    """The store_id var for a store partition, whose key is the store id as text."""
    if not (key.isascii() and key.isdigit()) or int(key) < 1:
        raise ValueError(f"Store partition key {key!r} is not a store id: expected digits.")
    return {"store_id": int(key)}


def _next_month(moment: dt.datetime) -> dt.datetime:
    return moment.replace(year=moment.year + moment.month // 12, month=moment.month % 12 + 1)
