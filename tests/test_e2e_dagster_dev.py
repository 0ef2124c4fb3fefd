"""End to end: a backfill launched through the UI's GraphQL API on a real `dagster dev`."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.dagster_dev import graphql, running_dagster_dev
from tests.support import expected_rows, model_rows

pytestmark = pytest.mark.e2e

LAUNCH = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on InvalidSubsetError { message }
    ... on UnauthorizedError { message }
  }
}
"""

BACKFILL = """
query Backfill($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    ... on PartitionBackfill {
      status
      numPartitions
      assetBackfillData {
        assetBackfillStatuses {
          ... on AssetPartitionsStatusCounts {
            assetKey { path }
            numPartitionsTargeted
            numPartitionsMaterialized
            numPartitionsFailed
          }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

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
TERMINAL = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


def test_backfill_through_dagster_dev(db: Path, tmp_path: Path) -> None:
    with running_dagster_dev(tmp_path / "dagster_home", db, tmp_path / "dagster_dev.log") as url:
        launched = graphql(
            url,
            LAUNCH,
            {
                "params": {
                    "partitionNames": KEYS,
                    "assetSelection": [{"path": ["orders_by_month"]}],
                    "fromFailure": False,
                }
            },
        )["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched

        backfill = _wait_for_backfill(url, launched["backfillId"], tmp_path, timeout=300)
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


def _wait_for_backfill(url: str, backfill_id: str, tmp_path: Path, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        backfill = graphql(url, BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
        if backfill.get("status") in TERMINAL:
            return backfill
        time.sleep(2)
    log = (tmp_path / "dagster_dev.log").read_text()[-5000:]
    raise AssertionError(f"backfill {backfill_id} not finished after {timeout} s:\n{log}")
