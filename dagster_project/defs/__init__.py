"""Every Dagster definition of the code location, one module per concern.

Loading them starts with the dbt manifest they are read from: under `dg dev`
it is parsed again when a project file changed, so edits show up on reload.
"""

from dagster_project.lib.project import dbt_project, prepare_manifest

prepare_manifest(dbt_project)
