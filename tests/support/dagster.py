"""Materialize the project's assets in this process, as the UI and backfills launch them."""

from __future__ import annotations

from typing import Any

import dagster as dg

from dagster_project.definitions import defs
from dagster_project.defs.dbt import orders_by_month_model

# The run tags of a single-run backfill over a range of partitions.
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def materialize(
    assets_def: dg.AssetsDefinition,
    instance: dg.DagsterInstance,
    *,
    key_range: tuple[str, str] | None = None,
    tags: dict[str, str] | None = None,
    resources: dict[str, Any] | None = None,
    **kwargs: Any,
) -> dg.ExecuteInJobResult:
    """One run of `assets_def` with the code location's resources (unless given).

    `partition_key=` is one partition, as the UI launches it; `key_range=(first,
    last)` is the partitions first..last (both included) in one run, as a
    single-run backfill. Other arguments go to `dg.materialize`.
    """
    if key_range is not None:
        tags = {**(tags or {}), RANGE_START: key_range[0], RANGE_END: key_range[1]}
    return dg.materialize(
        [assets_def],
        resources=defs.resources if resources is None else resources,
        instance=instance,
        tags=tags,
        **kwargs,
    )


def materialize_month(
    instance: dg.DagsterInstance, key: str, **kwargs: Any
) -> dg.ExecuteInJobResult:
    """One run of orders_by_month for one month, as the UI's single-partition launch."""
    return materialize(orders_by_month_model, instance, partition_key=key, **kwargs)


def materialize_months(
    instance: dg.DagsterInstance, first: str, last: str, **kwargs: Any
) -> dg.ExecuteInJobResult:
    """One run of orders_by_month over the months first..last (both included), as a backfill."""
    return materialize(orders_by_month_model, instance, key_range=(first, last), **kwargs)


def check_results(result: dg.ExecuteInJobResult) -> dict[str, dg.AssetCheckEvaluation]:
    """The run's asset check evaluations (the dbt tests), by check name."""
    return {check.check_name: check for check in result.get_asset_check_evaluations()}


def asset_job(assets_def: dg.AssetsDefinition) -> dg.JobDefinition:
    """A job of `assets_def` alone, with the code location's resources and executor.

    `dg.reconstructable` needs a module-level function that returns the job
    (re-execution loads it again), so each test module wraps this in one.
    """
    job = dg.define_asset_job(
        assets_def.op.name, selection=[assets_def], partitions_def=assets_def.partitions_def
    )
    return dg.Definitions(
        assets=[assets_def], jobs=[job], resources=defs.resources, executor=dg.in_process_executor
    ).resolve_job_def(job.name)


def reexecute_from_failure(
    job: Any, instance: dg.DagsterInstance, failed: dg.ExecuteJobResult
) -> None:
    """Re-execute a failed run from its failure, as the UI's button does, and assert it succeeds.

    The UI carries the parent's partition tags over; the Python API takes them
    explicitly. The assertion names every step failure.
    """
    options = dg.ReexecutionOptions.from_failure(failed.run_id, instance)
    with dg.execute_job(
        job, instance=instance, reexecution_options=options, tags=failed.dagster_run.tags
    ) as retried:
        errors = [str(e.event_specific_data.error) for e in retried.all_events if e.is_step_failure]
        assert retried.success, errors
