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

{{ monthly_order_numbers() }}

select * from final
