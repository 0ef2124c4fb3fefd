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
