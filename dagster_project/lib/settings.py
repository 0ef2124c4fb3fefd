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
    kind, _, count = text.partition(":")
    if kind == "multi_run" and count.isdigit() and int(count) >= 1:
        return dg.BackfillPolicy.multi_run(max_partitions_per_run=int(count))
    raise ValueError(
        f"{BACKFILL_POLICY}={value!r}: expected single_run, multi_run, or "
        "multi_run:N with N a whole number of partitions per run, 1 or more."
    )


def fast_dbt(environ: Mapping[str, str] = os.environ) -> bool:
    """FAST_DBT: true (the default) turns on dagster_project/lib/fast_dbt.py, false off."""
    value = environ.get(FAST_DBT, "true")
    word = value.strip().lower()
    if word in {"true", "1", "yes", ""}:
        return True
    if word in {"false", "0", "no"}:
        return False
    raise ValueError(f"{FAST_DBT}={value!r}: expected true or false.")


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
# Spark's embedded Derby metastore, one Java process.
DEFAULT_POOL_LIMITS = {"duckdb": 1, "postgres": 4, "spark": 1}


def warehouse_pool_limit(kind: str, environ: Mapping[str, str] = os.environ) -> int:
    """WAREHOUSE_POOL_LIMIT: the `warehouse` pool's limit; 1 on DuckDB and Spark, 4 on Postgres."""
    value = environ.get(POOL_LIMIT, "").strip()
    if not value:
        return DEFAULT_POOL_LIMITS.get(kind, 1)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{POOL_LIMIT}={value!r}: expected a whole number of steps, 1 or more.")
    if kind == "duckdb" and int(value) > 1:
        raise ValueError(
            f"{POOL_LIMIT}={value!r}: DuckDB allows one writer process per file, so the "
            "warehouse pool's limit must be 1 on a duckdb target."
        )
    if kind == "spark" and int(value) > 1:
        raise ValueError(
            f"{POOL_LIMIT}={value!r}: local Spark's embedded Derby metastore allows one Java "
            "process at a time, so the warehouse pool's limit must be 1 on a spark target."
        )
    return int(value)


AUTOMATION = "AUTOMATION"
LOOKBACK_MONTHS = "AUTOMATION_LOOKBACK_MONTHS"
DEFAULT_LOOKBACK_MONTHS = 3
AUTOMATION_INTERVAL = "AUTOMATION_INTERVAL_SECONDS"
DEFAULT_AUTOMATION_INTERVAL = 60


def automation(environ: Mapping[str, str] = os.environ) -> bool:
    """AUTOMATION: true (the default) starts the automation sensors running, false stopped."""
    value = environ.get(AUTOMATION, "true")
    word = value.strip().lower()
    if word in {"true", "1", "yes", "on", ""}:
        return True
    if word in {"false", "0", "no", "off"}:
        return False
    raise ValueError(f"{AUTOMATION}={value!r}: expected true or false.")


def automation_lookback_months(environ: Mapping[str, str] = os.environ) -> int:
    """AUTOMATION_LOOKBACK_MONTHS: how many of the latest months automation rebuilds (3)."""
    value = environ.get(LOOKBACK_MONTHS, "").strip() or str(DEFAULT_LOOKBACK_MONTHS)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(
            f"{LOOKBACK_MONTHS}={environ.get(LOOKBACK_MONTHS)!r}: expected a whole number of "
            "months, 1 or more (1: the last complete month only)."
        )
    return int(value)


def automation_interval_seconds(environ: Mapping[str, str] = os.environ) -> int:
    """AUTOMATION_INTERVAL_SECONDS: how often the automation sensors run (60)."""
    value = environ.get(AUTOMATION_INTERVAL, "").strip() or str(DEFAULT_AUTOMATION_INTERVAL)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(
            f"{AUTOMATION_INTERVAL}={environ.get(AUTOMATION_INTERVAL)!r}: expected a whole "
            "number of seconds, 1 or more."
        )
    return int(value)
