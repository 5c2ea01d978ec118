-- One row per team per game: that team's form going INTO the game. Every window ends at
-- "1 preceding", so a game's own result (and anything after its kickoff) never reaches it.
with games as (

    select * from {{ ref('fct__game') }}

),

lines as (

    select game_id, spread_home_close from {{ ref('fct__game_line') }}

),

games_with_close as (

    select games.*, lines.spread_home_close
    from games
    left join lines on games.game_id = lines.game_id

),

team_games as (

    select game_id, season, kickoff_at, home_team_id as team_id, true as is_home,
           home_score as points_for, away_score as points_against, spread_home_close as team_spread
    from games_with_close
    union all
    select game_id, season, kickoff_at, away_team_id as team_id, false as is_home,
           away_score as points_for, home_score as points_against, -1.0 * spread_home_close as team_spread
    from games_with_close

),

graded as (

    select
        *,
        points_for - points_against as margin,
        case when points_for is null then null
             when (points_for - points_against) + team_spread > 0 then 1.0
             when (points_for - points_against) + team_spread < 0 then 0.0
        end as ats_cover
    from team_games

),

windowed as (

    select
        game_id,
        team_id,
        is_home,
        count(points_for) over last_n as games_last_n,
        cast(avg(points_for) over last_n as double precision) as points_for_last_n,
        cast(avg(points_against) over last_n as double precision) as points_against_last_n,
        cast(avg(margin) over last_n as double precision) as margin_last_n,
        cast(avg(ats_cover) over last_n as double precision) as ats_cover_rate_last_n,
        count(points_for) over season_to_date as games_season,
        sum(case when margin > 0 then 1 else 0 end) over season_to_date as wins_season,
        sum(case when margin < 0 then 1 else 0 end) over season_to_date as losses_season,
        cast(avg(margin) over season_to_date as double precision) as margin_season,
        count(points_for) over all_before as games_all_time,
        lag(kickoff_at) over (partition by team_id order by kickoff_at) as previous_kickoff_at,
        kickoff_at
    from graded
    window
        last_n as (partition by team_id order by kickoff_at
                   rows between {{ var('form_games') }} preceding and 1 preceding),
        season_to_date as (partition by team_id, season order by kickoff_at
                           rows between unbounded preceding and 1 preceding),
        all_before as (partition by team_id order by kickoff_at
                       rows between unbounded preceding and 1 preceding)

),

final as (

    select
        game_id,
        team_id,
        is_home,
        games_last_n,
        points_for_last_n,
        points_against_last_n,
        margin_last_n,
        ats_cover_rate_last_n,
        games_season,
        coalesce(wins_season, 0) as wins_season,
        coalesce(losses_season, 0) as losses_season,
        margin_season,
        games_all_time,
        {{ dbt.datediff('previous_kickoff_at', 'kickoff_at', 'day') }} as rest_days
    from windowed

)

select * from final
