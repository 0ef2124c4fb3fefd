with

source as (

    select * from {{ source('raw', 'raw_orders') }}

),

renamed as (

    select
        cast(id as bigint) as order_id,
        cast(user_id as bigint) as customer_id,
        cast(store_id as bigint) as store_id,
        cast(order_date as date) as order_date,
        cast(status as {{ dbt.type_string() }}) as status

    from source

)

select * from renamed
