"""Progress on stderr: a line per finished step, and figures left alone on stdout."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from dagster_project.lib import generate_command
from dagster_project.lib.progress import steps


def test_each_finished_step_gets_a_line_with_its_time() -> None:
    out = io.StringIO()
    with steps("1,000 orders", Console(file=out, width=200)) as step:
        step("raw_stores")
        step("raw_orders")
    lines = out.getvalue().splitlines()
    assert [line.split(" done in ")[0] for line in lines] == [
        "1,000 orders: raw_stores",
        "1,000 orders: raw_orders",
    ]
    assert all(line.endswith(" s so far)") for line in lines), lines


def test_a_step_that_raises_is_not_reported_done() -> None:
    out = io.StringIO()
    with pytest.raises(RuntimeError), steps("x", Console(file=out, width=200)) as step:
        step("first")
        step("second")
        raise RuntimeError("boom")
    assert [line.split(" done in ")[0] for line in out.getvalue().splitlines()] == ["x: first"]


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["--orders", "0"], "orders=0: expected at least 1 order."),
        (["--orders", "lots"], "argument --orders: invalid int value: 'lots'"),
        (["--start", "2018-13-01"], "argument --start: '2018-13-01' is not a date"),
        (["--end", "2017-01-01"], "end=2017-01-01 is before start=2018-01-01"),
        (["--start", "2010-01-01"], "start=2010-01-01 is before the first store opened"),
    ],
)
def test_bad_generator_arguments_end_in_one_line_naming_the_value(
    argv: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse's exit (status 2) before any warehouse is opened: no traceback, no figures."""
    with pytest.raises(SystemExit) as exit_info:
        generate_command.main(argv)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    last = captured.err.strip().splitlines()[-1]
    assert last.startswith(f"jaffle-generate: error: {error}"), captured.err
    assert "Traceback" not in captured.err
