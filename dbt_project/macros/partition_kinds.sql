{#
    The category and dynamic partition vars, beside partition_window() (the
    time var). Both are validated in the on-run-start hook, before any SQL.

    var             values                                   unset
    --------------  ---------------------------------------  -------------------
    payment_method  one of var('payment_methods'), or a      every payment method
                    list of them (a Dagster run of several
                    partitions passes a list)
    store_id        a store id (integer, or its digits as    every store in
                    text) that is in raw_stores, or a list    raw_stores
                    of them (a Dagster run of several
                    partitions passes a list)
#}

{% macro payment_methods_selected() %}
    {#- The validated list of payment methods to build, in var('payment_methods') order. -#}
    {%- set allowed = var('payment_methods') -%}
    {%- set value = var('payment_method', none) -%}
    {%- if value is none -%}
        {{- return(allowed) -}}
    {%- endif -%}
    {%- set expected = "expected one of " ~ var_repr(allowed)
        ~ " (the payment_methods var in dbt_project.yml), or a non-empty list of them" -%}
    {%- if value is string -%}
        {%- set values = [value] -%}
    {%- elif value is iterable and value is not mapping -%}
        {%- set values = value | list -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var payment_method=" ~ var_repr(value) ~ ": " ~ expected ~ ".") }}
    {%- endif -%}
    {%- if values | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var payment_method=[]: " ~ expected ~ ".") }}
    {%- endif -%}
    {%- for method in values -%}
        {%- if method is not string or method not in allowed -%}
            {{ exceptions.raise_compiler_error(
                "Invalid var payment_method=" ~ var_repr(method) ~ ": " ~ expected ~ ".") }}
        {%- endif -%}
    {%- endfor -%}
    {{- return(allowed | select('in', values) | list) -}}
{% endmacro %}


{% macro store_ids_selected() %}
    {#- The validated store ids to build (a list), or none for every store. -#}
    {%- set value = var('store_id', none) -%}
    {%- if value is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set expected = "expected the id of a store in raw_stores (a positive integer),"
        ~ " or a non-empty list of them" -%}
    {%- if value is string or value is number -%}
        {%- set values = [value] -%}
    {%- elif value is iterable and value is not mapping -%}
        {%- set values = value | list -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var store_id=" ~ var_repr(value) ~ ": " ~ expected ~ ".") }}
    {%- endif -%}
    {%- if values | length == 0 -%}
        {{ exceptions.raise_compiler_error("Invalid var store_id=[]: " ~ expected ~ ".") }}
    {%- endif -%}
    {%- set ids = [] -%}
    {%- for item in values -%}
        {%- set text = item | string -%}
        {%- if item is boolean or not modules.re.fullmatch('[1-9][0-9]{0,17}', text) -%}
            {{ exceptions.raise_compiler_error(
                "Invalid var store_id=" ~ var_repr(item) ~ ": " ~ expected ~ ".") }}
        {%- endif -%}
        {%- if text | int not in ids -%}
            {%- do ids.append(text | int) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(ids) -}}
{% endmacro %}


{% macro validate_stores_exist(store_ids) %}
    {#-
        A store removed from raw_stores keeps its rows in orders_by_store: a
        run for it would find no store, so it stops here instead of writing
        nothing over its history.
    -#}
    {%- if store_ids is none or not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set found = run_query(
        "select id from " ~ source('raw', 'raw_stores')
        ~ " where id in (" ~ store_ids | join(', ') ~ ")"
    ).columns[0].values() | map('int') | list -%}
    {%- for store_id in store_ids if store_id not in found -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var store_id=" ~ var_repr(store_id)
            ~ ": no such store in raw_stores; expected the id of a store in the data"
            ~ " (a removed store keeps its rows in orders_by_store).") }}
    {%- endfor -%}
{% endmacro %}


{% macro validate_partition_kind_vars() %}
    {#- on-run-start hook, beside validate_partition_vars(). -#}
    {%- do payment_methods_selected() -%}
    {%- do validate_stores_exist(store_ids_selected()) -%}
{% endmacro %}


{% macro sql_strings(values) -%}
    {#- Comma-separated SQL string literals: 'a', 'b'. -#}
    {%- for value in values -%}
        {{ dbt.string_literal(dbt.escape_single_quotes(value)) }}{{ ", " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
