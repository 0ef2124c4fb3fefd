"""dbt target folders: one per set of `--vars`, the oldest pruned."""

from __future__ import annotations

import hashlib
import re
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

# dagster-dbt names a run's dbt target folder "<op>-<run id[:7]>-<uuid[:7]>"
# (or "<uuid[:7]>" without a context) under the project's target/;
# vars_folder_name() names one "<op>-vars-<hash of the vars>".
INVOCATION_DIR = re.compile(
    r"(?:[A-Za-z0-9_]+-[0-9a-f]{7}-)?[0-9a-f]{7}|[A-Za-z0-9_]+-vars-[0-9a-f]{12}"
)


def prune_invocation_dirs(target_dir: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest per-invocation folders in `target_dir`.

    Only folders named the way dagster-dbt (or `vars_folder_name`) names them
    are touched: dbt's own `compiled/`, `run/`, manifest and partial-parse
    files stay. Returns the folders deleted.
    """
    if not target_dir.is_dir():
        return []
    dirs = [p for p in target_dir.iterdir() if p.is_dir() and INVOCATION_DIR.fullmatch(p.name)]
    dirs.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    doomed = dirs[keep:]
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)
    return doomed


def vars_folder_name(name: str, args: Sequence[str]) -> str | None:
    """`<name>-vars-<hash>` for a command with --vars (not --full-refresh), else None."""
    if "--vars" not in args or "--full-refresh" in args:
        return None
    dbt_vars = args[list(args).index("--vars") + 1]
    digest = hashlib.sha256(dbt_vars.encode()).hexdigest()
    return f"{name}-vars-{digest[:12]}"


def unique_folder_name(op_name: str | None, run_id: str | None) -> str:
    """dagster-dbt's per-invocation folder name: `<op>-<run id[:7]>-<uuid[:7]>`, or
    `<uuid[:7]>` outside a run."""
    current = uuid.uuid4().hex[:7]
    if op_name is None or run_id is None:
        return current
    return f"{op_name}-{run_id[:7]}-{current}"
