"""Never stale: a model edited while `dg dev` runs is what the next partition run builds.

In-process dbt runs with the manifest Dagster loaded, without a parse, only
while that manifest matches the project files (dagster_project/lib/in_process_dbt).
This edits the model file while a real `dg dev` is up, then runs another
partition through the UI's API and reads the SQL dbt ran. `dg dev` runs in a
copy of the repository, and the copy's model is edited: the other tests,
running beside this one, read the real project and its manifest.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from harness.dg_dev import run_partition
from harness.oracle import expected_rows, model_rows
from tests.support.dagster_dev import repository_copy, running_dagster_dev
from tests.support.warehouse import TestWarehouse

pytestmark = pytest.mark.e2e

MODEL = Path("dbt_project", "models", "marts", "orders_by_month.sql")


def compiled_sql(target: Path, marker: str) -> list[Path]:
    """orders_by_month's SQL as dbt compiled it, in every run folder under `target`,
    that holds `marker`."""
    found = target.rglob("compiled/**/orders_by_month.sql")
    return [p for p in found if marker in p.read_text()]


def test_a_model_edited_while_dg_dev_runs_is_built_by_the_next_run(
    db: TestWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "target"
    monkeypatch.setenv("DBT_TARGET_PATH", str(target))
    home, log = tmp_path / "dagster_home", tmp_path / "dagster_dev.log"
    root = repository_copy(tmp_path / "repository")
    model = root / MODEL
    # A SQL comment: the same rows, and a mark to find in the SQL dbt ran.
    edited_model = f"-- edited while dg dev runs: {uuid.uuid4().hex}"
    with running_dagster_dev(home, db, log, root=root) as url:
        assert run_partition(url, "2018-03-01", "orders_by_month", log) == "SUCCESS"
        assert compiled_sql(target, edited_model) == []

        model.write_text(model.read_text() + f"\n{edited_model}\n")
        assert run_partition(url, "2018-04-01", "orders_by_month", log) == "SUCCESS"

    # The run worker's output is in this log: no traceback on this path either.
    assert "Traceback" not in log.read_text(), log.read_text()[-5000:]
    ran = compiled_sql(target, edited_model)
    assert len(ran) == 1, list(target.rglob("compiled/**/orders_by_month.sql"))
    # Neither run parsed: the run worker loaded the re-parsed project (`dg dev`
    # parses a changed project on load), and dbt ran with that manifest.
    for log in target.glob("*/dbt.log"):
        assert "partial parsing" not in log.read_text().lower(), log
    assert model_rows(db) == expected_rows(db, "2018-03-01", "2018-05-01")
