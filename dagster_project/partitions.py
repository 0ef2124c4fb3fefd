"""The monthly partitions: defined here and nowhere else."""

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
