"""Bad raw data shows as failed asset checks in Dagster."""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_project.definitions import defs
from dagster_project.defs.dbt import orders_by_month_model, unpartitioned_models
from dagster_project.defs.raw import raw_tables
from tests.support.dagster import check_results, materialize, materialize_month, materialize_months
from tests.support.dbt import run_dbt
from tests.support.warehouse import TestWarehouse

ORDERS_BY_MONTH = dg.AssetKey("orders_by_month")


def only(checks: dict[str, dg.AssetCheckEvaluation], prefix: str) -> dg.AssetCheckEvaluation:
    [name] = [name for name in checks if name.startswith(prefix)]
    return checks[name]


@pytest.mark.quick
def test_null_raw_id_fails_the_source_check_on_the_raw_asset(
    db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    """A dbt source test is a check on the raw asset, not an observation nobody sees."""
    db.execute("update raw_orders set id = null where id = 7")

    result = materialize(unpartitioned_models, instance, raise_on_error=False)

    checks = check_results(result)
    check = checks["source_not_null_raw_raw_orders_id"]
    assert not check.passed
    assert check.asset_key == dg.AssetKey("raw_orders")
    assert check.severity == dg.AssetCheckSeverity.ERROR
    # The other raw tables' checks pass, on their own assets.
    assert checks["source_unique_raw_raw_orders_id"].passed
    assert checks["source_not_null_raw_raw_payments_id"].asset_key == dg.AssetKey("raw_payments")
    assert checks["source_not_null_raw_raw_payments_id"].passed
    # Severity error: dbt skips what reads raw_orders, and the run fails.
    assert not result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "stg_customers" in materialized
    assert not materialized & {"stg_orders", "orders", "customers"}


def test_materializing_the_raw_assets_runs_their_checks_after_the_write(
    raw_db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    """The UI's Materialize on the raw assets: the generator writes, then dbt tests the sources."""
    result = dg.materialize(
        [raw_tables, unpartitioned_models],
        selection=dg.AssetSelection.assets(*raw_tables.keys),
        resources=defs.resources,
        instance=instance,
    )

    steps = [e.step_key for e in result.all_events if e.event_type_value == "STEP_START"]
    assert steps == ["raw_tables", "unpartitioned_models"]
    checks = check_results(result)
    assert {(c.asset_key.to_user_string(), name) for name, c in checks.items()} == {
        (table, f"source_{test}_raw_{table}_id")
        for table in ("raw_customers", "raw_orders", "raw_payments", "raw_stores")
        for test in ("not_null", "unique")
    }
    assert all(c.passed for c in checks.values())
    # Only the checks ran in the dbt step: no model was rebuilt.
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {"raw_customers", "raw_orders", "raw_payments", "raw_stores"}


def test_a_run_of_one_staging_model_tests_only_what_it_builds(
    db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    """A subset run: dbt must not add orders_by_month's reconciliation test (not built here)."""
    result = materialize(
        unpartitioned_models, instance, selection=dg.AssetSelection.assets("stg_orders")
    )

    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == {dg.AssetKey("stg_orders")}
    # Its own checks, and (dagster-dbt adds them) the source checks of what it reads.
    checked = {c.asset_key.to_user_string() for c in check_results(result).values()}
    assert checked == {"stg_orders", "raw_orders"}
    observed = {e.asset_key for e in result.get_asset_observation_events()}
    assert ORDERS_BY_MONTH not in observed


def test_orphan_payment_fails_the_relationships_check_as_a_warning(
    db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    db.execute(
        "insert into raw_payments (id, order_id, payment_method, amount) "
        "values (999999, 999999, 'coupon', 100)"
    )

    result = materialize(unpartitioned_models, instance, raise_on_error=False)

    checks = check_results(result)
    check = only(checks, "relationships_stg_payments_order_id")
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.WARN
    assert check.asset_key == dg.AssetKey("stg_payments")
    # Severity warn: the run goes on and every other check passes.
    assert result.success
    assert all(c.passed for c in checks.values() if c is not check)


def test_unknown_status_fails_accepted_values_as_a_warning(
    db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    db.execute("update raw_orders set status = 'lost_in_post' where id = 7")

    result = materialize(unpartitioned_models, instance, raise_on_error=False)

    check = check_results(result)["accepted_values_stg_orders_status___var_order_statuses_"]
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.WARN
    # Severity warn: the marts are still rebuilt.
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert {dg.AssetKey("orders"), dg.AssetKey("customers")} <= materialized


def test_reconciliation_fails_when_a_materialized_month_is_stale(
    db: TestWarehouse, instance: dg.DagsterInstance
) -> None:
    built = materialize_months(instance, "2018-01-01", "2018-03-01")
    assert check_results(built)["orders_by_month_reconciles"].passed

    # A late order for February 2018, which is already materialized.
    db.execute(
        "insert into raw_orders (id, user_id, order_date, status, store_id) "
        "values (999999, 1, cast('2018-02-14' as date), 'placed', 1)"
    )
    # A run of another month checks its own window only: its cost does not
    # grow with history, and it does not see February.
    other_month = materialize_month(instance, "2019-06-01")
    assert check_results(other_month)["orders_by_month_reconciles"].passed

    # The check alone over every materialized month (no model rebuilt) finds it,
    checks_only = materialize(
        orders_by_month_model,
        instance,
        selection=dg.AssetSelection.checks_for_assets(ORDERS_BY_MONTH),
        raise_on_error=False,
    )
    assert not checks_only.get_asset_materialization_events()
    check = check_results(checks_only)["orders_by_month_reconciles"]
    assert not check.passed
    assert check.asset_key == ORDERS_BY_MONTH
    assert check.severity == dg.AssetCheckSeverity.ERROR
    # and so does the dbt CLI without vars: every partition month.
    audit = run_dbt(["test", "--select", "orders_by_month_reconciles"], db, check=False)
    assert audit.returncode == 1, audit.stdout
    assert "FAIL 1 orders_by_month_reconciles" in audit.stdout

    # Re-materializing the stale month reconciles the table again.
    fixed = materialize_month(instance, "2018-02-01")
    assert check_results(fixed)["orders_by_month_reconciles"].passed
    run_dbt(["test", "--select", "orders_by_month_reconciles"], db)


@pytest.mark.quick
def test_reconciliation_is_a_described_check_on_orders_by_month() -> None:
    specs = {spec.name: spec for spec in orders_by_month_model.check_specs}
    spec = specs["orders_by_month_reconciles"]
    assert spec.asset_key == dg.AssetKey("orders_by_month")
    assert spec.description is not None
    assert spec.description.startswith("Reconciliation: summed over the months of the run's")
