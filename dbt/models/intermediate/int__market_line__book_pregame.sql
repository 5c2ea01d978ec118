-- One row per game, book, market and side: that book's opening line (its first snapshot) and its
-- current line (its newest snapshot at or before kickoff), each with its vig-free probability.
-- Only snapshots captured at or before kickoff count: a live in-game line never reaches a feature.
-- Reads the conformed facts (games for kickoff, snapshots for lines) rather than staging, so every
-- source the snapshot union grows to is covered here without change.
with snapshots as (

    select * from {{ ref('fct__market_snapshot') }}

),

games as (

    select * from {{ ref('fct__game') }}

),

pregame as (

    select
        snapshots.game_id,
        snapshots.book_id,
        snapshots.market_id,
        snapshots.side,
        snapshots.captured_at,
        snapshots.line,
        snapshots.price_american,
        games.kickoff_at
    from snapshots
    inner join games on snapshots.game_id = games.game_id
    where snapshots.captured_at <= games.kickoff_at
        -- the incremental snapshot table keeps what later runs saw: a run sees its own clock's
        and snapshots.captured_at <= {{ as_of() }}

),

priced as (

    -- Vig-free probability at each snapshot: a side's implied probability over the sum of both
    -- sides' implied probabilities offered by the same book at the same capture time.
    select
        *,
        {{ american_to_prob('price_american') }} as implied_prob,
        sum({{ american_to_prob('price_american') }}) over (
            partition by game_id, book_id, market_id, captured_at
        ) as book_overround,
        count(price_american) over (
            partition by game_id, book_id, market_id, captured_at
        ) as priced_sides
    from pregame

),

ranked as (

    select
        *,
        case when priced_sides = 2 then {{ round_to(vig_free('implied_prob', 'book_overround'), 6) }} end as vig_free_prob,
        row_number() over (
            partition by game_id, book_id, market_id, side order by captured_at asc
        ) as oldest_rank,
        row_number() over (
            partition by game_id, book_id, market_id, side order by captured_at desc
        ) as newest_rank
    from priced

),

final as (

    select
        game_id,
        book_id,
        market_id,
        side,
        max(kickoff_at) as kickoff_at,
        max(case when oldest_rank = 1 then captured_at end) as open_captured_at,
        max(case when oldest_rank = 1 then line end) as open_line,
        max(case when oldest_rank = 1 then price_american end) as open_price_american,
        max(case when oldest_rank = 1 then vig_free_prob end) as open_vig_free_prob,
        max(case when newest_rank = 1 then captured_at end) as current_captured_at,
        max(case when newest_rank = 1 then line end) as current_line,
        max(case when newest_rank = 1 then price_american end) as current_price_american,
        max(case when newest_rank = 1 then vig_free_prob end) as current_vig_free_prob,
        count(*) as snapshots
    from ranked
    group by game_id, book_id, market_id, side

)

select * from final
