-- ESPN scoreboard events: one row per event from the newest payload. Status mapped to ours
-- (fct__game.status). ESPN's `spread` is already the home handicap (negative = home favored):
-- it becomes spread_home unchanged (CLE @ BAL 2024 week 18: -20.0, BAL favored at home).
with source as (

    {{ seen_as_of(source('espn', 'espn_event')) }}

),

newest as (

    select
        *,
        row_number() over (partition by event_id order by seen_at desc, payload_id desc) as recency_rank
    from source

),

final as (

    select
        event_id,
        kickoff_at,
        {{ utc_to_local_date('kickoff_at', league_tz()) }} as game_date,
        {{ cast_blank('season_year', 'integer') }} as season,
        {{ cast_blank('season_type', 'integer') }} as season_type,
        {{ cast_blank('week', 'integer') }} as week,
        case
            when status_name in ('STATUS_FINAL', 'STATUS_FINAL_OVERTIME', 'STATUS_FINAL_OT') then 'final'
            when status_name = 'STATUS_SCHEDULED' then 'scheduled'
            when status_name = 'STATUS_POSTPONED' then 'postponed'
            when status_name in ('STATUS_CANCELED', 'STATUS_CANCELLED') then 'cancelled'
            else 'in_progress'
        end as status,
        coalesce(lower(neutral_site) = 'true', false) as is_neutral_site,
        home_team_id,
        away_team_id,
        {{ cast_blank('home_score', 'integer') }} as home_score,
        {{ cast_blank('away_score', 'integer') }} as away_score,
        odds_provider,
        odds_details,
        {{ cast_blank('odds_spread', 'double precision') }} as spread_home,
        {{ cast_blank('odds_over_under', 'double precision') }} as total_line,
        cast({{ round_to(cast_blank('home_moneyline', 'double precision'), 0) }} as integer) as moneyline_home,
        cast({{ round_to(cast_blank('away_moneyline', 'double precision'), 0) }} as integer) as moneyline_away,
        fetched_at,
        seen_at,
        payload_id
    from newest
    where recency_rank = 1

)

select * from final
