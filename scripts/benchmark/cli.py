"""The command line: arguments, then each size on the target, then the report."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
from pathlib import Path

import scripts.benchmark
from dagster_project.lib.progress import steps
from dagster_project.lib.project import REPO_ROOT
from scripts.benchmark.backfill import parallel_backfill
from scripts.benchmark.cases import CASES, Bench
from scripts.benchmark.models import MODELS
from scripts.benchmark.report import Row, report
from scripts.benchmark.targets import TARGETS

SIZES = {"1M": 1_000_000, "10M": 10_000_000, "100M": 100_000_000}


class OneLineParser(argparse.ArgumentParser):
    """Bad arguments: one line naming the value and what is allowed, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"benchmark: {message} (python -m scripts.benchmark --help)\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The benchmark's arguments, checked; `size_list` holds the sizes in order."""
    description = (scripts.benchmark.__doc__ or "").splitlines()[0]
    parser = OneLineParser(prog="python -m scripts.benchmark", description=description)
    parser.add_argument("--sizes", default="1M,10M", help="comma list of 1M, 10M, 100M")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per measurement")
    parser.add_argument("--naive", type=int, help="months run one per run (default 12; 2 on spark)")
    parser.add_argument(
        "--target", default="duckdb", help=f"dbt target: {', '.join(TARGETS)} (default duckdb)"
    )
    parser.add_argument(
        "--model",
        default="orders_by_month",
        help=f"the partitioned model: {', '.join(MODELS)} (default orders_by_month)",
    )
    parser.add_argument(
        "--backfill",
        action="store_true",
        help="also a 12-month one-run-per-partition backfill through dg dev, "
        "warehouse pool limit 4 against 1 (postgres; 2 against 1 on spark_thrift)",
    )
    parser.add_argument(
        "--cases",
        default=",".join(CASES),
        help=f"comma list of the cases to run: {', '.join(CASES)} (default all)",
    )
    parser.add_argument("--smoke", action="store_true", help="CI: 1M, 1 repetition, 2 naive runs")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.reps, args.naive = "1M", 1, 2
    target = TARGETS.get(args.target)
    if args.naive is None:
        args.naive = target.naive if target is not None else 12
    args.size_list = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in args.size_list if s not in SIZES]
    if unknown or not args.size_list:
        parser.error(f"--sizes {args.sizes!r}: expected a comma list of {', '.join(SIZES)}")
    args.case_list = [c.strip() for c in args.cases.split(",") if c.strip()]
    if not args.case_list or set(args.case_list) - set(CASES):
        parser.error(f"--cases {args.cases!r}: expected a comma list of {', '.join(CASES)}")
    if args.reps < 1 or args.naive < 1:
        parser.error(f"--reps {args.reps}, --naive {args.naive}: expected 1 or more each")
    if target is None:
        parser.error(f"--target {args.target!r}: expected one of {', '.join(TARGETS)}")
    if args.model not in MODELS:
        parser.error(f"--model {args.model!r}: expected one of {', '.join(MODELS)}")
    if args.backfill and target.no_backfill is not None:
        parser.error(f"--backfill: {target.no_backfill}, so there is no parallel backfill")
    return args


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark; print the report and write it to bench_results/."""
    args = parse_args(argv)
    target, model = TARGETS[args.target](), MODELS[args.model]
    environ = dict(os.environ)
    rows: list[Row] = []
    notes: list[str] = []
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
    # Progress on stderr (dagster_project/lib/progress.py); each command run is a step.
    with (
        tempfile.TemporaryDirectory(dir=args.work) as scratch,
        steps(f"benchmark ({args.target})") as step,
    ):
        for size in args.size_list:
            work = Path(scratch) / size
            work.mkdir()
            with target.environment(work) as target_env:
                bench = Bench(
                    size, SIZES[size], work, reps=args.reps, naive=args.naive, target=target,
                    target_env=target_env, model=model, environ=environ, step=step,
                    cases=args.case_list,
                )  # fmt: skip
                notes += bench.all()
                rows += bench.rows
                if args.backfill:
                    notes += parallel_backfill(
                        target.name, model.name, bench.env, work, limits=target.backfill_limits
                    )

    circumstances = (
        f"{os.cpu_count()} CPUs{target.circumstances(environ, args.naive)}; "
        f"{args.reps} repetition(s)."
    )
    text = report(f"{model.name} benchmark ({args.target})", circumstances, rows, notes)
    print("\n" + text)
    out = REPO_ROOT / "bench_results"
    out.mkdir(exist_ok=True)
    (out / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{args.target}.md").write_text(text)
