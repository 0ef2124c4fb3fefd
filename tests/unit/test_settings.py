"""The environment settings of the Dagster code (dagster_project/lib/settings.py)."""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_project.lib import settings


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, dg.BackfillPolicy.single_run()),
        ("", dg.BackfillPolicy.single_run()),
        ("single_run", dg.BackfillPolicy.single_run()),
        ("multi_run", dg.BackfillPolicy.multi_run(max_partitions_per_run=1)),
        ("multi_run:6", dg.BackfillPolicy.multi_run(max_partitions_per_run=6)),
    ],
)
def test_backfill_policy(value: str | None, expected: dg.BackfillPolicy) -> None:
    environ = {} if value is None else {settings.BACKFILL_POLICY: value}
    assert settings.backfill_policy(environ) == expected


@pytest.mark.parametrize("value", ["multi", "multi_run:0", "multi_run:x", "single_run:2"])
def test_bad_backfill_policy_names_the_value(value: str) -> None:
    with pytest.raises(ValueError, match=f"DAGSTER_BACKFILL_POLICY='{value}'"):
        settings.backfill_policy({settings.BACKFILL_POLICY: value})


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), ("", True), ("true", True), ("1", True), ("false", False), ("0", False)],
)
def test_in_process_dbt(value: str | None, expected: bool) -> None:
    environ = {} if value is None else {settings.IN_PROCESS_DBT: value}
    assert settings.in_process_dbt(environ) is expected


def test_bad_in_process_dbt_names_the_value() -> None:
    with pytest.raises(ValueError, match="IN_PROCESS_DBT='maybe': expected true or false"):
        settings.in_process_dbt({settings.IN_PROCESS_DBT: "maybe"})


def test_fast_dbt_the_former_name_is_read_when_in_process_dbt_is_unset() -> None:
    assert settings.in_process_dbt({settings.FAST_DBT: "false"}) is False
    assert settings.in_process_dbt({settings.IN_PROCESS_DBT: "true", settings.FAST_DBT: "false"})
    with pytest.raises(ValueError, match="FAST_DBT='maybe': expected true or false"):
        settings.in_process_dbt({settings.FAST_DBT: "maybe"})


def test_keep_invocation_targets_rejects_nonsense() -> None:
    assert settings.keep_invocation_targets({}) == settings.DEFAULT_KEEP_TARGETS
    assert settings.keep_invocation_targets({settings.KEEP_TARGETS: "3"}) == 3
    with pytest.raises(ValueError, match="DBT_KEEP_INVOCATION_TARGETS='-1'"):
        settings.keep_invocation_targets({settings.KEEP_TARGETS: "-1"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), ("", True), ("true", True), ("on", True), ("false", False), ("off", False)],
)
def test_automation(value: str | None, expected: bool) -> None:
    environ = {} if value is None else {settings.AUTOMATION: value}
    assert settings.automation(environ) is expected


def test_bad_automation_names_the_value() -> None:
    with pytest.raises(ValueError, match="AUTOMATION='sometimes': expected true or false"):
        settings.automation({settings.AUTOMATION: "sometimes"})


@pytest.mark.parametrize(("value", "expected"), [(None, 3), ("", 3), ("1", 1), ("12", 12)])
def test_automation_lookback_months(value: str | None, expected: int) -> None:
    environ = {} if value is None else {settings.LOOKBACK_MONTHS: value}
    assert settings.automation_lookback_months(environ) == expected


@pytest.mark.parametrize("value", ["0", "-1", "three", "2.5"])
def test_bad_automation_lookback_names_the_value(value: str) -> None:
    with pytest.raises(ValueError, match=f"AUTOMATION_LOOKBACK_MONTHS='{value}': expected a whole"):
        settings.automation_lookback_months({settings.LOOKBACK_MONTHS: value})


def test_automation_interval_seconds() -> None:
    assert settings.automation_interval_seconds({}) == settings.DEFAULT_AUTOMATION_INTERVAL
    assert settings.automation_interval_seconds({settings.AUTOMATION_INTERVAL: "5"}) == 5
    with pytest.raises(ValueError, match="AUTOMATION_INTERVAL_SECONDS='0'"):
        settings.automation_interval_seconds({settings.AUTOMATION_INTERVAL: "0"})
