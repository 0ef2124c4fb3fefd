"""The sensor behind the dynamic partitions: one partition per store in the data."""

import dagster as dg

from dagster_project.defs.dbt import orders_by_store_model
from dagster_project.defs.partitions import store_partitions
from dagster_project.lib.warehouse import warehouse
from dagster_project.lib.warehouse.contract import Unavailable


@dg.sensor(
    asset_selection=[orders_by_store_model],
    minimum_interval_seconds=60,
    description=(
        "Adds a `stores` partition for each store that appears in raw_stores, and "
        "requests its orders_by_store run. It only adds: a store that leaves the "
        "data keeps its partition and its rows."
    ),
)
def new_stores(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """New stores in raw_stores -> new partitions of orders_by_store, each materialized."""
    try:
        store_ids = warehouse().store_ids()
    except Unavailable as reason:
        return dg.SkipReason(str(reason))
    known = set(context.instance.get_dynamic_partitions(store_partitions.name))
    new = [key for key in store_ids if key not in known]
    if not new:
        return dg.SkipReason(f"No new stores: {len(store_ids)} in raw_stores, all partitions.")
    context.log.info(f"New stores: {', '.join(new)}")
    return dg.SensorResult(
        dynamic_partitions_requests=[store_partitions.build_add_request(new)],
        run_requests=[dg.RunRequest(partition_key=key) for key in new],
    )
