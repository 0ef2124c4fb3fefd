with

source as (

    select * from {{ source('raw', 'raw_customers') }}

),

renamed as (

    select
        cast(id as bigint) as customer_id,
        cast(first_name as {{ dbt.type_string() }}) as first_name,
        cast(last_name as {{ dbt.type_string() }}) as last_name

    from source

)

select * from renamed
