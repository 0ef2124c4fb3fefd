"""Bad partition vars stop dbt before any SQL runs, with an error naming the var,
the value and what is allowed; every table stays as it was."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.assets.dbt import monthly_dbt_models
from dagster_project.definitions import defs
from tests.support import run_dbt, snapshot

ALLOWED = "expected a date 'YYYY-MM-01' (the first day of a month) from 2018-01-01"

# (id, value as JSON gives it to dbt, how the error quotes it)
BAD_VALUES = [
    ("month-13", "2018-13-01", '"2018-13-01"'),
    ("february-30", "2018-02-30", '"2018-02-30"'),
    ("mid-month", "2018-03-15", '"2018-03-15"'),
    ("before-first-partition", "2017-12-01", '"2017-12-01"'),
    ("sql-injection", "'; drop table orders; --", '"\'; drop table orders; --"'),
    ("empty-string", "", '""'),
    ("integer", 201803, '"201803"'),
    ("list", ["2018-03-01"], '["2018-03-01"]'),
]


@pytest.fixture(scope="module")
def protected_db(built_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Marts plus two months of orders_by_month: something for bad input to break.

    Shared by the module's tests: each asserts the file is unchanged, so a test
    that broke it would fail itself.
    """
    path = tmp_path_factory.mktemp("bad_input") / "jaffle_shop.duckdb"
    shutil.copy(built_template, path)
    run_dbt(
        ["run", "--select", "orders_by_month", "--vars", '{"partition_start": "2018-02-01", '
         '"partition_end": "2018-04-01"}'],
        path,
    )  # fmt: skip
    return path


def assert_rejected(db: Path, dbt_vars: dict, var: str, quoted: str) -> None:
    """dbt run (and so build) exits non-zero naming the var and value; nothing changes."""
    before = snapshot(db)
    assert before["orders_by_month"], "the fixture should hold rows to protect"
    result = run_dbt(
        ["run", "--select", "orders_by_month", "--vars", json.dumps(dbt_vars)], db, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"Invalid var {var}={quoted}" in output, output
    assert ALLOWED in output, output
    assert snapshot(db) == before


@pytest.mark.parametrize(
    ("value", "quoted"), [v[1:] for v in BAD_VALUES], ids=[v[0] for v in BAD_VALUES]
)
def test_bad_partition_key_is_rejected(protected_db: Path, value: object, quoted: str) -> None:
    assert_rejected(protected_db, {"partition_key": value}, "partition_key", quoted)


@pytest.mark.parametrize(
    ("value", "quoted"), [v[1:] for v in BAD_VALUES], ids=[v[0] for v in BAD_VALUES]
)
def test_bad_partition_start_is_rejected(protected_db: Path, value: object, quoted: str) -> None:
    dbt_vars = {"partition_start": value, "partition_end": "2018-05-01"}
    assert_rejected(protected_db, dbt_vars, "partition_start", quoted)


@pytest.mark.parametrize(
    ("value", "quoted"),
    # partition_end goes through the same check as partition_start; three
    # kinds of wrong are enough to show it is checked at all.
    [BAD_VALUES[2][1:], BAD_VALUES[4][1:], BAD_VALUES[7][1:]],
    ids=[BAD_VALUES[2][0], BAD_VALUES[4][0], BAD_VALUES[7][0]],
)
def test_bad_partition_end_is_rejected(protected_db: Path, value: object, quoted: str) -> None:
    dbt_vars = {"partition_start": "2018-01-01", "partition_end": value}
    assert_rejected(protected_db, dbt_vars, "partition_end", quoted)


@pytest.mark.parametrize("end", ["2018-03-01", "2018-05-01"], ids=["reversed", "empty"])
def test_start_not_before_end_is_rejected(protected_db: Path, end: str) -> None:
    before = snapshot(protected_db)
    dbt_vars = {"partition_start": "2018-05-01", "partition_end": end}
    result = run_dbt(
        ["run", "--select", "orders_by_month", "--vars", json.dumps(dbt_vars)],
        protected_db,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f'partition_start="2018-05-01" must be before partition_end="{end}"' in output, output
    assert snapshot(protected_db) == before


@pytest.mark.parametrize("key", ["2018-03-15", "2017-12-01", "2018-13-01", "nonsense"])
def test_dagster_rejects_unknown_partition_keys(db: Path, key: str) -> None:
    before = snapshot(db)
    with (
        dg.instance_for_test() as instance,
        pytest.raises(
            dg.DagsterUnknownPartitionError, match=f"Could not find a partition with key `{key}`"
        ),
    ):
        dg.materialize(
            [monthly_dbt_models], partition_key=key, resources=defs.resources, instance=instance
        )
    assert snapshot(db) == before
