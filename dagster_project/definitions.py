"""The code location: every definition is loaded from the `defs/` folder.

`dg dev`, `dg launch` and the `dagster` CLI (`-m dagster_project.definitions`)
load `defs` from here; [tool.dg] in pyproject.toml names the folder.
"""

from pathlib import Path

import dagster as dg

defs = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
