"""In-process dbt: a Dagster run of dbt costs what its SQL costs.

This is the project's speed layer, and it is written to be copied. The
reference code (`dagster_project/defs/dbt.py`, `dagster_project/lib/dbt_run.py`)
is plain dagster-dbt: `dbt.cli([...], context=context).stream()`. The resource
here answers that call by running dbt inside the run's own process, through
dbt's public programmatic API, instead of starting a `dbt` child process:

    dbtRunner(manifest=<the parsed project>, callbacks=[<collect events>])
        .invoke([<the command dagster-dbt would have run>])

and turns dbt's events into Dagster events with dagster-dbt's own types and
translation (`DbtCliEventMessage.to_default_asset_events`). `FAST_DBT=false`
switches all of it off: the resource is then dagster-dbt's `DbtCliResource`.
docs/performance.md has the figures.

What it saves, per run, and why it is safe:

1. No child process (about 1.5 s: a new Python that imports dbt again, and
   dagster-dbt's `dbt --version` before it). Only the dbt-core installed
   beside this Python runs in-process; another executable (dbt Fusion,
   another virtual environment) runs as dagster-dbt runs it.
2. No dbt parse (about 2 s for a window not run before: dbt re-parses the
   whole project when `--vars` change). dbt runs with the manifest Dagster
   loaded (`preparsed_manifest`), read from the `partial_parse.msgpack` that
   the same `dbt parse` wrote beside it, and only while it still matches:
   the same parse as the loaded manifest.json, no project file or
   profiles.yml newer than it, the env vars the project read unchanged, and
   the current target's adapter, database and schema the ones it was parsed
   for. Otherwise dbt parses as the CLI does. `--vars` still apply at run
   time: dbt renders model SQL and hooks when it runs them; what it renders
   at parse time (`config()` arguments, test arguments) must not read the
   run's vars, and in this project none does (the partition vars are read by
   the models' SQL and pre-hooks only).
3. No other library's state changed behind its back: dbt gets
   its folders as arguments (`--target-path`, `--log-path`, `--project-dir`,
   `--profiles-dir`), not through `os.environ`; nothing in dagster-dbt is
   replaced. The one dagster-dbt internal used is how `DbtCliResource.cli`
   turns a Dagster context into dbt selection arguments
   (`dagster_dbt.asset_utils`, `_selection_for_context` below): copying
   that logic would drift from dagster-dbt's. tests/unit/test_fast_dbt.py
   fails if an upgrade renames it. Events are `DbtCoreCliEventMessage`, the
   dbt Core subclass of the exported `DbtCliEventMessage`, built as
   dagster-dbt's own `stream_raw_events()` builds them.

How a command runs (`InProcessDbtInvocation`):

- dbt runs in a thread, and the run's thread reads its events from a queue,
  so Dagster sees them as dbt emits them, as it does from a child's stdout.
- Stopping: when Dagster interrupts the run (run termination, Ctrl-C) while
  it waits for dbt, the invocation does what dbt does on Ctrl-C, with dbt's
  public adapter API: it cancels the statements running in the warehouse
  (`adapter.cancel_open_connections()`), and no new statement starts (the
  event dbt fires before each statement raises). Then the interrupt goes on.
- No traceback on any path. A runner with dbt in a thread prints
  `sqlite3.ProgrammingError: SQLite objects created in a thread` tracebacks
  under `execute_in_process` with an ephemeral instance, most when dbt
  parses: Python's garbage collector runs in dbt's thread and finalises
  Dagster's SQLite connections there. So while
  dbt runs, the run's thread does the collecting
  (`garbage_collected_in_this_thread`, the one process-wide setting this
  module touches, and put back after). tests/dagster/test_fast_dbt.py
  proves it with a connection left for the collector while dbt parses, and
  runs `execute_in_process` with the manifest reused and parsed.
- After the command, the warehouse seam releases what dbt's adapter keeps in
  the process (`Warehouse.release_dbt_resources`: dbt-duckdb's shared
  database handle, dbt-spark's session), as a dbt process's exit would.
- dbt supports one programmatic invocation at a time per process; a second
  one while another runs is refused with a clear error.

Also here, because every run pays them otherwise:

- One dbt target folder per set of `--vars`, pruned to
  DBT_KEEP_INVOCATION_TARGETS (default 20): a re-run of the same window
  finds its own partial-parse file when the manifest cannot be reused.
- `prepare_manifest()`: under `dg dev`, parse only when a project file is
  newer than the manifest (dagster-dbt's `prepare_if_dev()` parses in every
  run worker).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import queue
import re
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtCliRuntimeError, DagsterDbtTranslator, DbtCliResource, DbtProject
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from dagster_project.lib import settings

PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# dbt's log levels that a dbt process prints with its default --log-level:
# what dagster-dbt sees on a child's stdout.
_PRINTED_LEVELS = {"info", "warn", "error"}
# How long an interrupted command may take to stop before the interrupt goes
# on regardless (dagster-dbt waits as long for a child).
STOP_TIMEOUT_SECONDS = 25.0


def dbt_cli_resource(project: DbtProject) -> DbtCliResource:
    """The project's dbt resource: in-process (FAST_DBT, the default), or dagster-dbt's own."""
    if settings.fast_dbt():
        return InProcessDbtCliResource(project_dir=project)
    return DbtCliResource(project_dir=project)


def prepare_manifest(project: DbtProject) -> None:
    """Under `dagster dev`, parse the dbt project if it changed since the manifest."""
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


# --- the manifest dbt runs with -------------------------------------------------------


def preparsed_manifest(
    loaded: Mapping[str, Any], project_dir: Path, profiles_dir: Path, manifest_dir: Path
) -> Any | None:
    """The dbt `Manifest` of the parse Dagster loaded (`loaded`, its manifest.json), if
    it still matches the project files and the current target; else None (dbt parses).

    `manifest_dir` holds that manifest.json and the partial_parse.msgpack the same
    `dbt parse` wrote; the msgpack is dbt's own serialisation of the parsed
    project. A new object per call: dbt writes compiled SQL into the one it runs.
    """
    msgpack = manifest_dir / PARTIAL_PARSE_FILE
    if not manifest_is_fresh(msgpack, project_dir, profiles_dir / "profiles.yml"):
        return None
    from dbt.contracts.graph.manifest import Manifest

    try:
        manifest = Manifest.from_msgpack(msgpack.read_bytes())
    except Exception:  # another dbt version's file, or half written: parse instead
        return None
    if manifest.metadata.invocation_id != loaded.get("metadata", {}).get("invocation_id"):
        return None
    if any(os.environ.get(name) != value for name, value in manifest.env_vars.items()):
        return None
    if not _parsed_for_current_target(manifest, project_dir, profiles_dir):
        return None
    return manifest


def _parsed_for_current_target(manifest: Any, project_dir: Path, profiles_dir: Path) -> bool:
    """Whether the manifest's adapter, database and schema are the current target's.

    The parse writes them into every relation name (a DuckDB database is
    named after its file), so a manifest parsed for another target or file
    would run its SQL against the wrong tables.
    """
    from dagster_project.lib.warehouse import dbt_profile_target

    try:
        _, credentials = dbt_profile_target(os.environ, project_dir, profiles_dir)
    except Exception:  # dbt reports a broken profile better than we could
        return False
    if credentials.type != manifest.metadata.adapter_type:
        return False
    project = manifest.metadata.project_name
    for node in manifest.nodes.values():
        if node.package_name != project or node.resource_type not in ("model", "seed", "snapshot"):
            continue
        if node.config.database is None and node.database != credentials.database:
            return False
        if node.config.schema is None and node.schema != credentials.schema:
            return False
    return True


# --- per-vars target folders ----------------------------------------------------------

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


# --- the resource ---------------------------------------------------------------------


class InProcessDbtCliResource(DbtCliResource):
    """DbtCliResource whose `cli()` runs this environment's dbt-core in the run's process."""

    def runs_dbt_in_process(self) -> bool:
        """True when the executable is the dbt-core installed beside this Python."""
        return _is_this_environments_dbt(self.dbt_executable)

    def target_dir(self) -> Path:
        """dbt's target folder, as dagster-dbt resolves it (DBT_TARGET_PATH or target/)."""
        return Path(self.project_dir, os.environ.get("DBT_TARGET_PATH", "target"))

    def cli(
        self,
        args: Sequence[str],
        *,
        raise_on_error: bool = True,
        manifest: Mapping[str, Any] | str | Path | None = None,
        dagster_dbt_translator: DagsterDbtTranslator | None = None,
        context: dg.OpExecutionContext | dg.AssetExecutionContext | None = None,
        target_path: Path | None = None,
    ) -> Any:
        """As `DbtCliResource.cli`, with dbt in this process: returns an invocation whose
        `stream()`, `wait()`, `is_successful()`, `get_error()` and `get_artifact()`
        behave as dagster-dbt's."""
        if not self.runs_dbt_in_process():
            return super().cli(
                args,
                raise_on_error=raise_on_error,
                manifest=manifest,
                dagster_dbt_translator=dagster_dbt_translator,
                context=context,
                target_path=target_path,
            )
        translator = dagster_dbt_translator or DagsterDbtTranslator()
        if isinstance(manifest, (str, Path)):
            manifest = json.loads(Path(manifest).read_text())
        selection = _selection_for_context(context, manifest or {}, translator, args)
        project_dir = Path(
            selection.dbt_project.project_dir if selection.dbt_project else self.project_dir
        )
        op_name = _op_name(context)
        if target_path is None:
            name = vars_folder_name(op_name, args) if op_name else None
            target_path = self.target_dir() / (name or _unique_folder_name(context))
        if not target_path.is_absolute():
            target_path = project_dir / target_path
        if target_path.is_dir():  # reused: make it the newest, so pruning keeps it
            os.utime(target_path)
        # Keep one fewer than the limit: this invocation may make a folder.
        prune_invocation_dirs(self.target_dir(), max(settings.keep_invocation_targets() - 1, 0))
        profiles_dir = Path(self.profiles_dir or project_dir).resolve()
        command = [
            # dagster-dbt sets this in a child's environment; here it is dbt's flag.
            "--no-send-anonymous-usage-stats",
            *self.global_config_flags,
            *selection.cleaned_args,
            *(["--profile", self.profile] if self.profile else []),
            *(["--target", self.target] if self.target else []),
            *selection.selection_args,
            *(["--indirect-selection", selection.indirect_selection] if selection.indirect else []),
            *["--project-dir", str(project_dir), "--profiles-dir", str(profiles_dir)],
            *["--target-path", str(target_path), "--log-path", str(target_path)],
        ]
        manifest_dir = Path(
            selection.dbt_project.manifest_path.parent
            if selection.dbt_project
            else project_dir / "target"
        )
        return InProcessDbtInvocation(
            command=command,
            manifest=selection.manifest,
            dagster_dbt_translator=selection.dagster_dbt_translator,
            context=context,
            project=selection.dbt_project,
            target_path=target_path,
            raise_on_error=raise_on_error,
            preparsed=lambda: preparsed_manifest(
                selection.manifest, project_dir, profiles_dir, manifest_dir
            ),
        )


def _unique_folder_name(context: dg.OpExecutionContext | dg.AssetExecutionContext | None) -> str:
    """dagster-dbt's per-invocation folder name: `<op>-<run id[:7]>-<uuid[:7]>`."""
    current = uuid.uuid4().hex[:7]
    if context is None:
        return current
    return f"{_op_name(context)}-{context.run.run_id[:7]}-{current}"


def _op_name(context: dg.OpExecutionContext | dg.AssetExecutionContext | None) -> str | None:
    if context is None:
        return None
    return getattr(context, "op_execution_context", context).op.name


class _Selection:
    """What `DbtCliResource.cli` derives from the context: selection args, manifest, ..."""

    def __init__(self, cleaned_args: list[str], params: Any) -> None:
        self.cleaned_args = cleaned_args
        self.manifest: Mapping[str, Any] = params.manifest
        self.dagster_dbt_translator: DagsterDbtTranslator = params.dagster_dbt_translator
        self.selection_args: list[str] = list(params.selection_args)
        self.indirect_selection: str | None = params.indirect_selection
        self.dbt_project: DbtProject | None = params.dbt_project

    @property
    def indirect(self) -> bool:
        return bool(self.indirect_selection) and self.indirect_selection != os.environ.get(
            "DBT_INDIRECT_SELECTION"
        )


def _selection_for_context(
    context: dg.OpExecutionContext | dg.AssetExecutionContext | None,
    manifest: Mapping[str, Any],
    translator: DagsterDbtTranslator,
    args: Sequence[str],
) -> _Selection:
    """dagster-dbt's own selection for a context: THE one dagster-dbt internal used.

    `DbtCliResource.cli` turns the context's selected assets and checks into
    `--select`/`--exclude` (or a generated selector) and an indirect-selection
    mode with these two functions; no public API exposes them in 0.29.
    """
    from dagster_dbt.asset_utils import (
        extract_runtime_selection_from_args,
        get_updated_cli_invocation_params_for_context,
    )

    cleaned, selects, excludes = extract_runtime_selection_from_args(args)
    params = get_updated_cli_invocation_params_for_context(
        context=context,
        manifest=manifest,
        dagster_dbt_translator=translator,
        runtime_selects=selects,
        runtime_excludes=excludes,
    )
    return _Selection(cleaned, params)


def _is_this_environments_dbt(executable: str) -> bool:
    """True when `executable` is the dbt script installed beside this Python, with dbt-core."""
    try:
        import dbt.version  # noqa: F401
    except ImportError:  # dbt Fusion only
        return False
    found = shutil.which(executable)
    if found is None:
        return False
    here = Path(sys.executable).parent
    return Path(found).resolve().parent in {here, here.resolve()}


# --- one command ----------------------------------------------------------------------

_one_at_a_time = threading.Lock()


class StopDbt(Exception):
    """Raised in dbt's thread, before its next statement, once the run was interrupted."""


class InProcessDbtInvocation:
    """One dbt command running in this process: dagster-dbt's `DbtCliInvocation`, minus the
    child process. dbt starts on the first read of its events (`stream()`, `wait()`).
    """

    def __init__(
        self,
        *,
        command: list[str],
        manifest: Mapping[str, Any],
        dagster_dbt_translator: DagsterDbtTranslator,
        context: dg.OpExecutionContext | dg.AssetExecutionContext | None,
        project: DbtProject | None,
        target_path: Path,
        raise_on_error: bool,
        preparsed: Callable[[], Any | None],
    ) -> None:
        self.command = command
        self.manifest = manifest
        self.dagster_dbt_translator = dagster_dbt_translator
        self.context = context
        self.project = project
        self.target_path = target_path
        self.raise_on_error = raise_on_error
        self._preparsed = preparsed
        self.used_preparsed_manifest: bool | None = None
        self._events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._error_messages: list[str] = []
        self._seen: list[DbtCoreCliEventMessage] | None = None
        self._adapter_type: str | None = None
        self.result: Any = None

    @property
    def dbt_command(self) -> str:
        """The command, as `dbt <args>`."""
        return " ".join(["dbt", *self.command])

    # dagster-dbt's DbtCliInvocation API, as far as assets use it

    def stream(self) -> Iterator[Any]:
        """Dagster events for dbt's results, translated by dagster-dbt, as dbt emits them."""
        for event in self.stream_raw_events():
            yield from event.to_default_asset_events(
                manifest=self.manifest,
                dagster_dbt_translator=self.dagster_dbt_translator,
                context=self.context,
                target_path=self.target_path,
                project=self.project,
            )

    def stream_raw_events(self) -> Iterator[DbtCoreCliEventMessage]:
        """dbt's events (those a dbt process prints) as dagster-dbt's event messages."""
        if self._seen is not None:  # already ran (wait(), is_successful())
            yield from self._seen
            self._raise_on_error()
            return
        seen: list[DbtCoreCliEventMessage] = []
        for raw in self._run():
            event = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
            seen.append(event)
            yield event
        self._seen = seen
        self._raise_on_error()

    def wait(self) -> InProcessDbtInvocation:
        """Run dbt to the end."""
        for _ in self.stream_raw_events():
            pass
        return self

    def is_successful(self) -> bool:
        if self._seen is None:
            with contextlib.suppress(DagsterDbtCliRuntimeError):
                self.wait()
        return bool(self.result is not None and self.result.success)

    def get_error(self) -> Exception | None:
        """dagster-dbt's error for a failed command (the same wording), else None."""
        if self.is_successful():
            return None
        log_path = self.target_path / "dbt.log"
        extra = f", or view the dbt debug log: {log_path}" if log_path.exists() else ""
        messages = self._error_messages or (
            [str(self.result.exception)] if self.result and self.result.exception else []
        )
        details = "\n\n".join(["", "Errors parsed from dbt logs:", *messages]) if messages else ""
        return DagsterDbtCliRuntimeError(
            description=(
                f"The dbt command\n\n`{self.dbt_command}`\n\nfailed in this process. Check "
                f"the stdout in the Dagster compute logs for the full information about the "
                f"error{extra}.{details}"
            )
        )

    def get_artifact(self, artifact: str) -> dict[str, Any]:
        """A dbt artifact (run_results.json, ...) of this command's target folder."""
        return json.loads((self.target_path / artifact).read_text())

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
        """Stop dbt as Ctrl-C stops the CLI; True once dbt's thread has ended.

        No new statement starts (the event before each raises `StopDbt`), and
        the running ones are cancelled in the warehouse, again until dbt ends:
        a node that started meanwhile is cancelled too.
        """
        self._stopping.set()
        deadline = time.monotonic() + timeout
        while self._thread is not None and self._thread.is_alive():
            self._cancel_open_statements()
            self._thread.join(0.5)
            if time.monotonic() > deadline:
                break
        return self._thread is None or not self._thread.is_alive()

    # the machinery

    def _run(self) -> Iterator[dict[str, Any]]:
        if not _one_at_a_time.acquire(blocking=False):
            raise RuntimeError(
                f"dbt is already running in this process; cannot start `{self.dbt_command}`. "
                "In-process dbt runs one command at a time: finish reading the first "
                "command's events, or set FAST_DBT=false to run dbt as a child process."
            )
        try:
            manifest = self._preparsed()
            self.used_preparsed_manifest = manifest is not None
            self._thread = threading.Thread(
                target=self._invoke, args=(manifest,), name="dbt", daemon=True
            )
            with garbage_collected_in_this_thread() as collect:
                self._thread.start()
                try:
                    while True:
                        collect()
                        try:
                            raw = self._events.get(timeout=0.2)
                        except queue.Empty:
                            continue
                        if raw is None:
                            break
                        yield raw
                except BaseException:  # Dagster's interrupt, Ctrl-C, or the reader went away
                    self.stop()
                    raise
                self._thread.join()
                collect()
        finally:
            _one_at_a_time.release()

    def _invoke(self, manifest: Any) -> None:
        from dbt.cli.main import dbtRunner, dbtRunnerResult

        try:
            self.result = dbtRunner(manifest=manifest, callbacks=[self._on_event]).invoke(
                self.command
            )
        except BaseException as error:  # never leave the reader waiting
            self.result = dbtRunnerResult(success=False, exception=error)
        finally:
            try:
                _release_dbt_resources()
            finally:
                self._events.put(None)

    def _on_event(self, msg: Any) -> None:
        """dbt's callback, in whichever dbt thread fires the event."""
        name = msg.info.name
        if name == "AdapterRegistered":
            self._adapter_type = msg.data.adapter_name
        if self._stopping.is_set() and name == "SQLQuery":
            raise StopDbt("stopped: the Dagster run was interrupted")
        if msg.info.level not in _PRINTED_LEVELS:
            return
        from dbt_common.events.functions import msg_to_dict

        raw = msg_to_dict(msg)
        if raw.get("info", {}).get("level") == "error":
            self._error_messages.append(raw["info"].get("msg", ""))
        self._events.put(raw)

    def _cancel_open_statements(self) -> None:
        """What dbt does on Ctrl-C: cancel every open connection's statement."""
        if self._adapter_type is None:
            return
        from dbt.adapters.factory import get_adapter_by_type

        try:
            adapter = get_adapter_by_type(self._adapter_type.lower())
            with adapter.connection_named("dagster-stop"):
                adapter.cancel_open_connections()
        except Exception as error:  # dbt may be tearing its adapter down
            dg.get_dagster_logger().debug(f"Cancelling dbt's statements: {error}")

    def _raise_on_error(self) -> None:
        error = self.get_error()
        if error is not None and self.raise_on_error:
            raise error


@contextlib.contextmanager
def garbage_collected_in_this_thread() -> Iterator[Callable[[], None]]:
    """Within the block, Python's garbage collector runs only when the caller calls the
    function yielded, in the caller's thread: the one process-wide setting touched.

    CPython collects cyclic garbage in whichever thread allocates past a
    threshold, and dbt allocates a great deal (a parse, most of all). Garbage
    the run's thread made (Dagster's SQLAlchemy connections to SQLite, which
    an ephemeral instance and `dg dev`'s run storage use) would then be
    finalised in dbt's thread, and sqlite3 refuses to close a connection from
    another thread: "SQLite objects created in a thread can only be used in
    that same thread", a traceback per connection. So while dbt's thread runs,
    automatic collection is off and the run's thread collects what is due
    each time it reads dbt's events (at least every 0.2 s). The setting is
    put back as it was, also when the run is interrupted.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield collect_what_is_due
    finally:
        if was_enabled:
            gc.enable()


def collect_what_is_due() -> None:
    """Collect, in this thread, the oldest generation past its threshold (as CPython would)."""
    due = [
        generation
        for generation, (count, threshold) in enumerate(
            zip(gc.get_count(), gc.get_threshold(), strict=False)
        )
        if threshold and count > threshold
    ]
    if due:
        gc.collect(max(due))


def _release_dbt_resources() -> None:
    """What a dbt process lets go of when it exits: the warehouse seam's per-target hook."""
    from dagster_project.lib.warehouse import release_dbt_resources

    release_dbt_resources()
