"""The benchmark's rows, and the table and summary lines people read.

Pure functions of the rows: no command runs here.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from scripts.benchmark.timing import Sample

# The warm cases the summary compares by name.
FULL_HISTORY = "full history"
ONE_PARTITION = "one partition"


@dataclass
class Row:
    """One path of one case at one size, and its samples."""

    size: str
    case: str
    path: str
    samples: list[Sample] = field(default_factory=list)
    #: how many partitions one run of the case covers
    partitions: int = 1
    #: a cold case: each sample on a window not run before
    cold: bool = False

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def first(self) -> float:
        """The first run of this window: dbt parses the project in full."""
        return self.samples[0].seconds

    @property
    def minimum(self) -> float:
        return min(s.seconds for s in self.samples)

    @property
    def peak_mib(self) -> float:
        return max(s.peak_mib for s in self.samples)

    @property
    def model_seconds(self) -> float | None:
        found = [s.model_seconds for s in self.samples if s.model_seconds is not None]
        return statistics.median(found) if found else None


def batch_lines(rows: list[Row]) -> list[str]:
    """dbt's own time for a microbatch run beside the process's: per row with batches.

    dbt's run_results.json lists a microbatch model's batches but times only
    the model as a whole, so the time a batch is the model's time over its
    batches; each batch's own time, from dbt's log, follows when it was read.
    """
    out = []
    for r in rows:
        batched = [s for s in r.samples if s.batches and s.model_seconds is not None]
        if not batched:
            continue
        sample = batched[len(batched) // 2]
        per = sample.model_seconds / sample.batches  # type: ignore[operator]
        out.append(
            f"{r.size}: {r.case}, {r.path}: process {sample.seconds:.2f} s, dbt's model "
            f"{sample.model_seconds:.2f} s over {sample.batches} batch(es), {per:.3f} s a batch"
            + (f"; {spread(sample.batch_seconds)}" if sample.batch_seconds else "")
        )
    return out


def spread(seconds: list[float]) -> str:
    """Each batch's own time, as its range and median."""
    return (
        f"dbt's time each batch {min(seconds):.3f} to {max(seconds):.3f} s, "
        f"median {statistics.median(seconds):.3f} s"
    )


def ratio(value: float, base: float | None) -> str:
    """`value / base` as "1.23x", or nothing without a base."""
    return f"{value / base:.2f}x" if base else ""


def table(rows: list[Row]) -> str:
    """The Markdown table: a line per row, with its ratios to the floor, dbt and dbt build."""
    lines = [
        "| size | case | path | first s | median s | min s | runs | peak MiB | ÷ floor | ÷ dbt"
        " | ÷ dbt build | model s |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    base = {(r.size, r.case, r.path): r.median for r in rows}
    for r in rows:
        floor, dbt = base.get((r.size, r.case, "floor")), base.get((r.size, r.case, "dbt"))
        build = base.get((r.size, r.case, "dbt build"))
        model = f"{r.model_seconds:.3f}" if r.model_seconds is not None else ""
        lines.append(
            f"| {r.size} | {r.case} | {r.path} | {r.first:.2f} | {r.median:.2f} | "
            f"{r.minimum:.2f} | {len(r.samples)} | {r.peak_mib:.0f} | "
            f"{ratio(r.median, floor) if r.path != 'floor' else ''} | "
            f"{ratio(r.median, dbt) if r.path not in {'floor', 'dbt'} else ''} | "
            f"{ratio(r.median, build) if r.path == 'dagster' else ''} | {model} |"
        )
    return "\n".join(lines)


def summary(rows: list[Row]) -> list[str]:
    """The figures people ask for first, computed from the rows."""
    get = {(r.size, r.case, r.path): r for r in rows}
    out = []
    for size in dict.fromkeys(r.size for r in rows):
        full = get.get((size, FULL_HISTORY, "dagster"))
        full_dbt = get.get((size, FULL_HISTORY, "dbt"))
        one = get.get((size, ONE_PARTITION, "dagster"))
        one_dbt = get.get((size, ONE_PARTITION, "dbt"))
        full_build = get.get((size, FULL_HISTORY, "dbt build"))
        one_build = get.get((size, ONE_PARTITION, "dbt build"))
        naive = next((r for r in rows if r.size == size and r.path == "naive"), None)
        gen = next((r for r in rows if r.size == size and r.path == "generator"), None)
        if full and full_dbt:
            out.append(
                f"{size}: full history via Dagster = {ratio(full.median, full_dbt.median)} bare dbt"
            )
        if full and full_build and one and one_build:
            out.append(
                f"{size}: Dagster = {ratio(full.median, full_build.median)} (full history), "
                f"{ratio(one.median, one_build.median)} (one partition) the same dbt build, bare"
            )
        if full and naive:
            per_run = naive.median / naive.partitions
            all_runs = per_run * full.partitions
            out.append(
                f"{size}: one run per partition ~ {per_run:.1f} s x {full.partitions} months = "
                f"{all_runs:.0f} s, {all_runs / full.median:.0f}x the single-run backfill"
            )
        if one and one_dbt:
            out.append(
                f"{size}: one partition via Dagster = {ratio(one.median, one_dbt.median)} bare dbt"
            )
        if full:
            out.append(
                f"{size}: full-history backfill via Dagster {full.median:.1f} s, "
                f"peak {full.peak_mib:.0f} MiB"
            )
        if gen:
            out.append(f"{size}: generator {gen.median:.1f} s, peak {gen.peak_mib:.0f} MiB")
        for cold in (r for r in rows if r.size == size and r.cold and r.path == "dagster"):
            cold_dbt = get.get((size, cold.case, "dbt"))
            if cold_dbt:
                out.append(
                    f"{size}: {cold.case} (cold, alternating) via Dagster = "
                    f"{ratio(cold.median, cold_dbt.median)} bare dbt run "
                    f"({cold.median:.2f} s vs {cold_dbt.median:.2f} s)"
                )
        # Dagster's time beyond the same dbt build, by partitions in one run:
        # the warm cases, which have both.
        extra = {
            r.partitions: r.median - get[(size, r.case, "dbt build")].median
            for r in rows
            if r.size == size and r.path == "dagster" and (size, r.case, "dbt build") in get
        }
        if len(extra) >= 2:
            ns = sorted(extra)
            slope = (extra[ns[-1]] - extra[ns[0]]) / (ns[-1] - ns[0])
            out.append(
                f"{size}: Dagster's time beyond the same dbt build, by partitions in one run: "
                + ", ".join(f"{n}: {extra[n]:+.2f} s" for n in ns)
                + f"; {slope * 1000:+.0f} ms per extra partition"
            )
    models = {
        size: get[(size, ONE_PARTITION, "dbt")].model_seconds
        for size in ("1M", "10M")
        if (size, ONE_PARTITION, "dbt") in get
    }
    if len(models) == 2 and all(models.values()):
        out.append(
            f"one partition's model time 1M -> 10M: {models['1M']:.3f} s -> {models['10M']:.3f} s "
            f"({models['10M'] / models['1M']:.2f}x)"
        )
    return out


def report(title: str, circumstances: str, rows: list[Row], notes: list[str]) -> str:
    """The whole Markdown report: a heading, the circumstances, the table, the summary."""
    header = f"# {title}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC\n\n{circumstances}\n"
    return "\n".join(
        [
            header,
            table(rows),
            "",
            *(f"- {n}" for n in summary(rows) + batch_lines(rows) + notes),
            "",
        ]
    )
