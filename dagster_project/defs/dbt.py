"""The dbt models as Dagster assets: one `@dbt_assets` per partitions definition.

Every body is the same few lines: the run's partitions become dbt vars (a pure
function of `dagster_project.lib.dbt_vars`) and `dbt_build` runs them
(`dagster_project.lib.dbt_build`). dagster-dbt turns the dbt tests into asset
checks, and `dbt build` runs them right after their model.

The source tests (`models/staging/__sources.yml`) are asset checks on the raw
assets too. `unpartitioned_models` holds them, as dagster-dbt gives them to
the `@dbt_assets` whose models read the source: its `dbt build` tests each raw
table before the staging view over it, so they run once the generator has
written it, a failure shows as a failed check on the raw asset, and dbt skips
what reads the bad table.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)
from pydantic import Field

from dagster_project.defs.partitions import (
    all_months_window,
    month_and_method_partitions,
    monthly_partitions,
    payment_method_partitions,
    store_partitions,
)
from dagster_project.lib import automation, settings
from dagster_project.lib.dbt_build import dbt_build
from dagster_project.lib.dbt_vars import (
    dbt_vars_for_cells,
    dbt_vars_for_payment_methods,
    dbt_vars_for_stores,
    dbt_vars_for_window,
)
from dagster_project.lib.partition_metadata import add_month_metadata
from dagster_project.lib.project import dbt_project
from dagster_project.lib.warehouse import warehouse
from dagster_project.lib.warehouse.contract import POOL


class Translator(DagsterDbtTranslator):
    """dagster-dbt's default translator (groups, owners and keys come from
    meta.dagster), with the source tests as checks rather than observations,
    and each model's automation condition (dagster_project/lib/automation.py)."""

    def __init__(self, automation_condition: dg.AutomationCondition | None) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True))
        self.automation_condition = automation_condition

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]):
        return self.automation_condition if dbt_resource_props["resource_type"] == "model" else None


def partitioned_dbt_assets(
    select: str,
    partitions_def: dg.PartitionsDefinition,
    condition: dg.AutomationCondition | None,
):
    """`@dbt_assets` for one partitioned model: its partitions, the backfill policy
    of DAGSTER_BACKFILL_POLICY (single_run by default: a backfill of N partitions
    is one dbt command, docs/settings.md), the warehouse pool and its automation
    (None: materialized only when asked)."""
    return dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        select=select,
        dagster_dbt_translator=Translator(condition),
        partitions_def=partitions_def,
        backfill_policy=settings.backfill_policy(),
        pool=POOL,
    )


# Each partitioned model is incremental and has its own @dbt_assets below.
PARTITIONED_MODELS = "config.materialized:incremental"
# The months automation rebuilds: the latest AUTOMATION_LOOKBACK_MONTHS.
MONTHLY = automation.monthly_condition(settings.automation_lookback_months())


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    exclude=PARTITIONED_MODELS,
    dagster_dbt_translator=Translator(automation.unpartitioned_condition()),
    pool=POOL,
)
def unpartitioned_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Staging views and mart tables, rebuilt whole; and the raw tables' source tests."""
    # Excluded again at run time: a run without the raw assets' checks (any
    # run that leaves out the raw assets) is a subset, which dagster-dbt runs
    # by name, and dbt would then also run orders_by_month's reconciliation
    # test (its staging parents are selected) on a table this run never builds.
    yield from dbt_build(context, dbt, exclude=PARTITIONED_MODELS)


class OrdersByMonthConfig(dg.Config):
    """Run config of orders_by_month (Launchpad: ops.orders_by_month_model.config)."""

    full_refresh: bool = Field(
        default=False,
        description=(
            "Drop and rebuild orders_by_month from scratch (dbt --full-refresh). "
            "Only for a run over every partition: select all partitions."
        ),
    )


@partitioned_dbt_assets("orders_by_month", monthly_partitions, MONTHLY)
def orders_by_month_model(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, config: OrdersByMonthConfig
):
    """Time: orders_by_month for the run's months; or its checks alone, over every month."""
    if not (context.has_partition_key or context.has_partition_key_range):
        # A run of the checks alone: Dagster runs these unpartitioned checks
        # without a partition. Without vars the dbt tests cover every
        # partition month: the audit of the whole table, no model rebuilt.
        yield from dbt_build(context, dbt)
        return
    window = context.partition_time_window

    def add_metadata() -> None:
        """Each partition's own numbers, read once dbt has written them."""
        add_month_metadata(context, warehouse())

    if config.full_refresh:
        # A full refresh recreates the table, so it must cover every month,
        # or only the run's months would be left.
        every = all_months_window()
        if (window.start, window.end) != (every.start, every.end):
            raise dg.Failure(
                description=(
                    "full_refresh rebuilds orders_by_month from scratch, so the run must target "
                    f"every partition ({every.start:%Y-%m-%d} up to {every.end:%Y-%m-%d}, "
                    f"exclusive), not [{window.start:%Y-%m-%d}, {window.end:%Y-%m-%d}): select "
                    "all partitions, or run without full_refresh."
                )
            )
        yield from dbt_build(context, dbt, full_refresh=True, after=add_metadata)
        return
    yield from dbt_build(context, dbt, dbt_vars_for_window(window), after=add_metadata)


@partitioned_dbt_assets(
    "revenue_by_payment_method", payment_method_partitions, automation.category_condition()
)
def revenue_by_payment_method_model(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Category: revenue_by_payment_method for the run's payment methods."""
    yield from dbt_build(context, dbt, dbt_vars_for_payment_methods(context.partition_keys))


@partitioned_dbt_assets("payments_by_month_and_method", month_and_method_partitions, MONTHLY)
def payments_by_month_and_method_model(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Two-dimensional: payments_by_month_and_method for the run's months x methods."""
    keys = context.partition_keys
    cells = [month_and_method_partitions.get_partition_key_from_str(key) for key in keys]
    methods = [cell.keys_by_dimension["payment_method"] for cell in cells]
    dbt_vars = dbt_vars_for_cells(context.partition_time_window, methods, len(cells))
    yield from dbt_build(context, dbt, dbt_vars)


@partitioned_dbt_assets("orders_by_store", store_partitions, automation.dynamic_condition())
def orders_by_store_model(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Dynamic: orders_by_store for the run's stores."""
    yield from dbt_build(context, dbt, dbt_vars_for_stores(context.partition_keys))
