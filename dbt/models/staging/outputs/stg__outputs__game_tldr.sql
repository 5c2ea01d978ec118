with source as (

    select * from {{ source('outputs', 'game_tldr') }}

),

renamed as (

    select
        run_id,
        league as league_id,
        run_date,
        game_id,
        provider as llm_provider,
        llm_model,
        tldr_text,
        context_hash,
        is_grounded,
        generated_at
    from source

)

select * from renamed
