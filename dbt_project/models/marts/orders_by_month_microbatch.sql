{{
    config(
        materialized='incremental',
        incremental_strategy='microbatch',
        event_time='order_month',
        batch_size='month',
        begin=var('partitions_start_date'),
        unique_key=microbatch_unique_key('order_month'),
        partition_by=microbatch_partition_by('order_month'),
        on_schema_change='fail',
    )
}}

{#-
    orders_by_month built by dbt's microbatch strategy instead of Dagster's
    windows and delete+insert: the same columns and the same rows. dbt cuts
    the run into one batch per month (--event-time-start/--event-time-end,
    `begin` on a first run) and reads stg_orders filtered to the batch's
    month, as stg_orders has `event_time: order_date`; stg_payments has none
    and is read whole, so the join keeps only the batch's payments. Each
    batch writes one row for its month, zeros when it has no orders, so the
    batch replaces (DuckDB: delete+insert on order_month; Postgres: MERGE on
    order_month; Spark: insert overwrite of its order_month partition) a
    month whose orders vanished. macros/microbatch.sql has the per-target
    config and the months; docs/microbatch.md compares the two models.
-#}
{%- set statuses = var('order_statuses') -%}
{%- set payment_methods = var('payment_methods') -%}

with

months as (

    -- every month of the batch, so a month without orders still gets a row
    {{ literal_rows('order_month', microbatch_months(), 'date') }}

),

orders as (

    -- dbt filters stg_orders (event_time order_date) to the batch's month
    select * from {{ ref('stg_orders') }}

),

payments as (

    select * from {{ ref('stg_payments') }}

),

monthly_orders as (

    select
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as order_month,
        count(*) as order_count,

        {% for status in statuses -%}
            sum(case when status = '{{ status }}' then 1 else 0 end) as {{ status }}_count,
        {% endfor -%}

        count(distinct customer_id) as customer_count

    from orders

    group by 1

),

monthly_payments as (

    select
        cast({{ dbt.date_trunc('month', 'orders.order_date') }} as date) as order_month,

        {% for payment_method in payment_methods -%}
            sum(
                case
                    when payments.payment_method = '{{ payment_method }}' then payments.amount
                    else 0
                end
            ) as {{ payment_method }}_amount,
        {% endfor -%}

        sum(payments.amount) as revenue

    -- the join keeps only the window's payments; order ids grow with
    -- order_date, so DuckDB's join filter skips the other row groups
    from payments

    inner join orders
        on payments.order_id = orders.order_id

    group by 1

),

final as (

    -- explicit types, the same on every target: sums of integers are
    -- hugeint on DuckDB and numeric on Postgres, sums of decimals widen
    select
        months.order_month,
        cast(coalesce(monthly_orders.order_count, 0) as bigint) as order_count,
        cast(coalesce(monthly_orders.customer_count, 0) as bigint) as customer_count,

        {% for status in statuses -%}
            cast(coalesce(monthly_orders.{{ status }}_count, 0) as bigint) as {{ status }}_count,
        {% endfor -%}

        {% for payment_method in payment_methods -%}
            cast(coalesce(monthly_payments.{{ payment_method }}_amount, 0) as decimal(18, 2))
                as {{ payment_method }}_amount,
        {% endfor -%}

        cast(coalesce(monthly_payments.revenue, 0) as decimal(18, 2)) as revenue,
        cast(
            coalesce(
                {{ divide_money(
                    'monthly_payments.revenue', 'nullif(monthly_orders.order_count, 0)'
                ) }},
                0
            )
            as decimal(18, 2)
        ) as average_order_value

    from months

    left join monthly_orders
        on months.order_month = monthly_orders.order_month

    left join monthly_payments
        on months.order_month = monthly_payments.order_month

)

select * from final
