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
