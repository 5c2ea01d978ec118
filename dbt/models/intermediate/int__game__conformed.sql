-- One row per game, whichever sources know it. Precedence (documented in _intermediate__models.yml):
-- 1. ids, teams, kickoff and venue: nflverse (the replay and nflverse providers) first; an ESPN
--    event no nflverse game matches becomes a game of its own (nflverse-style id for regular-season
--    weeks, `espn_<event id>` otherwise).
-- 2. a live source's event is matched to a game by league-local date + home team + away team codes
--    (codes come from the one alias table at ingestion).
-- 3. status: final when a final score is known; otherwise ESPN's status (scheduled, in_progress,
--    postponed, cancelled); otherwise scheduled.
-- 4. scores: nflverse, then an ESPN final, then a completed Odds API score.
-- 5. over all of them: a person's correction (stg__corrections__result: the newest one the run's
--    clock can see), which also makes the game final.
with nflverse_games as (

    select * from {{ ref('stg__nflverse__game') }}

),

espn_events as (

    select * from {{ ref('stg__espn__event') }}

),

odds_api_scores as (

    select * from {{ ref('stg__odds_api__score') }}

),

corrections as (

    select * from {{ ref('stg__corrections__result') }}

),

espn_only as (

    select espn_events.*
    from espn_events
    left join nflverse_games
        on nflverse_games.game_date = espn_events.game_date
        and nflverse_games.home_team_id = espn_events.home_team_id
        and nflverse_games.away_team_id = espn_events.away_team_id
    where nflverse_games.game_id is null

),

games as (

    select
        game_id, league_id, season, week, game_type, game_date, kickoff_at, home_team_id, away_team_id,
        is_neutral_site, is_divisional, home_score, away_score, is_overtime, home_rest_days, away_rest_days,
        roof, surface, temperature_f, wind_mph, stadium_name, espn_event_id,
        home_qb_id, away_qb_id, home_qb_name, away_qb_name, home_coach, away_coach,
        'nflverse' as id_source_id
    from nflverse_games
    union all
    select
        case
            when season_type = 2 and season is not null and week is not null
                then cast(season as {{ dbt.type_string() }}) || '_'
                    || lpad(cast(week as {{ dbt.type_string() }}), 2, '0') || '_' || away_team_id || '_' || home_team_id
            else 'espn_' || event_id
        end as game_id,
        '{{ var("league_id") }}' as league_id,
        season,
        week,
        case season_type when 1 then 'PRE' when 2 then 'REG' when 3 then 'POST' end as game_type,
        game_date,
        kickoff_at,
        home_team_id,
        away_team_id,
        is_neutral_site,
        false as is_divisional,
        cast(null as integer) as home_score,
        cast(null as integer) as away_score,
        false as is_overtime,
        cast(null as integer) as home_rest_days,
        cast(null as integer) as away_rest_days,
        cast(null as {{ dbt.type_string() }}) as roof,
        cast(null as {{ dbt.type_string() }}) as surface,
        cast(null as integer) as temperature_f,
        cast(null as integer) as wind_mph,
        cast(null as {{ dbt.type_string() }}) as stadium_name,
        event_id as espn_event_id,
        cast(null as {{ dbt.type_string() }}) as home_qb_id,
        cast(null as {{ dbt.type_string() }}) as away_qb_id,
        cast(null as {{ dbt.type_string() }}) as home_qb_name,
        cast(null as {{ dbt.type_string() }}) as away_qb_name,
        cast(null as {{ dbt.type_string() }}) as home_coach,
        cast(null as {{ dbt.type_string() }}) as away_coach,
        'espn' as id_source_id
    from espn_only

),

final as (

    select
        games.game_id,
        games.league_id,
        games.season,
        games.week,
        games.game_type,
        games.game_date,
        games.kickoff_at,
        games.home_team_id,
        games.away_team_id,
        games.is_neutral_site,
        games.is_divisional,
        case
            when corrections.game_id is not null then 'final'
            when games.home_score is not null and games.away_score is not null then 'final'
            when espn_events.status = 'final' and espn_events.home_score is not null then 'final'
            when odds_api_scores.is_completed and odds_api_scores.home_score is not null then 'final'
            when espn_events.status is not null and espn_events.status <> 'final' then espn_events.status
            else 'scheduled'
        end as status,
        coalesce(
            corrections.home_score,
            games.home_score,
            case when espn_events.status = 'final' then espn_events.home_score end,
            case when odds_api_scores.is_completed then odds_api_scores.home_score end
        ) as home_score,
        coalesce(
            corrections.away_score,
            games.away_score,
            case when espn_events.status = 'final' then espn_events.away_score end,
            case when odds_api_scores.is_completed then odds_api_scores.away_score end
        ) as away_score,
        games.is_overtime,
        games.home_rest_days,
        games.away_rest_days,
        games.roof,
        games.surface,
        games.temperature_f,
        games.wind_mph,
        games.stadium_name,
        games.home_qb_id,
        games.away_qb_id,
        games.home_qb_name,
        games.away_qb_name,
        games.home_coach,
        games.away_coach,
        coalesce(games.espn_event_id, espn_events.event_id) as espn_event_id,
        odds_api_scores.event_id as odds_api_event_id,
        games.id_source_id,
        case
            when corrections.game_id is not null then 'correction'
            when games.home_score is not null and games.away_score is not null then games.id_source_id
            when espn_events.status = 'final' and espn_events.home_score is not null then 'espn'
            when odds_api_scores.is_completed and odds_api_scores.home_score is not null then 'odds_api'
        end as score_source_id,
        corrections.correction_id
    from games
    left join espn_events
        on espn_events.game_date = games.game_date
        and espn_events.home_team_id = games.home_team_id
        and espn_events.away_team_id = games.away_team_id
    left join odds_api_scores
        on odds_api_scores.game_date = games.game_date
        and odds_api_scores.home_team_id = games.home_team_id
        and odds_api_scores.away_team_id = games.away_team_id
    left join corrections
        on corrections.game_id = games.game_id

)

select * from final
