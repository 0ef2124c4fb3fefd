{% macro divide_money(amount, divisor) -%}
    {#-
        amount / divisor rounded to the cent, half away from zero, as
        decimal(18, 2), identical on every target. `amount` is dollars with
        at most two decimals, `divisor` a positive count (null gives null:
        wrap it in nullif(..., 0)).

        The dialects really differ here. A decimal divided by an integer is
        an exact decimal on Postgres, Snowflake, Spark and BigQuery, and the
        cast rounds it half away from zero; on DuckDB it is a double, and
        rounding that double disagrees at the half cent: 2.01 / 2 is
        1.00499... as a double, 1.00 on DuckDB and 1.01 on Postgres.
    -#}
    {{ return(adapter.dispatch('divide_money')(amount, divisor)) }}
{%- endmacro %}


{% macro default__divide_money(amount, divisor) -%}
    cast(cast({{ amount }} as decimal(18, 2)) / {{ divisor }} as decimal(18, 2))
{%- endmacro %}


{% macro duckdb__divide_money(amount, divisor) -%}
    {#- In whole cents with integer division (`//` truncates toward zero):
        (2c + sign(c) n) // 2n is c / n rounded half away from zero. -#}
    cast(
        cast(
            (
                2 * cast({{ amount }} * 100 as hugeint)
                + sign(cast({{ amount }} * 100 as hugeint)) * {{ divisor }}
            ) // (2 * {{ divisor }})
            as decimal(18, 2)
        ) * cast(0.01 as decimal(3, 2))
        as decimal(18, 2)
    )
{%- endmacro %}
