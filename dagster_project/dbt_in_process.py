"""Run dbt inside the Dagster run process, through dbt's programmatic API.

dagster-dbt starts every dbt command as a child process and reads dbt's JSON
log lines from its stdout. A new process pays, each run, what this one has
already paid: starting Python and importing dbt (dagster-dbt imports most of
dbt itself), about 1.7 s of a 3.1 s one-month `dbt run` on a 2-core machine.

`DbtProcess` is the part of `subprocess.Popen` that dagster-dbt's
`DbtCliInvocation` uses (`args`, `stdout`, `wait`, `returncode`,
`send_signal`), backed by dbt's own `dbtRunner` in a thread:

- dbt writes the same JSON log lines it prints as a process, through its
  stdout logger, into a pipe (dbt_common's capture stream) that stands in for
  the child's stdout. dagster-dbt parses them as before: asset events, asset
  checks, error messages.
- The return code follows dbt's CLI: 0 success, 1 a node failed, 2 dbt
  itself failed (bad arguments, a parse error, an exception).
- The environment dagster-dbt builds for the child (DBT_TARGET_PATH,
  DBT_LOG_FORMAT=json, DBT_PROFILES_DIR, ...) is applied to this process for
  the length of the command and then restored; relative paths are resolved
  against the folder the child would have started in.
- An interrupt (Dagster's run termination, Ctrl-C) is raised in dbt's thread
  as KeyboardInterrupt, which dbt handles as it handles Ctrl-C in a terminal:
  it skips what has not started and returns. Python delivers it once dbt's
  thread runs Python again, so a statement already inside DuckDB finishes (or
  rolls back with its transaction) first; a child process would be stopped
  inside the statement.

dbt supports one programmatic invocation at a time per process, so a second
one while another runs is refused with a clear error rather than interleaved.
Projects whose `dbt` is not the dbt-core installed beside this Python (dbt
Fusion, another virtual environment) keep the child process: see
`FastDbtCliResource.in_process` in resources.py.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import threading
import types
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

# Settings dbt reads as paths; a child process would resolve them against its cwd.
_PATH_SETTINGS = ("DBT_TARGET_PATH", "DBT_LOG_PATH", "DBT_PROFILES_DIR", "DBT_PROJECT_DIR")

_one_at_a_time = threading.Lock()


class DbtProcess:
    """`dbt <args>` run by dbtRunner in a thread, shaped like a subprocess.Popen."""

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
    """Within the block, dagster-dbt's DbtCliInvocation.run starts a DbtProcess.

    DbtCliInvocation.run() calls `subprocess.Popen` from its own module's
    namespace; that name is swapped here, nothing else. tests/test_performance.py
    fails if a dagster-dbt upgrade stops calling it this way.
    """
    import dagster_dbt.core.dbt_cli_invocation as invocation_module

    real = invocation_module.subprocess
    invocation_module.subprocess = types.SimpleNamespace(  # type: ignore[assignment]
        Popen=DbtProcess, PIPE=subprocess.PIPE, STDOUT=subprocess.STDOUT
    )
    try:
        yield
    finally:
        invocation_module.subprocess = real
