"""DuckDB's memory and thread limits, read from the one place they are set.

profiles.yml (`settings:`) sets them for every dbt run, from DUCKDB_MEMORY_LIMIT
and DUCKDB_THREADS with its defaults. Python processes that open the file
themselves (the generator, the benchmark's floor) render that same block here,
so a limit is written once and applies to every process that writes DuckDB.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import jinja2
import yaml

from dagster_project.duckdb_path import REPO_ROOT

PROFILES_YML = REPO_ROOT / "profiles.yml"


def duckdb_settings(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The profile's DuckDB `settings:` rendered with `environ`, e.g. {'threads': '2'}."""
    profile = yaml.safe_load(PROFILES_YML.read_text())["jaffle_shop"]
    output = profile["outputs"][profile["target"]]

    def env_var(name: str, default: str | None = None) -> str:
        if name in environ:
            return environ[name]
        if default is None:
            raise ValueError(f"profiles.yml needs the environment variable {name}; set it.")
        return default

    jinja = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return {
        key: jinja.from_string(str(value)).render(env_var=env_var)
        for key, value in output.get("settings", {}).items()
    }


def apply_duckdb_settings(con, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """SET the profile's limits on a DuckDB connection; returns what was set."""
    settings = duckdb_settings(environ)
    for key, value in settings.items():
        con.execute(f"set {key} = '{value}'")
    return settings
