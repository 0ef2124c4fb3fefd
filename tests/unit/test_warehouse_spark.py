"""The warehouse seam for Spark, read from dbt's own profile: no Java, no Spark session.

The profile's SPARK_DIR rule, the pool limit, the sensor's read of raw_stores
(DuckDB over its parquet files, so the code server never starts Java) and the
failure messages. Needs pyspark installed (the spark extra), not Java.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib import settings
from dagster_project.lib.project import REPO_ROOT
from dagster_project.lib.warehouse import warehouse
from dagster_project.lib.warehouse.contract import Unavailable

# Skipped without pyspark, except in CI (then the import below fails the run).
if importlib.util.find_spec("pyspark") is None and not os.environ.get("CI"):
    pytest.skip(
        "No pyspark: install the spark extra (pip install -e '.[spark]').", allow_module_level=True
    )

from dagster_project.lib.warehouse.spark import SparkWarehouse

pytestmark = pytest.mark.duckdb_only


def spark(**env: str) -> SparkWarehouse:
    target = warehouse({"DBT_TARGET": "spark", **env})
    assert isinstance(target, SparkWarehouse)
    return target


def test_spark_dir_is_the_profiles_rule() -> None:
    """Unset: data/spark in the repository; relative: from the root; absolute as is."""
    default = spark()
    assert default.warehouse_dir == REPO_ROOT / "data" / "spark" / "warehouse"
    assert default.metastore == REPO_ROOT / "data" / "spark" / "metastore_db"
    assert spark(SPARK_DIR="other").metastore == REPO_ROOT / "other" / "metastore_db"
    pinned = spark(SPARK_DIR="/tmp/s", SPARK_SCHEMA="mine")
    assert pinned.warehouse_dir == Path("/tmp/s/warehouse")
    assert pinned.table_dir("raw_stores") == Path("/tmp/s/warehouse/mine.db/raw_stores")
    assert pinned.adapter == "spark"


def test_session_settings_come_from_the_profile() -> None:
    parameters = spark(SPARK_MASTER="local[2]", SPARK_SHUFFLE_PARTITIONS="4").parameters
    assert parameters["spark.master"] == "local[2]"
    assert parameters["spark.sql.shuffle.partitions"] == "4"
    # dbt-spark's own addition, so Python's session is dbt's.
    assert parameters["spark.sql.ansi.enabled"] == "false"


def test_pool_limit_is_one_and_more_is_refused() -> None:
    assert settings.warehouse_pool_limit("spark", {}) == 1
    with pytest.raises(ValueError, match=r"WAREHOUSE_POOL_LIMIT='2': local Spark's embedded Derby"):
        settings.warehouse_pool_limit("spark", {"WAREHOUSE_POOL_LIMIT": "2"})


def test_store_ids_read_the_parquet_files_without_java(tmp_path: Path) -> None:
    target = spark(SPARK_DIR=str(tmp_path), SPARK_SCHEMA="s")
    with pytest.raises(Unavailable, match="holds no raw_stores table yet"):
        target.store_ids()
    folder = target.table_dir("raw_stores")
    folder.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * from (values (12), (3)) as t(id)) to '{folder}/part-0.parquet'"
        )
    assert target.store_ids() == ["3", "12"]
    assert target.has_table("raw_stores")
    assert not target.has_table("raw_orders")


def test_failure_messages_say_what_to_do() -> None:
    target = spark(SPARK_DIR="/d/s")
    locked = target.failure_message(
        "ERROR XSDB6: Another instance of Derby may have already booted the database "
        "/d/s/metastore_db."
    )
    assert locked is not None
    assert locked.startswith("Another Java process holds the Spark metastore /d/s/metastore_db")
    no_java = target.failure_message("JAVA_HOME is not set")
    assert no_java is not None and "openjdk-17-jre-headless" in no_java
    assert target.failure_message("Division by zero") is None
