"""dbt vars for a Dagster partition window: the one bridge between the two."""

import datetime as dt
import json

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


def dbt_build_args(
    window: dg.TimeWindow, every_month: dg.TimeWindow, *, full_refresh: bool = False
) -> list[str]:
    """`dbt build` arguments for the run's window of months.

    A full refresh recreates the table, so it must cover every partition month or
    it would leave only the run's months behind: it is refused unless the run
    targets all partitions, and then passes no window vars (dbt's
    partition_window() without vars is every partition month, and the macro
    rejects window vars together with --full-refresh).
    """
    if not full_refresh:
        return ["build", "--vars", json.dumps(dbt_vars_for_window(window))]
    if (window.start, window.end) != (every_month.start, every_month.end):
        raise ValueError(
            f"full_refresh rebuilds orders_by_month from scratch, so the run must target "
            f"every partition ({_month(every_month.start)} up to {_month(every_month.end)}, "
            f"exclusive), not [{_month(window.start)}, {_month(window.end)}): select all "
            "partitions, or run without full_refresh."
        )
    return ["build", "--full-refresh"]
