"""The code location loads with the expected graph, policies, pool, sensors and automation."""

from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg
import pytest
import yaml

from dagster_project.definitions import defs
from dagster_project.defs.dbt import unpartitioned_models
from dagster_project.defs.partitions import (
    month_and_method_partitions,
    monthly_partitions,
    payment_method_partitions,
    store_partitions,
)
from dagster_project.defs.raw import raw_tables
from dagster_project.defs.sensors import new_stores
from dagster_project.lib.project import REPO_ROOT
from dagster_project.lib.settings import BACKFILL_POLICY
from dagster_project.lib.warehouse.contract import POOL

PARTITIONED = (
    "orders_by_month",
    "orders_by_month_microbatch",
    "revenue_by_payment_method",
    "payments_by_month_and_method",
    "orders_by_store",
)


# The definitions as loaded, with no run (one test starts a process): all quick.
pytestmark = pytest.mark.quick


def key(name: str) -> dg.AssetKey:
    return dg.AssetKey(name)


def test_asset_keys_groups_and_deps() -> None:
    graph = defs.resolve_asset_graph()
    expected = {
        # asset: (group, upstream)
        "raw_customers": ("raw", set()),
        "raw_orders": ("raw", set()),
        "raw_payments": ("raw", set()),
        "raw_stores": ("raw", set()),
        "stg_customers": ("staging", {"raw_customers"}),
        "stg_orders": ("staging", {"raw_orders"}),
        "stg_payments": ("staging", {"raw_payments"}),
        "stg_stores": ("staging", {"raw_stores"}),
        "orders": ("marts", {"stg_orders", "stg_payments"}),
        "customers": ("marts", {"stg_customers", "orders"}),
        "orders_by_month": ("marts", {"stg_orders", "stg_payments"}),
        "orders_by_month_microbatch": ("microbatch", {"stg_orders", "stg_payments"}),
        "revenue_by_payment_method": ("marts", {"stg_payments"}),
        "payments_by_month_and_method": ("marts", {"stg_orders", "stg_payments"}),
        "orders_by_store": ("marts", {"stg_stores", "stg_orders", "stg_payments"}),
    }
    assert {k.to_user_string() for k in graph.get_all_asset_keys()} == set(expected)
    for name, (group, upstream) in expected.items():
        node = graph.get(key(name))
        assert node.group_name == group, name
        assert {k.to_user_string() for k in node.parent_keys} == upstream, name
        assert node.owners == ["team:analytics-engineering"], name


def test_each_partition_type_has_its_one_model() -> None:
    graph = defs.resolve_asset_graph()
    partitioned = {
        k.to_user_string(): graph.get(k).partitions_def
        for k in graph.get_all_asset_keys()
        if graph.get(k).is_partitioned
    }
    assert partitioned == {
        "orders_by_month": monthly_partitions,
        # The same months, built by dbt's microbatch strategy (docs/microbatch.md).
        "orders_by_month_microbatch": monthly_partitions,
        "revenue_by_payment_method": payment_method_partitions,
        "payments_by_month_and_method": month_and_method_partitions,
        "orders_by_store": store_partitions,
    }


def test_every_partitioned_asset_backfills_in_a_single_run_by_default() -> None:
    graph = defs.resolve_asset_graph()
    for name in PARTITIONED:
        assert graph.get(key(name)).backfill_policy == dg.BackfillPolicy.single_run(), name


def test_the_setting_changes_every_partitioned_assets_backfill_policy() -> None:
    """A fresh process with DAGSTER_BACKFILL_POLICY set loads a different policy."""
    code = (
        "import dagster as dg; from dagster_project.definitions import defs\n"
        "graph = defs.resolve_asset_graph()\n"
        f"for name in {PARTITIONED!r}:\n"
        "    print(name, graph.get(dg.AssetKey(name)).backfill_policy)\n"
    )
    env = {**os.environ, BACKFILL_POLICY: "multi_run:3"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    policies = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    assert set(policies) == set(PARTITIONED)
    assert all("max_partitions_per_run=3" in policy for policy in policies.values()), policies


def test_warehouse_job_has_no_partitioned_asset() -> None:
    job = defs.resolve_job_def("warehouse")
    selected = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert "stg_stores" in selected
    assert not selected & set(PARTITIONED)


def test_new_stores_sensor_targets_orders_by_store() -> None:
    assert defs.resolve_sensor_def("new_stores") is new_stores
    assert new_stores.asset_selection.resolve(defs.resolve_asset_graph()) == {
        key("orders_by_store")
    }


def test_dbt_tests_are_asset_checks() -> None:
    checks = {
        (c.asset_key.to_user_string(), c.name) for c in defs.resolve_asset_graph().asset_check_keys
    }
    assert ("orders_by_month", "unique_orders_by_month_order_month") in checks
    assert ("orders_by_month", "not_null_orders_by_month_order_month") in checks
    assert ("orders", "unique_orders_order_id") in checks
    assert (
        "payments_by_month_and_method",
        "unique_combination_payments_by_month_and_method_order_month__payment_method",
    ) in checks
    assert ("orders_by_store", "unique_orders_by_store_store_id") in checks
    assert (
        "stg_payments",
        "accepted_values_stg_payments_payment_method___var_payment_methods_",
    ) in checks


def test_dbt_source_tests_are_checks_on_the_raw_assets() -> None:
    """__sources.yml's tests: checks on the raw assets, held by the unpartitioned models."""
    raw = {"raw_customers", "raw_orders", "raw_payments", "raw_stores"}
    on_raw = {
        (c.asset_key.to_user_string(), c.name)
        for c in defs.resolve_asset_graph().asset_check_keys
        if c.asset_key.to_user_string() in raw
    }
    assert on_raw == {
        (table, f"source_{test}_raw_{table}_id") for table in raw for test in ("not_null", "unique")
    }
    assert {spec.asset_key.to_user_string() for spec in unpartitioned_models.check_specs} >= raw
    assert not raw_tables.check_specs


def test_every_writer_is_in_the_warehouse_pool() -> None:
    assert POOL == "warehouse"
    for assets_def in defs.assets:
        assert assets_def.op.pool == POOL, assets_def.op.name


def test_automation_replaces_the_schedule() -> None:
    """One mechanism builds a closing month: automation (tests/dagster/test_automation.py)."""
    assert not list(defs.schedules or [])
    sensor = defs.get_sensor_def("automation")
    assert isinstance(sensor, dg.AutomationConditionSensorDefinition)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert defs.get_sensor_def("raw_changes").default_status == dg.DefaultSensorStatus.RUNNING
    graph = defs.resolve_asset_graph()
    automated = {
        name.to_user_string()
        for name in graph.get_all_asset_keys()
        if graph.get(name).automation_condition is not None
    }
    # orders_by_month_microbatch is built when asked (defs/microbatch.py).
    assert automated == {
        "stg_customers", "stg_orders", "stg_payments", "stg_stores", "orders", "customers",
        *(set(PARTITIONED) - {"orders_by_month_microbatch"}),
    }  # fmt: skip


def test_automation_off_stops_both_sensors() -> None:
    """AUTOMATION=false: both sensors start stopped (the definitions read it at load)."""
    code = (
        "from dagster_project.definitions import defs\n"
        "print(defs.get_sensor_def('automation').default_status.value,"
        " defs.get_sensor_def('raw_changes').default_status.value)"
    )
    env = {**os.environ, "AUTOMATION": "false"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["STOPPED", "STOPPED"]


def test_automated_runs_are_retried_with_a_bound() -> None:
    """The automation sensor's runs carry dagster/max_retries and dagster/max_runtime; both
    instance configs turn Dagster's run retries on (0 for runs launched by hand) and run
    monitoring, which fails an automated run past its max runtime (one whose worker died
    with the whole `dg dev`), so its retry runs."""
    sensor = defs.get_sensor_def("automation")
    assert isinstance(sensor, dg.AutomationConditionSensorDefinition)
    assert sensor.run_tags == {"dagster/max_retries": "2", "dagster/max_runtime": "3600"}
    for config in ("dagster.yaml", "postgres/dagster.yaml"):
        settings = yaml.safe_load((REPO_ROOT / "dagster_home" / config).read_text())
        assert settings["run_retries"] == {
            "enabled": True,
            "max_retries": 0,
            "retry_on_asset_or_op_failure": True,
        }, config
        assert settings["run_monitoring"]["enabled"] is True, config
        # A killed run's pool slot is freed, so its retry can start.
        assert settings["run_monitoring"]["free_slots_after_run_end_seconds"] > 0, config
