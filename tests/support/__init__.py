"""What the tests share: a database per test, dbt, Dagster, and the expected numbers.

warehouse.py    TestWarehouse: one test database (DuckDB today), and how to make one
dbt.py          run the dbt CLI against a TestWarehouse
expected.py     the oracles: plain SQL over the raw tables, and the models' rows, as dicts
dagster.py      materialize an asset in this process, as the UI and backfills do
dagster_dev.py  a real `dg dev` on loopback, and its GraphQL API
scheduling.py   how xdist shares the tests out: every Spark case on one worker
"""
