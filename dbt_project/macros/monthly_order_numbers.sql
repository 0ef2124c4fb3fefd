{#-
    The month-by-month numbers of orders_by_month and orders_by_month_microbatch:
    the CTEs after their own `months` (one row per month to build), `orders`
    (those months' orders) and `payments`, ending in `final`. The two models
    differ only in how they choose the months (Dagster's window and
    delete+insert, or dbt's batch), never in what a month holds.
-#}
{% macro monthly_order_numbers() -%}
{%- set statuses = var('order_statuses') -%}
{%- set payment_methods = var('payment_methods') -%}
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
{%- endmacro %}
