"""dbt vars for a Dagster partition window: the one bridge between the two."""

import datetime as dt

import dagster as dg


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
