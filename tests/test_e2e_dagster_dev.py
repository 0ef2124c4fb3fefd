"""End to end: a backfill launched through the UI's GraphQL API on a real `dagster dev`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dagster_dev import graphql, run_backfill, running_dagster_dev
from tests.support import expected_rows, model_rows

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

KEYS = ["2018-01-01", "2018-02-01", "2018-03-01", "2018-04-01"]


def test_backfill_through_dagster_dev(db: Path, tmp_path: Path) -> None:
    with running_dagster_dev(tmp_path / "dagster_home", db, tmp_path / "dagster_dev.log") as url:
        backfill = run_backfill(url, KEYS, "orders_by_month", tmp_path / "dagster_dev.log")
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

    # Partition status lives in DAGSTER_HOME: a restarted `dagster dev` still has it.
    with running_dagster_dev(tmp_path / "dagster_home", db, tmp_path / "restart.log") as url:
        statuses = graphql(url, PARTITION_STATUS)["assetNodeOrError"]["assetPartitionStatuses"]
        assert statuses["ranges"] == [
            {"status": "MATERIALIZED", "startKey": "2018-01-01", "endKey": "2018-04-01"}
        ]
