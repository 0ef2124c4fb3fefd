{{ config(**partitioned_model_config('store_id')) }}

{#-
    The dynamic partition type: one row per store, for the stores of the var
    store_id (unset: every store in raw_stores), and only those stores, on the
    first run too. A store that disappears from raw_stores keeps its row: a
    run without store_id builds only the stores in the data, and
    delete+insert deletes only the keys it inserts (Spark's insert_overwrite
    replaces only the partitions it writes); a run with the id of a
    missing store stops in the pre-hook, before writing (validate_stores_exist).
-#}
{%- set store_ids = store_ids_selected() -%}

with

stores as (

    select * from {{ ref('stg_stores') }}

    {% if store_ids is not none -%}
        where store_id in ({{ store_ids | join(', ') }})
    {%- endif %}

),

orders as (

    select * from {{ ref('stg_orders') }}

    {% if store_ids is not none -%}
        where store_id in ({{ store_ids | join(', ') }})
    {%- endif %}

),

payments as (

    select * from {{ ref('stg_payments') }}

),

order_totals as (

    select
        orders.store_id,
        count(distinct orders.order_id) as order_count,
        count(distinct orders.customer_id) as customer_count,
        min(orders.order_date) as first_order_date,
        sum(payments.amount) as revenue

    from orders

    left join payments
        on orders.order_id = payments.order_id

    group by 1

),

final as (

    select
        stores.store_id,
        stores.store_name,
        stores.opened_date,
        order_totals.first_order_date,
        cast(coalesce(order_totals.order_count, 0) as bigint) as order_count,
        cast(coalesce(order_totals.customer_count, 0) as bigint) as customer_count,
        cast(coalesce(order_totals.revenue, 0) as decimal(18, 2)) as revenue

    from stores

    left join order_totals
        on stores.store_id = order_totals.store_id

)

select * from final
