-- One row per team per game (each game twice: once for the home team, once for the away team),
-- from that team's point of view: points for and against, margin, its handicap in the market's
-- last pre-kickoff consensus, and the against-the-spread result. The long form the rolling
-- team features window over. Built from the conformed facts (scores from fct__game, the line
-- from fct__game_line) so every source feeds it the same way.
with games as (

    select * from {{ ref('fct__game') }}

),

lines as (

    select * from {{ ref('fct__game_line') }}

),

games_with_line as (

    select
        games.game_id,
        games.league_id,
        games.season,
        games.game_type,
        games.kickoff_at,
        games.game_date,
        games.home_team_id,
        games.away_team_id,
        games.is_neutral_site,
        games.home_score,
        games.away_score,
        lines.spread_home_current
    from games
    left join lines on games.game_id = lines.game_id

),

unioned as (

    select
        game_id, league_id, season, game_type, kickoff_at, game_date,
        home_team_id as team_id,
        away_team_id as opponent_team_id,
        true as is_home,
        is_neutral_site,
        home_score as points_for,
        away_score as points_against,
        spread_home_current as team_spread
    from games_with_line
    union all
    select
        game_id, league_id, season, game_type, kickoff_at, game_date,
        away_team_id as team_id,
        home_team_id as opponent_team_id,
        false as is_home,
        is_neutral_site,
        away_score as points_for,
        home_score as points_against,
        -1.0 * spread_home_current as team_spread
    from games_with_line

),

final as (

    select
        {{ dbt.concat(['game_id', "'-'", 'team_id']) }} as team_game_id,
        game_id,
        league_id,
        season,
        game_type,
        kickoff_at,
        game_date,
        team_id,
        opponent_team_id,
        is_home,
        is_neutral_site,
        points_for,
        points_against,
        points_for - points_against as margin,
        points_for is not null and points_against is not null as is_final,
        case when points_for is null or points_against is null then null
             when points_for > points_against then 1.0 else 0.0 end as win,
        case when points_for is null or points_against is null then null
             when points_for < points_against then 1.0 else 0.0 end as loss,
        team_spread,
        {{ ats_result('points_for - points_against', 'team_spread') }} as ats_result
    from unioned

)

select * from final
