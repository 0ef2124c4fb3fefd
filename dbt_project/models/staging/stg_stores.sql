with

source as (

    select * from {{ source('raw', 'raw_stores') }}

),

renamed as (

    select
        cast(id as bigint) as store_id,
        cast(name as {{ dbt.type_string() }}) as store_name,
        cast(opened_at as date) as opened_date

    from source

)

select * from renamed
