"""Late data, full refresh, schema change and the monthly schedule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.assets.dbt import monthly_dbt_models
from dagster_project.dbt_vars import dbt_build_args
from dagster_project.definitions import defs
from dagster_project.partitions import (
    every_partition_month,
    monthly_partitions,
    orders_by_month_schedule,
)
from tests.support import (
    RANGE_END,
    RANGE_START,
    dbt_vars,
    execute,
    expected_rows,
    model_rows,
    run_dbt,
    snapshot,
)


def test_late_orders_appear_in_their_month_only(db: Path, instance: dg.DagsterInstance) -> None:
    tags = {RANGE_START: "2018-01-01", RANGE_END: "2018-03-01"}
    assert dg.materialize(
        [monthly_dbt_models], resources=defs.resources, instance=instance, tags=tags
    ).success
    before = model_rows(db)

    # Two orders for February 2018 arrive late, one of them paid.
    execute(
        db,
        "insert into raw_orders (id, user_id, order_date, status, store_id) values "
        "(900001, 1, date '2018-02-01', 'placed', 1), "
        "(900002, 2, date '2018-02-28', 'completed', 1)",
        "insert into raw_payments (id, order_id, payment_method, amount) "
        "values (900001, 900002, 'gift_card', 1234)",
    )
    assert dg.materialize(
        [monthly_dbt_models],
        partition_key="2018-02-01",
        resources=defs.resources,
        instance=instance,
    ).success

    after = model_rows(db)
    february = dt.date(2018, 2, 1)
    assert after[february] == expected_rows(db, "2018-02-01", "2018-03-01")[february]
    assert after[february][0] == before[february][0] + 2  # order_count
    assert {m: r for m, r in after.items() if m != february} == {
        m: r for m, r in before.items() if m != february
    }


def test_full_refresh_args_need_every_partition() -> None:
    every = every_partition_month()
    assert dbt_build_args(every, every, full_refresh=True) == ["build", "--full-refresh"]
    one = monthly_partitions.time_window_for_partition_key("2018-03-01")
    with pytest.raises(ValueError, match=r"must target every partition .*2018-03-01, 2018-04-01"):
        dbt_build_args(one, every, full_refresh=True)
    assert dbt_build_args(one, every) == [
        "build",
        "--vars",
        '{"partition_start": "2018-03-01", "partition_end": "2018-04-01"}',
    ]


def test_full_refresh_of_one_partition_is_refused_in_dagster(
    db: Path, instance: dg.DagsterInstance
) -> None:
    run_dbt(["run", "--select", "orders_by_month", *dbt_vars(partition_key="2018-03-01")], db)
    before = snapshot(db)
    result = dg.materialize(
        [monthly_dbt_models],
        partition_key="2018-03-01",
        resources=defs.resources,
        instance=instance,
        run_config={"ops": {"monthly_dbt_models": {"config": {"full_refresh": True}}}},
        raise_on_error=False,
    )
    assert not result.success
    failure = result.failure_data_for_node("monthly_dbt_models")
    assert failure is not None and failure.error is not None
    assert "must target every partition" in failure.error.message
    assert snapshot(db) == before


def test_full_refresh_over_every_partition_rebuilds_every_month(
    db: Path, instance: dg.DagsterInstance
) -> None:
    run_dbt(["run", "--select", "orders_by_month", *dbt_vars(partition_key="2018-03-01")], db)
    execute(db, "update orders_by_month set order_count = -1")  # a damaged table
    keys = monthly_partitions.get_partition_keys()
    result = dg.materialize(
        [monthly_dbt_models],
        resources=defs.resources,
        instance=instance,
        tags={RANGE_START: keys[0], RANGE_END: keys[-1]},
        run_config={"ops": {"monthly_dbt_models": {"config": {"full_refresh": True}}}},
    )
    assert result.success
    end = every_partition_month().end.date().isoformat()
    assert model_rows(db) == expected_rows(db, "2018-01-01", end)
    assert instance.get_materialized_partitions(dg.AssetKey("orders_by_month")) == set(keys)


def test_cli_full_refresh_rebuilds_every_month_and_refuses_a_window(db: Path) -> None:
    run_dbt(["run", "--select", "orders_by_month", *dbt_vars(partition_key="2018-03-01")], db)
    before = snapshot(db)
    refused = run_dbt(
        ["run", "--select", "orders_by_month", "--full-refresh",
         *dbt_vars(partition_key="2018-03-01")],
        db,
        check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "Invalid vars with --full-refresh" in refused.stdout
    assert 'partition_key="2018-03-01"' in refused.stdout
    assert snapshot(db) == before

    run_dbt(["run", "--select", "orders_by_month", "--full-refresh"], db)
    end = every_partition_month().end.date().isoformat()
    assert model_rows(db) == expected_rows(db, "2018-01-01", end)


def test_schema_change_fails_and_leaves_the_table_until_a_full_refresh(db: Path) -> None:
    """on_schema_change='fail': a column the table lacks stops the run."""
    run_dbt(["run", "--select", "orders_by_month", *dbt_vars(partition_key="2018-03-01")], db)
    # The table as an older version of the model left it: one column fewer.
    execute(db, "alter table orders_by_month drop column average_order_value")
    before = snapshot(db)

    result = run_dbt(
        ["run", "--select", "orders_by_month", *dbt_vars(partition_key="2018-04-01")],
        db,
        check=False,
    )
    assert result.returncode != 0
    assert "on_schema_change" in result.stdout, result.stdout
    assert snapshot(db) == before

    run_dbt(["run", "--select", "orders_by_month", "--full-refresh"], db)
    end = every_partition_month().end.date().isoformat()
    assert model_rows(db) == expected_rows(db, "2018-01-01", end)


@pytest.mark.parametrize(
    ("tick", "partition"),
    [
        (dt.datetime(2026, 11, 1, 0, 0, tzinfo=dt.UTC), "2026-10-01"),
        (dt.datetime(2019, 1, 1, 0, 0, tzinfo=dt.UTC), "2018-12-01"),
    ],
)
def test_monthly_schedule_requests_the_previous_complete_month(
    tick: dt.datetime, partition: str
) -> None:
    assert orders_by_month_schedule.cron_schedule == "0 0 1 * *"
    context = dg.build_schedule_context(scheduled_execution_time=tick)
    [request] = orders_by_month_schedule.evaluate_tick(context).run_requests
    assert request.partition_key == partition
    assert defs.get_schedule_def("orders_by_month_monthly_schedule").job_name == (
        "orders_by_month_monthly"
    )
