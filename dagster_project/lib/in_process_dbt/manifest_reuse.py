"""Whether dbt may run with the manifest Dagster loaded, instead of parsing again."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster_project.lib.project import dbt_profile_target, manifest_is_fresh

PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def preparsed_manifest(
    loaded: Mapping[str, Any], project_dir: Path, profiles_dir: Path, manifest_dir: Path
) -> Any | None:
    """The dbt `Manifest` of the parse Dagster loaded (`loaded`, its manifest.json), if
    it still matches the project files and the current target; else None (dbt parses).

    `manifest_dir` holds that manifest.json and the partial_parse.msgpack the same
    `dbt parse` wrote; the msgpack is dbt's own serialisation of the parsed
    project. A new object per call: dbt writes compiled SQL into the one it runs.
    """
    msgpack = manifest_dir / PARTIAL_PARSE_FILE
    if not manifest_is_fresh(msgpack, project_dir, profiles_dir / "profiles.yml"):
        return None
    from dbt.contracts.graph.manifest import Manifest
    from dbt.parser.manifest import extended_mashumuro_decoder

    try:
        # dbt's own decoder, as dbt reads this file: it writes datetimes (a
        # microbatch model's `begin`) as msgpack extensions, which the default
        # decoder leaves as bytes that manifest.json then cannot hold.
        manifest = Manifest.from_msgpack(msgpack.read_bytes(), decoder=extended_mashumuro_decoder)
    except Exception:  # another dbt version's file, or half written: parse instead
        return None
    if manifest.metadata.invocation_id != loaded.get("metadata", {}).get("invocation_id"):
        return None
    if any(os.environ.get(name) != value for name, value in manifest.env_vars.items()):
        return None
    if not _parsed_for_current_target(manifest, project_dir, profiles_dir):
        return None
    return manifest


def _parsed_for_current_target(manifest: Any, project_dir: Path, profiles_dir: Path) -> bool:
    """Whether the manifest's adapter, database and schema are the current target's.

    The parse writes them into every relation name (a DuckDB database is
    named after its file), so a manifest parsed for another target or file
    would run its SQL against the wrong tables.
    """
    try:
        _, credentials = dbt_profile_target(os.environ, project_dir, profiles_dir)
    except Exception:  # dbt reports a broken profile better than we could
        return False
    if credentials.type != manifest.metadata.adapter_type:
        return False
    project = manifest.metadata.project_name
    for node in manifest.nodes.values():
        if node.package_name != project or node.resource_type not in ("model", "seed", "snapshot"):
            continue
        if node.config.database is None and node.database != credentials.database:
            return False
        if node.config.schema is None and node.schema != credentials.schema:
            return False
    return True
