"""One dbt command in this process: dagster-dbt's `DbtCliInvocation`, minus the child.

dbt runs in a thread and the run's thread reads its events from a queue, so
Dagster sees them as dbt emits them, as it does from a child's stdout. When
Dagster interrupts the run while it waits for dbt, the invocation does what
dbt does on Ctrl-C, with dbt's public adapter API: it cancels the statements
running in the warehouse (`adapter.cancel_open_connections()`) and no new
statement starts (the event dbt fires before each statement raises); then
the interrupt goes on.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtCliRuntimeError, DagsterDbtTranslator, DbtProject
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from dagster_project.lib.in_process_dbt.garbage_collection import garbage_collected_in_this_thread
from dagster_project.lib.warehouse import release_dbt_resources

# dbt's log levels that a dbt process prints with its default --log-level:
# what dagster-dbt sees on a child's stdout.
_PRINTED_LEVELS = {"info", "warn", "error"}
# How long an interrupted command may take to stop before the interrupt goes
# on regardless (dagster-dbt waits as long for a child).
STOP_TIMEOUT_SECONDS = 25.0

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
                "command's events, or set IN_PROCESS_DBT=false to run dbt as a child process."
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
                release_dbt_resources()
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
