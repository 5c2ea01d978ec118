-- ESPN's own odds as line snapshots: one row per event and distinct line, captured when first
-- fetched (ESPN gives no capture time of its own). Re-fetching an unchanged line adds nothing.
with source as (

    {{ seen_as_of(source('espn', 'espn_event')) }}

),

typed as (

    select
        event_id,
        kickoff_at,
        {{ utc_to_local_date('kickoff_at', league_tz()) }} as game_date,
        home_team_id,
        away_team_id,
        {{ cast_blank('odds_spread', 'double precision') }} as spread_home,
        {{ cast_blank('odds_over_under', 'double precision') }} as total_line,
        cast({{ round_to(cast_blank('home_moneyline', 'double precision'), 0) }} as integer) as moneyline_home,
        cast({{ round_to(cast_blank('away_moneyline', 'double precision'), 0) }} as integer) as moneyline_away,
        first_seen_at
    from source
    where nullif(trim(odds_spread), '') is not null
       or nullif(trim(odds_over_under), '') is not null
       or nullif(trim(home_moneyline), '') is not null

),

final as (

    select
        event_id,
        kickoff_at,
        game_date,
        home_team_id,
        away_team_id,
        spread_home,
        total_line,
        moneyline_home,
        moneyline_away,
        min(first_seen_at) as captured_at
    from typed
    group by event_id, kickoff_at, game_date, home_team_id, away_team_id, spread_home, total_line,
             moneyline_home, moneyline_away

)

select * from final
