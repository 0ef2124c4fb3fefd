"""The Dagster path: materialize partitions the way the UI and backfills do."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg

from dagster_project.assets.dbt import dbt_models, monthly_dbt_models
from dagster_project.assets.raw import raw_tables
from dagster_project.definitions import defs
from tests.support import (
    RANGE_END,
    RANGE_START,
    dbt_vars,
    expected_rows,
    model_rows,
    months,
    run_dbt,
    snapshot,
)

ORDERS_BY_MONTH = dg.AssetKey("orders_by_month")


def materialize_month(instance: dg.DagsterInstance, key: str) -> dg.ExecuteInJobResult:
    """One run for one partition, as the UI's single-partition launch."""
    return dg.materialize(
        [monthly_dbt_models], partition_key=key, resources=defs.resources, instance=instance
    )


def materialize_months(
    instance: dg.DagsterInstance, first: str, last: str
) -> dg.ExecuteInJobResult:
    """One run over the partitions first..last (inclusive keys), as a single-run backfill."""
    return dg.materialize(
        [monthly_dbt_models],
        resources=defs.resources,
        instance=instance,
        tags={RANGE_START: first, RANGE_END: last},
    )


def test_one_partition(db: Path, instance: dg.DagsterInstance) -> None:
    result = materialize_month(instance, "2018-03-01")

    assert result.success
    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-04-01")
    assert instance.get_materialized_partitions(ORDERS_BY_MONTH) == {"2018-03-01"}
    checks = result.get_asset_check_evaluations()
    assert {c.check_name for c in checks} >= {
        "unique_orders_by_month_order_month",
        "not_null_orders_by_month_order_month",
    }
    assert all(c.passed for c in checks)


def test_range_run_records_every_partition(db: Path, instance: dg.DagsterInstance) -> None:
    result = materialize_months(instance, "2018-01-01", "2018-04-01")

    assert result.success
    assert model_rows(db) == expected_rows(db, "2018-01-01", "2018-05-01")
    assert instance.get_materialized_partitions(ORDERS_BY_MONTH) == {
        "2018-01-01",
        "2018-02-01",
        "2018-03-01",
        "2018-04-01",
    }
    # One run, one dbt process for the four months.
    assert len(instance.get_run_records()) == 1


def test_rerun_of_a_range_is_idempotent(db: Path, instance: dg.DagsterInstance) -> None:
    assert materialize_months(instance, "2018-01-01", "2018-04-01").success
    first = snapshot(db)

    assert materialize_months(instance, "2018-02-01", "2018-03-01").success

    assert snapshot(db) == first


def test_cli_and_dagster_give_identical_rows(
    db: Path, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    cli_db = tmp_path / "cli.duckdb"
    shutil.copy(db, cli_db)

    assert materialize_months(instance, "2018-01-01", "2018-04-01").success
    assert materialize_month(instance, "2019-06-01").success
    for month in ["2018-01-01", "2018-02-01", "2018-03-01", "2018-04-01", "2019-06-01"]:
        run_dbt(["run", "--select", "orders_by_month", *dbt_vars(partition_key=month)], cli_db)

    dagster_rows = model_rows(db)
    assert dagster_rows == model_rows(cli_db)
    assert sorted(dagster_rows) == [
        *months("2018-01-01", "2018-05-01"),
        dt.date(2019, 6, 1),
    ]


def test_everything_from_an_empty_file(raw_db: Path, instance: dg.DagsterInstance) -> None:
    """Raw tables, then every unpartitioned model, then a partition, through Dagster."""
    raw_db.unlink()
    everything = dg.materialize(
        [raw_tables, dbt_models], resources=defs.resources, instance=instance
    )
    assert everything.success
    assert all(c.passed for c in everything.get_asset_check_evaluations())
    materialized = {
        e.asset_key.to_user_string() for e in everything.get_asset_materialization_events()
    }
    assert materialized == {
        "raw_customers", "raw_orders", "raw_payments", "raw_stores",
        "stg_customers", "stg_orders", "stg_payments", "stg_stores",
        "customers", "orders",
    }  # fmt: skip

    assert materialize_month(instance, "2019-12-01").success
    assert model_rows(raw_db) == expected_rows(raw_db, "2019-12-01", "2020-01-01")
