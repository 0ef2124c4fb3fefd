"""The raw data: the project's generator, the first step of the dbt-only path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import closing

import duckdb
import pytest

from dagster_project.lib.generator import RAW_TABLES, GeneratorConfig, generate
from dagster_project.lib.project import REPO_ROOT
from dagster_project.lib.warehouse import warehouse
from tests.support.dbt import dbt_env
from tests.support.warehouse import DuckDBTestWarehouse, TestWarehouse


def test_the_command_line_writes_into_the_targets_warehouse(empty_db: TestWarehouse) -> None:
    """`python -m dagster_project.lib.generate_command` (`jaffle-generate`) writes where dbt reads.

    Its figures are one JSON object on stdout; its progress, a line per table, on stderr.
    """
    result = subprocess.run(
        [sys.executable, "-m", "dagster_project.lib.generate_command", "--orders", "2000"],
        cwd=REPO_ROOT,
        env=dbt_env(empty_db),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr

    counts = {
        table: empty_db.query(f"select count(*) as n from {table}")[0]["n"] for table in RAW_TABLES
    }
    assert counts["raw_orders"] == 2000
    assert counts["raw_customers"] == GeneratorConfig(orders=2000).customers
    assert counts["raw_stores"] == len(GeneratorConfig().stores)
    assert counts["raw_payments"] > 2000  # one per order, two for some
    figures = json.loads(result.stdout)
    assert figures["rows"] == counts
    assert figures["warehouse"] == warehouse({**os.environ, **empty_db.env}).location
    assert [line.split(" done in ")[0] for line in result.stderr.splitlines()] == [
        f"2,000 orders: {table}" for table in RAW_TABLES
    ]


@pytest.mark.duckdb_only
@pytest.mark.quick
def test_generator_stores_rows_in_id_order(empty_db: DuckDBTestWarehouse) -> None:
    """Month filters prune DuckDB row groups only if rows are stored by id (hence by date)."""
    empty_db.write_raw(GeneratorConfig(orders=50_000))

    for table in ("raw_orders", "raw_payments"):
        [out_of_order] = empty_db.query(
            "select count(*) as n from (select id, lag(id) over (order by rowid) as prev "
            f"from {table}) where id <= prev"
        )
        assert out_of_order["n"] == 0, table
    [dates_back] = empty_db.query(
        "select count(*) as n from (select order_date, lag(order_date) over (order by rowid) "
        "as prev from raw_orders) where order_date < prev"
    )
    assert dates_back["n"] == 0


@pytest.mark.every_warehouse
def test_every_target_holds_the_rows_duckdb_generates(raw_db: TestWarehouse) -> None:
    """The raw tables on the target equal the generator's rows made in DuckDB, row for row."""
    with closing(duckdb.connect()) as con:
        generate(con, GeneratorConfig())
        reference = {}
        for table in RAW_TABLES:
            cursor = con.execute(f"select * from {table}")
            names = [column[0] for column in cursor.description]
            reference[table] = sorted(
                (dict(zip(names, row, strict=True)) for row in cursor.fetchall()),
                key=lambda row: row["id"],
            )

    for table in RAW_TABLES:
        loaded = sorted(raw_db.query(f"select * from {table}"), key=lambda row: row["id"])
        assert len(loaded) == len(reference[table]) > 0, table
        assert loaded == reference[table], table
