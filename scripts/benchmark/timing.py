"""One command run to completion, as a whole process: its wall time and peak RSS."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dagster_project.lib.progress import Step
from dagster_project.lib.project import REPO_ROOT


@dataclass
class Sample:
    """One run of a command: wall time, the peak RSS of its largest process, dbt's model time."""

    seconds: float
    peak_mib: float
    model_seconds: float | None = None
    #: a microbatch model's batches in the run (dbt's run_results.json), if any
    batches: int | None = None
    #: each batch's own time, in batch order (dbt's JSON log), if the model ran batches
    batch_seconds: list[float] | None = None


def run(cmd: list[str], env: Mapping[str, str], cwd: Path, step: Step) -> Sample:
    """Run `cmd` in `cwd` with exactly `env`; stop the benchmark with its output if it fails.

    `step` names the command on the progress display. The command is started
    by launcher.py, which reports the peak RSS of the command's tree.
    """
    step(" ".join([Path(cmd[0]).name, *cmd[1:4]])[:100])
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as rss:
        launcher = [sys.executable, "-m", "scripts.benchmark.launcher", rss.name, str(cwd)]
        began = time.perf_counter()
        process = subprocess.run(
            [*launcher, *cmd], cwd=REPO_ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT
        )
        seconds = time.perf_counter() - began
        if process.returncode != 0:
            out.seek(0)
            tail = out.read().decode(errors="replace")[-4000:]
            raise SystemExit(f"failed ({process.returncode}): {' '.join(cmd)}\n{tail}")
        peak_kib = int(rss.read() or 0)
    return Sample(seconds, peak_kib / 1024)
