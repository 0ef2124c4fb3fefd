"""The warehouse seam for DuckDB, read from dbt's own profile: no project database.

DuckDB only: its path rule, its settings block and its lock message.
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest

from dagster_project.lib.project import REPO_ROOT
from dagster_project.lib.warehouse import warehouse
from dagster_project.lib.warehouse.duckdb import DuckDBWarehouse

pytestmark = pytest.mark.duckdb_only


def test_duckdb_path_is_the_profiles_rule() -> None:
    """Unset: data/jaffle_shop.duckdb in the repository; relative: from the root; absolute as is."""
    assert warehouse({}).location == str(REPO_ROOT / "data" / "jaffle_shop.duckdb")
    relative = warehouse({"DUCKDB_PATH": "data/other.duckdb"})
    assert relative.location == str(REPO_ROOT / "data" / "other.duckdb")
    assert warehouse({"DUCKDB_PATH": "/tmp/x/j.duckdb"}).location == "/tmp/x/j.duckdb"


def test_duckdb_settings_come_from_the_profile() -> None:
    default = warehouse({})
    assert isinstance(default, DuckDBWarehouse)
    assert default.settings == {"memory_limit": "512MB", "threads": "2"}
    tuned = warehouse({"DUCKDB_MEMORY_LIMIT": "1GB", "DUCKDB_THREADS": "1"})
    assert isinstance(tuned, DuckDBWarehouse)
    assert tuned.settings == {"memory_limit": "1GB", "threads": "1"}


def test_the_resource_applies_the_settings(tmp_path: Path) -> None:
    target = DuckDBWarehouse(
        target="dev",
        path=tmp_path / "settings.duckdb",
        settings={"memory_limit": "300MB", "threads": "1"},
    )
    with target.resource().get_connection() as con, closing(con):
        limit, threads = con.execute(
            "select current_setting('memory_limit'), current_setting('threads')"
        ).fetchone()
    assert limit.replace(" ", "").lower() in {"286.1mib", "300.0mb", "300mb"}
    assert threads == 1


def test_lock_message_names_the_holder_and_the_file() -> None:
    duckdb_error = (
        'IO Error: Could not set lock on file "/d/j.duckdb": Conflicting lock is held in '
        "/usr/bin/python3.11 (PID 4242) by user me. See also https://duckdb.org/docs/..."
    )
    target = DuckDBWarehouse(target="dev", path=Path("/d/j.duckdb"))
    message = target.failure_message(duckdb_error)
    assert message is not None
    assert message.startswith(
        "Another process (/usr/bin/python3.11 (PID 4242)) holds the DuckDB file /d/j.duckdb"
    )
    assert target.failure_message("Compilation Error in model x") is None
