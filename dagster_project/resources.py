"""The dbt resource: dagster-dbt's DbtCliResource minus three per-run start-up costs.

dbt runs inside the run's process (dagster_project/dbt_in_process.py)
instead of a new Python process that imports dbt again: about 1.4 s per run.
DBT_IN_PROCESS=false (or `in_process=False`) keeps dagster-dbt's child process.

dagster-dbt also pays, in every run, before dbt starts:

- a `dbt --version` subprocess (about 2 s here) to learn whether the executable
  is dbt Core or dbt Fusion. When the executable is the dbt of this Python
  environment, the installed dbt-core package already says which version it
  is, so `_cli_version` reads it instead.
- a dbt adapter initialised in the run process (`_initialize_dbt_core_adapter`,
  which loads dbt's macros). dagster-dbt uses that adapter only for
  `fetch_row_counts()` and `fetch_column_metadata()`, which this project does
  not call, so it is skipped unless `with_adapter=True`.

Both hooks are dagster-dbt internals with no public switch (0.29); the tests
in tests/test_resources.py fail if an upgrade renames them, rather than
silently paying the cost again.

It also bounds the per-invocation target folders dagster-dbt leaves under
dbt_project/target/ (see `prune_invocation_dirs`).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
from packaging import version

from dagster_project.dbt_in_process import dbt_in_this_process

# dagster-dbt names a run's dbt target folder "<op>-<run id[:7]>-<uuid[:7]>"
# (or "<uuid[:7]>" without a context) under the project's target/;
# window_target_path() names one "<op>-<start>-<end>".
INVOCATION_DIR = re.compile(
    r"(?:[A-Za-z0-9_]+-[0-9a-f]{7}-)?[0-9a-f]{7}"
    r"|[A-Za-z0-9_]+-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}"
)
KEEP_TARGETS_ENV = "DBT_KEEP_INVOCATION_TARGETS"
DEFAULT_KEEP_TARGETS = 20
IN_PROCESS_ENV = "DBT_IN_PROCESS"


def dbt_in_process_setting(environ: dict[str, str] | os._Environ = os.environ) -> bool:
    """DBT_IN_PROCESS: true (the default) runs dbt in the run's process, false as a child."""
    value = environ.get(IN_PROCESS_ENV, "true")
    word = value.strip().lower()
    if word in {"true", "1", "yes", ""}:
        return True
    if word in {"false", "0", "no"}:
        return False
    raise ValueError(f"{IN_PROCESS_ENV}={value!r}: expected true or false.")


def keep_invocation_targets(environ: dict[str, str] | os._Environ = os.environ) -> int:
    """How many per-run dbt target folders to keep: DBT_KEEP_INVOCATION_TARGETS, default 20."""
    value = environ.get(KEEP_TARGETS_ENV, str(DEFAULT_KEEP_TARGETS))
    try:
        keep = int(value)
    except ValueError:
        keep = -1
    if keep < 0:
        raise ValueError(
            f"{KEEP_TARGETS_ENV}={value!r}: expected a whole number of folders, 0 or more."
        )
    return keep


def prune_invocation_dirs(target_dir: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest per-invocation folders in `target_dir`.

    Only folders named the way dagster-dbt names them are touched: dbt's own
    `compiled/`, `run/`, manifest and partial-parse files stay. Returns the
    folders deleted.
    """
    if not target_dir.is_dir():
        return []
    dirs = [p for p in target_dir.iterdir() if p.is_dir() and INVOCATION_DIR.fullmatch(p.name)]
    dirs.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    doomed = dirs[keep:]
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)
    return doomed


class FastDbtCliResource(DbtCliResource):
    """DbtCliResource with dbt in the run's process, no `dbt --version`, no unused adapter."""

    with_adapter: bool = False
    in_process: bool = True

    def runs_dbt_in_process(self) -> bool:
        """in_process, and the executable is the dbt-core installed beside this Python."""
        return self.in_process and _this_environments_dbt_core(self.dbt_executable) is not None

    @cached_property
    def _cli_version(self) -> version.Version:
        installed = _this_environments_dbt_core(self.dbt_executable)
        return installed if installed is not None else super()._cli_version

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        if self.with_adapter:
            return super()._initialize_dbt_core_adapter(args)
        # dagster-dbt treats a missing adapter as "no row counts or column
        # metadata", which is what this project asks for.
        return None

    def target_dir(self) -> Path:
        """dbt's target folder, as dagster-dbt resolves it (DBT_TARGET_PATH or target/)."""
        return Path(self.project_dir, os.environ.get("DBT_TARGET_PATH", "target"))

    def window_target_path(self, name: str, dbt_vars: dict[str, str]) -> Path:
        """A target folder that is the same for every run of the same window.

        dbt re-parses the whole project when --vars differ from the ones its
        partial_parse.msgpack was written with, and dagster-dbt's default (a
        new folder per run) seeds every run with the project's msgpack, parsed
        without vars. Reusing the window's folder lets a re-run of a month
        parse partially, as a repeated `dbt run` does.
        """
        return self.target_dir() / window_dir_name(name, dbt_vars)

    def cli(
        self, args: Sequence[str], *, target_path: Path | None = None, **kwargs: Any
    ) -> DbtCliInvocation:
        """As DbtCliResource.cli, in this process, after pruning old target folders."""
        if target_path is not None and target_path.is_dir():
            # Reused: make it the newest, so pruning keeps it.
            os.utime(target_path)
        # Keep one fewer than the limit: this invocation may make a folder.
        prune_invocation_dirs(self.target_dir(), max(keep_invocation_targets() - 1, 0))
        with dbt_in_this_process() if self.runs_dbt_in_process() else nullcontext():
            return super().cli(args, target_path=target_path, **kwargs)


def window_dir_name(name: str, dbt_vars: dict[str, str]) -> str:
    """The folder name `<name>-<partition_start>-<partition_end>` for a window's vars."""
    return f"{name}-{dbt_vars['partition_start']}-{dbt_vars['partition_end']}"


def _this_environments_dbt_core(executable: str) -> version.Version | None:
    """dbt-core's version when `executable` is the dbt installed beside this Python, else None."""
    installed = _installed_dbt_core_version()
    if installed is None or not _is_this_environments_dbt(executable):
        return None
    return installed


def _installed_dbt_core_version() -> version.Version | None:
    try:
        from dbt.version import __version__
    except ImportError:  # dbt Fusion only: ask the executable
        return None
    return version.parse(__version__)


def _is_this_environments_dbt(executable: str) -> bool:
    """True when `executable` is the dbt script installed beside this Python."""
    found = shutil.which(executable)
    if found is None:
        return False
    here = Path(sys.executable).parent
    return Path(found).resolve().parent in {here, here.resolve()}
