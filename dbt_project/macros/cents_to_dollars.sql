{% macro cents_to_dollars(column_name) -%}
    {#-
        Integer cents to exact dollars, decimal(16, 2), on every warehouse.

        Multiplied by the decimal 0.01, not divided by 100: `/` means
        integer division on Postgres integers (3246 / 100 = 32), float
        division on DuckDB, even of decimals (a double, rounded on the way
        back), and decimal division elsewhere, while a decimal times a
        decimal is exact on all of them. So one expression serves every
        target and no adapter.dispatch is needed.
    -#}
    cast(cast({{ column_name }} as decimal(16, 2)) * cast(0.01 as decimal(3, 2)) as decimal(16, 2))
{%- endmacro %}
