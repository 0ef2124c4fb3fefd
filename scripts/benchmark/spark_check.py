"""The oracle on local Spark, in a process of its own; prints `[count, [bad months]]` as JSON.

    python -m scripts.benchmark.spark_check MODEL START END

The benchmark runs this between two commands with the target's environment:
local Spark's metastore admits one Java process, so this process reads it
through the project's warehouse, then ends its Java process before the next
command starts one.
"""

from __future__ import annotations

import json
import os
import sys

from dagster_project.lib.warehouse import warehouse
from harness.spark import stop_java
from scripts.benchmark.check import differences
from scripts.benchmark.models import MODELS


def main(argv: list[str]) -> None:
    """Check MODEL over [START, END) in this environment's warehouse; print the result."""
    name, start, end = argv
    try:
        result = differences(warehouse(os.environ), MODELS[name], start, end)
    finally:
        stop_java()
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
