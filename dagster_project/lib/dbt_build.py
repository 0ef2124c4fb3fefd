"""The one way every dbt asset runs dbt.

Each `@dbt_assets` body turns its run's partitions into dbt vars (a pure
function of `dagster_project.lib.dbt_vars`) and calls `dbt_build`, which

- runs `dbt build` with those vars through the dbt resource, so the model and
  its data tests (Dagster's asset checks) run in one command;
- turns a warehouse's known trouble (DuckDB's file lock) into a failure that
  says what to do, naming the holder;
- calls the body's `after` hook once dbt has succeeded, before its events go
  out: where a model adds its own metadata (orders_by_month, its numbers per
  partition).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtCliRuntimeError, DbtCliResource

from dagster_project.lib.dbt_vars import dbt_build_args
from dagster_project.lib.warehouse import warehouse


def dbt_build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    dbt_vars: Mapping[str, Any] | None = None,
    *,
    full_refresh: bool = False,
    exclude: str | None = None,
    after: Callable[[], None] | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[Any]:
    """`dbt build` of the context's selection with `dbt_vars`; yields its Dagster events.

    `exclude`: what this run must never build or test, even when dagster-dbt
    subsets the run (it then selects by name and drops the `@dbt_assets`
    exclude, and dbt's indirect selection adds every test with a selected
    parent). `extra_args` go to dbt as given (a microbatch model's event-time flags).

    `after`: called once dbt has succeeded, before any of its events is
    yielded, so metadata it adds (`context.add_asset_metadata`) lands on this
    run's materializations.
    """
    args = dbt_build_args(
        dbt_vars, full_refresh=full_refresh, exclude=exclude, extra_args=extra_args
    )
    invocation = dbt.cli(args, context=context)
    # Held until dbt has finished, so `after` can read what dbt wrote before
    # the Output its metadata joins is handed to Dagster. If dbt fails,
    # the events seen so far still go out, then the error.
    events = []
    try:
        events.extend(invocation.stream())
    except Exception as error:
        yield from events
        message = (
            warehouse().failure_message(str(error))
            if isinstance(error, DagsterDbtCliRuntimeError)
            else None
        )
        if message is None:
            raise
        raise dg.Failure(description=message) from error
    if after is not None:
        after()
    yield from events
