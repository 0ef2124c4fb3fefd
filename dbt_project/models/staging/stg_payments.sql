with

source as (

    select * from {{ source('raw', 'raw_payments') }}

),

renamed as (

    select
        id as payment_id,
        order_id,
        payment_method,
        -- amount is stored in cents; dollars are exact in decimal(16, 2)
        {{ cents_to_dollars('amount') }} as amount

    from source

)

select * from renamed
