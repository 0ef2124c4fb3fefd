"""A failed Dagster run, re-executed from failure once the cause is gone, finishes its partitions.

DuckDB only: the failure is made by pointing DUCKDB_PATH into a missing folder.
"""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_project.defs.dbt import orders_by_month_model
from harness.oracle import expected_rows, model_rows
from tests.support.dagster import RANGE_END, RANGE_START, asset_job, reexecute_from_failure
from tests.support.warehouse import DuckDBTestWarehouse

pytestmark = pytest.mark.duckdb_only

ORDERS_BY_MONTH = dg.AssetKey("orders_by_month")


def monthly_job() -> dg.JobDefinition:
    """orders_by_month's job, importable by reference (re-execution needs that)."""
    return asset_job(orders_by_month_model)


def test_failed_run_reexecuted_from_failure_finishes(
    db: DuckDBTestWarehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUCKDB_CONNECT_ATTEMPTS", "1")
    job = dg.reconstructable(monthly_job)
    with dg.instance_for_test() as instance:
        monkeypatch.setenv("DUCKDB_PATH", str(db.path.parent / "missing-dir" / db.path.name))
        tags = {RANGE_START: "2018-01-01", RANGE_END: "2018-03-01"}
        with dg.execute_job(job, instance=instance, tags=tags) as failed:
            assert not failed.success
        assert not instance.get_materialized_partitions(ORDERS_BY_MONTH)

        monkeypatch.setenv("DUCKDB_PATH", str(db.path))
        reexecute_from_failure(job, instance, failed)
        assert instance.get_materialized_partitions(ORDERS_BY_MONTH) == {
            "2018-01-01",
            "2018-02-01",
            "2018-03-01",
        }
    assert model_rows(db) == expected_rows(db, "2018-01-01", "2018-04-01")
