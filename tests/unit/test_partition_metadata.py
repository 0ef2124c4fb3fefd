"""Each orders_by_month partition's numbers, as metadata: the pure part, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import dagster as dg

from dagster_project.lib.partition_metadata import month_metadata


def test_month_metadata_is_per_key() -> None:
    rows = [
        {
            "order_month": dt.date(2018, 2, 1),
            "row_count": 1,
            "orders": 7,
            "customers": 5,
            "revenue": Decimal("123.45"),
        },
        {
            "order_month": dt.date(2018, 1, 1),
            "row_count": 1,
            "orders": 3,
            "customers": 2,
            "revenue": Decimal("10.00"),
        },
    ]

    metadata = month_metadata(["2018-01-01", "2018-02-01"], rows)

    assert metadata == {
        "2018-01-01": {
            "dagster/row_count": dg.MetadataValue.int(1),
            "orders": dg.MetadataValue.int(3),
            "customers": dg.MetadataValue.int(2),
            "revenue": dg.MetadataValue.float(10.0),
        },
        "2018-02-01": {
            "dagster/row_count": dg.MetadataValue.int(1),
            "orders": dg.MetadataValue.int(7),
            "customers": dg.MetadataValue.int(5),
            "revenue": dg.MetadataValue.float(123.45),
        },
    }


def test_a_month_without_a_row_reports_zero_rows_and_no_numbers() -> None:
    assert month_metadata(["2018-03-01"], []) == {
        "2018-03-01": {"dagster/row_count": dg.MetadataValue.int(0)}
    }
