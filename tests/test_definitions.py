"""The code location loads with the expected graph."""

import dagster as dg

from dagster_project.definitions import defs
from dagster_project.partitions import monthly_partitions


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
    }
    assert {k.to_user_string() for k in graph.get_all_asset_keys()} == set(expected)
    for name, (group, upstream) in expected.items():
        node = graph.get(key(name))
        assert node.group_name == group, name
        assert {k.to_user_string() for k in node.parent_keys} == upstream, name
        assert node.owners == ["team:analytics-engineering"], name


def test_only_orders_by_month_is_partitioned_monthly() -> None:
    graph = defs.resolve_asset_graph()
    partitioned = {
        k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).is_partitioned
    }
    assert partitioned == {"orders_by_month"}
    assert graph.get(key("orders_by_month")).partitions_def == monthly_partitions
    assert graph.get(key("orders_by_month")).backfill_policy == dg.BackfillPolicy.single_run()


def test_dbt_tests_are_asset_checks() -> None:
    checks = {
        (c.asset_key.to_user_string(), c.name) for c in defs.resolve_asset_graph().asset_check_keys
    }
    assert ("orders_by_month", "unique_orders_by_month_order_month") in checks
    assert ("orders_by_month", "not_null_orders_by_month_order_month") in checks
    assert ("orders", "unique_orders_order_id") in checks
    assert (
        "stg_payments",
        "accepted_values_stg_payments_payment_method__credit_card__coupon__bank_transfer__gift_card",
    ) in checks


def test_every_writer_is_in_the_duckdb_pool() -> None:
    for assets_def in defs.assets:
        assert assets_def.op.pool == "duckdb", assets_def.op.name
