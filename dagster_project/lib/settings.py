"""Every environment setting the Dagster code reads, parsed in one place.

Each reader takes the environment as an argument (default: this process's), so
a test can pass a dict, and each bad value gets one sentence naming it and
what is allowed. dbt's own settings (DBT_TARGET, DUCKDB_PATH, the PG*
variables, DUCKDB_MEMORY_LIMIT, ...) are read by dbt's profile, profiles.yml,
and reach Python through `dagster_project.lib.warehouse`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import dagster as dg

BACKFILL_POLICY = "DAGSTER_BACKFILL_POLICY"
IN_PROCESS_DBT = "IN_PROCESS_DBT"
# IN_PROCESS_DBT's first name, still read when IN_PROCESS_DBT is unset.
FAST_DBT = "FAST_DBT"
KEEP_TARGETS = "DBT_KEEP_INVOCATION_TARGETS"
DEFAULT_KEEP_TARGETS = 20


def backfill_policy(environ: Mapping[str, str] = os.environ) -> dg.BackfillPolicy:
    """DAGSTER_BACKFILL_POLICY: the backfill policy of every partitioned dbt asset.

    "single_run" (unset or empty too): a backfill of any range is one run, one
    dbt command, one delete+insert. "multi_run": one run per partition.
    "multi_run:N": runs of at most N partitions each.
    """
    value = environ.get(BACKFILL_POLICY)
    text = (value or "single_run").strip()
    if text == "single_run":
        return dg.BackfillPolicy.single_run()
    if text == "multi_run":
        return dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
    policy, _, count = text.partition(":")
    if policy == "multi_run" and count.isdigit() and int(count) >= 1:
        return dg.BackfillPolicy.multi_run(max_partitions_per_run=int(count))
    raise ValueError(
        f"{BACKFILL_POLICY}={value!r}: expected single_run, multi_run, or "
        "multi_run:N with N a whole number of partitions per run, 1 or more."
    )


def in_process_dbt(environ: Mapping[str, str] = os.environ) -> bool:
    """IN_PROCESS_DBT: true (the default) turns on dagster_project/lib/in_process_dbt, false off.

    Its former name, FAST_DBT, is read when IN_PROCESS_DBT is unset.
    """
    return _flag(IN_PROCESS_DBT if IN_PROCESS_DBT in environ else FAST_DBT, environ)


def _flag(name: str, environ: Mapping[str, str], default: bool = True) -> bool:
    """A true/false setting: true, 1, yes or on; false, 0, no or off; unset or empty: `default`."""
    value = environ.get(name, "")
    word = value.strip().lower()
    if word == "":
        return default
    if word in {"true", "1", "yes", "on"}:
        return True
    if word in {"false", "0", "no", "off"}:
        return False
    raise ValueError(f"{name}={value!r}: expected true or false.")


def _count(name: str, environ: Mapping[str, str], default: int, unit: str, note: str = "") -> int:
    """A whole number setting of 1 or more `unit`; unset or empty: `default`."""
    value = environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(
            f"{name}={environ.get(name)!r}: expected a whole number of {unit}, 1 or more{note}."
        )
    return int(value)


def keep_invocation_targets(environ: Mapping[str, str] = os.environ) -> int:
    """DBT_KEEP_INVOCATION_TARGETS: how many per-run dbt target folders to keep (20)."""
    value = environ.get(KEEP_TARGETS, str(DEFAULT_KEEP_TARGETS))
    try:
        keep = int(value)
    except ValueError:
        keep = -1
    if keep < 0:
        raise ValueError(
            f"{KEEP_TARGETS}={value!r}: expected a whole number of folders, 0 or more."
        )
    return keep


POOL_LIMIT = "WAREHOUSE_POOL_LIMIT"
# How many steps may write the warehouse at once, per dbt adapter: DuckDB
# allows one writer process per file; a Postgres server takes several; local
# Spark's embedded Derby metastore, one Java process. A Spark Thrift server
# holds the metastore itself and runs each client's statements as jobs of its
# own: 2, so two months' runs share the local cluster's two executors (more
# would queue for the same cores; a bigger cluster can take more).
DEFAULT_POOL_LIMITS = {"duckdb": 1, "postgres": 4, "spark": 1, "spark_thrift": 2}


def warehouse_pool_limit(pool_key: str, environ: Mapping[str, str] = os.environ) -> int:
    """WAREHOUSE_POOL_LIMIT: the `warehouse` pool's limit for a warehouse's `pool_key`; 1 on
    DuckDB and local Spark, 4 on Postgres, 2 on a Spark Thrift server."""
    value = environ.get(POOL_LIMIT, "").strip()
    if not value:
        return DEFAULT_POOL_LIMITS.get(pool_key, 1)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{POOL_LIMIT}={value!r}: expected a whole number of steps, 1 or more.")
    if pool_key == "duckdb" and int(value) > 1:
        raise ValueError(
            f"{POOL_LIMIT}={value!r}: DuckDB allows one writer process per file, so the "
            "warehouse pool's limit must be 1 on a duckdb target."
        )
    if pool_key == "spark" and int(value) > 1:
        raise ValueError(
            f"{POOL_LIMIT}={value!r}: local Spark's embedded Derby metastore allows one Java "
            "process at a time, so the warehouse pool's limit must be 1 on a spark target."
        )
    return int(value)


RAW_DATA_DIR = "SPARK_RAW_DATA_DIR"
CLUSTER_DIR = "SPARK_CLUSTER_DIR"


def spark_raw_data_dir(environ: Mapping[str, str] = os.environ) -> str:
    """SPARK_RAW_DATA_DIR: where the spark_thrift target's raw parquet lands, as given.

    Every Spark worker must read it: a shared folder, or object storage
    (s3://..., abfss://...) on a real cluster. Unset: SPARK_CLUSTER_DIR/raw,
    where scripts/spark-cluster's cluster looks (data/spark-cluster/raw).
    """
    value = environ.get(RAW_DATA_DIR, "").strip()
    if value:
        return value
    cluster = environ.get(CLUSTER_DIR, "").strip() or "data/spark-cluster"
    return f"{cluster.rstrip('/')}/raw"


AUTOMATION = "AUTOMATION"
LOOKBACK_MONTHS = "AUTOMATION_LOOKBACK_MONTHS"
DEFAULT_LOOKBACK_MONTHS = 3
AUTOMATION_INTERVAL = "AUTOMATION_INTERVAL_SECONDS"
DEFAULT_AUTOMATION_INTERVAL = 60


def automation(environ: Mapping[str, str] = os.environ) -> bool:
    """AUTOMATION: true (the default) starts the automation sensors running, false stopped."""
    return _flag(AUTOMATION, environ)


def automation_lookback_months(environ: Mapping[str, str] = os.environ) -> int:
    """AUTOMATION_LOOKBACK_MONTHS: how many of the latest months automation rebuilds (3)."""
    return _count(
        LOOKBACK_MONTHS,
        environ,
        DEFAULT_LOOKBACK_MONTHS,
        "months",
        " (1: the last complete month only)",
    )


def automation_interval_seconds(environ: Mapping[str, str] = os.environ) -> int:
    """AUTOMATION_INTERVAL_SECONDS: how often the automation sensors run (60)."""
    return _count(AUTOMATION_INTERVAL, environ, DEFAULT_AUTOMATION_INTERVAL, "seconds")
