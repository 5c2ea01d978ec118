-- One row per game, as of kickoff: both teams' form (last N, season to date, all time), rest,
-- venue, divisional, the market's line (open, current, close, best) and its movement, vig-free
-- probabilities, roof and weather. Built only from data captured before kickoff: form windows end
-- one game before (feat__team_form), lines are snapshots at or before kickoff, and nothing here
-- reads the game's own score or status.
--
-- Incremental like feat__team_form: the games within `incremental_lookback_days` of the newest
-- game built are re-written on every run (a result that arrived since changes later games' form).
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='game_id',
        on_schema_change='fail',
        post_hook="{{ prune_unseen_games() }}"
    )
}}

with games as (

    select * from {{ ref('fct__game') }}

),

lines as (

    select * from {{ ref('fct__game_line') }}

),

form as (

    select * from {{ ref('feat__team_form') }}

),

games_in_window as (

    select * from games
    where {{ incremental_window_filter('kickoff_at') }}

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
        not games.is_neutral_site as has_home_field,
        games.is_divisional,
        games.game_type <> 'REG' as is_playoff,
        coalesce(games.home_rest_days, home_form.days_since_last_game) as home_rest_days,
        coalesce(games.away_rest_days, away_form.days_since_last_game) as away_rest_days,
        home_form.days_since_last_game as home_days_since_last_game,
        away_form.days_since_last_game as away_days_since_last_game,

        home_form.games_last_n as home_games_last_n,
        home_form.points_for_last_n as home_points_for_last_n,
        home_form.points_against_last_n as home_points_against_last_n,
        home_form.margin_last_n as home_margin_last_n,
        home_form.ats_graded_last_n as home_ats_graded_last_n,
        home_form.ats_cover_rate_last_n as home_ats_cover_rate_last_n,
        home_form.games_season as home_games_season,
        home_form.wins_season as home_wins_season,
        home_form.losses_season as home_losses_season,
        home_form.points_for_season as home_points_for_season,
        home_form.points_against_season as home_points_against_season,
        home_form.margin_season as home_margin_season,
        home_form.ats_cover_rate_season as home_ats_cover_rate_season,
        home_form.games_all_time as home_games_all_time,

        away_form.games_last_n as away_games_last_n,
        away_form.points_for_last_n as away_points_for_last_n,
        away_form.points_against_last_n as away_points_against_last_n,
        away_form.margin_last_n as away_margin_last_n,
        away_form.ats_graded_last_n as away_ats_graded_last_n,
        away_form.ats_cover_rate_last_n as away_ats_cover_rate_last_n,
        away_form.games_season as away_games_season,
        away_form.wins_season as away_wins_season,
        away_form.losses_season as away_losses_season,
        away_form.points_for_season as away_points_for_season,
        away_form.points_against_season as away_points_against_season,
        away_form.margin_season as away_margin_season,
        away_form.ats_cover_rate_season as away_ats_cover_rate_season,
        away_form.games_all_time as away_games_all_time,

        lines.spread_home_open,
        lines.spread_home_current,
        lines.spread_home_close,
        lines.spread_move,
        lines.spread_home_best,
        lines.spread_away_best,
        lines.total_open,
        lines.total_current,
        lines.total_close,
        lines.total_move,
        lines.total_over_best,
        lines.total_under_best,
        lines.moneyline_home_current,
        lines.moneyline_away_current,
        lines.moneyline_home_close,
        lines.moneyline_away_close,
        lines.p_home_vigfree_open,
        lines.p_home_vigfree,
        lines.p_home_vigfree - lines.p_home_vigfree_open as p_home_vigfree_move,
        lines.p_home_cover_vigfree,
        lines.p_over_vigfree,
        coalesce(lines.books, 0) as books,

        games.roof,
        case when games.roof is not null then games.roof in ('dome', 'closed') end as is_indoors,
        games.temperature_f,
        games.wind_mph
    from games_in_window as games
    left join form as home_form
        on games.game_id = home_form.game_id and games.home_team_id = home_form.team_id
    left join form as away_form
        on games.game_id = away_form.game_id and games.away_team_id = away_form.team_id
    left join lines
        on games.game_id = lines.game_id

)

select * from final
