"""The raw jaffle-shop tables, made by the project's own generator."""

import datetime as dt

import dagster as dg
import duckdb

from dagster_project.duckdb_path import duckdb_path
from dagster_project.duckdb_settings import apply_duckdb_settings
from dagster_project.generator import GeneratorConfig, generate

RAW_TABLES = ("raw_customers", "raw_orders", "raw_payments", "raw_stores")
DUCKDB_POOL = "duckdb"


class RawDataConfig(dg.Config):
    """Run config for the generator; the defaults make the small demo set."""

    orders: int = GeneratorConfig.orders
    start: str = GeneratorConfig.start.isoformat()
    end: str = GeneratorConfig.end.isoformat()
    seed: int = GeneratorConfig.seed


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            table,
            group_name="raw",
            kinds={"duckdb"},
            owners=["team:analytics-engineering"],
            description=f"Generated jaffle-shop {table.removeprefix('raw_')}.",
        )
        for table in RAW_TABLES
    ],
    pool=DUCKDB_POOL,
)
def raw_tables(context: dg.AssetExecutionContext, config: RawDataConfig):
    """Write the raw tables with the deterministic generator."""
    generator_config = GeneratorConfig(
        orders=config.orders,
        start=dt.date.fromisoformat(config.start),
        end=dt.date.fromisoformat(config.end),
        seed=config.seed,
    )
    path = duckdb_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        apply_duckdb_settings(con)
        counts = generate(con, generator_config)
    for table in RAW_TABLES:
        yield dg.MaterializeResult(
            asset_key=table,
            metadata={
                "dagster/row_count": counts[table],
                "duckdb_path": dg.MetadataValue.path(str(path)),
            },
        )
