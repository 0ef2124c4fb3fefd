{#
    Generic test: no two rows share the same values in `columns` (a composite
    key). dbt_utils has one, but this project takes no dbt packages.
#}
{% test unique_combination(model, columns) %}

    select
        {{ columns | join(', ') }},
        count(*) as row_count

    from {{ model }}

    group by {{ columns | join(', ') }}

    having count(*) > 1

{% endtest %}
