"""The dbt project, as dagster-dbt sees it."""

from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project.duckdb_path import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
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


dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=REPO_ROOT)

# Under `dagster dev` this runs `dbt parse` when a file of the project changed
# since the manifest was written, so edits show up on reload. dagster-dbt's
# prepare_if_dev() alone parses on every code load, and `dagster dev` loads the
# code again in every run worker: about 3 s per run for an unchanged project.
# A production import only reads target/manifest.json, which the deploy (or
# the tests' conftest) prepares with `dbt_project.preparer.prepare`.
if not manifest_is_fresh(dbt_project.manifest_path, DBT_PROJECT_DIR, REPO_ROOT / "profiles.yml"):
    dbt_project.prepare_if_dev()
