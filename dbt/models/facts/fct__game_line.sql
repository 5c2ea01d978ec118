-- One row per game with any pre-kickoff line: the line summary across books.
--   open     each book's first snapshot, median across books
--   current  each book's newest snapshot at or before kickoff, median across books (the last
--            line known as of kickoff; what features and the published slate use)
--   close    the current line of the books captured within `closing_line_window_minutes` of
--            kickoff; null until such a snapshot exists
--   best     the most favorable current line (then price) for each side, and its book
-- Spreads are `spread_home` (negative = home favored); probabilities have the vig removed.
with consensus as (

    select * from {{ ref('int__market_line__consensus') }}

),

best as (

    select * from {{ ref('int__market_line__best_available') }}

),

per_game as (

    select
        game_id,
        max(case when market_id = 'spreads' and side = 'home' then open_line end) as spread_home_open,
        max(case when market_id = 'spreads' and side = 'home' then current_line end) as spread_home_current,
        max(case when market_id = 'spreads' and side = 'home' then close_line end) as spread_home_close,
        max(case when market_id = 'totals' and side = 'over' then open_line end) as total_open,
        max(case when market_id = 'totals' and side = 'over' then current_line end) as total_current,
        max(case when market_id = 'totals' and side = 'over' then close_line end) as total_close,
        max(case when market_id = 'h2h' and side = 'home' then open_price_american end) as moneyline_home_open,
        max(case when market_id = 'h2h' and side = 'away' then open_price_american end) as moneyline_away_open,
        max(case when market_id = 'h2h' and side = 'home' then current_price_american end) as moneyline_home_current,
        max(case when market_id = 'h2h' and side = 'away' then current_price_american end) as moneyline_away_current,
        max(case when market_id = 'h2h' and side = 'home' then close_price_american end) as moneyline_home_close,
        max(case when market_id = 'h2h' and side = 'away' then close_price_american end) as moneyline_away_close,
        max(case when market_id = 'h2h' and side = 'home' then open_vig_free_prob end) as p_home_vigfree_open,
        max(case when market_id = 'h2h' and side = 'home' then current_vig_free_prob end) as p_home_vigfree,
        max(case when market_id = 'spreads' and side = 'home' then current_vig_free_prob end) as p_home_cover_vigfree,
        max(case when market_id = 'totals' and side = 'over' then current_vig_free_prob end) as p_over_vigfree,
        max(books) as books,
        sum(snapshots) as snapshots,
        min(open_captured_at) as open_captured_at,
        max(current_captured_at) as captured_at
    from consensus
    group by game_id

),

best_per_game as (

    select
        game_id,
        max(case when market_id = 'spreads' and side = 'home' then line end) as spread_home_best,
        max(case when market_id = 'spreads' and side = 'home' then price_american end) as spread_home_best_price,
        max(case when market_id = 'spreads' and side = 'home' then book_id end) as spread_home_best_book_id,
        max(case when market_id = 'spreads' and side = 'away' then line end) as spread_away_best,
        max(case when market_id = 'spreads' and side = 'away' then price_american end) as spread_away_best_price,
        max(case when market_id = 'spreads' and side = 'away' then book_id end) as spread_away_best_book_id,
        max(case when market_id = 'totals' and side = 'over' then line end) as total_over_best,
        max(case when market_id = 'totals' and side = 'over' then price_american end) as total_over_best_price,
        max(case when market_id = 'totals' and side = 'under' then line end) as total_under_best,
        max(case when market_id = 'totals' and side = 'under' then price_american end) as total_under_best_price,
        max(case when market_id = 'h2h' and side = 'home' then price_american end) as moneyline_home_best,
        max(case when market_id = 'h2h' and side = 'away' then price_american end) as moneyline_away_best
    from best
    group by game_id

),

final as (

    select
        per_game.game_id,
        per_game.spread_home_open,
        per_game.spread_home_current,
        per_game.spread_home_close,
        per_game.spread_home_current - per_game.spread_home_open as spread_move,
        per_game.total_open,
        per_game.total_current,
        per_game.total_close,
        per_game.total_current - per_game.total_open as total_move,
        cast({{ round_to('per_game.moneyline_home_open', 0) }} as integer) as moneyline_home_open,
        cast({{ round_to('per_game.moneyline_away_open', 0) }} as integer) as moneyline_away_open,
        cast({{ round_to('per_game.moneyline_home_current', 0) }} as integer) as moneyline_home_current,
        cast({{ round_to('per_game.moneyline_away_current', 0) }} as integer) as moneyline_away_current,
        cast({{ round_to('per_game.moneyline_home_close', 0) }} as integer) as moneyline_home_close,
        cast({{ round_to('per_game.moneyline_away_close', 0) }} as integer) as moneyline_away_close,
        {{ round_to('per_game.p_home_vigfree_open', 4) }} as p_home_vigfree_open,
        {{ round_to('per_game.p_home_vigfree', 4) }} as p_home_vigfree,
        {{ round_to('per_game.p_home_cover_vigfree', 4) }} as p_home_cover_vigfree,
        {{ round_to('per_game.p_over_vigfree', 4) }} as p_over_vigfree,
        best_per_game.spread_home_best,
        best_per_game.spread_home_best_price,
        best_per_game.spread_home_best_book_id,
        best_per_game.spread_away_best,
        best_per_game.spread_away_best_price,
        best_per_game.spread_away_best_book_id,
        best_per_game.total_over_best,
        best_per_game.total_over_best_price,
        best_per_game.total_under_best,
        best_per_game.total_under_best_price,
        best_per_game.moneyline_home_best,
        best_per_game.moneyline_away_best,
        per_game.books,
        per_game.snapshots,
        per_game.open_captured_at,
        per_game.captured_at
    from per_game
    left join best_per_game on per_game.game_id = best_per_game.game_id

)

select * from final
