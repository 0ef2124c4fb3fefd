"""The xdist scheduler's order and grouping: the local Spark cases one group, the cluster cases
another, every other test its own (the `dg dev` tests too)."""

from __future__ import annotations

from tests.support.scheduling import GroupsOnOneWorker, is_spark_case, run_order


def test_spark_cases_are_told_by_their_parameter_id() -> None:
    assert is_spark_case("tests/dbt_cli/test_orders_by_month.py::test_rerun_is_idempotent[spark]")
    assert is_spark_case("tests/x.py::test_y[2018-01-01-spark]")
    assert not is_spark_case("tests/x.py::test_y[duckdb]")
    assert not is_spark_case("tests/x.py::test_y[sparkle]")
    assert not is_spark_case("tests/unit/test_warehouse_spark.py::test_pool_limit")
    assert is_spark_case("tests/x.py::test_y[spark_thrift]")


def test_the_spark_cases_share_one_scope_and_the_others_have_their_own() -> None:
    split = GroupsOnOneWorker._split_scope
    ids = ["t.py::a[spark]", "t.py::b[spark]", "t.py::a[spark_thrift]", "t.py::a[duckdb]"]
    ids += ["t.py::c", "tests/ui/test_browser.py::t[duckdb]", "tests/ui/test_x.py::u[postgres]"]
    assert [split(None, i) for i in ids] == [
        "spark",
        "spark",
        "spark_thrift",
        "t.py::a[duckdb]",
        "t.py::c",
        "tests/ui/test_browser.py::t[duckdb]",
        "tests/ui/test_x.py::u[postgres]",
    ]


def test_the_dg_dev_tests_are_spread_through_the_first_two_thirds() -> None:
    """Long tests first, then the Spark cases, the rest after; one `dg dev` test every
    step of the first two thirds; nothing lost or repeated."""

    class Item:
        def __init__(self, nodeid: str) -> None:
            self.nodeid = nodeid

    dg_dev = [Item(f"tests/ui/test_{n}.py::t[duckdb]") for n in range(3)]
    crash = Item("tests/dbt_cli/test_crash.py::t")
    spark = Item("tests/x.py::t[spark]")
    rest = [Item(f"tests/x.py::t{n}") for n in range(16)]
    items = [*rest[:8], dg_dev[0], spark, *rest[8:], crash, *dg_dev[1:]]

    ordered = run_order(items, lambda item: item is crash)  # type: ignore[arg-type]

    assert sorted(map(id, ordered)) == sorted(map(id, items))
    others = [item for item in ordered if item not in dg_dev]
    assert others[:2] == [crash, spark]
    # 18 other tests: two thirds are 12, so a `dg dev` test every 4, in collected order.
    assert [ordered.index(item) for item in dg_dev] == [0, 5, 10]
