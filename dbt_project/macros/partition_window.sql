{#
    The partition contract shared by the dbt CLI and Dagster.

    vars                              window (half-open, whole months)
    --------------------------------  ---------------------------------------
    partition_key: YYYY-MM-01         [key, key + 1 month)
    partition_start, partition_end    [start, end)
    none                              every partition: [partitions_start_date,
                                       first day of the current month)

    Dates may arrive as strings (JSON form of --vars, Dagster) or as dates
    (YAML form: {partition_key: 2018-03-01}); both are read as text first.
    A value must be the first day of a month between partitions_start_date and
    the first day of the current month (the partitions Dagster offers, plus
    the current month as the end of a window). Each model checks them when it
    compiles, and names itself in the error (macros/partition_vars.sql says
    when and why).
#}

{% macro _partition_date(name, value) %}
    {%- set allowed = "a date 'YYYY-MM-01' (the first day of a month) from "
        ~ var('partitions_start_date') ~ " up to the current month" -%}
    {#- A string, or a YAML date, reads as YYYY-MM-01; a list, a mapping or
        null does not. -#}
    {%- set text = value | string -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-(0[1-9]|1[0-2])-01', text) -%}
        {%- do raise_invalid_var(name, value, "expected " ~ allowed) -%}
    {%- endif -%}
    {%- set day = modules.datetime.datetime.strptime(text, '%Y-%m-%d').date() -%}
    {%- set first = modules.datetime.datetime.strptime(
        var('partitions_start_date') | string, '%Y-%m-%d').date() -%}
    {%- set last = _current_month() -%}
    {%- if day < first or day > last -%}
        {%- do raise_invalid_var(name, value, "outside the partitions; expected " ~ allowed) -%}
    {%- endif -%}
    {{- return(day) -}}
{% endmacro %}


{% macro _current_month() %}
    {#- First day of the current month in UTC, as Dagster's partitions count. -#}
    {{- return(modules.datetime.datetime.now(modules.pytz.utc).date().replace(day=1)) -}}
{% endmacro %}


{% macro _add_month(day) %}
    {%- if day.month == 12 -%}
        {{- return(day.replace(year=day.year + 1, month=1)) -}}
    {%- endif -%}
    {{- return(day.replace(month=day.month + 1)) -}}
{% endmacro %}


{% macro partition_window() %}
    {#- Returns {"start": date, "end": date}, the half-open window to build. -#}
    {%- if not execute -%}
        {#- Parsing: a stand-in, the vars unchecked (see macros/partition_vars.sql). -#}
        {{- return({"start": _current_month(), "end": _add_month(_current_month())}) -}}
    {%- endif -%}
    {%- set key = var('partition_key', none) -%}
    {%- set start = var('partition_start', none) -%}
    {%- set end = var('partition_end', none) -%}
    {%- if key is not none -%}
        {%- if start is not none or end is not none -%}
            {{ exceptions.raise_compiler_error(
                "Invalid vars: give partition_key alone, or partition_start"
                ~ " and partition_end together, not both (got partition_key="
                ~ quoted(key) ~ ", partition_start="
                ~ quoted(start) ~ ", partition_end="
                ~ quoted(end) ~ ").") }}
        {%- endif -%}
        {%- set day = _partition_date('partition_key', key) -%}
        {%- if day >= _current_month() -%}
            {%- do raise_invalid_var('partition_key', key,
                "the current month is not complete; expected a month from "
                ~ var('partitions_start_date') ~ " to the previous month") -%}
        {%- endif -%}
        {{- return({"start": day, "end": _add_month(day)}) -}}
    {%- endif -%}
    {%- if start is none and end is none -%}
        {{- return({
            "start": _partition_date('partitions_start_date', var('partitions_start_date')),
            "end": _current_month()}) -}}
    {%- endif -%}
    {%- if start is none or end is none -%}
        {{ exceptions.raise_compiler_error(
            "Invalid vars: partition_start and partition_end go together (got"
            ~ " partition_start=" ~ quoted(start)
            ~ ", partition_end=" ~ quoted(end)
            ~ ").") }}
    {%- endif -%}
    {%- set start_day = _partition_date('partition_start', start) -%}
    {%- set end_day = _partition_date('partition_end', end) -%}
    {%- if start_day >= end_day -%}
        {{ exceptions.raise_compiler_error(
            "Invalid vars: partition_start=" ~ quoted(start)
            ~ " must be before partition_end=" ~ quoted(end)
            ~ " (the window [start, end) is half-open and must hold at least one month).") }}
    {%- endif -%}
    {{- return({"start": start_day, "end": end_day}) -}}
{% endmacro %}


{% macro in_partition_window(column, window) -%}
    {#- SQL: the date `column` falls in `window` (from partition_window()), half-open. -#}
    {{ column }} >= cast('{{ window.start }}' as date)
    and {{ column }} < cast('{{ window.end }}' as date)
{%- endmacro %}


{% macro partition_months(window) %}
    {#- The first day of every month of a window from partition_window(), in order. -#}
    {%- set count = (window.end.year - window.start.year) * 12
        + window.end.month - window.start.month -%}
    {%- set months = [] -%}
    {%- set month = namespace(day=window.start) -%}
    {%- for _ in range(count) -%}
        {%- do months.append(month.day) -%}
        {%- set month.day = _add_month(month.day) -%}
    {%- endfor -%}
    {{- return(months) -}}
{% endmacro %}
