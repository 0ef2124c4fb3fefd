{% macro sql_strings(values) -%}
    {#- Comma-separated SQL string literals: 'a', 'b'. -#}
    {%- for value in values -%}
        {{ dbt.string_literal(dbt.escape_single_quotes(value)) }}{{ ", " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
