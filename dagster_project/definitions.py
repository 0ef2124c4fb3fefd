"""The code location: `dagster dev` loads `defs` from here (see pyproject.toml)."""

import dagster as dg
from dagster_dbt import DbtCliResource

from dagster_project.assets.dbt import dbt_models, monthly_dbt_models
from dagster_project.assets.raw import raw_tables
from dagster_project.project import dbt_project

defs = dg.Definitions(
    assets=[raw_tables, dbt_models, monthly_dbt_models],
    resources={"dbt": DbtCliResource(project_dir=dbt_project)},
    # One DuckDB writer at a time makes parallel steps useless, and the
    # in-process executor saves a child process per step.
    executor=dg.in_process_executor,
)
