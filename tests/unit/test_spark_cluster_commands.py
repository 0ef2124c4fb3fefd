"""The local Spark cluster's Thrift server command line (scripts/spark_cluster.py), no Java started.

Closing a session can initialise Hive's function registry, which needs
hive-llap-common, a jar the pyspark 4 wheel lacks; scripts/bootstrap puts it
in .venv/spark-jars and `start` puts it on the server's driver classpath
(docs/spark-cluster.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scripts import spark_cluster
from scripts.spark_cluster import Cluster


def thrift_command(folder: Path) -> list[str]:
    """The Thrift server's command line for a cluster in `folder` (needs pyspark, not Java)."""
    pytest.importorskip("pyspark")
    command, _extra_env = Cluster(folder=folder, raw_dir=folder / "raw").commands()["thrift"]
    return command


def test_the_server_gets_hive_llap_common_on_its_driver_classpath(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jar = tmp_path / "hive-llap-common-2.3.9.jar"
    jar.write_bytes(b"")
    monkeypatch.setattr(spark_cluster, "HIVE_LLAP_COMMON", jar)

    command = thrift_command(tmp_path)

    assert command[command.index("--driver-class-path") + 1] == str(jar)


def test_without_the_jar_the_server_starts_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spark_cluster, "HIVE_LLAP_COMMON", tmp_path / "missing.jar")

    assert "--driver-class-path" not in thrift_command(tmp_path)


def test_bootstrap_put_the_jar_beside_pyspark_in_ci() -> None:
    """CI installs the spark extra with scripts/bootstrap, which must have added the jar."""
    pytest.importorskip("pyspark")
    if not os.environ.get("CI"):
        pytest.skip("Checked in CI, where scripts/bootstrap installed the spark extra.")
    assert spark_cluster.HIVE_LLAP_COMMON.is_file()
    assert spark_cluster.HIVE_LLAP_COMMON.stat().st_size > 300_000
