"""The sensor behind the dynamic partitions: one partition per store in the data."""

import dagster as dg
import duckdb

from dagster_project.assets.partition_kinds import orders_by_store_model
from dagster_project.duckdb_path import duckdb_path
from dagster_project.partitions import store_partitions


def read_store_ids() -> list[str] | dg.SkipReason:
    """The store ids in raw_stores, as partition keys, or why they can't be read now."""
    path = duckdb_path()
    if not path.exists():
        return dg.SkipReason(f"{path} does not exist yet: materialize the raw tables first.")
    try:
        # Read-only and closed at once: DuckDB allows one writer process, and
        # a connection held here would make the next writer wait or fail.
        with duckdb.connect(str(path), read_only=True) as con:
            rows = con.execute("select id from raw_stores order by id").fetchall()
    except duckdb.CatalogException:
        return dg.SkipReason(f"{path} has no raw_stores table yet.")
    except duckdb.IOException as error:
        # Another process is writing (a run, the generator): try next tick.
        return dg.SkipReason(f"{path} is locked by a writer, trying next tick: {error}")
    return [str(row[0]) for row in rows]


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
    store_ids = read_store_ids()
    if isinstance(store_ids, dg.SkipReason):
        return store_ids
    known = set(context.instance.get_dynamic_partitions(store_partitions.name))
    new = [key for key in store_ids if key not in known]
    if not new:
        return dg.SkipReason(f"No new stores: {len(store_ids)} in raw_stores, all partitions.")
    context.log.info(f"New stores: {', '.join(new)}")
    return dg.SensorResult(
        dynamic_partitions_requests=[store_partitions.build_add_request(new)],
        run_requests=[dg.RunRequest(partition_key=key) for key in new],
    )
