-- Every model's prediction of every game that has outputs, for the slate's predictions list.
with predictions as (

    select * from {{ ref('stg__outputs__game_prediction') }}

),

final as (

    select
        run_id,
        league_id,
        run_date,
        game_id,
        model_name,
        model_version,
        margin_home,
        total_points,
        p_home_win,
        p_home_cover,
        p_over,
        edge,
        play,
        p_push,
        side,
        price_american,
        fair_american,
        stake,
        rule_json
    from predictions

)

select * from final
