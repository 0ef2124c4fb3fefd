"""The model against the oracle: every month of the window, to the cent."""

from __future__ import annotations

from harness.oracle import Queryable
from scripts.benchmark.models import Model


def differences(db: Queryable, model: Model, start: str, end: str) -> tuple[int, list[str]]:
    """The model's month count in `db`, and the months of [start, end) where it differs
    from the oracle (or has a month the oracle has not), ISO, sorted."""
    found, expected = model.rows(db), model.expected(db, start, end)
    bad = sorted(m for m in expected.keys() | found.keys() if found.get(m) != expected.get(m))
    return len(found), [m.isoformat() for m in bad]
