-- Per game: the opening and closing line (closing = the newest snapshot at or before kickoff),
-- averaged across books, with the number of books and the vig-free home win probability.
with snapshots as (

    select * from {{ ref('fct__market_snapshot') }}

),

games as (

    select game_id, kickoff_at from {{ ref('fct__game') }}

),

pregame as (

    select
        snapshots.*,
        row_number() over (
            partition by snapshots.game_id, book_id, market_id, side order by captured_at desc
        ) as newest_rank,
        row_number() over (
            partition by snapshots.game_id, book_id, market_id, side order by captured_at asc
        ) as oldest_rank
    from snapshots
    inner join games on snapshots.game_id = games.game_id
    where snapshots.captured_at <= games.kickoff_at

),

per_game as (

    select
        game_id,
        avg(case when newest_rank = 1 and market_id = 'spreads' and side = 'home' then line end) as spread_home_close,
        avg(case when oldest_rank = 1 and market_id = 'spreads' and side = 'home' then line end) as spread_home_open,
        avg(case when newest_rank = 1 and market_id = 'totals' and side = 'over' then line end) as total_close,
        avg(case when oldest_rank = 1 and market_id = 'totals' and side = 'over' then line end) as total_open,
        avg(case when newest_rank = 1 and market_id = 'h2h' and side = 'home' then {{ american_to_prob('price_american') }} end) as raw_p_home,
        avg(case when newest_rank = 1 and market_id = 'h2h' and side = 'away' then {{ american_to_prob('price_american') }} end) as raw_p_away,
        min(case when newest_rank = 1 and market_id = 'h2h' and side = 'home' then price_american end) as moneyline_home_close,
        min(case when newest_rank = 1 and market_id = 'h2h' and side = 'away' then price_american end) as moneyline_away_close,
        count(distinct book_id) as books,
        max(captured_at) as captured_at,
        count(distinct captured_at) as snapshots
    from pregame
    group by game_id

),

final as (

    select
        game_id,
        spread_home_open,
        spread_home_close,
        spread_home_close - spread_home_open as spread_move,
        total_open,
        total_close,
        total_close - total_open as total_move,
        moneyline_home_close,
        moneyline_away_close,
        {{ round_to("raw_p_home / nullif(raw_p_home + raw_p_away, 0)", 4) }} as p_home_vigfree,
        books,
        snapshots,
        captured_at
    from per_game

)

select * from final
