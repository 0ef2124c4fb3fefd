"""Bad partition vars stop the model that reads them before any of its SQL runs,
with an error headed with that model (the one the user ran), naming the var, the
value and what is allowed; every table stays as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support.dbt import dbt_vars, run_dbt
from tests.support.warehouse import TestWarehouse

# The core semantics: on DuckDB and on a real PostgreSQL server.
pytestmark = pytest.mark.every_warehouse

ALLOWED = "expected a date 'YYYY-MM-01' (the first day of a month) from 2018-01-01"
# dbt heads the error with the model it stopped: the one selected.
HEADER = "Compilation Error in model orders_by_month "

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
def protected_db(built_template: TestWarehouse) -> Iterator[TestWarehouse]:
    """Marts plus two months of orders_by_month: something for bad input to break.

    Shared by the module's tests: each asserts the database is unchanged, so a
    test that broke it would fail itself.
    """
    db = built_template.copy("bad_input")
    window = dbt_vars(partition_start="2018-02-01", partition_end="2018-04-01")
    run_dbt(["run", "--select", "orders_by_month", *window], db)
    yield db
    db.drop()


def run_with(db: TestWarehouse, partition_vars: dict) -> str:
    """dbt run (and so build) with these vars must fail and change nothing; its output."""
    before = db.snapshot()
    assert before["orders_by_month"], "the fixture should hold rows to protect"
    result = run_dbt(
        ["run", "--select", "orders_by_month", "--vars", json.dumps(partition_vars)],
        db,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert HEADER in output, output
    assert db.snapshot() == before
    return output


@pytest.mark.parametrize(
    ("value", "quoted"), [v[1:] for v in BAD_VALUES], ids=[v[0] for v in BAD_VALUES]
)
def test_bad_partition_key_is_rejected(
    protected_db: TestWarehouse, value: object, quoted: str
) -> None:
    output = run_with(protected_db, {"partition_key": value})

    assert f"Invalid var partition_key={quoted}" in output, output
    assert ALLOWED in output, output


@pytest.mark.parametrize(
    ("value", "quoted"), [v[1:] for v in BAD_VALUES], ids=[v[0] for v in BAD_VALUES]
)
def test_bad_partition_start_is_rejected(
    protected_db: TestWarehouse, value: object, quoted: str
) -> None:
    output = run_with(protected_db, {"partition_start": value, "partition_end": "2018-05-01"})

    assert f"Invalid var partition_start={quoted}" in output, output
    assert ALLOWED in output, output


@pytest.mark.parametrize(
    ("value", "quoted"),
    # partition_end goes through the same check as partition_start; three
    # kinds of wrong are enough to show it is checked at all.
    [BAD_VALUES[2][1:], BAD_VALUES[4][1:], BAD_VALUES[7][1:]],
    ids=[BAD_VALUES[2][0], BAD_VALUES[4][0], BAD_VALUES[7][0]],
)
def test_bad_partition_end_is_rejected(
    protected_db: TestWarehouse, value: object, quoted: str
) -> None:
    output = run_with(protected_db, {"partition_start": "2018-01-01", "partition_end": value})

    assert f"Invalid var partition_end={quoted}" in output, output
    assert ALLOWED in output, output


@pytest.mark.parametrize(
    "end",
    [
        pytest.param("2018-03-01", id="reversed", marks=pytest.mark.quick),
        pytest.param("2018-05-01", id="empty"),
    ],
)
def test_start_not_before_end_is_rejected(protected_db: TestWarehouse, end: str) -> None:
    output = run_with(protected_db, {"partition_start": "2018-05-01", "partition_end": end})

    assert f'partition_start="2018-05-01" must be before partition_end="{end}"' in output, output
