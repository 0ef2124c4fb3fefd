{% macro print_duckdb_path() %}
    {#- `dbt run-operation print_duckdb_path`: which DuckDB file this profile opens. -#}
    {{ print(target.path) }}
{% endmacro %}
