"""The pipeline runs itself: the raw tables watched, the models' conditions evaluated.

Two sensors, both running from the start unless AUTOMATION=false
(docs/automation.md):

- `raw_changes` notices a change to a raw table made outside Dagster (an
  INSERT by SQL, the generator run from the CLI). Every tick it reads each
  table's fingerprint (`Warehouse.fingerprint`: row count and a sum of row
  hashes, read-only and without waiting) and compares it with the table's
  data version in Dagster, which the generator's own materialization sets. A
  difference is reported as a materialization of that raw asset, with the new
  fingerprint as its data version and no run. A materialization, not an
  observation: Dagster's automation counts only materializations as an
  update of a materializable asset (observations count for source assets
  only), and the raw assets are materializable (the generator writes them).
- `automation` evaluates each model's automation condition
  (dagster_project/lib/automation.py) in the daemon. A tick that requests
  several partitions of an asset becomes one backfill, and the asset's
  single_run backfill policy makes them one run. Its runs carry
  `dagster/max_retries`: a failed one is re-executed from its failure up to
  MAX_RETRIES times by Dagster's run retries (run_retries in dagster.yaml),
  then stays failed with its error. They carry `dagster/max_runtime` too:
  run monitoring fails one still running after MAX_RUNTIME_SECONDS, which
  ends a run whose worker died with the whole `dg dev` (docs/automation.md).
"""

import dagster as dg

from dagster_project.defs.dbt import (
    orders_by_month_model,
    orders_by_store_model,
    payments_by_month_and_method_model,
    revenue_by_payment_method_model,
    unpartitioned_models,
)
from dagster_project.lib import settings
from dagster_project.lib.generator import RAW_TABLES
from dagster_project.lib.warehouse import warehouse
from dagster_project.lib.warehouse.contract import Unavailable

# Where Dagster keeps an asset event's data version (DataVersion's tag).
DATA_VERSION_TAG = "dagster/data_version"
# How many times Dagster's run retries (run_retries in dagster_home/dagster.yaml)
# re-execute a failed automated run from its failure before it stays failed.
MAX_RETRIES = 2
# How long an automated run may run before run monitoring (run_monitoring in
# dagster.yaml) fails it, and run retries retry it. An automated run builds
# the lookback's months, seconds to minutes on every target; an hour is far
# past that. With the default run launcher a run whose worker died with the
# whole `dg dev` (a crash) stays Started after the restart, since nothing
# can check its worker: this limit is what ends it, so no request is lost
# for good, and the models it blocks (`~in_progress`) run again.
MAX_RUNTIME_SECONDS = 3600


def _status() -> dg.DefaultSensorStatus:
    running = settings.automation()
    return dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED


@dg.sensor(
    minimum_interval_seconds=settings.automation_interval_seconds(),
    default_status=_status(),
    description=(
        "Reports a raw table as updated when its rows changed outside Dagster (its "
        "fingerprint differs from its data version), so automation rebuilds what reads it."
    ),
)
def raw_changes(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """A changed raw table -> a materialization of its asset with the new fingerprint."""
    target = warehouse()
    events, unchanged, unavailable = [], [], []
    for table in RAW_TABLES:
        try:
            fingerprint = target.fingerprint(table)
        except Unavailable as reason:
            unavailable.append(str(reason))
            continue
        if fingerprint == _data_version(context.instance, table):
            unchanged.append(table)
            continue
        events.append(
            dg.AssetMaterialization(
                asset_key=table,
                description="Changed outside Dagster (noticed by the raw_changes sensor).",
                tags={DATA_VERSION_TAG: fingerprint},
                metadata={"fingerprint": fingerprint, "warehouse": target.location},
            )
        )
    if not events:
        return dg.SkipReason(
            " ".join([f"Unchanged: {', '.join(unchanged) or 'none'}.", *unavailable])
        )
    context.log.info(f"Changed: {', '.join(event.asset_key.path[-1] for event in events)}")
    return dg.SensorResult(asset_events=events)


def _data_version(instance: dg.DagsterInstance, table: str) -> str | None:
    """The data version of the raw table's latest materialization, if it has one."""
    event = instance.get_latest_materialization_event(dg.AssetKey(table))
    materialization = event.asset_materialization if event else None
    return materialization.tags.get(DATA_VERSION_TAG) if materialization else None


automation = dg.AutomationConditionSensorDefinition(
    "automation",
    target=dg.AssetSelection.assets(
        unpartitioned_models,
        orders_by_month_model,
        revenue_by_payment_method_model,
        payments_by_month_and_method_model,
        orders_by_store_model,
    ),
    default_status=_status(),
    minimum_interval_seconds=settings.automation_interval_seconds(),
    run_tags={
        "dagster/max_retries": str(MAX_RETRIES),
        "dagster/max_runtime": str(MAX_RUNTIME_SECONDS),
    },
    description=(
        "Evaluates every dbt model's automation condition: what runs by itself "
        "(docs/automation.md)."
    ),
)
