"""What the tests and the benchmark both run the project with.

oracle.py           the expected numbers: plain SQL over the raw tables, and the models' rows
postgres_server.py  a throwaway PostgreSQL server on a unix socket
dg_dev.py           a real `dg dev` on loopback, and its GraphQL API
spark.py            whether local Spark can run here, and ending its Java process
ports.py            free TCP ports on loopback

Why a package of its own: `scripts/` must not reach into `tests/`, and
none of this is the Dagster project itself, so it does not belong in
`dagster_project/` either (that package is what a deploy loads; the oracle
must stay independent of it). The tests (`tests/support/` builds its test
warehouses and runners on these) and `scripts/benchmark/` import from here;
nothing here imports from `tests/` or `scripts/`. Like `tests/` and
`scripts/`, it is not installed: it is imported from the repository root.
"""
