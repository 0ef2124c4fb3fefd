{{ config(meta={'dagster': {'ref': {'name': 'orders_by_month'}}}) }}

{#-
    Reconciliation: over the months of the window (partition_window(): the
    run's months, or every partition month without vars) that orders_by_month
    holds, its order_count and revenue add up to the same totals computed
    straight from the staging views. Returns one row (the failure) when they
    differ, e.g. a month was materialized before late orders arrived and not
    re-materialized since.

    The window keeps a partition run's check as cheap as its model: it reads
    the run's months of raw data, not all history. Every month is audited by
    `dbt test --select orders_by_month_reconciles` without vars, or a
    Dagster run of this check alone over all partitions (docs/failure-modes.md, "Data quality").
-#}
{%- set window = partition_window() -%}

with

orders_by_month as (

    select * from {{ ref('orders_by_month') }}

    where
        {{ in_partition_window('order_month', window) }}

),

stg_orders as (

    select * from {{ ref('stg_orders') }}

    where
        {{ in_partition_window('order_date', window) }}

),

stg_payments as (

    select * from {{ ref('stg_payments') }}

),

staged_orders as (

    select stg_orders.order_id
    from stg_orders
    inner join orders_by_month
        on
            cast({{ dbt.date_trunc('month', 'stg_orders.order_date') }} as date)
            = orders_by_month.order_month

),

-- both sides as bigint and decimal(18, 2): exact, and the same types on
-- every target, so != compares cents, never floats
materialized_totals as (

    select
        cast(coalesce(sum(order_count), 0) as bigint) as order_count,
        cast(coalesce(sum(revenue), 0) as decimal(18, 2)) as revenue
    from orders_by_month

),

staged_order_count as (

    select cast(count(*) as bigint) as order_count
    from staged_orders

),

staged_revenue as (

    select cast(coalesce(sum(stg_payments.amount), 0) as decimal(18, 2)) as revenue
    from stg_payments
    inner join staged_orders
        on stg_payments.order_id = staged_orders.order_id

),

staged_totals as (

    select
        staged_order_count.order_count,
        staged_revenue.revenue
    from staged_order_count
    cross join staged_revenue

),

final as (

    select
        materialized_totals.order_count as materialized_order_count,
        staged_totals.order_count as staged_order_count,
        materialized_totals.revenue as materialized_revenue,
        staged_totals.revenue as staged_revenue
    from materialized_totals
    cross join staged_totals
    where
        materialized_totals.order_count != staged_totals.order_count
        or materialized_totals.revenue != staged_totals.revenue

)

select * from final
