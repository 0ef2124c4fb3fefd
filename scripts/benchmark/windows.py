"""The partitions a case runs: Dagster's keys, and the same window as dbt vars.

Keys and windows come from the project's own monthly partitions definition
(its first month is dbt_project.yml's `partitions_start_date`), and the dbt
vars from `dbt_vars_for_window`, the function the Dagster asset uses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import dagster as dg

from dagster_project.defs.partitions import monthly_partitions
from dagster_project.lib.dbt_vars import dbt_vars_for_window, event_time_args


@dataclass(frozen=True)
class Window:
    """The months `first`..`last` (partition keys, both included) in one run."""

    first: str
    last: str

    @property
    def time_window(self) -> dg.TimeWindow:
        start = monthly_partitions.time_window_for_partition_key(self.first).start
        end = monthly_partitions.time_window_for_partition_key(self.last).end
        return dg.TimeWindow(start, end)

    @property
    def start(self) -> str:
        """The first day of the window, ISO."""
        return self.time_window.start.date().isoformat()

    @property
    def end(self) -> str:
        """The first day after the window, ISO."""
        return self.time_window.end.date().isoformat()

    @property
    def months(self) -> int:
        """How many monthly partitions the window holds."""
        start, end = self.time_window.start, self.time_window.end
        return (end.year - start.year) * 12 + end.month - start.month

    @property
    def dbt_vars(self) -> dict[str, str]:
        """The dbt vars of this window, as the Dagster asset builds them."""
        return dbt_vars_for_window(self.time_window)

    def vars_args(self) -> list[str]:
        """`--vars` for a dbt command over this window."""
        return ["--vars", json.dumps(self.dbt_vars)]

    def event_time_args(self) -> list[str]:
        """`--event-time-start/--event-time-end` over this window, as the microbatch asset
        passes them."""
        return event_time_args(self.time_window)

    def dagster_args(self) -> list[str]:
        """`dg launch`'s partition arguments: one partition, or a range in one run."""
        if self.first == self.last:
            return ["--partition", self.first]
        return ["--partition-range", f"{self.first}...{self.last}"]


def partition_keys() -> list[str]:
    """Every monthly partition key now, first to last (the last complete month)."""
    return monthly_partitions.get_partition_keys()


def cold_windows(keys: list[str], length: int, reps: int) -> list[tuple[Window, Window]]:
    """Per repetition, (dbt's window, Dagster's window) of `length` months, none run before.

    Repetition i gives dbt the window starting at month 2i+1 of the history
    and Dagster the one starting at 2i+2 (the warm cases use the whole history
    and the last months), so each command meets vars it has not parsed with,
    as a user moving to a new month does.
    """
    pairs = []
    for rep in range(reps):
        dbt_first, dagster_first = 2 * rep + 1, 2 * rep + 2
        pairs.append(
            (
                Window(keys[dbt_first], keys[dbt_first + length - 1]),
                Window(keys[dagster_first], keys[dagster_first + length - 1]),
            )
        )
    return pairs
