{{ config(**partitioned_model_config('payment_method')) }}

{#-
    The category partition type: one row per payment method, for the methods
    of payment_methods_selected() (var payment_method; unset, all of them) and
    only those, on the first run too. Every selected method gets a row, zeros
    when it has no payments, so delete+insert (insert_overwrite of its
    partition on Spark) never leaves a method stale.
-#}
{%- set methods = payment_methods_selected() -%}

with

methods as (

    {{ literal_rows('payment_method', methods, dbt.type_string()) }}

),

payments as (

    select * from {{ ref('stg_payments') }}

    where payment_method in ({{ sql_strings(methods) }})

),

method_totals as (

    select
        payment_method,
        count(*) as payment_count,
        count(distinct order_id) as order_count,
        sum(amount) as amount

    from payments

    group by 1

),

final as (

    select
        methods.payment_method,
        cast(coalesce(method_totals.payment_count, 0) as bigint) as payment_count,
        cast(coalesce(method_totals.order_count, 0) as bigint) as order_count,
        cast(coalesce(method_totals.amount, 0) as decimal(18, 2)) as amount

    from methods

    left join method_totals
        on methods.payment_method = method_totals.payment_method

)

select * from final
