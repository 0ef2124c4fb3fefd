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

{{ monthly_order_numbers() }}

select * from final
