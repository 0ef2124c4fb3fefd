"""Each orders_by_month partition's materialization carries its own month's numbers."""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_project.lib.partition_metadata import ORDERS_BY_MONTH
from harness.oracle import expected_rows
from tests.support.dagster import materialize_months
from tests.support.warehouse import TestWarehouse


def test_range_run_gives_each_partition_its_own_numbers(
    db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    result = materialize_months(instance, "2018-01-01", "2018-03-01")
    assert result.success

    expected = expected_rows(db, "2018-01-01", "2018-04-01")
    # Independent numbers must differ between months, or the test proves nothing.
    assert len({row["order_count"] for row in expected.values()}) == 3
    for month, row in expected.items():
        (record,) = instance.fetch_materializations(
            dg.AssetRecordsFilter(ORDERS_BY_MONTH, asset_partitions=[month.isoformat()]), limit=1
        ).records
        metadata = record.asset_materialization.metadata
        assert metadata["orders"].value == row["order_count"], month
        assert metadata["customers"].value == row["customer_count"], month
        assert metadata["revenue"].value == pytest.approx(float(row["revenue"])), month
        assert metadata["dagster/row_count"].value == 1, month
    # One materialization per partition, not one from dbt plus one of ours.
    assert len(result.asset_materializations_for_node("orders_by_month_model")) == 3
