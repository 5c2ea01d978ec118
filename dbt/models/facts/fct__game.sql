-- One row per game: who, when (kickoff in UTC, game_date in league-local time), where, and the
-- result once final.
with nflverse_games as (

    select * from {{ ref('stg__nflverse__game') }}

),

final as (

    select
        game_id,
        league_id,
        season,
        week,
        game_type,
        game_date,
        kickoff_at,
        home_team_id,
        away_team_id,
        is_neutral_site,
        is_divisional,
        case when home_score is not null and away_score is not null then 'final' else 'scheduled' end as status,
        home_score,
        away_score,
        home_score - away_score as margin_home,
        home_score + away_score as total_points,
        is_overtime,
        home_rest_days,
        away_rest_days,
        roof,
        surface,
        temperature_f,
        wind_mph,
        stadium_name,
        espn_event_id
    from nflverse_games

)

select * from final
