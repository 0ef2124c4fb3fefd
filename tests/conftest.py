"""Fixtures: a dbt manifest before the tests import Dagster, and a database per test.

- `pytest_configure` writes dbt_project/target/manifest.json when the project
  changed: test modules import the Dagster definitions, which read it.
- `dbt_environment` (every test): this worker's own dbt target and log folders.
- `db` (raw tables and the unpartitioned models), `raw_db` (raw tables only),
  `empty_db` (no tables): this test's own database, a `TestWarehouse`
  (tests/support/warehouse.py), copied from a template made once per worker.
  Its `.env` is in os.environ for the test, so Dagster in this process, and
  any dbt or `dagster` process the test starts, use it. `second_db` is one
  more like `db`, for tests that compare two ways in.
- `instance`: a throwaway Dagster instance.

Tests marked `every_warehouse` run once per adapter in `ADAPTERS` (DuckDB and a
real PostgreSQL server, `postgres_server`), and those also marked `spark` on
a local Spark cluster through its Thrift server (`spark_cluster`: one per
test session) and on local Spark in the session (`spark_metastore`: one Java
process per worker; `spark(session=False)` skips it: the cluster is faster);
`postgres_only` ones run on Postgres alone; every other test on DuckDB.
The local Spark cases run on one xdist worker, the cluster cases on one
worker (`pytest_xdist_make_scheduler`).

`--quick` (`scripts/test --quick`) keeps the quick tier: tests/unit and the
tests marked `quick`, their DuckDB cases only (`_in_quick_tier`).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from dagster_project.lib.generator import GeneratorConfig
from dagster_project.lib.in_process_dbt.manifest_reuse import preparsed_manifest
from dagster_project.lib.project import DBT_PROJECT_DIR, PROFILES_DIR, dbt_project
from harness.postgres_server import PostgresServer, postgres_bin_dir, running_postgres
from harness.spark import spark_missing
from scripts.spark_cluster import Cluster
from tests.support.dbt import run_dbt
from tests.support.scheduling import GroupsOnOneWorker, run_order
from tests.support.spark import SparkMetastore
from tests.support.spark_thrift import running_cluster
from tests.support.warehouse import ADAPTERS, SPARK, SPARK_THRIFT, TestWarehouse, empty_warehouse


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--quick",
        action="store_true",
        help="the quick tier: tests/unit and the tests marked `quick`, their DuckDB cases only",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "duckdb_only: about DuckDB itself (its file lock, its writer process, its path "
        "rule); runs on DuckDB only",
    )
    config.addinivalue_line(
        "markers",
        "every_warehouse: the core semantics; runs once per adapter in ADAPTERS (DuckDB and "
        "a real PostgreSQL server); other tests run on DuckDB only",
    )
    config.addinivalue_line(
        "markers",
        "postgres_only: about a server warehouse's many writers; runs on PostgreSQL only",
    )
    config.addinivalue_line(
        "markers",
        "quick: in the quick tier (`scripts/test --quick`, with every unit test): one or two "
        "tests of each path, run on DuckDB only",
    )
    config.addinivalue_line(
        "markers",
        "spark_cluster: about the local Spark cluster itself (its workers, its server, "
        "faults); runs on the spark_thrift target only",
    )
    config.addinivalue_line(
        "markers",
        "spark(session=True): the core semantics on a local Spark cluster (Thrift server) "
        "too, and on local Spark in the session unless session=False (one of each: CI's "
        "time budget); `-m spark` runs them",
    )
    _prepare_manifest()


def _prepare_manifest() -> None:
    """Write target/manifest.json unless it is one the in-process runner would reuse
    for the default target: parsed from the current project files, for DuckDB's
    `jaffle_shop` database (not after scripts/dev on Postgres, the benchmark,
    or a `dbt` run with another DUCKDB_PATH).

    The way a deploy would (`dg dev` does it on load), for the default target:
    the tests choose each database's target themselves. xdist workers start at
    once: the first parses under a lock, the others then find the manifest
    fresh, so none reads a half-written file.
    """
    lock_path = DBT_PROJECT_DIR / "target" / ".prepare.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock, pytest.MonkeyPatch.context() as patch:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for name in ("DBT_TARGET", "DUCKDB_PATH"):
            patch.delenv(name, raising=False)
        path = dbt_project.manifest_path
        loaded = json.loads(path.read_text()) if path.exists() else {}
        if preparsed_manifest(loaded, DBT_PROJECT_DIR, PROFILES_DIR, path.parent) is None:
            dbt_project.preparer.prepare(dbt_project)


# The tests that take minutes each: a real `dg dev`, a browser, the crash test.
_LONG = ("e2e", "browser", "slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With --quick, keep only the quick tier; then the order xdist hands the tests out
    in (tests/support/scheduling.py): the long tests first, then the Spark cases, so
    the short ones fill in, and the `dg dev` tests spread through them."""
    if config.getoption("quick"):
        config.hook.pytest_deselected(items=[i for i in items if not _in_quick_tier(i)])
        items[:] = [i for i in items if _in_quick_tier(i)]
    items[:] = run_order(items, lambda item: any(item.get_closest_marker(m) for m in _LONG))


_UNIT = Path(__file__).parent / "unit"


def _in_quick_tier(item: pytest.Item) -> bool:
    """A unit test, or marked `quick`; and on DuckDB (a marker alone would take every
    warehouse's case)."""
    callspec = getattr(item, "callspec", None)
    adapter = callspec.params.get("adapter", "duckdb") if callspec else "duckdb"
    chosen = item.path.is_relative_to(_UNIT) or item.get_closest_marker("quick") is not None
    return chosen and adapter == "duckdb"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup`: each Spark group on one worker, every other test singly.

    xdist's own `xdist_group` marker is lost on pytest 9.2; why, and what
    this does instead: tests/support/scheduling.py. Another --dist: xdist's.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    return GroupsOnOneWorker(config, log)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each `every_warehouse` test once per adapter (and on Spark if marked
    `spark`), `postgres_only` tests on Postgres, the others on DuckDB."""
    if "adapter" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker
        if marker("spark_cluster") is not None:
            adapters = []  # the cluster's own tests: spark(session=False) below adds it
        elif marker("postgres_only") is not None:
            adapters = ["postgres"]
        elif marker("every_warehouse") is not None and marker("duckdb_only") is None:
            adapters = list(ADAPTERS)
        else:
            adapters = ["duckdb"]
        spark = marker("spark")
        if spark is not None:
            adapters += [SPARK_THRIFT] + ([SPARK] if spark.kwargs.get("session", True) else [])
        metafunc.parametrize("adapter", adapters, indirect=True, scope="session")


@pytest.fixture(scope="session", autouse=True)
def dbt_environment() -> Iterator[Path]:
    """The environment every dbt run of this worker shares; returns its dbt target folder.

    Workers run in parallel (pytest-xdist): dbt from the CLI, from Dagster in
    this process, or from a `dagster dev` a test starts writes its manifest,
    partial-parse file and per-run folders under the worker's own folder. No
    DBT_TARGET from the shell: each test database's `.env` says which target.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    folder = DBT_PROJECT_DIR / "target" / f"pytest-{worker}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(folder))
        patch.setenv("DBT_LOG_PATH", str(folder / "logs"))
        patch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        patch.delenv("DBT_TARGET", raising=False)
        yield folder


@pytest.fixture(scope="session")
def adapter(request: pytest.FixtureRequest) -> str:
    """The dbt adapter of the warehouse this test runs on (parametrized by
    pytest_generate_tests): "duckdb", "postgres" or "spark"."""
    return request.param


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """This worker's throwaway PostgreSQL server on a unix socket, stopped at the end.

    Without Debian's server binaries the Postgres tests skip, and fail when
    CI is set (.ci/run installs the `postgresql` package).
    """
    if postgres_bin_dir() is None:
        message = "No PostgreSQL server: install Debian's postgresql package."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Not under pytest's temporary folder: the server runs as the postgres
    # user, who cannot enter root's 0700 folders.
    folder = Path(tempfile.mkdtemp(prefix="pytest-postgres-"))
    folder.chmod(0o755)
    try:
        with running_postgres(folder / "cluster") as server:
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def spark_metastore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkMetastore]:
    """This worker's Spark metastore and tables, opened by its one Java process, ended at the end.

    Started by the first Spark test a worker runs: a worker without one starts
    no Java. Without Java or pyspark the Spark tests skip, and fail when CI is
    set (.ci/run installs both).
    """
    reason = spark_missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    metastore = SparkMetastore(tmp_path_factory.mktemp("spark"))
    try:
        yield metastore
    finally:
        metastore.stop()


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A local Spark cluster (master, two workers, Thrift server) on free ports, stopped at the end.

    Started by the first cluster case, with the project's own command
    (scripts/spark_cluster.py), in the session's temporary folder; every
    cluster case runs on one xdist worker, so one cluster serves them all.
    Without Java or pyspark the cases skip, and fail when CI is set.
    """
    reason = spark_missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with running_cluster(tmp_path_factory.mktemp("spark-cluster")) as cluster:
        yield cluster


def _server(
    request: pytest.FixtureRequest, adapter: str
) -> PostgresServer | SparkMetastore | Cluster | None:
    """What a database on `adapter` lives in: the worker's Postgres server, Spark metastore or
    Spark cluster."""
    if adapter == "postgres":
        return request.getfixturevalue("postgres_server")
    if adapter == SPARK:
        return request.getfixturevalue("spark_metastore")
    if adapter == SPARK_THRIFT:
        return request.getfixturevalue("spark_cluster")
    return None


@pytest.fixture(scope="session")
def raw_template(
    request: pytest.FixtureRequest,
    adapter: str,
    tmp_path_factory: pytest.TempPathFactory,
    dbt_environment: Path,
) -> Iterator[TestWarehouse]:
    """The raw tables only, default generator settings; copied, never written."""
    folder = tmp_path_factory.mktemp(adapter)
    template = empty_warehouse(adapter, "raw_template", folder, _server(request, adapter))
    template.write_raw(GeneratorConfig())
    yield template
    template.drop()


@pytest.fixture(scope="session")
def built_template(raw_template: TestWarehouse) -> Iterator[TestWarehouse]:
    """The raw tables plus every unpartitioned model, built by the dbt CLI."""
    template = raw_template.copy("built_template")
    # The partitioned (incremental) models are left for the tests to build.
    run_dbt(["build", "--exclude", "config.materialized:incremental"], template)
    yield template
    template.drop()


@pytest.fixture
def db(
    built_template: TestWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestWarehouse]:
    """This test's own database: raw tables and the unpartitioned models, no partitioned one."""
    yield from own_copy(built_template, tmp_path.name, monkeypatch)


@pytest.fixture
def raw_db(
    raw_template: TestWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestWarehouse]:
    """This test's own database with the raw tables only."""
    yield from own_copy(raw_template, tmp_path.name, monkeypatch)


@pytest.fixture
def empty_db(
    request: pytest.FixtureRequest,
    adapter: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[TestWarehouse]:
    """This test's own database with no tables at all (DuckDB: no file yet)."""
    db = empty_warehouse(adapter, tmp_path.name, tmp_path, _server(request, adapter))
    for key, value in db.env.items():
        monkeypatch.setenv(key, value)
    yield db
    db.drop()


@pytest.fixture
def second_db(built_template: TestWarehouse, tmp_path: Path) -> Iterator[TestWarehouse]:
    """Another database like `db`, for tests that compare two ways in; its env is not set."""
    db = built_template.copy(f"{tmp_path.name}_second")
    yield db
    db.drop()


def own_copy(
    template: TestWarehouse, name: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestWarehouse]:
    """A copy of `template` named `name`, its env in os.environ until the test ends."""
    copy = template.copy(name)
    for key, value in copy.env.items():
        monkeypatch.setenv(key, value)
    yield copy
    copy.drop()


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """A throwaway Dagster instance: run and event storage in a temporary folder."""
    with dg.instance_for_test() as test_instance:
        yield test_instance
