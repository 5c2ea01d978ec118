-- One row per game: who, when (kickoff in UTC, game_date in league-local time), where, and the
-- result once final. Games come conformed across sources (int__game__conformed: nflverse first,
-- live sources matched by local date + teams), with their status; `score_source_id` says where the
-- score came from ('correction' with its `correction_id` when a person corrected it).
with games as (

    select * from {{ ref('int__game__conformed') }}

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
        status,
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
        home_qb_id,
        away_qb_id,
        home_qb_name,
        away_qb_name,
        home_coach,
        away_coach,
        espn_event_id,
        score_source_id,
        correction_id
    from games

)

select * from final
