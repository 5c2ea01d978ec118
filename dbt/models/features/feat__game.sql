-- One row per game, as of kickoff: both teams' form, rest, venue, the market's line and its
-- movement, implied probability, roof and weather. Only data from before kickoff.
with games as (

    select * from {{ ref('fct__game') }}

),

lines as (

    select * from {{ ref('fct__game_line') }}

),

form as (

    select * from {{ ref('feat__team_form') }}

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
        games.game_type <> 'REG' as is_playoff,
        coalesce(games.home_rest_days, home_form.rest_days) as home_rest_days,
        coalesce(games.away_rest_days, away_form.rest_days) as away_rest_days,
        home_form.games_last_n as home_games_last_n,
        home_form.points_for_last_n as home_points_for_last_n,
        home_form.points_against_last_n as home_points_against_last_n,
        home_form.margin_last_n as home_margin_last_n,
        home_form.ats_cover_rate_last_n as home_ats_cover_rate_last_n,
        home_form.games_season as home_games_season,
        home_form.wins_season as home_wins_season,
        home_form.losses_season as home_losses_season,
        home_form.games_all_time as home_games_all_time,
        away_form.games_last_n as away_games_last_n,
        away_form.points_for_last_n as away_points_for_last_n,
        away_form.points_against_last_n as away_points_against_last_n,
        away_form.margin_last_n as away_margin_last_n,
        away_form.ats_cover_rate_last_n as away_ats_cover_rate_last_n,
        away_form.games_season as away_games_season,
        away_form.wins_season as away_wins_season,
        away_form.losses_season as away_losses_season,
        away_form.games_all_time as away_games_all_time,
        lines.spread_home_open,
        lines.spread_home_close,
        lines.spread_move,
        lines.total_open,
        lines.total_close,
        lines.total_move,
        lines.moneyline_home_close,
        lines.moneyline_away_close,
        lines.p_home_vigfree,
        coalesce(lines.books, 0) as books,
        games.roof,
        games.roof in ('dome', 'closed') as is_indoors,
        games.temperature_f,
        games.wind_mph
    from games
    left join form as home_form
        on games.game_id = home_form.game_id and games.home_team_id = home_form.team_id
    left join form as away_form
        on games.game_id = away_form.game_id and games.away_team_id = away_form.team_id
    left join lines
        on games.game_id = lines.game_id

)

select * from final
