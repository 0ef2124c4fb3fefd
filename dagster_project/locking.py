"""Turn DuckDB's file-lock error into a failure that says what happened."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtCliRuntimeError, DbtCliInvocation

from dagster_project.duckdb_path import duckdb_path

# DuckDB: 'Could not set lock on file "...": Conflicting lock is held in
# /usr/bin/python3 (PID 1234) by user me.'
_LOCK = re.compile(r"Conflicting lock is held in (?P<holder>.+?\(PID \d+\))")


def lock_failure_message(error_text: str, path: Path) -> str | None:
    """One sentence for a user if `error_text` is DuckDB's lock error, else None."""
    match = _LOCK.search(error_text)
    if match is None:
        return None
    return (
        f"Another process ({match['holder']}) holds the DuckDB file {path}, and it was "
        "still locked after dbt's connect retries: close that process (a notebook, a "
        "second dbt or Dagster run) and re-execute this run."
    )


def stream_naming_lock(invocation: DbtCliInvocation) -> Iterator[Any]:
    """invocation.stream(), re-raised as dg.Failure when the file was locked."""
    try:
        yield from invocation.stream()
    except DagsterDbtCliRuntimeError as error:
        message = lock_failure_message(str(error), duckdb_path())
        if message is None:
            raise
        raise dg.Failure(description=message) from error
