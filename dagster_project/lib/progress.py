"""Progress of long command-line work, on stderr.

A command's figures go to stdout, where a script can read them; progress goes
to stderr, so piping stdout never mixes the two. Each finished step gets a
line (its time and the time so far), which also lands in CI logs; on a
terminal a spinner with the running time shows that a long step, one SQL
statement of a minute, is still going. rich draws it: Dagster already
depends on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

# Starts the named step, ending the one before it.
Step = Callable[[str], None]


@contextmanager
def steps(title: str, console: Console | None = None) -> Iterator[Step]:
    """Yield `step(name)`: call it as each step starts; the block's end ends the last one."""
    console = console or Console(stderr=True)
    began = time.perf_counter()
    current: list[tuple[str, float]] = []  # the running step and when it started

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("({task.completed:.0f} done)"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        # Off a terminal (CI logs, a pipe) the step lines alone.
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task(title, total=None)

        def finish() -> None:
            if current:
                name, started = current.pop()
                now = time.perf_counter()
                progress.console.print(
                    f"{title}: {name} done in {now - started:.1f} s ({now - began:.1f} s so far)",
                    highlight=False,
                )
                progress.advance(task)

        def step(name: str) -> None:
            finish()
            current.append((name, time.perf_counter()))
            progress.update(task, description=f"{title}: {name}")

        yield step
        # Not on an error: a step that raised is not done.
        finish()
