"""Each orders_by_month partition's materialization carries its own month's numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.assets.dbt import monthly_dbt_models
from dagster_project.definitions import defs
from dagster_project.partition_metadata import (
    ORDERS_BY_MONTH,
    month_metadata,
    with_month_metadata,
)
from tests.support import COLUMNS, expected_rows

ORDER_COUNT = COLUMNS.index("order_count") - 1
CUSTOMER_COUNT = COLUMNS.index("customer_count") - 1
REVENUE = COLUMNS.index("revenue") - 1


def test_month_metadata_is_per_key() -> None:
    rows = [
        (dt.date(2018, 2, 1), 1, 7, 5, Decimal("123.45")),
        (dt.date(2018, 1, 1), 1, 3, 2, Decimal("10.00")),
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


def test_a_failed_dbt_run_still_passes_its_events_on() -> None:
    def events():
        yield "model event"
        yield "check event"
        raise RuntimeError("dbt failed")

    seen = []
    with pytest.raises(RuntimeError, match="dbt failed"):
        # No context or database is touched when dbt fails.
        for event in with_month_metadata(None, events(), Path("/nonexistent.duckdb")):
            seen.append(event)
    assert seen == ["model event", "check event"]


def test_range_run_gives_each_partition_its_own_numbers(
    db: Path, instance: dg.DagsterInstance
) -> None:
    result = dg.materialize(
        [monthly_dbt_models],
        resources=defs.resources,
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": "2018-01-01",
            "dagster/asset_partition_range_end": "2018-03-01",
        },
    )
    assert result.success

    expected = expected_rows(db, "2018-01-01", "2018-04-01")
    # Independent numbers must differ between months, or the test proves nothing.
    assert len({row[ORDER_COUNT] for row in expected.values()}) == 3
    for month, row in expected.items():
        (record,) = instance.fetch_materializations(
            dg.AssetRecordsFilter(ORDERS_BY_MONTH, asset_partitions=[month.isoformat()]), limit=1
        ).records
        metadata = record.asset_materialization.metadata
        assert metadata["orders"].value == row[ORDER_COUNT], month
        assert metadata["customers"].value == row[CUSTOMER_COUNT], month
        assert metadata["revenue"].value == pytest.approx(float(row[REVENUE])), month
        assert metadata["dagster/row_count"].value == 1, month
    # One materialization per partition, not one from dbt plus one of ours.
    assert len(result.asset_materializations_for_node(monthly_dbt_models.op.name)) == 3
