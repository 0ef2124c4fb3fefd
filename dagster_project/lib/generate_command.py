"""jaffle-generate: the raw tables, written into the dbt target's warehouse without Dagster.

The dbt-only path: the rows of `dagster_project.lib.generator`, written
through the warehouse seam (dagster_project/lib/warehouse) into the warehouse
of dbt's profile (DBT_TARGET).

    jaffle-generate                                  # default small set
    jaffle-generate --orders 10000000 --end 2026-10-31
    python -m dagster_project.lib.generate_command   # the same, without the script

The command prints its figures as one JSON object on stdout, and its progress
(a line per table written, the time so far) on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time

from dagster_project.lib.generator import GeneratorConfig
from dagster_project.lib.progress import steps
from dagster_project.lib.warehouse import warehouse


def _date(text: str) -> dt.date:
    """An argparse type whose error names the value and the format it wants."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: expected YYYY-MM-DD") from None


def main(argv: list[str] | None = None) -> None:
    """Command line: write the raw tables into the dbt target's warehouse.

    Bad arguments end in argparse's one-line error (exit status 2), naming
    the value, never in a traceback.
    """
    defaults = GeneratorConfig()
    parser = argparse.ArgumentParser(prog="jaffle-generate", description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=defaults.orders)
    parser.add_argument("--start", type=_date, default=defaults.start, help="YYYY-MM-DD")
    parser.add_argument("--end", type=_date, default=defaults.end, help="YYYY-MM-DD, inclusive")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    args = parser.parse_args(argv)
    try:
        config = GeneratorConfig(args.orders, args.start, args.end, args.seed)
    except ValueError as error:
        parser.error(str(error))
    target = warehouse()
    began = time.perf_counter()
    with steps(f"{config.orders:,} orders") as step:
        counts = target.write_raw(config, step)
    elapsed = time.perf_counter() - began
    figures = {"warehouse": target.location, "rows": counts, "seconds": round(elapsed, 1)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
