-- Every line snapshot from every source, in one long form: one row per game, book, market, side
-- and capture time. nflverse carries one closing line per game; we take it as captured
-- `nflverse_close_minutes_before_kickoff` before kickoff (the league config's closing time).
with nflverse_games as (

    select * from {{ ref('stg__nflverse__game') }}

),

nflverse_close as (

    select
        game_id,
        'nflverse' as source_id,
        'nflverse_close' as book_id,
        {{ dbt.dateadd('minute', -1 * var('nflverse_close_minutes_before_kickoff'), 'kickoff_at') }} as captured_at,
        spread_home,
        total_line,
        moneyline_home,
        moneyline_away,
        spread_price_home,
        spread_price_away,
        price_over,
        price_under
    from nflverse_games

),

nflverse_long as (

    select game_id, source_id, book_id, captured_at, 'spreads' as market_id, 'home' as side,
           spread_home as line, spread_price_home as price
    from nflverse_close where spread_home is not null
    union all
    select game_id, source_id, book_id, captured_at, 'spreads', 'away', -1.0 * spread_home, spread_price_away
    from nflverse_close where spread_home is not null
    union all
    select game_id, source_id, book_id, captured_at, 'totals', 'over', total_line, price_over
    from nflverse_close where total_line is not null
    union all
    select game_id, source_id, book_id, captured_at, 'totals', 'under', total_line, price_under
    from nflverse_close where total_line is not null
    union all
    select game_id, source_id, book_id, captured_at, 'h2h', 'home', cast(null as double precision), moneyline_home
    from nflverse_close where moneyline_home is not null
    union all
    select game_id, source_id, book_id, captured_at, 'h2h', 'away', cast(null as double precision), moneyline_away
    from nflverse_close where moneyline_away is not null

),

final as (

    select
        game_id,
        source_id,
        book_id,
        market_id,
        side,
        captured_at,
        cast(line as double precision) as line,
        cast(price as integer) as price_american
    from nflverse_long

)

select * from final
