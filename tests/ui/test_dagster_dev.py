"""End to end: backfills launched through the UI's GraphQL API on a real `dg dev`.

The first test runs on every warehouse. On Postgres it is the production
setup: the warehouse and Dagster's own storage (runs, event log, schedules;
dagster_home/postgres/dagster.yaml) both on the server, and the partition
status read back from that storage by a new instance, as a restarted UI would.
"""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import dagster as dg
import pytest

from harness.dg_dev import graphql, run_backfill
from harness.oracle import cell_rows, expected_cells, expected_rows, model_rows
from tests.support.dagster_dev import running_dagster_dev
from tests.support.warehouse import TestWarehouse

pytestmark = pytest.mark.e2e

PARTITION_STATUS = """
{
  assetNodeOrError(assetKey: {path: ["orders_by_month"]}) {
    ... on AssetNode {
      assetPartitionStatuses {
        ... on TimePartitionStatuses {
          ranges { status startKey endKey }
        }
      }
    }
  }
}
"""


@pytest.mark.every_warehouse
def test_backfill_through_dagster_dev(
    db: TestWarehouse, storage_url: str | None, tmp_path: Path
) -> None:
    home, log = tmp_path / "dagster_home", tmp_path / "dagster_dev.log"
    keys = ["2018-01-01", "2018-02-01", "2018-03-01", "2018-04-01"]
    with running_dagster_dev(home, db, log, storage_url) as url:
        backfill = run_backfill(url, keys, "orders_by_month", log)
        assert backfill["status"] in {"COMPLETED", "COMPLETED_SUCCESS"}, backfill
        (counts,) = backfill["assetBackfillData"]["assetBackfillStatuses"]
        assert counts == {
            "assetKey": {"path": ["orders_by_month"]},
            "numPartitionsTargeted": 4,
            "numPartitionsMaterialized": 4,
            "numPartitionsFailed": 0,
        }
        statuses = graphql(url, PARTITION_STATUS)["assetNodeOrError"]["assetPartitionStatuses"]
        assert statuses["ranges"] == [
            {"status": "MATERIALIZED", "startKey": "2018-01-01", "endKey": "2018-04-01"}
        ]

    assert model_rows(db) == expected_rows(db, "2018-01-01", "2018-05-01")
    # Partition status lives in Dagster's storage, not in the stopped `dg dev`:
    # a new instance on the same home (what a restarted `dg dev` opens) has it.
    env = {"DAGSTER_PG_URL": storage_url} if storage_url else {}
    with (
        mock.patch.dict(os.environ, env),
        dg.DagsterInstance.from_config(str(home)) as instance,
    ):
        materialized = instance.get_materialized_partitions(dg.AssetKey("orders_by_month"))
        assert materialized == set(keys)
        if storage_url:
            # The run went to Postgres, not to SQLite files in DAGSTER_HOME.
            assert not list(home.rglob("*.db")), list(home.rglob("*.db"))
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert instance.get_runs_count() == 1  # the backfill's single run


def test_2d_backfill_builds_exactly_its_cells(db: TestWarehouse, tmp_path: Path) -> None:
    """3 months x 2 methods, as picked in the 2D partition picker: two single runs."""
    home, log = tmp_path / "dagster_home", tmp_path / "dagster_dev.log"
    methods = ("coupon", "gift_card")
    keys = [
        f"{month}|{method}"
        for month in ("2018-01-01", "2018-02-01", "2018-03-01")
        for method in methods
    ]
    with running_dagster_dev(home, db, log) as url:
        backfill = run_backfill(url, keys, "payments_by_month_and_method", log)
        assert backfill["status"] in {"COMPLETED", "COMPLETED_SUCCESS"}, backfill
        (counts,) = backfill["assetBackfillData"]["assetBackfillStatuses"]
        assert counts["numPartitionsMaterialized"] == 6
        assert counts["numPartitionsFailed"] == 0

    assert cell_rows(db) == expected_cells(db, "2018-01-01", "2018-04-01", methods)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        # Dagster splits the rectangle into one range per method: two dbt runs.
        assert len(instance.get_run_records()) == 2
