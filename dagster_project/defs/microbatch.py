"""orders_by_month_microbatch: dbt's microbatch strategy on Dagster's monthly partitions.

The sibling of `orders_by_month_model` (defs/dbt.py): the same partitions, backfill
policy and pool, and the same run helper. Only the way the run's months reach
dbt differs: `--event-time-start/--event-time-end` from the partition window
(`event_time_args`), not vars, and dbt cuts them into one batch per month.
docs/microbatch.md compares the two.

The model is incremental, so `PARTITIONED_MODELS` keeps it out of
`unpartitioned_models`; `orders_by_month_model` selects its one model by name.
"""

import dagster as dg
from dagster_dbt import DbtCliResource

from dagster_project.defs.dbt import partitioned_dbt_assets
from dagster_project.defs.partitions import monthly_partitions
from dagster_project.lib.dbt_build import dbt_build
from dagster_project.lib.dbt_vars import event_time_args


# No automation condition: the model is the side-by-side comparison of
# docs/microbatch.md, built when asked (a UI backfill, the CLI, the benchmark),
# so automation's runs never queue behind it on the warehouse pool.
@partitioned_dbt_assets("orders_by_month_microbatch", monthly_partitions, None)
def orders_by_month_microbatch_model(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Time, by dbt microbatch: one batch per month of the run; or its checks alone."""
    if not (context.has_partition_key or context.has_partition_key_range):
        # A run of the checks alone, without a partition: dbt tests the whole
        # table and builds no batch.
        yield from dbt_build(context, dbt)
        return
    yield from dbt_build(context, dbt, extra_args=event_time_args(context.partition_time_window))
