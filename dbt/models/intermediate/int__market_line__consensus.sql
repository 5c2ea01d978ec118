-- One row per game, market and side: the market's consensus across books. The consensus line is
-- the median of each book's line (robust to one stale book); prices and vig-free probabilities are
-- averaged. "Close" is the consensus of the books whose current line was captured within
-- `closing_line_window_minutes` of kickoff: until such a snapshot exists the close is null.
with book_lines as (

    select * from {{ ref('int__market_line__book_pregame') }}

),

flagged as (

    select
        *,
        current_captured_at >= {{ dbt.dateadd('minute', -1 * var('closing_line_window_minutes'), 'kickoff_at') }}
            as is_closing
    from book_lines

),

final as (

    select
        game_id,
        market_id,
        side,
        count(*) as books,
        sum(snapshots) as snapshots,
        cast(percentile_cont(0.5) within group (order by open_line) as double precision) as open_line,
        cast(avg(open_price_american) as double precision) as open_price_american,
        cast(avg(open_vig_free_prob) as double precision) as open_vig_free_prob,
        min(open_captured_at) as open_captured_at,
        cast(percentile_cont(0.5) within group (order by current_line) as double precision) as current_line,
        cast(avg(current_price_american) as double precision) as current_price_american,
        cast(avg(current_vig_free_prob) as double precision) as current_vig_free_prob,
        max(current_captured_at) as current_captured_at,
        sum(case when is_closing then 1 else 0 end) as closing_books,
        cast(avg(case when is_closing then current_line end) as double precision) as close_line,
        cast(avg(case when is_closing then current_price_american end) as double precision) as close_price_american,
        cast(avg(case when is_closing then current_vig_free_prob end) as double precision) as close_vig_free_prob
    from flagged
    group by game_id, market_id, side

)

select * from final
