"""The monthly partitions: defined here and nowhere else."""

import os
from collections.abc import Mapping
from pathlib import Path

import dagster as dg
import yaml

from dagster_project.project import DBT_PROJECT_DIR


def _partitions_start_date(dbt_project_yml: Path) -> str:
    """The first partition month, kept in dbt_project.yml so dbt validates the same."""
    project = yaml.safe_load(dbt_project_yml.read_text())
    return str(project["vars"]["partitions_start_date"])


PARTITIONS_START_DATE = _partitions_start_date(DBT_PROJECT_DIR / "dbt_project.yml")

# Keys are "YYYY-MM-01"; the last partition is the last complete month (UTC).
monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=PARTITIONS_START_DATE)


def _payment_methods(dbt_project_yml: Path) -> list[str]:
    """The payment-method categories, kept in dbt_project.yml so dbt validates the same."""
    project = yaml.safe_load(dbt_project_yml.read_text())
    return [str(method) for method in project["vars"]["payment_methods"]]


PAYMENT_METHODS = _payment_methods(DBT_PROJECT_DIR / "dbt_project.yml")

# Category: one partition per payment method.
payment_method_partitions = dg.StaticPartitionsDefinition(PAYMENT_METHODS)

# Two-dimensional: one partition per (month, payment method) cell. Keys are
# dg.MultiPartitionKey({"month": "2018-03-01", "payment_method": "coupon"}),
# shown as "2018-03-01|coupon" (dimensions sorted by name).
MONTH, PAYMENT_METHOD = "month", "payment_method"
month_and_method_partitions = dg.MultiPartitionsDefinition(
    {MONTH: monthly_partitions, PAYMENT_METHOD: payment_method_partitions}
)

# Dynamic: one partition per store id (as text), added by the new_stores sensor
# when a store shows up in raw_stores, and never removed by it. Ids, not names:
# an id never changes, and a name could be reused or renamed.
store_partitions = dg.DynamicPartitionsDefinition(name="stores")


def every_partition_month() -> dg.TimeWindow:
    """The window of all partitions now: first month up to the current one, exclusive."""
    keys = monthly_partitions.get_partition_keys()
    return dg.TimeWindow(
        monthly_partitions.time_window_for_partition_key(keys[0]).start,
        monthly_partitions.time_window_for_partition_key(keys[-1]).end,
    )


# The monthly schedule's job: the partitioned models, one partition per tick.
orders_by_month_job = dg.define_asset_job(
    "orders_by_month_monthly",
    selection=dg.AssetSelection.keys("orders_by_month"),
    partitions_def=monthly_partitions,
    description="Materialize orders_by_month for one month (the schedule's job).",
)

# At 00:00 UTC on the 1st, the month that just ended becomes the last partition
# and this requests it: the previous complete month.
orders_by_month_schedule = dg.build_schedule_from_partitioned_job(
    orders_by_month_job, name="orders_by_month_monthly_schedule"
)


BACKFILL_POLICY_ENV = "DAGSTER_BACKFILL_POLICY"


def backfill_policy_from_setting(value: str | None) -> dg.BackfillPolicy:
    """The backfill policy named by DAGSTER_BACKFILL_POLICY's value.

    "single_run" (unset or empty too): a backfill of any range is one run, one
    dbt process, one delete+insert. "multi_run": one run per partition.
    "multi_run:N": runs of at most N partitions each.
    """
    text = (value or "single_run").strip()
    if text == "single_run":
        return dg.BackfillPolicy.single_run()
    if text == "multi_run":
        return dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
    kind, _, count = text.partition(":")
    if kind == "multi_run" and count.isdigit() and int(count) >= 1:
        return dg.BackfillPolicy.multi_run(max_partitions_per_run=int(count))
    raise ValueError(
        f"{BACKFILL_POLICY_ENV}={value!r}: expected single_run, multi_run, or "
        "multi_run:N with N a whole number of partitions per run, 1 or more."
    )


def backfill_policy(environ: Mapping[str, str] = os.environ) -> dg.BackfillPolicy:
    """The policy for the partitioned dbt assets, read from the environment at load."""
    return backfill_policy_from_setting(environ.get(BACKFILL_POLICY_ENV))
