{{ config(**partitioned_model_config(['order_month', 'payment_method'])) }}

{#-
    The two-dimensional partition type: one row per (month, payment method)
    cell, for the months of partition_window() times the methods of
    payment_methods_selected(), and only those cells. The unique_key is the
    pair, and dbt-duckdb's delete+insert with a list key deletes the target
    rows matching a new row on every key column, so a run replaces exactly its
    cells: other methods of the same month and other months of the same method
    stay. On Spark the table is partitioned by both columns and
    insert_overwrite replaces exactly the cells written. Every cell gets a row,
    zeros when it has no payments.
-#}
{%- set window = partition_window() -%}
{%- set methods = payment_methods_selected() -%}

with

months as (

    {{ literal_rows('order_month', partition_months(window), 'date') }}

),

methods as (

    {{ literal_rows('payment_method', methods, dbt.type_string()) }}

),

cells as (

    select
        months.order_month,
        methods.payment_method

    from months

    cross join methods

),

orders as (

    select * from {{ ref('stg_orders') }}

    where
        {{ in_partition_window('order_date', window) }}

),

payments as (

    select * from {{ ref('stg_payments') }}

    where payment_method in ({{ sql_strings(methods) }})

),

cell_totals as (

    select
        cast({{ dbt.date_trunc('month', 'orders.order_date') }} as date) as order_month,
        payments.payment_method,
        count(*) as payment_count,
        count(distinct payments.order_id) as order_count,
        sum(payments.amount) as amount

    from payments

    inner join orders
        on payments.order_id = orders.order_id

    group by 1, 2

),

final as (

    select
        cells.order_month,
        cells.payment_method,
        cast(coalesce(cell_totals.payment_count, 0) as bigint) as payment_count,
        cast(coalesce(cell_totals.order_count, 0) as bigint) as order_count,
        cast(coalesce(cell_totals.amount, 0) as decimal(18, 2)) as amount

    from cells

    left join cell_totals
        on
            cells.order_month = cell_totals.order_month
            and cells.payment_method = cell_totals.payment_method

)

select * from final
