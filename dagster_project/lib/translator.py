"""How dbt nodes become Dagster assets."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator

OWNERS = ["team:analytics-engineering"]


class JaffleShopTranslator(DagsterDbtTranslator):
    """Sources map onto the raw assets; models are grouped by their folder."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        # A source `raw.raw_orders` is the asset `raw_orders` that the
        # generator writes, so the graph reads raw -> staging -> marts.
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "raw"
        # fqn is [project, folder, ..., model]: staging or marts
        return dbt_resource_props["fqn"][1]

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        return spec.replace_attributes(owners=OWNERS)
