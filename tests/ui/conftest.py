"""Fixtures of the tests that start a real `dg dev`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.warehouse import TestWarehouse


@pytest.fixture
def storage_url(db: TestWarehouse) -> Iterator[str | None]:
    """Dagster's storage: None (SQLite in DAGSTER_HOME) on DuckDB; on Postgres, a
    database of its own on the warehouse's server, as dagster-postgres wants it."""
    if db.adapter != "postgres":
        yield None
        return
    server, name = db.server, f"{db.database}_dagster"
    server.create_database(name)
    yield f"postgresql+psycopg2://{server.user}@/{name}?host={server.folder}"
    server.drop_database(name)
