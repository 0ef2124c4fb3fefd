"""The dbt project, as dagster-dbt sees it."""

from dagster_dbt import DbtProject

from dagster_project.duckdb_path import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=REPO_ROOT)

# Under `dagster dev` this runs `dbt parse` so edits to the SQL show up on
# reload; a production import only reads target/manifest.json, which the
# deploy (or the tests' conftest) prepares with `dbt_project.preparer.prepare`.
dbt_project.prepare_if_dev()
