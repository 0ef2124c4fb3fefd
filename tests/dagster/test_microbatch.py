"""The Dagster path of orders_by_month_microbatch: the same monthly partitions, dbt's batches."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from dagster_project.defs.microbatch import orders_by_month_microbatch_model
from harness.oracle import expected_rows, model_rows
from tests.support.dagster import (
    RANGE_END,
    RANGE_START,
    asset_job,
    materialize_months,
    reexecute_from_failure,
)
from tests.support.microbatch import (
    ASSET,
    break_month,
    materialize_microbatch,
    microbatch_rows,
    repair_month,
)
from tests.support.warehouse import TestWarehouse

# The core semantics: on DuckDB and on a real PostgreSQL server; those marked
# `spark(session=False)` on the Spark cluster too.
pytestmark = pytest.mark.every_warehouse

FOUR_MONTHS = {"2018-01-01", "2018-02-01", "2018-03-01", "2018-04-01"}


@pytest.mark.spark(session=False)
def test_one_partition_is_one_batch(db: TestWarehouse, instance: dg.DagsterInstance) -> None:
    result = materialize_microbatch(instance, "2018-03-01")

    assert result.success
    assert microbatch_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")
    assert instance.get_materialized_partitions(ASSET) == {"2018-03-01"}
    checks = result.get_asset_check_evaluations()
    assert {c.check_name for c in checks} == {
        "unique_orders_by_month_microbatch_order_month",
        "not_null_orders_by_month_microbatch_order_month",
    }
    assert all(c.passed for c in checks)


@pytest.mark.spark(session=False)
def test_a_range_runs_in_one_run(db: TestWarehouse, instance: dg.DagsterInstance) -> None:
    result = materialize_microbatch(instance, "2018-01-01", "2018-04-01")

    assert result.success
    assert microbatch_rows(db) == expected_rows(db, "2018-01-01", "2018-05-01")
    assert instance.get_materialized_partitions(ASSET) == FOUR_MONTHS
    # One run, one dbt command, four batches.
    assert len(instance.get_run_records()) == 1


def test_the_two_assets_are_equal_month_by_month(
    db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    assert materialize_months(instance, "2019-11-01", "2020-02-01").success
    assert materialize_microbatch(instance, "2019-11-01", "2020-02-01").success

    assert microbatch_rows(db) == model_rows(db) == expected_rows(db, "2019-11-01", "2020-03-01")


def test_a_rerun_of_a_range_is_idempotent(db: TestWarehouse, instance: dg.DagsterInstance) -> None:
    assert materialize_microbatch(instance, "2018-01-01", "2018-04-01").success
    first = db.snapshot()

    assert materialize_microbatch(instance, "2018-02-01", "2018-03-01").success

    assert db.snapshot() == first


# --- a failed batch ----------------------------------------------------------------


def microbatch_job() -> dg.JobDefinition:
    """The microbatch asset's job, importable by reference (re-execution needs that)."""
    return asset_job(orders_by_month_microbatch_model)


@pytest.mark.spark(session=False)
def test_a_failed_batch_fails_every_partition_of_the_run_until_reexecuted(
    db: TestWarehouse,
) -> None:
    """March's batch fails. dbt writes January, February and April (a partial success),
    but Dagster sees one failed step: none of the four partitions is materialized. Once
    March's data is repaired, re-executing the run from failure builds all four again."""
    break_month(db, "2018-03-15")
    job = dg.reconstructable(microbatch_job)
    tags = {RANGE_START: "2018-01-01", RANGE_END: "2018-04-01"}
    with dg.instance_for_test() as instance:
        with dg.execute_job(job, instance=instance, tags=tags) as failed:
            assert not failed.success
            [failure] = [e for e in failed.all_events if e.is_step_failure]
            assert not failed.get_asset_materialization_events()
            # dbt skips the tests of a partially built model: no check results either.
            assert not failed.get_asset_check_evaluations()
        error = failure.event_specific_data.error
        assert error.cls_name == "DagsterDbtCliRuntimeError"
        assert "batch 2018-03 of" in error.message
        assert not instance.get_materialized_partitions(ASSET)
        # ...though the batches that succeeded are in the table.
        expected = expected_rows(db, "2018-01-01", "2018-05-01")
        assert microbatch_rows(db) == {
            month: row for month, row in expected.items() if month != dt.date(2018, 3, 1)
        }

        repair_month(db)
        reexecute_from_failure(job, instance, failed)
        assert instance.get_materialized_partitions(ASSET) == FOUR_MONTHS
    assert microbatch_rows(db) == expected_rows(db, "2018-01-01", "2018-05-01")
