-- One row per team per game: that team's form going INTO the game. Every window ends at
-- "1 preceding", so a game's own result (and anything after its kickoff) never reaches it.
--
-- Incremental: only team-games whose kickoff is within `incremental_lookback_days` of the newest
-- one built are (re)written, but their windows are computed over the team's whole history in
-- int__team_game__unioned (the filter comes after the window functions), so a new game's
-- last-N and season-to-date numbers see the earlier games that are not re-written.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['game_id', 'team_id'],
        on_schema_change='fail',
        post_hook="{{ prune_unseen_games() }}"
    )
}}

with team_games as (

    select * from {{ ref('int__team_game__unioned') }}

),

graded as (

    select
        *,
        case ats_result when 'cover' then 1.0 when 'loss' then 0.0 end as ats_cover,
        case when ats_result = 'push' then 1 else 0 end as ats_push
    from team_games

),

windowed as (

    select
        team_game_id,
        game_id,
        team_id,
        season,
        kickoff_at,
        is_home,
        count(points_for) over last_n as games_last_n,
        cast(avg(points_for) over last_n as double precision) as points_for_last_n,
        cast(avg(points_against) over last_n as double precision) as points_against_last_n,
        cast(avg(margin) over last_n as double precision) as margin_last_n,
        count(ats_cover) over last_n as ats_graded_last_n,
        cast(avg(ats_cover) over last_n as double precision) as ats_cover_rate_last_n,
        count(points_for) over season_to_date as games_season,
        sum(win) over season_to_date as wins_season,
        sum(loss) over season_to_date as losses_season,
        cast(avg(points_for) over season_to_date as double precision) as points_for_season,
        cast(avg(points_against) over season_to_date as double precision) as points_against_season,
        cast(avg(margin) over season_to_date as double precision) as margin_season,
        cast(avg(ats_cover) over season_to_date as double precision) as ats_cover_rate_season,
        sum(ats_push) over season_to_date as ats_pushes_season,
        count(points_for) over all_before as games_all_time,
        lag(game_date) over (partition by team_id order by kickoff_at, game_id) as previous_game_date,
        game_date
    from graded
    window
        last_n as (partition by team_id order by kickoff_at, game_id
                   rows between {{ var('form_games') }} preceding and 1 preceding),
        season_to_date as (partition by team_id, season order by kickoff_at, game_id
                           rows between unbounded preceding and 1 preceding),
        all_before as (partition by team_id order by kickoff_at, game_id
                       rows between unbounded preceding and 1 preceding)

),

final as (

    select
        team_game_id,
        game_id,
        team_id,
        kickoff_at,
        is_home,
        games_last_n,
        points_for_last_n,
        points_against_last_n,
        margin_last_n,
        ats_graded_last_n,
        ats_cover_rate_last_n,
        games_season,
        cast(coalesce(wins_season, 0) as integer) as wins_season,
        cast(coalesce(losses_season, 0) as integer) as losses_season,
        points_for_season,
        points_against_season,
        margin_season,
        ats_cover_rate_season,
        cast(coalesce(ats_pushes_season, 0) as integer) as ats_pushes_season,
        games_all_time,
        {{ dbt.datediff('previous_game_date', 'game_date', 'day') }} as days_since_last_game
    from windowed
    where {{ incremental_window_filter('kickoff_at') }}

)

select * from final
