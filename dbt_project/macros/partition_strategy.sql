{% macro partition_strategy() %}
    {#-
        The incremental strategy of the four partitioned models, in one place,
        chosen by the target's warehouse (their config calls this, and
        partition_by() below).

        delete+insert on each model's unique_key (its partition key) deletes
        the target rows of the run's partitions and inserts the new ones in
        one transaction: exactly the run's partitions change, on DuckDB and on
        Postgres alike.

        dbt-spark has no delete+insert. Its insert_overwrite on a table
        physically partitioned by the same key (partition_by() below) runs
        `insert overwrite ... partition (key)` with Spark's dynamic partition
        overwrite: the partitions the run emits are replaced, the others stay.
        The models emit a row for every partition of their window (zeros when
        it is empty), so exactly the run's partitions change there too.
        BigQuery would take insert_overwrite likewise; Snowflake has
        delete+insert.
    -#}
    {%- set strategies = {
        'duckdb': 'delete+insert',
        'postgres': 'delete+insert',
        'spark': 'insert_overwrite',
    } -%}
    {%- if target.type not in strategies -%}
        {{ exceptions.raise_compiler_error(
            "No incremental strategy for the partitioned models on target type "
            ~ tojson(target.type) ~ ": choose one in partition_strategy()"
            ~ " (macros/partition_strategy.sql), e.g. insert_overwrite with"
            ~ " partition_by on BigQuery.") }}
    {%- endif -%}
    {{- return(strategies[target.type]) -}}
{% endmacro %}


{% macro partition_by(columns) %}
    {#-
        The partition_by config of a partitioned model: its partition key
        columns where the strategy replaces physical partitions (Spark's
        insert_overwrite), none elsewhere (delete+insert needs no physical
        partitions). `columns` is the model's unique_key, a name or a list.
    -#}
    {%- if partition_strategy() == 'insert_overwrite' -%}
        {{- return([columns] if columns is string else columns) -}}
    {%- endif -%}
    {{- return(none) -}}
{% endmacro %}
