"""The raw jaffle-shop tables, written by the project's own generator."""

import datetime as dt

import dagster as dg

from dagster_project.lib.generator import RAW_TABLES, GeneratorConfig
from dagster_project.lib.project import adapter_type, raw_source
from dagster_project.lib.warehouse import warehouse
from dagster_project.lib.warehouse.contract import POOL


class RawDataConfig(dg.Config):
    """Run config for the generator; the defaults make the small demo set."""

    orders: int = GeneratorConfig.orders
    start: str = GeneratorConfig.start.isoformat()
    end: str = GeneratorConfig.end.isoformat()
    seed: int = GeneratorConfig.seed


def column_schema(table: str) -> dg.TableSchema:
    """The source's columns in its YAML, with their types: the asset page's column list."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name, column["data_type"], column["description"])
            for name, column in raw_source(table)["columns"].items()
        ]
    )


@dg.multi_asset(
    specs=[
        # Key, group, owners, description and columns are the dbt source's
        # (its YAML and meta.dagster), so the raw asset and the dbt source are
        # one asset. Its checks are the source's dbt tests (defs/dbt.py).
        dg.AssetSpec(
            table,
            group_name=raw_source(table)["meta"]["dagster"]["group"],
            kinds={adapter_type()},
            owners=raw_source(table)["meta"]["dagster"]["owners"],
            description=raw_source(table)["description"],
            metadata={"dagster/column_schema": column_schema(table)},
        )
        for table in RAW_TABLES
    ],
    pool=POOL,
)
def raw_tables(context: dg.AssetExecutionContext, config: RawDataConfig):
    """Write the raw tables into the dbt target's warehouse with the deterministic generator."""
    generator_config = GeneratorConfig(
        orders=config.orders,
        start=dt.date.fromisoformat(config.start),
        end=dt.date.fromisoformat(config.end),
        seed=config.seed,
    )
    target = warehouse()
    counts = target.write_raw(generator_config)
    for table in RAW_TABLES:
        yield dg.MaterializeResult(
            asset_key=table,
            # The table's fingerprint: the raw_changes sensor (defs/automation.py)
            # reports a change when the table's differs from it.
            data_version=dg.DataVersion(target.fingerprint(table)),
            metadata={
                "dagster/row_count": counts[table],
                "warehouse": dg.MetadataValue.text(target.location),
            },
        )
