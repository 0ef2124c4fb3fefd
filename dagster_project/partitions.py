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
