"""The benchmark's pure parts: windows, arguments, dbt's artifacts, the table and summary.

No command runs and no timing is asserted: the samples are made up.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dagster_project.defs.partitions import monthly_partitions
from harness.ports import free_ports
from scripts.benchmark.cases import CASES, batch_count, batch_seconds, model_seconds, newest_run_dir
from scripts.benchmark.cli import parse_args
from scripts.benchmark.models import MICROBATCH, MODELS
from scripts.benchmark.report import Row, batch_lines, summary, table
from scripts.benchmark.targets import TARGETS
from scripts.benchmark.timing import Sample
from scripts.benchmark.windows import Window, cold_windows, partition_keys


def test_windows_are_dagster_keys_and_the_same_dbt_vars() -> None:
    keys = partition_keys()
    assert keys == monthly_partitions.get_partition_keys()
    one = Window("2018-03-01", "2018-03-01")
    assert one.dagster_args() == ["--partition", "2018-03-01"]
    assert one.dbt_vars == {"partition_start": "2018-03-01", "partition_end": "2018-04-01"}
    assert (one.start, one.end, one.months) == ("2018-03-01", "2018-04-01", 1)
    year = Window("2018-11-01", "2019-10-01")
    assert year.dagster_args() == ["--partition-range", "2018-11-01...2019-10-01"]
    assert year.vars_args() == [
        "--vars",
        json.dumps({"partition_start": "2018-11-01", "partition_end": "2019-11-01"}),
    ]
    assert year.months == 12


def test_cold_windows_are_new_to_each_side_and_never_repeat() -> None:
    keys = partition_keys()
    pairs = cold_windows(keys, 24, 3)
    assert [(d.first, g.first) for d, g in pairs] == [
        (keys[1], keys[2]),
        (keys[3], keys[4]),
        (keys[5], keys[6]),
    ]
    assert all(w.months == 24 for pair in pairs for w in pair)
    starts = [w.first for pair in pairs for w in pair]
    assert len(set(starts)) == len(starts)
    # none starts at the first month, which the full-history case runs
    assert keys[0] not in starts


def test_smoke_and_target_defaults() -> None:
    smoke = parse_args(["--smoke"])
    assert (smoke.size_list, smoke.reps, smoke.naive, smoke.target) == (["1M"], 1, 2, "duckdb")
    assert parse_args(["--target", "spark"]).naive == TARGETS["spark"].naive == 2
    assert parse_args(["--sizes", "1M, 10M", "--naive", "3"]).size_list == ["1M", "10M"]
    assert parse_args([]).case_list == list(CASES)
    assert parse_args(["--cases", "one-new-month, naive"]).case_list == ["one-new-month", "naive"]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--sizes", "2M"], "--sizes '2M': expected a comma list of 1M, 10M, 100M"),
        (
            ["--target", "oracle"],
            "--target 'oracle': expected one of duckdb, postgres, spark, spark_thrift",
        ),
        (
            ["--model", "orders"],
            "--model 'orders': expected one of orders_by_month, orders_by_month_microbatch",
        ),
        (["--reps", "0"], "--reps 0, --naive 12: expected 1 or more each"),
        (
            ["--cases", "naive,warm"],
            "--cases 'naive,warm': expected a comma list of full-history, one-partition, "
            "range, one-new-month, new-months, naive",
        ),
        (["--backfill"], "--backfill: DuckDB has one writer, so there is no parallel backfill"),
    ],
)
def test_bad_arguments_end_in_one_line(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_args(argv)
    assert exit_.value.code == 2
    assert capsys.readouterr().err == f"benchmark: {says} (python -m scripts.benchmark --help)\n"


def test_each_model_takes_its_window_as_its_dagster_asset_passes_it() -> None:
    year = Window("2018-11-01", "2019-10-01")
    delete_insert, microbatch = MODELS["orders_by_month"], MODELS[MICROBATCH]
    assert delete_insert.window_args(year) == year.vars_args()
    assert delete_insert.build_vars(year) == {
        "partition_start": "2018-11-01",
        "partition_end": "2019-11-01",
    }
    assert delete_insert.build_extra_args(year) == []
    event_time = ["--event-time-start", "2018-11-01", "--event-time-end", "2019-11-01"]
    assert microbatch.window_args(year) == event_time
    assert microbatch.build_extra_args(year) == event_time
    assert microbatch.build_vars(year) is None
    assert (delete_insert.microbatch, microbatch.microbatch) == (False, True)


def test_spark_thrift_backfills_two_against_one_and_postgres_four() -> None:
    args = parse_args(["--target", "spark_thrift", "--backfill"])
    assert (args.target, args.naive, args.backfill) == ("spark_thrift", 2, True)
    assert TARGETS["spark_thrift"].backfill_limits == (2, 1)
    assert TARGETS["postgres"].backfill_limits == (4, 1)
    ports = free_ports(5)
    assert len(set(ports)) == 5 and all(1024 <= p < 65536 for p in ports)


def test_batches_come_from_the_microbatch_models_result(tmp_path: Path) -> None:
    batches = {
        "successful": [
            ["2018-11-01T00:00:00Z", "2018-12-01T00:00:00Z"],
            ["2018-12-01T00:00:00Z", "2019-01-01T00:00:00Z"],
        ],
        "failed": [["2019-01-01T00:00:00Z", "2019-02-01T00:00:00Z"]],
    }
    results = [
        {"unique_id": "model.jaffle_shop.stg_orders", "execution_time": 1.0},
        {
            "unique_id": f"model.jaffle_shop.{MICROBATCH}",
            "execution_time": 1.5,
            "batch_results": batches,
        },
    ]
    (tmp_path / "run_results.json").write_text(json.dumps({"results": results}))
    assert batch_count(tmp_path, MICROBATCH) == 3
    assert batch_count(tmp_path, "stg_orders") is None
    assert batch_count(tmp_path / "missing", MICROBATCH) is None
    assert batch_count(None, MICROBATCH) is None


def test_batch_seconds_come_from_the_runs_own_batch_events_in_dbts_json_log(
    tmp_path: Path,
) -> None:
    def event(invocation: str, node: str, index: int, seconds: float) -> str:
        info = {"name": "LogBatchResult", "invocation_id": invocation}
        data = {"batch_index": index, "execution_time": seconds, "node_info": {"node_name": node}}
        return json.dumps({"info": info, "data": data})

    (tmp_path / "run_results.json").write_text(
        json.dumps({"metadata": {"invocation_id": "this-run"}, "results": []})
    )
    lines = [
        "14:00:00  a line of the debug format, from a run without DBT_LOG_FORMAT_FILE=json",
        event("an-earlier-run", MICROBATCH, 1, 9.0),
        event("this-run", MICROBATCH, 2, 0.25),
        event("this-run", "another_model", 1, 5.0),
        json.dumps({"info": {"name": "LogModelResult", "invocation_id": "this-run"}, "data": {}}),
        event("this-run", MICROBATCH, 1, 0.5),
    ]
    (tmp_path / "dbt.log").write_text("\n".join(lines) + "\n")
    # in batch order, whatever order the threads logged them in
    assert batch_seconds(tmp_path, tmp_path, MICROBATCH) == [0.5, 0.25]
    assert batch_seconds(tmp_path, tmp_path, "stg_orders") is None
    assert batch_seconds(tmp_path, tmp_path / "missing", MICROBATCH) is None
    assert batch_seconds(None, tmp_path, MICROBATCH) is None


def test_batch_lines_put_dbts_time_a_batch_beside_the_process() -> None:
    batched = Row(
        "1M", "one new month", "dbt", [Sample(4.0, 100, 0.5, 1), Sample(6.0, 100, 0.7, 1)]
    )
    each = [0.1] * 12 + [0.3] * 12
    ranged = Row("1M", "24 new months", "dagster", [Sample(9.0, 200, 4.8, 24, each)], partitions=24)
    plain = Row("1M", "one partition", "dbt", [Sample(3.0, 100, 0.4)])
    assert batch_lines([batched, ranged, plain]) == [
        "1M: one new month, dbt: process 6.00 s, dbt's model 0.70 s over 1 batch(es), "
        "0.700 s a batch",
        "1M: 24 new months, dagster: process 9.00 s, dbt's model 4.80 s over 24 batch(es), "
        "0.200 s a batch; dbt's time each batch 0.100 to 0.300 s, median 0.200 s",
    ]


def test_model_seconds_come_from_the_models_own_result(tmp_path: Path) -> None:
    older, newer = tmp_path / "orders_by_month_model-aaa", tmp_path / "orders_by_month_model-bbb"
    for folder, seconds in ((older, 9.0), (newer, 0.25)):
        folder.mkdir()
        results = [
            {
                "unique_id": "test.jaffle_shop.unique_orders_by_month_order_month",
                "execution_time": 5,
            },
            {"unique_id": "model.jaffle_shop.orders_by_month", "execution_time": seconds},
        ]
        (folder / "run_results.json").write_text(json.dumps({"results": results}))
    (tmp_path / "partial_parse.msgpack").write_text("")
    (tmp_path / "no_results").mkdir()
    # the newer folder's results were written last
    os.utime(older / "run_results.json", (1_000_000, 1_000_000))
    assert newest_run_dir(tmp_path) == newer
    assert model_seconds(newer, "orders_by_month") == 0.25
    assert model_seconds(newer, "orders") is None
    assert model_seconds(tmp_path / "no_results", "orders_by_month") is None
    assert model_seconds(None, "orders_by_month") is None
    assert newest_run_dir(tmp_path / "no_results") is None


def rows() -> list[Row]:
    """A made-up run at 1M: every path of the warm cases, a cold case and the naive path."""

    def row(case: str, path: str, *seconds: float, partitions: int = 1, cold: bool = False) -> Row:
        return Row("1M", case, path, [Sample(s, 100.0) for s in seconds], partitions, cold)

    return [
        row("generate raw data", "generator", 4.0),
        row("full history", "floor", 0.5, partitions=100),
        row("full history", "dbt", 4.0, 2.0, 3.0, partitions=100),
        row("full history", "dbt build", 5.0, partitions=100),
        row("full history", "dagster", 8.0, partitions=100),
        row("one partition", "dbt", 2.0),
        row("one partition", "dbt build", 3.0),
        row("one partition", "dagster", 4.0),
        row("12 months, one run", "dbt build", 4.0, partitions=12),
        row("12 months, one run", "dagster", 5.5, partitions=12),
        row("one new month", "dbt", 3.0, cold=True),
        row("one new month", "dagster", 1.5, cold=True),
        row("2 months", "naive", 10.0, partitions=2),
    ]


def test_the_table_has_a_line_per_row_with_its_ratios() -> None:
    lines = table(rows()).splitlines()
    assert len(lines) == 2 + len(rows())
    assert lines[0].startswith("| size | case | path | first s | median s | min s | runs |")
    assert "| 1M | full history | dbt | 4.00 | 3.00 | 2.00 | 3 | 100 | 6.00x |  |  |  |" in lines
    assert (
        "| 1M | full history | dagster | 8.00 | 8.00 | 8.00 | 1 | 100 | 16.00x | 2.67x | 1.60x |  |"
        in (lines)
    )


def test_the_summary_computes_each_figure_from_the_rows() -> None:
    assert summary(rows()) == [
        "1M: full history via Dagster = 2.67x bare dbt",
        "1M: Dagster = 1.60x (full history), 1.33x (one partition) the same dbt build, bare",
        "1M: one run per partition ~ 5.0 s x 100 months = 500 s, 62x the single-run backfill",
        "1M: one partition via Dagster = 2.00x bare dbt",
        "1M: full-history backfill via Dagster 8.0 s, peak 100 MiB",
        "1M: generator 4.0 s, peak 100 MiB",
        "1M: one new month (cold, alternating) via Dagster = 0.50x bare dbt run (1.50 s vs 3.00 s)",
        "1M: Dagster's time beyond the same dbt build, by partitions in one run: "
        "1: +1.00 s, 12: +1.50 s, 100: +3.00 s; +20 ms per extra partition",
    ]
