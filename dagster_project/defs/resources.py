"""Resources and the executor every job of the code location shares."""

import dagster as dg

from dagster_project.lib.in_process_dbt import dbt_cli_resource
from dagster_project.lib.project import dbt_project


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={"dbt": dbt_cli_resource(dbt_project)},
        # The warehouse pool runs one writer at a time on DuckDB, so parallel
        # steps buy nothing there, and the in-process executor saves a child
        # process (about 3 s) per step.
        executor=dg.in_process_executor,
    )
