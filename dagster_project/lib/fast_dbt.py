"""The speed machinery: what makes a Dagster run of dbt cost about what `dbt` costs.

This module is an optimisation, not the pattern to copy. The reference code
(`dagster_project/defs/dbt.py`, `dagster_project/lib/dbt_run.py`) uses
dagster-dbt's public API only; everything here changes *how fast* that runs,
never *what* runs, and `FAST_DBT=false` switches all of it off (then the
resource is dagster-dbt's plain `DbtCliResource`, and the manifest is prepared
by dagster-dbt's `prepare_if_dev()`). docs/performance.md has the figures.

What it changes, and why:

1. dbt runs inside the run's process (`DbtRunnerPopen`), not as a child `dbt`
   process that starts Python and imports dbt again: about 1.4 s per run.
   dagster-dbt's `DbtCliInvocation` still reads dbt's JSON log lines, from a
   pipe, so events, asset checks, errors and run_results.json are unchanged.
   Only the dbt-core installed beside this Python runs in-process; another
   executable (dbt Fusion, another virtual environment) stays a child.
2. No `dbt --version` subprocess per run (about 2 s): the installed dbt-core
   says its version (`_cli_version`, a dagster-dbt internal).
3. No dbt adapter in the run process (`_initialize_dbt_core_adapter`, a
   dagster-dbt internal, about 0.6 s warm): dagster-dbt uses it only for
   `fetch_row_counts()` / `fetch_column_metadata()`, which this project does
   not call.
4. One dbt target folder per set of `--vars`: dbt re-parses the whole project
   when --vars differ from the ones its partial_parse.msgpack was written
   with, and dagster-dbt's default (a new folder per run, seeded with a
   msgpack parsed without vars) makes every run parse in full. A stable
   folder per vars lets a re-run of the same months parse partially.
   Old per-run folders are pruned (DBT_KEEP_INVOCATION_TARGETS, default 20).
5. No `dbt parse` in every run worker under `dagster dev`: dagster-dbt's
   `prepare_if_dev()` parses on every code load, and `dagster dev` loads the
   code again in each run's process; `prepare_manifest()` parses only when a
   file of the project is newer than target/manifest.json.

The dagster-dbt internals used (2, 3 and the `subprocess` name in
dagster_dbt.core.dbt_cli_invocation for 1) have no public switch in
dagster-dbt 0.29; tests/unit/test_fast_dbt.py fails if an upgrade renames them,
rather than silently paying the cost again.

In-process dbt, in detail (`DbtRunnerPopen`, the part of `subprocess.Popen`
that `DbtCliInvocation` uses: `args`, `stdout`, `wait`, `returncode`,
`send_signal`):

- dbt writes the JSON log lines it would print as a process, through its
  stdout logger, into a pipe (dbt_common's capture stream) that stands in
  for the child's stdout.
- The return code follows dbt's CLI: 0 success, 1 a node failed, 2 dbt
  itself failed (bad arguments, a parse error, an exception).
- The environment dagster-dbt builds for the child (DBT_TARGET_PATH,
  DBT_LOG_FORMAT=json, DBT_PROFILES_DIR, ...) is applied to this process for
  the length of the command and then restored; relative paths are resolved
  against the folder the child would have started in.
- An interrupt (Dagster's run termination, Ctrl-C) is raised in dbt's thread
  as KeyboardInterrupt, which dbt handles as it handles Ctrl-C in a
  terminal. Python delivers it once dbt's thread runs Python again, so a
  statement already inside the database finishes (or rolls back with its
  transaction) first; a child process would be stopped inside the statement.
- dbt supports one programmatic invocation at a time per process, so a
  second one while another runs is refused with a clear error.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import types
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext, suppress
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
from packaging import version

from dagster_project.lib import settings


def dbt_cli_resource(project: DbtProject) -> DbtCliResource:
    """The project's dbt resource: in-process and trimmed, or dagster-dbt's own (FAST_DBT)."""
    if settings.fast_dbt():
        return InProcessDbtCliResource(project_dir=project)
    return DbtCliResource(project_dir=project)


def prepare_manifest(project: DbtProject) -> None:
    """Under `dagster dev`, parse the dbt project if it changed since the manifest (item 5)."""
    if not settings.fast_dbt():
        project.prepare_if_dev()
        return
    profiles_yml = Path(project.profiles_dir or project.project_dir) / "profiles.yml"
    if not manifest_is_fresh(project.manifest_path, Path(project.project_dir), profiles_yml):
        project.prepare_if_dev()


# Folders dbt writes into; their contents never change the manifest.
_OUTPUT_DIRS = {"target", "logs", "dbt_packages"}


def manifest_is_fresh(manifest: Path, project_dir: Path, profiles_yml: Path) -> bool:
    """True when `manifest` exists and is newer than every source file of the project."""
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    sources = [profiles_yml, *project_dir.iterdir()]
    while sources:
        path = sources.pop()
        if path.is_dir():
            if path.parent != project_dir or path.name not in _OUTPUT_DIRS:
                sources.extend(path.iterdir())
        elif path.exists() and path.stat().st_mtime > built:
            return False
    return True


# dagster-dbt names a run's dbt target folder "<op>-<run id[:7]>-<uuid[:7]>"
# (or "<uuid[:7]>" without a context) under the project's target/;
# vars_target_path() names one "<op>-vars-<hash of the vars>".
INVOCATION_DIR = re.compile(
    r"(?:[A-Za-z0-9_]+-[0-9a-f]{7}-)?[0-9a-f]{7}|[A-Za-z0-9_]+-vars-[0-9a-f]{12}"
)


def prune_invocation_dirs(target_dir: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest per-invocation folders in `target_dir`.

    Only folders named the way dagster-dbt (or `vars_target_path`) names them
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


class InProcessDbtCliResource(DbtCliResource):
    """DbtCliResource with dbt in the run's process and dagster-dbt's per-run costs removed."""

    def runs_dbt_in_process(self) -> bool:
        """True when the executable is the dbt-core installed beside this Python."""
        return _this_environments_dbt_core(self.dbt_executable) is not None

    @cached_property
    def _cli_version(self) -> version.Version:
        installed = _this_environments_dbt_core(self.dbt_executable)
        return installed if installed is not None else super()._cli_version

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        # dagster-dbt treats a missing adapter as "no row counts or column
        # metadata", which is what this project asks for.
        return None

    def target_dir(self) -> Path:
        """dbt's target folder, as dagster-dbt resolves it (DBT_TARGET_PATH or target/)."""
        return Path(self.project_dir, os.environ.get("DBT_TARGET_PATH", "target"))

    def cli(
        self, args: Sequence[str], *, target_path: Path | None = None, **kwargs: Any
    ) -> DbtCliInvocation:
        """As DbtCliResource.cli: in this process, in the vars' own target folder."""
        context = kwargs.get("context")
        if target_path is None and context is not None:
            name = vars_folder_name(context.op.name, args)
            target_path = None if name is None else self.target_dir() / name
        if target_path is not None and target_path.is_dir():
            # Reused: make it the newest, so pruning keeps it.
            os.utime(target_path)
        # Keep one fewer than the limit: this invocation may make a folder.
        prune_invocation_dirs(self.target_dir(), max(settings.keep_invocation_targets() - 1, 0))
        with dbt_in_this_process() if self.runs_dbt_in_process() else nullcontext():
            return super().cli(args, target_path=target_path, **kwargs)


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


# Settings dbt reads as paths; a child process would resolve them against its cwd.
_PATH_SETTINGS = ("DBT_TARGET_PATH", "DBT_LOG_PATH", "DBT_PROFILES_DIR", "DBT_PROJECT_DIR")

_one_at_a_time = threading.Lock()


class DbtRunnerPopen:
    """A `subprocess.Popen` look-alike whose `dbt <args>` runs in a thread, by dbtRunner."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        **_popen_kwargs: Any,
    ) -> None:
        self.args = list(args)
        self.returncode: int | None = None
        if not _one_at_a_time.acquire(blocking=False):
            raise RuntimeError(
                f"dbt is already running in this process; cannot start `{' '.join(self.args)}`. "
                "In-process dbt runs one command at a time: finish reading the first "
                "command's events, or set DBT_IN_PROCESS=false to run dbt as a child process."
            )
        self._saved_env: dict[str, str | None] = {}
        try:
            self._saved_env = _apply(child_environment(env or os.environ, Path(cwd or os.getcwd())))
            read_fd, write_fd = os.pipe()
            self.stdout = os.fdopen(read_fd, "rb")
            self._log = os.fdopen(write_fd, "w", encoding="utf-8", buffering=1)
            self._in_dbt = False
            self._thread = threading.Thread(target=self._invoke, name="dbt", daemon=True)
            self._thread.start()
        except BaseException:
            _set(self._saved_env)
            _one_at_a_time.release()
            raise

    def _invoke(self) -> None:
        from dbt.cli.main import dbtRunner
        from dbt_common.events.functions import capture_stdout_logs, stop_capture_stdout_logs

        returncode = 2
        try:
            capture_stdout_logs(self._log)
            self._in_dbt = True
            try:
                result = dbtRunner().invoke(self.args[1:])
            finally:
                self._in_dbt = False
            if result.success:
                returncode = 0
            elif result.exception is None:
                returncode = 1
            else:
                # Usage errors come back without a log event: say them, as the CLI would.
                self._log.write(f"dbt failed: {result.exception}\n")
        except BaseException as error:  # an interrupt between dbt's own handlers
            with suppress(OSError):  # the reader may be gone
                self._log.write(f"dbt failed: {error!r}\n")
        finally:
            try:
                stop_capture_stdout_logs()
                _release_duckdb()
                _release_warehouse()
            finally:
                _set(self._saved_env)
                self.returncode = returncode
                with suppress(OSError):
                    self._log.close()  # the reader sees the end of dbt's output
                _one_at_a_time.release()

    def poll(self) -> int | None:
        return None if self._thread.is_alive() else self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        """SIGINT, SIGTERM, SIGKILL: stop dbt the way Ctrl-C stops the CLI."""
        if sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL) and self._in_dbt:
            ident = self._thread.ident
            if ident is not None:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(ident), ctypes.py_object(KeyboardInterrupt)
                )

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _release_duckdb() -> None:
    """Drop dbt-duckdb's process-wide database handle once the command is over.

    A dbt process lets go of the DuckDB file when it exits; in this process
    dbt-duckdb would keep its environment (and, with keep_open: true, the open
    file and its lock) for the next command.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    DuckDBConnectionManager.close_all_connections()


def _release_warehouse() -> None:
    """The warehouse seam's own clean-up after a dbt command (Spark: the session)."""
    # Imported here: the seam imports dagster_project.lib.project, which imports this module.
    from dagster_project.lib.warehouse import release_after_dbt

    release_after_dbt()


def child_environment(env: Mapping[str, str], cwd: Path) -> dict[str, str | None]:
    """What differs between `env` (a child's environment, started in `cwd`) and ours.

    Values are what to set (None: unset). Relative dbt paths become absolute,
    and a profiles.yml or dbt_project.yml in `cwd` is named, since a dbt child
    would find it there. Relative paths in the command's own arguments are
    read from this process's folder: dagster-dbt passes absolute ones.
    """
    changes: dict[str, str | None] = {k: v for k, v in env.items() if os.environ.get(k) != v}
    changes.update({k: None for k in os.environ if k not in env})
    for key in _PATH_SETTINGS:
        value = env.get(key)
        if value and not Path(value).is_absolute():
            changes[key] = str(cwd / value)
    # A dbt child finds these two in its working folder; this process's differs.
    if not env.get("DBT_PROFILES_DIR") and (cwd / "profiles.yml").exists():
        changes["DBT_PROFILES_DIR"] = str(cwd)
    if not env.get("DBT_PROJECT_DIR") and (cwd / "dbt_project.yml").exists():
        changes["DBT_PROJECT_DIR"] = str(cwd)
    return changes


def _apply(changes: Mapping[str, str | None]) -> dict[str, str | None]:
    saved = {key: os.environ.get(key) for key in changes}
    _set(changes)
    return saved


def _set(values: Mapping[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@contextmanager
def dbt_in_this_process() -> Iterator[None]:
    """Within the block, dagster-dbt's DbtCliInvocation.run starts a DbtRunnerPopen.

    DbtCliInvocation.run() calls `subprocess.Popen` from its own module's
    namespace; that name is swapped here, nothing else. tests/unit/test_fast_dbt.py
    fails if a dagster-dbt upgrade stops calling it this way.
    """
    import dagster_dbt.core.dbt_cli_invocation as invocation_module

    real = invocation_module.subprocess
    invocation_module.subprocess = types.SimpleNamespace(  # type: ignore[assignment]
        Popen=DbtRunnerPopen, PIPE=subprocess.PIPE, STDOUT=subprocess.STDOUT
    )
    try:
        yield
    finally:
        invocation_module.subprocess = real
