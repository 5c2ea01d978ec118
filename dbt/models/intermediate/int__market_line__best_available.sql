-- One row per game, market and side: the most favorable current line any book offers for that
-- side, then the best price at that line. For a bettor a higher handicap is better on a spread
-- side (+3.5 beats +3, -2.5 beats -3), a lower total is better on the over and a higher one on the
-- under; American odds are better the higher they are (-105 beats -110, +150 beats +140).
-- Ties go to the alphabetically first book so the pick is deterministic.
with book_lines as (

    select * from {{ ref('int__market_line__book_pregame') }}

),

scored as (

    select
        *,
        case
            when market_id = 'spreads' then current_line
            when market_id = 'totals' and side = 'over' then -1.0 * current_line
            when market_id = 'totals' and side = 'under' then current_line
            else 0.0
        end as line_preference
    from book_lines
    where current_price_american is not null or current_line is not null

),

ranked as (

    select
        *,
        row_number() over (
            partition by game_id, market_id, side
            order by line_preference desc nulls last, current_price_american desc nulls last, book_id
        ) as preference_rank
    from scored

),

final as (

    select
        game_id,
        market_id,
        side,
        book_id,
        current_line as line,
        current_price_american as price_american,
        current_captured_at as captured_at
    from ranked
    where preference_rank = 1

)

select * from final
