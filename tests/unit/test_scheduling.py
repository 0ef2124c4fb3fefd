"""The xdist scheduler's grouping: the local Spark cases one group, the cluster cases
another, every other test its own (the `dg dev` tests too)."""

from __future__ import annotations

from tests.support.scheduling import GroupsOnOneWorker, is_spark_case


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
