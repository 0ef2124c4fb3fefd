"""End to end: a two-dimensional backfill from the UI's GraphQL API on a real `dagster dev`."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from tests.dagster_dev import run_backfill, running_dagster_dev
from tests.kinds_support import cell_rows, expected_cells

pytestmark = pytest.mark.e2e

MONTHS = ["2018-01-01", "2018-02-01", "2018-03-01"]
METHODS = ("coupon", "gift_card")


def test_2d_backfill_builds_exactly_its_cells(db: Path, tmp_path: Path) -> None:
    """3 months x 2 methods, as picked in the 2D partition picker: two single runs."""
    home = tmp_path / "dagster_home"
    keys = [f"{month}|{method}" for month in MONTHS for method in METHODS]
    with running_dagster_dev(home, db, tmp_path / "dagster_dev.log") as url:
        backfill = run_backfill(
            url, keys, "payments_by_month_and_method", tmp_path / "dagster_dev.log"
        )
        assert backfill["status"] in {"COMPLETED", "COMPLETED_SUCCESS"}, backfill
        (counts,) = backfill["assetBackfillData"]["assetBackfillStatuses"]
        assert counts["numPartitionsMaterialized"] == 6
        assert counts["numPartitionsFailed"] == 0

    assert cell_rows(db) == expected_cells(db, "2018-01-01", "2018-04-01", METHODS)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        # Dagster splits the rectangle into one range per method: two dbt runs.
        assert len(instance.get_run_records()) == 2
