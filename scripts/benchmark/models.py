"""The models the benchmark can time: a dbt model, its oracle, and how a window reaches it.

A model here is a monthly-partitioned incremental dbt model whose Dagster
asset key is its name. Another one is one more `Model` in MODELS; the
command line then offers it as `--model <name>`.

orders_by_month takes its window as dbt vars (Dagster's windows and a
delete+insert); orders_by_month_microbatch as `--event-time-start/--event-time-end`
(dbt's microbatch strategy, one batch per month). Both hold the same rows,
so one oracle checks both.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.oracle import Queryable, expected_rows, model_rows
from scripts.benchmark.windows import Window

# Rows keyed by month, as the oracle gives them.
MonthRows = dict[dt.date, dict[str, Any]]


@dataclass(frozen=True)
class Model:
    """A partitioned dbt model, and how to check it against plain SQL over the raw tables."""

    #: the dbt model's name, which is also its Dagster asset key
    name: str
    #: the month column its delete+insert filters on (the floor's statements)
    month_column: str
    #: the oracle: the rows it must hold for the months [start, end), from the raw tables
    expected: Callable[[Queryable, str, str], MonthRows]
    #: its rows as they stand, keyed as `expected` keys them
    rows: Callable[[Queryable], MonthRows]
    #: dbt's microbatch strategy: the window as event-time flags, one batch per month,
    #: and no floor (dbt's batches are not one delete+insert to replay)
    microbatch: bool = False

    def window_args(self, window: Window) -> list[str]:
        """The dbt arguments that give a run this window, as the model's Dagster asset
        passes them: event-time flags for a microbatch model, vars otherwise."""
        return window.event_time_args() if self.microbatch else window.vars_args()

    def build_vars(self, window: Window) -> dict[str, str] | None:
        """The vars of the asset's `dbt build` for this window (none for microbatch)."""
        return None if self.microbatch else window.dbt_vars

    def build_extra_args(self, window: Window) -> list[str]:
        """The asset's extra `dbt build` arguments for this window."""
        return window.event_time_args() if self.microbatch else []


MICROBATCH = "orders_by_month_microbatch"

MODELS = {
    "orders_by_month": Model("orders_by_month", "order_month", expected_rows, model_rows),
    MICROBATCH: Model(
        MICROBATCH,
        "order_month",
        expected_rows,
        functools.partial(model_rows, table=MICROBATCH),
        microbatch=True,
    ),
}
