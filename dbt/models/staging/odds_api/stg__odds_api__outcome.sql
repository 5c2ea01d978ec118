-- The Odds API line snapshots: one row per event, book, market, side and capture time (newest
-- payload wins when two carry the same capture time). Sign: a spreads outcome's point is that
-- team's handicap (negative = favored), so the home outcome's point IS spread_home; the away row
-- carries the same spread_home (= -its own point). Decimal prices are converted to American here.
with source as (

    select * from {{ source('odds_api', 'odds_api_outcome') }}
    -- a bookmaker's line is known from its own capture time on (the run's clock: as_of)
    where captured_at <= {{ as_of() }}

),

typed as (

    select
        event_id,
        bookmaker_key as book_id,
        market_key as market_id,
        case
            when market_key = 'totals' then lower(outcome_name)
            when outcome_name = home_team then 'home'
            when outcome_name = away_team then 'away'
        end as side,
        commence_at as kickoff_at,
        {{ utc_to_local_date('commence_at', league_tz()) }} as game_date,
        home_team_id,
        away_team_id,
        captured_at,
        {{ cast_blank('point', 'double precision') }} as line,
        case
            when odds_format = 'decimal' then {{ decimal_to_american(cast_blank('price', 'double precision')) }}
            else cast({{ round_to(cast_blank('price', 'double precision'), 0) }} as integer)
        end as price_american,
        fetched_at,
        payload_id,
        row_number
    from source

),

newest as (

    select
        *,
        row_number() over (
            partition by event_id, book_id, market_id, side, captured_at
            order by fetched_at desc, payload_id desc, row_number desc
        ) as recency_rank
    from typed

),

final as (

    select
        event_id,
        book_id,
        market_id,
        side,
        kickoff_at,
        game_date,
        home_team_id,
        away_team_id,
        captured_at,
        case when market_id = 'h2h' then cast(null as double precision) else line end as line,
        case
            when market_id = 'spreads' and side = 'home' then line
            when market_id = 'spreads' and side = 'away' then -1.0 * line
        end as spread_home,
        price_american,
        fetched_at,
        payload_id
    from newest
    where recency_rank = 1

)

select * from final
