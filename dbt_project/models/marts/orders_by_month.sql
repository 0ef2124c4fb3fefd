{{ config(**partitioned_model_config('order_month')) }}

{#-
    One row per month of the window from partition_window() (see
    macros/partition_window.sql), and only those months: the filter applies on
    the first run too, so a first run for one partition writes one month, not
    all history. Every month of the window gets a row, zeros when it has no
    orders, so delete+insert (insert_overwrite of its partition on Spark)
    replaces a month whose orders vanished instead of leaving it stale.

    It reads the staging views, not the orders mart: a partition is then a
    function of the raw rows of its months alone, so re-materializing a month
    picks up late-arriving orders without rebuilding any other table first.
-#}
{%- set window = partition_window() -%}
{%- set statuses = var('order_statuses') -%}
{%- set payment_methods = var('payment_methods') -%}

with

months as (

    -- every month of the window, so a month without orders still gets a row
    {{ literal_rows('order_month', partition_months(window), 'date') }}

),

orders as (

    select * from {{ ref('stg_orders') }}

    where
        {{ in_partition_window('order_date', window) }}

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
