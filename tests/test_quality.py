"""Bad raw data shows as failed asset checks in Dagster."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from dagster_project.assets.dbt import dbt_models, monthly_dbt_models
from dagster_project.definitions import defs
from tests.support import RANGE_END, RANGE_START, execute, run_dbt

ORDERS_BY_MONTH = dg.AssetKey("orders_by_month")


def evaluations(result: dg.ExecuteInJobResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def only(checks: dict[str, dg.AssetCheckEvaluation], prefix: str) -> dg.AssetCheckEvaluation:
    [name] = [name for name in checks if name.startswith(prefix)]
    return checks[name]


def test_orphan_payment_fails_the_relationships_check_as_a_warning(
    db: Path, instance: dg.DagsterInstance
) -> None:
    execute(
        db,
        "insert into raw_payments (id, order_id, payment_method, amount) "
        "values (999999, 999999, 'coupon', 100)",
    )

    result = dg.materialize(
        [dbt_models], resources=defs.resources, instance=instance, raise_on_error=False
    )

    checks = evaluations(result)
    check = only(checks, "relationships_stg_payments_order_id")
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.WARN
    assert check.asset_key == dg.AssetKey("stg_payments")
    # Severity warn: the run goes on and every other check passes.
    assert result.success
    assert all(c.passed for c in checks.values() if c is not check)


def test_unknown_status_fails_accepted_values_as_a_warning(
    db: Path, instance: dg.DagsterInstance
) -> None:
    execute(db, "update raw_orders set status = 'lost_in_post' where id = 7")

    result = dg.materialize(
        [dbt_models], resources=defs.resources, instance=instance, raise_on_error=False
    )

    check = evaluations(result)[
        "accepted_values_stg_orders_status__placed__shipped__completed__return_pending__returned"
    ]
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.WARN
    # Severity warn: the marts are still rebuilt.
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert {dg.AssetKey("orders"), dg.AssetKey("customers")} <= materialized


def test_reconciliation_fails_when_a_materialized_month_is_stale(
    db: Path, instance: dg.DagsterInstance
) -> None:
    tags = {RANGE_START: "2018-01-01", RANGE_END: "2018-03-01"}
    built = dg.materialize(
        [monthly_dbt_models], resources=defs.resources, instance=instance, tags=tags
    )
    assert evaluations(built)["orders_by_month_reconciles"].passed

    # A late order for February 2018, which is already materialized.
    execute(
        db,
        "insert into raw_orders (id, user_id, order_date, status, store_id) "
        "values (999999, 1, date '2018-02-14', 'placed', 1)",
    )
    # A run of another month checks its own window only: its cost does not
    # grow with history, and it does not see February.
    other_month = dg.materialize(
        [monthly_dbt_models],
        partition_key="2019-06-01",
        resources=defs.resources,
        instance=instance,
    )
    assert evaluations(other_month)["orders_by_month_reconciles"].passed

    # The check alone over every materialized month (no model rebuilt) finds it,
    checks_only = dg.materialize(
        [monthly_dbt_models],
        selection=dg.AssetSelection.checks_for_assets(ORDERS_BY_MONTH),
        resources=defs.resources,
        instance=instance,
        raise_on_error=False,
    )
    assert not checks_only.get_asset_materialization_events()
    check = evaluations(checks_only)["orders_by_month_reconciles"]
    assert not check.passed
    assert check.asset_key == ORDERS_BY_MONTH
    assert check.severity == dg.AssetCheckSeverity.ERROR
    # and so does the dbt CLI without vars: every partition month.
    audit = run_dbt(["test", "--select", "orders_by_month_reconciles"], db, check=False)
    assert audit.returncode == 1, audit.stdout
    assert "FAIL 1 orders_by_month_reconciles" in audit.stdout

    # Re-materializing the stale month reconciles the table again.
    fixed = dg.materialize(
        [monthly_dbt_models],
        partition_key="2018-02-01",
        resources=defs.resources,
        instance=instance,
    )
    assert evaluations(fixed)["orders_by_month_reconciles"].passed
    run_dbt(["test", "--select", "orders_by_month_reconciles"], db)


def test_reconciliation_is_a_described_check_on_orders_by_month() -> None:
    specs = {spec.name: spec for spec in monthly_dbt_models.check_specs}
    spec = specs["orders_by_month_reconciles"]
    assert spec.asset_key == dg.AssetKey("orders_by_month")
    assert spec.description is not None
    assert spec.description.startswith("Reconciliation: summed over the months of the run's")
