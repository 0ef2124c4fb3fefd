"""The one way every dbt asset runs dbt (dagster_project/lib/dbt_build.py), with a stand-in dbt."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest
from dagster_dbt import DagsterDbtCliRuntimeError

from dagster_project.lib.dbt_build import dbt_build

LOCKED = (
    'IO Error: Could not set lock on file "/d/j.duckdb": Conflicting lock is held in '
    "/usr/bin/python3.11 (PID 4242) by user me. See also https://duckdb.org/docs/..."
)


class StandInDbt:
    """A dbt resource whose command yields two events, then fails with `error` (if any)."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.args: list[str] = []

    def cli(self, args: list[str], context: object) -> StandInDbt:
        self.args = args
        return self

    def stream(self) -> Iterator[str]:
        yield "model event"
        yield "check event"
        if self.error is not None:
            raise self.error


def test_after_runs_once_dbt_has_succeeded_before_any_event_goes_out() -> None:
    """The hook a body passes (orders_by_month: its per-month metadata) sees dbt's work
    done, and its metadata joins events not yet handed to Dagster."""
    dbt = StandInDbt()
    seen: list[str] = []
    after = lambda: seen.append("after")  # noqa: E731

    for event in dbt_build(None, dbt, after=after):  # type: ignore[arg-type]
        seen.append(event)

    assert seen == ["after", "model event", "check event"]


def test_a_failed_dbt_run_still_passes_its_events_on() -> None:
    dbt = StandInDbt(RuntimeError("dbt failed"))
    seen = []
    with pytest.raises(RuntimeError, match="dbt failed"):
        # No context or warehouse is touched when dbt fails, and no `after`.
        for event in dbt_build(
            None,  # type: ignore[arg-type]
            dbt,  # type: ignore[arg-type]
            {"payment_method": ["coupon"]},
            after=lambda: seen.append("after"),
        ):
            seen.append(event)

    assert seen == ["model event", "check event"]
    assert dbt.args[-2:] == ["--vars", '{"payment_method": ["coupon"]}']


@pytest.mark.duckdb_only
def test_a_locked_duckdb_file_fails_with_one_sentence_naming_the_holder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DUCKDB_PATH", "/d/j.duckdb")
    dbt = StandInDbt(DagsterDbtCliRuntimeError(LOCKED))
    seen = []
    with pytest.raises(dg.Failure) as failure:
        for event in dbt_build(None, dbt):  # type: ignore[arg-type]
            seen.append(event)

    assert seen == ["model event", "check event"]
    assert failure.value.description is not None
    assert failure.value.description.startswith(
        "Another process (/usr/bin/python3.11 (PID 4242)) holds the DuckDB file /d/j.duckdb"
    )
