"""What the UI shows about each asset: descriptions, column schemas, kinds, owners.

Expected values are read straight from the dbt YAML files, not from the
manifest that dagster-dbt turns into specs.
"""

from __future__ import annotations

import dagster as dg
import pytest
import yaml

from dagster_project.definitions import defs
from dagster_project.lib.project import DBT_PROJECT_DIR


def documented_models() -> list[dict]:
    models = []
    for path in sorted((DBT_PROJECT_DIR / "models").rglob("*.yml")):
        models.extend(yaml.safe_load(path.read_text()).get("models", []))
    return models


MODELS = documented_models()


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
