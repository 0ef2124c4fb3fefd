"""The warehouse seam for a Spark Thrift server, read from dbt's own profile: no server needed.

The profile's settings, where raw data lands, the pool limit and the one
sentence for a server that does not answer. Needs the spark extra (PyHive).
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from dagster_project.lib import settings
from dagster_project.lib.project import REPO_ROOT
from dagster_project.lib.warehouse import warehouse

# Skipped without PyHive, except in CI (then the import below fails the run).
if importlib.util.find_spec("pyhive") is None and not os.environ.get("CI"):
    pytest.skip(
        "No PyHive: install the spark extra (pip install -e '.[spark]').", allow_module_level=True
    )

from dagster_project.lib.warehouse.spark_thrift import SparkThriftWarehouse

pytestmark = pytest.mark.duckdb_only

# dbt-spark's own words for a server that is not there (a `dbt run` on a free port).
DBT_NO_SERVER = (
    "Runtime Error\n  Database Error\n    failed to connect: TTransportException: "
    "Could not connect to any of [('127.0.0.1', 17199)]"
)


def thrift(**env: str) -> SparkThriftWarehouse:
    target = warehouse({"DBT_TARGET": "spark_thrift", **env})
    assert isinstance(target, SparkThriftWarehouse)
    return target


def test_the_profile_and_its_defaults() -> None:
    default = thrift()
    assert (default.host, default.port, default.user, default.schema) == (
        "127.0.0.1",
        10000,
        "dbt",
        "jaffle_shop",
    )
    assert default.raw_dir == str(REPO_ROOT / "data" / "spark-cluster" / "raw")
    assert default.pool_key == "spark_thrift"
    other = thrift(SPARK_THRIFT_HOST="spark.internal", SPARK_THRIFT_PORT="10001", SPARK_SCHEMA="s")
    assert (other.host, other.port, other.schema) == ("spark.internal", 10001, "s")


def test_raw_data_follows_its_setting_or_the_cluster_folder() -> None:
    assert thrift(SPARK_RAW_DATA_DIR="s3://bucket/raw").raw_dir == "s3://bucket/raw"
    assert thrift(SPARK_RAW_DATA_DIR="/mnt/raw").raw_dir == "/mnt/raw"
    assert thrift(SPARK_CLUSTER_DIR="/srv/cluster").raw_dir == "/srv/cluster/raw"
    assert thrift(SPARK_RAW_DATA_DIR="shared").raw_dir == str(REPO_ROOT / "shared")


def test_pool_limit_is_two_and_may_be_raised() -> None:
    assert settings.warehouse_pool_limit("spark_thrift", {}) == 2
    assert settings.warehouse_pool_limit("spark_thrift", {"WAREHOUSE_POOL_LIMIT": "4"}) == 4


def test_no_server_is_one_sentence_with_the_address_and_the_start_command() -> None:
    target = thrift(SPARK_THRIFT_PORT="17199")
    assert target.failure_message(DBT_NO_SERVER) == (
        "The Spark Thrift server at 127.0.0.1:17199 does not answer: start it "
        "(`scripts/spark-cluster start` for the local cluster) or point SPARK_THRIFT_HOST "
        "and SPARK_THRIFT_PORT at a running one, and re-execute this run."
    )
    assert target.failure_message("Compilation Error in model orders") is None
