"""--backfill: a one-run-per-partition backfill through `dg dev`, parallel against serial."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from dagster_project.lib.settings import BACKFILL_POLICY, POOL_LIMIT
from harness.dg_dev import dagster_process_env, new_dagster_home, run_backfill, running_dg_dev
from scripts.benchmark.windows import partition_keys

DONE = {"COMPLETED", "COMPLETED_SUCCESS"}


def parallel_backfill(
    target: str,
    asset: str,
    env: Mapping[str, str],
    work: Path,
    months: int = 12,
    limits: tuple[int, int] = (4, 1),
) -> list[str]:
    """A one-run-per-partition backfill of `asset`'s last `months` months through `dg dev`,
    with the warehouse pool's limits `limits` (parallel, then serial): the wall time of each."""
    keys = partition_keys()[-months:]
    notes, seconds = [], {}
    parallel, serial = limits
    for limit in limits:
        settings = {**env, BACKFILL_POLICY: "multi_run", POOL_LIMIT: str(limit)}
        home = new_dagster_home(work / f"backfill_home_{limit}")
        log = work / f"backfill_{limit}.log"
        with running_dg_dev(dagster_process_env(settings, home), log) as url:
            began = time.perf_counter()
            backfill = run_backfill(url, keys, asset, log, timeout=3600, poll=0.5)
            seconds[limit] = time.perf_counter() - began
        if backfill["status"] not in DONE:
            raise SystemExit(
                f"backfill with pool limit {limit} ended {backfill['status']}: see {log}"
            )
        notes.append(
            f"{target}: one run per partition, {months} months, pool limit {limit}: "
            f"{seconds[limit]:.1f} s"
        )
    notes.append(
        f"{target}: parallel (limit {parallel}) = "
        f"{seconds[parallel] / seconds[serial]:.2f}x the serial backfill (limit {serial})"
    )
    return notes
