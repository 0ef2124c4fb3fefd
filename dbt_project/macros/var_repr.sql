{% macro var_repr(value) %}
    {#-
        A var's value as an error message shows it, whatever YAML made of it.

        --vars is YAML, so a value can be a string, a number, a boolean, a
        date, a list or a mapping, and dates can sit inside lists and
        mappings ({partition_key: [2018-03-01]}). tojson() alone fails on a
        date ("Object of type date is not JSON serializable") and the var
        goes unnamed, so this renders JSON itself:
            none, true, false        null, true, false
            a string                 "2018-03-01" (JSON-quoted)
            a number, a date         its text, quoted: "201803", "2018-03-01"
            a list, a mapping        [...], {"key": ...}, recursively
        Numbers and dates are quoted as the text the validation reads, so a
        value says the same whether it came as YAML or as a JSON string.
    -#}
    {%- if value is none -%}
        {{- return('null') -}}
    {%- elif value is boolean -%}
        {{- return('true' if value else 'false') -}}
    {%- elif value is string -%}
        {{- return(tojson(value)) -}}
    {%- elif value is mapping -%}
        {%- set items = [] -%}
        {%- for key, item in value.items() -%}
            {%- do items.append(tojson(key | string) ~ ': ' ~ var_repr(item)) -%}
        {%- endfor -%}
        {{- return('{' ~ items | join(', ') ~ '}') -}}
    {%- elif value is iterable -%}
        {%- set items = [] -%}
        {%- for item in value -%}
            {%- do items.append(var_repr(item)) -%}
        {%- endfor -%}
        {{- return('[' ~ items | join(', ') ~ ']') -}}
    {%- endif -%}
    {{- return(tojson(value | string)) -}}
{% endmacro %}
