with

source as (

    select * from {{ source('raw', 'raw_payments') }}

),

renamed as (

    select
        cast(id as bigint) as payment_id,
        cast(order_id as bigint) as order_id,
        cast(payment_method as {{ dbt.type_string() }}) as payment_method,
        -- amount is stored in cents; dollars are exact in decimal(16, 2)
        {{ cents_to_dollars('amount') }} as amount

    from source

)

select * from renamed
