{% macro partitioned_model_config(unique_key) %}
    {#-
        The config of the four partitioned models, in one place. Each calls it
        first thing in its own file, so a model's config is still found from
        the model (the house style's "configured in its own file"), where
        dbt_project.yml would put it out of sight and could not call macros:

            {{ config(**partitioned_model_config('order_month')) }}

        unique_key is the model's partition key column (or columns): a run
        replaces exactly the rows of its keys (partition_strategy(),
        partition_by() in macros/partition_strategy.sql). A change to the
        model's columns stops the run instead of altering the table
        (on_schema_change='fail'; --full-refresh rebuilds it).
    -#}
    {{- return({
        'materialized': 'incremental',
        'incremental_strategy': partition_strategy(),
        'unique_key': unique_key,
        'partition_by': partition_by(unique_key),
        'on_schema_change': 'fail',
        'pre_hook': '{{ partitioned_model_pre_hook() }}',
    }) -}}
{% endmacro %}


{% macro partitioned_model_pre_hook() %}
    {#-
        pre_hook of the partitioned models, before the model writes anything:
        the checks of the vars that need the run (its flags, the warehouse),
        then lock_partitions() of the run's partition keys.

        The keys are those of the model's unique_key, read from its config; a
        two-column key (month, payment method) locks by its first column, so
        two runs of one month take turns whatever their methods.
    -#}
    {%- if not execute -%}
        {#- Parsing: nothing to check or lock (see macros/partition_vars.sql). -#}
        {{- return('') -}}
    {%- endif -%}
    {%- set unique_key = config.get('unique_key') -%}
    {%- set column = unique_key if unique_key is string else unique_key[0] -%}
    {%- if column == 'order_month' -%}
        {%- do _refuse_full_refresh_of_a_window() -%}
        {%- set keys = partition_months(partition_window()) -%}
    {%- elif column == 'payment_method' -%}
        {%- set keys = payment_methods_selected() -%}
    {%- elif column == 'store_id' -%}
        {%- set keys = store_ids_selected() -%}
        {%- do validate_stores_exist(keys) -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "No partition vars for unique_key=" ~ quoted(unique_key)
            ~ ": expected order_month, payment_method or store_id first"
            ~ " (partitioned_model_pre_hook() in macros/partitioned_model.sql).") }}
    {%- endif -%}
    {{- lock_partitions(keys) -}}
{% endmacro %}


{% macro _refuse_full_refresh_of_a_window() %}
    {#-
        A full refresh recreates the table: with a window it would hold only
        that window's months. Without vars it is every month. Checked here,
        not in partition_window(): unit tests set vars of their own.
    -#}
    {%- set key = var('partition_key', none) -%}
    {%- set start = var('partition_start', none) -%}
    {%- set end = var('partition_end', none) -%}
    {%- if flags.FULL_REFRESH and (key is not none or start is not none or end is not none) -%}
        {{ exceptions.raise_compiler_error(
            "Invalid vars with --full-refresh: it rebuilds " ~ this.identifier
            ~ " from scratch, so it takes no partition_key, partition_start or partition_end"
            ~ " (got partition_key=" ~ quoted(key)
            ~ ", partition_start=" ~ quoted(start)
            ~ ", partition_end=" ~ quoted(end)
            ~ "); run it without vars to rebuild every partition month.") }}
    {%- endif -%}
{% endmacro %}
