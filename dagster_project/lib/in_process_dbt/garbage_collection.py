"""Python's garbage collector, run only in the reader's thread while dbt runs in another."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def garbage_collected_in_this_thread() -> Iterator[Callable[[], None]]:
    """Within the block, Python's garbage collector runs only when the caller calls the
    function yielded, in the caller's thread: the one process-wide setting touched.

    CPython collects cyclic garbage in whichever thread allocates past a
    threshold, and dbt allocates a great deal (a parse, most of all). Garbage
    the run's thread made (Dagster's SQLAlchemy connections to SQLite, which
    an ephemeral instance and `dg dev`'s run storage use) would then be
    finalised in dbt's thread, and sqlite3 refuses to close a connection from
    another thread: "SQLite objects created in a thread can only be used in
    that same thread", a traceback per connection. So while dbt's thread runs,
    automatic collection is off and the run's thread collects what is due
    each time it reads dbt's events (at least every 0.2 s). The setting is
    put back as it was, also when the run is interrupted.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield collect_what_is_due
    finally:
        if was_enabled:
            gc.enable()


def collect_what_is_due() -> None:
    """Collect, in this thread, the oldest generation past its threshold (as CPython would)."""
    due = [
        generation
        for generation, (count, threshold) in enumerate(
            zip(gc.get_count(), gc.get_threshold(), strict=False)
        )
        if threshold and count > threshold
    ]
    if due:
        gc.collect(max(due))
