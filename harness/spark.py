"""Local Spark for the tests and the benchmark: can it run here, and ending its Java process.

Embedded Derby, local Spark's metastore, lets one Java process open it at a
time, and pyspark keeps its Java process until Python exits: a process that
has read the metastore and hands it to the next one calls `stop_java()`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path


def spark_missing(environ: Mapping[str, str] = os.environ) -> str | None:
    """Why local Spark cannot run here (no Java, no pyspark), or None when it can."""
    if importlib.util.find_spec("pyspark") is None:
        return "No pyspark: install the spark extra (pip install -e '.[spark]')."
    home = environ.get("JAVA_HOME")
    java = Path(home, "bin", "java") if home else None
    if not (java and java.exists()) and shutil.which("java", path=environ.get("PATH")) is None:
        return "No Java for Spark: install Java 17 (Debian: openjdk-17-jre-headless)."
    return None


def stop_java() -> None:
    """Stop this process's Spark session and end its Java process, and with it the
    metastore's lock (pyspark would keep the Java process until Python exits)."""
    # Imported here: pyspark is the optional spark extra (see spark_missing).
    from pyspark import SparkContext

    from dagster_project.lib.warehouse.spark import release

    release()
    gateway = SparkContext._gateway
    if gateway is None:
        return
    gateway.shutdown()
    process = getattr(gateway, "proc", None)
    if process is not None:
        # The JVM exits when its stdin closes (pyspark's own shutdown signal).
        process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    SparkContext._gateway = None
    SparkContext._jvm = None
