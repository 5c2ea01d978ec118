-- nflverse games: one row per game from the newest payload seen by the run's clock (as_of). Casts, renames and
-- the one sign conversion: nflverse spread_line is positive when the HOME team is favored, our
-- spread_home is the home handicap as a book prints it (negative = home favored).
with source as (

    {{ seen_as_of(source('nflverse', 'nflverse_game')) }}

),

newest as (

    select
        *,
        row_number() over (
            partition by game_id
            order by seen_at desc, (home_score is not null) desc, payload_id desc
        ) as recency_rank
    from source

),

renamed as (

    select
        '{{ var("league_id") }}' as league_id,
        game_id,
        {{ cast_blank('season', 'integer') }} as season,
        game_type,
        {{ cast_blank('week', 'integer') }} as week,
        cast(gameday as date) as game_date,
        {{ local_to_utc(
            "cast(gameday || ' ' || coalesce(nullif(trim(gametime), ''), '" ~ var('default_kickoff_time') ~ "') as timestamp)",
            league_tz()
        ) }} as kickoff_at,
        away_team as away_team_id,
        home_team as home_team_id,
        {{ cast_blank('away_score', 'integer') }} as away_score,
        {{ cast_blank('home_score', 'integer') }} as home_score,
        location = 'Neutral' as is_neutral_site,
        coalesce({{ cast_blank('overtime', 'integer') }}, 0) = 1 as is_overtime,
        -1.0 * {{ cast_blank('spread_line', 'double precision') }} as spread_home,
        {{ cast_blank('total_line', 'double precision') }} as total_line,
        {{ cast_blank('home_moneyline', 'integer') }} as moneyline_home,
        {{ cast_blank('away_moneyline', 'integer') }} as moneyline_away,
        {{ cast_blank('home_spread_odds', 'integer') }} as spread_price_home,
        {{ cast_blank('away_spread_odds', 'integer') }} as spread_price_away,
        {{ cast_blank('over_odds', 'integer') }} as price_over,
        {{ cast_blank('under_odds', 'integer') }} as price_under,
        {{ cast_blank('home_rest', 'integer') }} as home_rest_days,
        {{ cast_blank('away_rest', 'integer') }} as away_rest_days,
        coalesce({{ cast_blank('div_game', 'integer') }}, 0) = 1 as is_divisional,
        nullif(trim(roof), '') as roof,
        nullif(trim(surface), '') as surface,
        {{ cast_blank('temp', 'integer') }} as temperature_f,
        {{ cast_blank('wind', 'integer') }} as wind_mph,
        nullif(trim(espn), '') as espn_event_id,
        nullif(trim(stadium), '') as stadium_name,
        nullif(trim(home_qb_id), '') as home_qb_id,
        nullif(trim(away_qb_id), '') as away_qb_id,
        nullif(trim(home_qb_name), '') as home_qb_name,
        nullif(trim(away_qb_name), '') as away_qb_name,
        nullif(trim(home_coach), '') as home_coach,
        nullif(trim(away_coach), '') as away_coach,
        fetched_at,
        seen_at,
        first_seen_at,
        payload_id
    from newest
    where recency_rank = 1

)

select * from renamed
