{% macro partition_strategy() %}
    {#-
        The incremental strategy of the four partitioned models, in one place,
        chosen by the target's warehouse (their config calls this).

        delete+insert on each model's unique_key (its partition key) deletes
        the target rows of the run's partitions and inserts the new ones in
        one transaction: exactly the run's partitions change, on DuckDB and on
        Postgres alike.

        Another warehouse must choose here before it runs: dbt-spark has no
        delete+insert, so a Spark target takes insert_overwrite, which replaces
        whole partitions of a table partitioned by the same key (the models
        then also need partition_by); BigQuery likewise; Snowflake has
        delete+insert.
    -#}
    {%- set strategies = {'duckdb': 'delete+insert', 'postgres': 'delete+insert'} -%}
    {%- if target.type not in strategies -%}
        {{ exceptions.raise_compiler_error(
            "No incremental strategy for the partitioned models on target type "
            ~ tojson(target.type) ~ ": choose one in partition_strategy()"
            ~ " (macros/partition_strategy.sql), e.g. insert_overwrite with"
            ~ " partition_by on Spark.") }}
    {%- endif -%}
    {{- return(strategies[target.type]) -}}
{% endmacro %}
