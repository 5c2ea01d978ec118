with source as (

    select * from {{ source('outputs', 'game_prediction') }}

),

renamed as (

    select
        run_id,
        league as league_id,
        run_date,
        game_id,
        model as model_name,
        model_version,
        margin_home,
        total as total_points,
        p_home_win,
        p_home_cover,
        p_over,
        spread_home,
        total_line,
        edge,
        play,
        predicted_at
    from source

)

select * from renamed
