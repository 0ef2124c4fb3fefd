{#
    dbt's own way to build by month: the `microbatch` incremental strategy
    (orders_by_month_microbatch). dbt cuts the run into batches of one month
    from --event-time-start/--event-time-end (or from the model's `begin` on a
    first run, the last months on a later run without them), filters every
    input that has an `event_time` config to the batch, and writes each batch
    on its own. What each adapter does with a batch, and so what the model's
    config must say per target (docs/microbatch.md):

    target    a batch is                            the model needs
    --------  ------------------------------------  ------------------------
    duckdb    delete where event_time in the batch  no unique_key (refused)
              + insert
    postgres  MERGE on unique_key                   unique_key
    spark     insert overwrite of the partitions    partition_by
              the batch emits
#}

{% macro microbatch_unique_key(column) %}
    {#- The unique_key config: where a batch is a MERGE (Postgres), else none. -#}
    {{- return(column if target.type == 'postgres' else none) -}}
{% endmacro %}


{% macro microbatch_partition_by(column) %}
    {#- The partition_by config: where a batch overwrites partitions (Spark), else none. -#}
    {{- return([column] if target.type == 'spark' else none) -}}
{% endmacro %}


{% macro microbatch_months() %}
    {#-
        The first day of each month ('YYYY-MM-01' text) of the batch being
        built: one month, as batch_size is month. A model writes a row for
        each, zeros for a month without orders, so a batch replaces a month
        whose orders vanished instead of leaving it stale.

        Outside a batch (parsing, `dbt compile`, `dbt docs generate`, a unit
        test that does not override this macro) dbt reads the inputs
        unfiltered; the months are then every month from `begin` up to the
        current one, as a first run without flags would build.
    -#}
    {%- set batch = model.get('batch') if model is mapping else none -%}
    {%- if batch -%}
        {%- set start = batch.event_time_start.date() -%}
        {%- set end = batch.event_time_end.date() -%}
    {%- else -%}
        {%- set start = modules.datetime.date.fromisoformat(
            var('partitions_start_date') | string) -%}
        {%- set today = modules.datetime.datetime.now(modules.pytz.utc).date() -%}
        {%- set end = (today.replace(day=28) + modules.datetime.timedelta(days=4)).replace(day=1) -%}
    {%- endif -%}
    {%- set months = [] -%}
    {%- set month = namespace(day=start.replace(day=1)) -%}
    {%- for _ in range((end.year - start.year) * 12 + end.month - start.month) -%}
        {%- do months.append(month.day.isoformat()) -%}
        {%- set month.day = (month.day.replace(day=28) + modules.datetime.timedelta(days=4)).replace(day=1) -%}
    {%- endfor -%}
    {{- return(months) -}}
{% endmacro %}


{% macro validate_event_time_flags() %}
    {#-
        on-run-start hook: the event-time flags name whole partition months,
        or dbt would build batches the Dagster partitions do not have. dbt
        itself refuses one flag without the other, a start not before the
        end, and text that is not a date; it would round a mid-month time
        out to whole months and build months before `begin` or after the last
        complete month, as rows of zeros. So: both first instants of a month
        (UTC), from partitions_start_date up to the current month. And not
        with --full-refresh, which would recreate the table with only them.
    -#}
    {%- set first = modules.datetime.date.fromisoformat(var('partitions_start_date') | string) -%}
    {%- set current = modules.datetime.datetime.now(modules.pytz.utc).date().replace(day=1) -%}
    {%- for name in ['event_time_start', 'event_time_end'] -%}
        {#- Not in `flags`: dbt's command-line arguments are here. -#}
        {%- set moment = invocation_args_dict.get(name) -%}
        {%- if moment is string -%}
            {%- set moment = modules.datetime.datetime.fromisoformat(moment) -%}
        {%- endif -%}
        {%- if moment is not none and flags.FULL_REFRESH -%}
            {{ exceptions.raise_compiler_error(
                "Invalid --" ~ name | replace('_', '-') ~ " " ~ moment.isoformat()
                ~ " with --full-refresh: it recreates the table, which would then hold"
                ~ " only these months; run --full-refresh without event-time flags.") }}
        {%- endif -%}
        {%- if moment is not none and (moment.time() != modules.datetime.time(0)
            or moment.day != 1 or moment.date() < first or moment.date() > current) -%}
            {{ exceptions.raise_compiler_error(
                "Invalid --" ~ name | replace('_', '-') ~ " " ~ moment.isoformat()
                ~ ": expected the first day of a month (YYYY-MM-01, UTC) from "
                ~ first.isoformat() ~ " up to the current month "
                ~ current.isoformat() ~ ".") }}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}


{% macro postgres__get_incremental_microbatch_sql(arg_dict) %}
    {#-
        dbt-postgres 1.11's microbatch step (a MERGE on unique_key), after
        the batch's month lock. Two MERGEs of a month that is not in the
        table yet both find no row to update and both insert one: a
        duplicate. dbt runs a microbatch model's pre-hook before its first
        batch only, so the lock that orders_by_month takes in its pre-hook
        cannot guard each batch; it is taken here instead, in each batch's
        own transaction, just before its MERGE: a second run of the month
        waits for the first's commit, and its MERGE then updates that row.
        dbt looks for this macro in the project before the adapter's, so
        every microbatch model on Postgres gets the lock.
    -#}
    {%- if not arg_dict['unique_key'] -%}
        {{ exceptions.raise_compiler_error(
            "dbt-postgres 'microbatch' requires a `unique_key` config") }}
    {%- endif -%}
    {{ lock_partitions([model.batch.event_time_start.date().isoformat()]) }};
    {{ adapter.dispatch('get_incremental_merge_sql', 'dbt')(arg_dict) }}
{% endmacro %}
