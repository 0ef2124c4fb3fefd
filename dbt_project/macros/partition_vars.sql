{#
    The category and dynamic partition vars, beside partition_window() (the
    time vars, macros/partition_window.sql).

    var             values                                   unset
    --------------  ---------------------------------------  -------------------
    payment_method  one of var('payment_methods'), or a      every payment method
                    list of them (a Dagster run of several
                    partitions passes a list)
    store_id        a store id (integer, or its digits as    every store in
                    text) that is in raw_stores, or a list    raw_stores
                    of them (a Dagster run of several
                    partitions passes a list)

    When the vars are checked: each model checks the vars it reads, when it
    compiles, just before it runs. A bad var stops that model before any of
    its SQL and the error is headed with its name ("Compilation Error in
    model orders_by_month"); a model that does not read the var builds as
    usual. dbt parses every model of the project with the run's vars,
    whatever is selected, so at parse time (`execute` false) these macros
    check nothing and return a stand-in: checked there, a bad var would be
    reported against whichever model dbt happened to parse first. The checks
    that need the warehouse or the run's flags (a store missing from
    raw_stores, --full-refresh with a window) are in the model's pre-hook,
    partitioned_model_pre_hook(), which runs before the model writes.
#}

{% macro payment_methods_selected() %}
    {#- The validated list of payment methods to build, in var('payment_methods') order. -#}
    {%- set allowed = var('payment_methods') -%}
    {%- set value = var('payment_method', none) -%}
    {%- if value is none or not execute -%}
        {{- return(allowed) -}}
    {%- endif -%}
    {%- set expected = "expected one of " ~ quoted(allowed)
        ~ " (the payment_methods var in dbt_project.yml), or a non-empty list of them" -%}
    {%- set values = _one_or_more('payment_method', value, expected) -%}
    {%- for method in values -%}
        {%- if method is not string or method not in allowed -%}
            {%- do raise_invalid_var('payment_method', method, expected) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(allowed | select('in', values) | list) -}}
{% endmacro %}


{% macro store_ids_selected() %}
    {#- The validated store ids to build (a list), or none for every store. -#}
    {%- set value = var('store_id', none) -%}
    {%- if value is none or not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set expected = "expected the id of a store in raw_stores (a positive integer),"
        ~ " or a non-empty list of them" -%}
    {%- set ids = [] -%}
    {%- for item in _one_or_more('store_id', value, expected) -%}
        {%- set text = item | string -%}
        {%- if item is boolean or not modules.re.fullmatch('[1-9][0-9]{0,17}', text) -%}
            {%- do raise_invalid_var('store_id', item, expected) -%}
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
            "Invalid var store_id=" ~ quoted(store_id)
            ~ ": no such store in raw_stores; expected the id of a store in the data"
            ~ " (a removed store keeps its rows in orders_by_store).") }}
    {%- endfor -%}
{% endmacro %}


{% macro _one_or_more(name, value, expected) %}
    {#- A var given as one value or a non-empty list of them, as a list. -#}
    {%- if value is string or value is number -%}
        {{- return([value]) -}}
    {%- elif value is iterable and value is not mapping and value | length > 0 -%}
        {{- return(value | list) -}}
    {%- endif -%}
    {%- do raise_invalid_var(name, value, expected) -%}
{% endmacro %}


{% macro raise_invalid_var(name, value, expected) %}
    {#- Stop: the var, its value as given and what is allowed, in one sentence. -#}
    {{ exceptions.raise_compiler_error(
        "Invalid var " ~ name ~ "=" ~ quoted(value) ~ ": " ~ expected ~ ".") }}
{% endmacro %}


{% macro quoted(value) %}
    {#-
        A var's value as an error message shows it: JSON (dbt's tojson), with
        each value as the text the checks read, so a value reads the same
        whether it came as YAML or as JSON: "2018-03-01" (a string or a YAML
        date), "201803" (a number), ["2018-03-01"], {"key": "value"}, null.
        A list's or mapping's items are shown as their text too: YAML dates
        inside them are not JSON, and tojson fails on them.
    -#}
    {%- if value is none or value is boolean -%}
        {{- return(tojson(value)) -}}
    {%- elif value is mapping -%}
        {{- return(tojson(dict(value.items() | map('map', 'string') | map('list')))) -}}
    {%- elif value is iterable and value is not string -%}
        {{- return(tojson(value | map('string') | list)) -}}
    {%- endif -%}
    {{- return(tojson(value | string)) -}}
{% endmacro %}
