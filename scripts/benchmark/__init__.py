"""Benchmark: a partitioned model through the floor, bare dbt, Dagster, and the naive path.

For each size (orders from the first partition month to today) it generates
the raw data with the project's generator, on the chosen dbt target
(`--target`, DuckDB by default), then measures in one run, side by side, each
as a whole process the way a user starts it (the model: `--model`,
orders_by_month by default):

  floor       python + duckdb: the same delete+insert (dbt's compiled SQL) over
              the same window, in one transaction (DuckDB only)
  dbt         `dbt run --select <model>` with the window vars (for the microbatch
              model, orders_by_month_microbatch: `--event-time-start/--event-time-end`)
  dbt build   the command the Dagster asset runs, bare: `dbt build` of the
              model and its data tests (Dagster's asset checks), no unit tests
  dagster     `dg launch --assets <model>`
              (--partition-range for a range: one single-run backfill)
  naive       one `dg launch --partition` per month, N months

Cases: the full history, one partition (the last month) and the last 12
months in one run, each repeated on the same window (warm: a re-run); then
the cold cases a user meets, `dbt` against `dagster` alternating, each
repetition on windows neither side has run before (dbt re-parses when
--vars change; Dagster reuses the manifest it loaded): one new month, and a
new 24-month range. It reports the median and minimum of the repetitions,
peak RSS (the largest single process of the command's tree, from os.wait4 in
a small launcher), the ratios to the floor and to bare dbt (`dbt run`; and
`dbt build`, which leaves Dagster's own share), dbt's own model time from
run_results.json (for the microbatch model also its batches, the model's
time a batch, and each batch's own time from dbt's log, which the benchmark
writes as JSON lines: run_results.json times the model, not each batch), and Dagster's
bookkeeping: its time beyond the same `dbt build` for 1, 12 and all
partitions in one run.
After the full-history Dagster run it checks the model against the oracle,
plain SQL over the raw tables (harness/oracle.py, shared with the tests);
for the microbatch model it also builds orders_by_month in the same database
and checks it the same way, so the two equal each other month by month.

    python -m scripts.benchmark                    # 1M and 10M orders, 3 repetitions
    python -m scripts.benchmark --sizes 100M       # the opt-in big size
    python -m scripts.benchmark --target postgres  # on a throwaway PostgreSQL server
    python -m scripts.benchmark --target postgres --backfill
                                  # + a 12-month one-run-per-partition backfill,
                                  # pool limit 4 against 1, through `dg dev`
    python -m scripts.benchmark --target spark --sizes 1M --reps 1
                                  # local Spark in the scratch folder; the naive
                                  # path over 2 months unless --naive says more
    python -m scripts.benchmark --target spark_thrift --sizes 1M --reps 1 --backfill
                                  # a local Spark cluster (scripts/spark_cluster.py) it
                                  # starts in the scratch folder on free ports and always
                                  # stops; the backfill with pool limit 2 against 1
    python -m scripts.benchmark --model orders_by_month_microbatch --sizes 1M --reps 1
                                  # dbt's microbatch strategy, the same cases
    python -m scripts.benchmark --sizes 100M --reps 1 --cases one-new-month,new-months
                                  # only those cases (--help lists them); the first
                                  # build, the full history in one run, is always timed
    python -m scripts.benchmark --smoke            # CI: DuckDB, 1M, 1 repetition, 2 naive runs

Run it from the repository root, as a module. The modules, one job each:

  cli.py       the arguments and the run: sizes, targets, the report file
  targets.py   the dbt targets: their environment, the oracle's view, limits
  models.py    the models it can time: the dbt model, its oracle, the floor's column
  cases.py     the cases: the commands of each path and window, in order
  windows.py   the partitions a case runs, as Dagster keys and dbt vars
  timing.py    one command run to completion: wall time, peak RSS (launcher.py)
  report.py    the rows, the table and the summary lines
  backfill.py  --backfill: a one-run-per-partition backfill through `dg dev`
  check.py     the model's months against the oracle's (spark_check.py: in a child)
  launcher.py, floor.py, spark_check.py  run as child processes (`python -m`)

A new dbt target is one class in targets.py and one line in its TARGETS; a
new model is one entry in models.py's MODELS (then `--model <name>`).

The table goes to stdout and to bench_results/<UTC time>.md (gitignored).
No timing is asserted: the figures are for people to read.
"""
