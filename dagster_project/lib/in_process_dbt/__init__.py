"""In-process dbt: a Dagster run of dbt costs what its SQL costs.

The reference code (`dagster_project/defs/dbt.py`, `dagster_project/lib/dbt_build.py`)
is plain dagster-dbt: `dbt.cli([...], context=context).stream()`. The resource
here answers that call by running dbt inside the run's own process, through
dbt's public programmatic API, instead of starting a `dbt` child process:

    dbtRunner(manifest=<the parsed project>, callbacks=[<collect events>])
        .invoke([<the command dagster-dbt would have run>])

and turns dbt's events into Dagster events with dagster-dbt's own types and
translation. `IN_PROCESS_DBT=false` switches all of it off: the resource is
then dagster-dbt's `DbtCliResource`. docs/performance.md has the figures.

What it saves, per run, and where:

- `resource.py`: no child process (about 1.5 s: a new Python that imports
  dbt again, and dagster-dbt's `dbt --version`). Only the dbt-core installed
  beside this Python runs in-process; another executable (dbt Fusion,
  another virtual environment) runs as dagster-dbt runs it. dbt gets its
  folders as arguments, never through `os.environ`, and the one dagster-dbt
  internal used is how `DbtCliResource.cli` turns a context into dbt
  selection arguments (tests/unit/test_in_process_dbt.py fails if an
  upgrade renames it).
- `manifest_reuse.py`: no dbt parse (about 2 s for a window not run before:
  dbt re-parses when `--vars` change). dbt runs with the manifest Dagster
  loaded, while it still matches the project files, the env vars the
  project read and the current target; otherwise dbt parses as the CLI
  does. `--vars` still apply at run time: nothing this project renders at
  parse time (`config()` arguments, test arguments) reads them.
- `target_folders.py`: one dbt target folder per set of `--vars`, pruned to
  DBT_KEEP_INVOCATION_TARGETS, so a re-run of a window finds its own
  partial-parse file when the manifest cannot be reused.

How a command runs (`invocation.py`): dbt in a thread, its events read from
a queue by the run's thread as dbt emits them. An interrupted run (run
termination, Ctrl-C) stops dbt as Ctrl-C does: no new statement starts and
the running ones are cancelled in the warehouse. One command at a time per
process (dbt's own limit); after it, the warehouse seam releases what dbt's
adapter keeps in the process (`Warehouse.release_dbt_resources`), as a dbt
process's exit would. While dbt runs, Python's garbage collector runs only
in the run's thread (`garbage_collection.py`): otherwise Dagster's SQLite
connections are finalised in dbt's thread, a traceback each.
"""

from __future__ import annotations

from dagster_dbt import DbtCliResource, DbtProject

from dagster_project.lib import settings
from dagster_project.lib.in_process_dbt.resource import InProcessDbtCliResource


def dbt_cli_resource(project: DbtProject) -> DbtCliResource:
    """The project's dbt resource: in-process (IN_PROCESS_DBT, the default), or dagster-dbt's."""
    if settings.in_process_dbt():
        return InProcessDbtCliResource(project_dir=project)
    return DbtCliResource(project_dir=project)
