{% macro lock_partitions(keys=none) %}
    {#-
        Let two runs that write the same partition take turns (the last step
        of partitioned_model_pre_hook()). Dispatched, because only some
        warehouses need it.

        keys: the run's partition keys (months, methods, store ids), or none
        when the run's partitions are not known before it runs (it then waits
        for every other writer of the table).
    -#}
    {{- return(adapter.dispatch('lock_partitions')(keys)) -}}
{% endmacro %}


{% macro default__lock_partitions(keys) %}
    {#- DuckDB: one writer process per file, so two runs never overlap. -#}
{% endmacro %}


{% macro postgres__lock_partitions(keys) %}
    {#-
        Postgres lets runs write at once. delete+insert under READ COMMITTED
        would let two runs of the same month both delete the old row and both
        insert: a duplicate. So each run takes a transaction-scoped advisory
        lock per partition key (sorted, so two runs never wait on each other
        in a cycle) before the model's transaction deletes anything; the
        second run waits for the first's commit, then replaces its rows. Runs
        of other keys share the table's lock and go on in parallel; a run
        without keys takes the table's lock alone.
    -#}
    {%- set table_key = "hashtext(" ~ dbt.string_literal(this | string) ~ ")" -%}
    {%- if keys is none %}
    select pg_advisory_xact_lock({{ table_key }})
    {%- else %}
    select pg_advisory_xact_lock_shared({{ table_key }});
    {%- for key in keys | map('string') | unique | sort %}
    select pg_advisory_xact_lock({{ table_key }}, hashtext({{ dbt.string_literal(key) }}));
    {%- endfor %}
    {%- endif %}
{% endmacro %}
