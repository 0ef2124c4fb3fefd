"""Where the project's one DuckDB file lives.

The same rule is written in profiles.yml for the dbt CLI: DUCKDB_PATH, absolute
as given or relative to the repository root, default data/jaffle_shop.duckdb.
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DUCKDB_PATH = "data/jaffle_shop.duckdb"


def duckdb_path() -> Path:
    """The absolute path of the DuckDB file, read from DUCKDB_PATH each call."""
    value = os.environ.get("DUCKDB_PATH", DEFAULT_DUCKDB_PATH)
    if not value.strip():
        raise ValueError(
            "DUCKDB_PATH is set but empty: unset it to use "
            f"{REPO_ROOT / DEFAULT_DUCKDB_PATH}, or give a file path."
        )
    # An absolute value replaces REPO_ROOT in the join.
    return REPO_ROOT / Path(value).expanduser()
