-- Only the outputs of each date's validated run are visible (outputs.validated_run, switched by
-- validation): a run writes under its own run_id, so one that fails leaves the date as it was
-- (dlt's load ids: rows whose load has no completion record are invisible to readers).
with source as (

    select * from {{ source('outputs', 'game_prediction') }}

),

validated as (

    select * from {{ source('outputs', 'validated_run') }}

),

renamed as (

    select
        source.run_id,
        source.league as league_id,
        source.run_date,
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
        p_push,
        side,
        price_american,
        fair_american,
        stake,
        rule_json,
        predicted_at
    from source
    inner join validated
        on validated.run_id = source.run_id
        and validated.league = source.league
        and validated.run_date = source.run_date
    where source.league = '{{ var("league_id") }}'

)

select * from renamed
