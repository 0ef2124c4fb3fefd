"""What the UI shows about each asset: descriptions, column schemas and types, kinds, owners.

Expected values are read straight from the dbt YAML files (and, for the raw
tables, from the tables the generator writes), not from the manifest that
dagster-dbt turns into specs.
"""

from __future__ import annotations

import dagster as dg
import jinja2
import pytest
import yaml

from dagster_project.definitions import defs
from dagster_project.lib.generator import RAW_TABLES
from dagster_project.lib.project import DBT_PROJECT_DIR, adapter_type
from tests.support.warehouse import TestWarehouse


def documented_models() -> list[dict]:
    models = []
    for path in sorted((DBT_PROJECT_DIR / "models").rglob("*.yml")):
        models.extend(yaml.safe_load(path.read_text()).get("models", []))
    return models


MODELS = documented_models()
# The project's vars, for the YAML's `var(...)` (text columns' data_type).
PROJECT_VARS = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def test_every_model_is_documented() -> None:
    assert {m["name"] for m in MODELS} >= {"orders_by_month", "orders", "customers", "stg_orders"}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m["name"])
def test_model_description_and_columns_reach_the_asset(model: dict) -> None:
    node = defs.resolve_asset_graph().get(dg.AssetKey(model["name"]))

    # dagster-dbt appends the raw SQL after the description.
    assert node.description.startswith(" ".join(model["description"].split())), node.description
    schema = node.metadata["dagster/column_schema"]
    assert {column.name: column.description for column in schema.columns} == {
        column["name"]: " ".join(column["description"].split()) for column in model["columns"]
    }


def test_kinds_and_owners() -> None:
    graph = defs.resolve_asset_graph()
    for asset_key in graph.get_all_asset_keys():
        node = graph.get(asset_key)
        assert node.owners == ["team:analytics-engineering"], asset_key
        assert "duckdb" in node.kinds, asset_key
        if node.group_name != "raw":
            assert "dbt" in node.kinds, asset_key


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m["name"])
def test_every_model_column_has_its_type_on_the_asset(model: dict) -> None:
    """The asset page's column types: each column's data_type in the model's YAML,
    rendered for the target the manifest was parsed for, as dbt renders it, with
    `target` and the project's vars (a text column is `string` on Spark)."""
    target = {"type": adapter_type()}
    types = {
        column["name"]: jinja2.Template(column.get("data_type", "")).render(
            target=target, var=PROJECT_VARS.__getitem__
        )
        for column in model["columns"]
    }
    assert all(types.values()), f"{model['name']}: columns without data_type: {types}"
    node = defs.resolve_asset_graph().get(dg.AssetKey(model["name"]))
    schema = node.metadata["dagster/column_schema"]
    assert {column.name: column.type for column in schema.columns} == types


# DuckDB's names for the generator's types, as the source YAML spells them.
DUCKDB_TYPES = {"BIGINT": "bigint", "INTEGER": "integer", "VARCHAR": "text", "DATE": "date"}


def test_raw_assets_show_the_columns_the_generator_writes(raw_db: TestWarehouse) -> None:
    """The raw assets' column schemas (from __sources.yml) match the tables themselves."""
    rows = raw_db.query(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_name like 'raw_%' order by table_name, ordinal_position"
    )
    written: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        written.setdefault(row["table_name"], []).append(
            (row["column_name"], DUCKDB_TYPES[row["data_type"]])
        )
    graph = defs.resolve_asset_graph()
    shown = {
        table: [
            (column.name, column.type)
            for column in graph.get(dg.AssetKey(table)).metadata["dagster/column_schema"].columns
        ]
        for table in RAW_TABLES
    }
    assert shown == written
    assert all(
        column.description
        for table in RAW_TABLES
        for column in graph.get(dg.AssetKey(table)).metadata["dagster/column_schema"].columns
    )
