"""What the tests share: a database per test, dbt, Dagster.

The expected numbers, the throwaway PostgreSQL server and `dg dev` itself are
in harness/, which the benchmark shares.

warehouse.py    TestWarehouse: one test database (DuckDB today), and how to make one
dbt.py          run the dbt CLI against a TestWarehouse
dagster.py      materialize an asset in this process, as the UI and backfills do
dagster_dev.py  `dg dev` on a test's database (harness/dg_dev.py runs it)
scheduling.py   how xdist shares the tests out: every Spark case on one worker
"""
