"""The automation conditions of the dbt models: when Dagster runs a model by itself.

Every condition is Dagster's `AutomationCondition.eager()` with three changes,
one per thing `eager` gets wrong for this project (docs/automation.md):

- **Lookback.** `eager` only ever targets the latest time partition. A
  time-partitioned model here targets the latest `months` months
  (AUTOMATION_LOOKBACK_MONTHS), `in_latest_time_window(lookback_delta(months))`,
  so late data for those months rebuilds them; older months stay as they were
  and are backfilled by hand.
- **Only partitions that appear while automation runs.** `eager` asks for
  every missing partition on its first evaluation, so turning automation on
  would build months nobody asked for (and change what the UI shows a user
  following docs/ui.md). Here a missing partition is requested only when it
  newly appears (a month closes) after the first evaluation; months that
  were already missing are a backfill's job.
- **Never on missing parents.** As in `eager`: nothing is requested while a
  parent is missing (never materialized and not requested in the same tick)
  or in progress. The parents of every model here are unpartitioned, so
  "missing" is the whole parent; dagster-io/dagster#34094 (partition mappings
  to nonexistent upstream partitions) cannot arise.

A failed run is not re-requested by automation (`since_last_handled`: a
request counts as handled whatever its run's outcome); Dagster's run retries
(dagster_home/dagster.yaml) retry it, a bounded number of times.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

# The mean length of a month (365.2425 / 12 days).
_MONTH = dt.timedelta(days=30.436875)


def lookback_delta(months: int) -> dt.timedelta:
    """The `in_latest_time_window` delta that holds exactly the latest `months` monthly partitions.

    Dagster keeps the partitions that lie wholly within the delta before the
    latest window's end. Month lengths vary, so the delta is half a month
    more than `months` months: at least any `months` months, less than any
    `months + 1` months.
    """
    if months < 1:
        raise ValueError(f"months={months}: expected 1 or more (1: the latest month only).")
    return _MONTH * (months + 0.5)


def _eager_without_backlog(scope: dg.AutomationCondition | None) -> dg.AutomationCondition:
    """`eager()` for new partitions and updated parents, never for the backlog of missing ones."""
    # newly_missing before initial_evaluation: its cursor (what was missing)
    # must be stored on the first tick too, or the second would see it all as new.
    appeared = dg.AutomationCondition.newly_missing() & ~dg.AutomationCondition.initial_evaluation()
    trigger = (appeared | dg.AutomationCondition.any_deps_updated()).since_last_handled()
    condition = (
        trigger
        & ~dg.AutomationCondition.any_deps_missing()
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
    )
    return scope & condition if scope is not None else condition


def unpartitioned_condition() -> dg.AutomationCondition:
    """Staging views and mart tables: rebuilt when a parent (a raw table, a view) is updated."""
    return _eager_without_backlog(None).with_label("rebuild when a parent updates")


def monthly_condition(months: int) -> dg.AutomationCondition:
    """Monthly models (and month x method): the latest `months` months, when a parent updates,
    and a month when it closes."""
    scope = dg.AutomationCondition.in_latest_time_window(lookback_delta(months))
    return _eager_without_backlog(scope).with_label(
        f"latest {months} month(s): on parent update or month close"
    )


def category_condition() -> dg.AutomationCondition:
    """Static partitions (payment methods): every method when a parent updates."""
    return _eager_without_backlog(None).with_label("every category when a parent updates")


def dynamic_condition() -> dg.AutomationCondition:
    """Dynamic partitions (stores): existing partitions when a parent updates.

    New partitions are the new_stores sensor's: it adds each and requests its
    run, so this condition never asks for a missing partition.
    """
    return (
        dg.AutomationCondition.any_deps_updated().since_last_handled()
        & ~dg.AutomationCondition.missing()
        & ~dg.AutomationCondition.any_deps_missing()
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
    ).with_label("existing stores when a parent updates")
