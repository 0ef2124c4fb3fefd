{% macro literal_rows(column_name, values, data_type) -%}
    {#-
        One row per value, in one column:
            select cast('2018-01-01' as date) as order_month
            union all
            select cast('2018-02-01' as date) as order_month

        The values are known when the model compiles (a window's months from
        partition_months(), the methods from payment_methods_selected()), so
        plain `select ... union all` rows work on every warehouse, where a
        series or array function does not: DuckDB's range() and list
        literals, Postgres' generate_series(), Spark's sequence()/explode()
        and BigQuery's unnest() all differ. dbt's own date_spine() is no
        better here: it runs a query at compile time to count the periods
        and includes its end date, where a window is half-open.
    -#}
    {%- for value in values %}
    select cast({{ dbt.string_literal(dbt.escape_single_quotes(value | string)) }} as {{ data_type }}) as {{ column_name }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
