"""The dbt resource whose `cli()` runs dbt in the run's process, and the one
dagster-dbt internal it uses: how `DbtCliResource.cli` selects for a context."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject
from dagster_dbt.asset_utils import (
    extract_runtime_selection_from_args,
    get_updated_cli_invocation_params_for_context,
)

from dagster_project.lib import settings
from dagster_project.lib.in_process_dbt.invocation import InProcessDbtInvocation
from dagster_project.lib.in_process_dbt.manifest_reuse import preparsed_manifest
from dagster_project.lib.in_process_dbt.target_folders import (
    prune_invocation_dirs,
    unique_folder_name,
    vars_folder_name,
)


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
            if name is None:
                run_id = context.run.run_id if context is not None else None
                name = unique_folder_name(op_name, run_id)
            target_path = self.target_dir() / name
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
