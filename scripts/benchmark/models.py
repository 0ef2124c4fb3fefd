"""The models the benchmark can time: a dbt model, its oracle, and the floor's column.

A model here is a monthly-partitioned incremental dbt model whose Dagster
asset key is its name. Another one is one more `Model` in MODELS; the
command line then offers it as `--model <name>`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.oracle import Queryable, expected_rows, model_rows

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


MODELS = {
    "orders_by_month": Model("orders_by_month", "order_month", expected_rows, model_rows),
}
