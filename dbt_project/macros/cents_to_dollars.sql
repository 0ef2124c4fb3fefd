{% macro cents_to_dollars(column_name) -%}
    cast({{ column_name }} / 100 as decimal(16, 2))
{%- endmacro %}
