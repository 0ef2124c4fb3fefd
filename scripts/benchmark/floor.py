"""The floor: the statements dbt-duckdb's delete+insert runs, in one small process.

    python -m scripts.benchmark.floor '{"sql": ..., "database": ..., ...}'

Its one argument, JSON, names the compiled SELECT (`sql`), the DuckDB file (`database`)
and its settings (`config`, the profile's), the model (`table`), its month
column (`column`) and the window [`start`, `end`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb


def main(argument: str) -> None:
    """Delete the window's rows and insert dbt's compiled SELECT, in one transaction."""
    floor = json.loads(argument)
    sql = Path(floor["sql"]).read_text()
    table, column = floor["table"], floor["column"]
    with duckdb.connect(floor["database"], config=floor["config"]) as con:
        con.execute("begin")
        con.execute(
            f"delete from {table} where {column} >= cast(? as date) and {column} < cast(? as date)",
            [floor["start"], floor["end"]],
        )
        con.execute(f"insert into {table} " + sql)
        con.execute("commit")


if __name__ == "__main__":
    main(sys.argv[1])
