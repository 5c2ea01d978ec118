-- Every line snapshot from every source, in one long form: one row per game, book, market, side
-- and capture time. nflverse carries one closing line per game; we take it as captured
-- `nflverse_close_minutes_before_kickoff` before kickoff (the league config's closing time).
-- The open/close sheet adds an opener (2014+) and a close per game (book `aussportsbetting`);
-- The Odds API adds every book it sent; ESPN adds its own line (book `espn`). Live events are
-- matched to games by league-local date + home + away codes (int__game__conformed).
-- Every source's sign is already converted in staging: `line` of a spreads row is that side's
-- handicap, so the home row's line is spread_home (negative = home favored).
with nflverse_games as (

    select * from {{ ref('stg__nflverse__game') }}

),

games as (

    select game_id, game_date, home_team_id, away_team_id from {{ ref('int__game__conformed') }}

),

sheet as (

    select * from {{ ref('stg__aussportsbetting__line') }}

),

odds_api as (

    select * from {{ ref('stg__odds_api__outcome') }}

),

espn as (

    select * from {{ ref('stg__espn__line') }}

),

sheet_snapshots as (

    select
        game_id, open_captured_at as captured_at, spread_home_open as spread_home, total_open as total_line,
        moneyline_home_open as moneyline_home, moneyline_away_open as moneyline_away,
        spread_price_home_open as spread_price_home, spread_price_away_open as spread_price_away,
        price_over_open as price_over, price_under_open as price_under
    from sheet
    where open_captured_at is not null
    union all
    select
        game_id, close_captured_at, spread_home_close, total_close, moneyline_home_close, moneyline_away_close,
        spread_price_home_close, spread_price_away_close, price_over_close, price_under_close
    from sheet
    where close_captured_at is not null

),

sheet_long as (

    select game_id, 'aussportsbetting' as source_id, 'aussportsbetting' as book_id, captured_at,
           'spreads' as market_id, 'home' as side, spread_home as line, spread_price_home as price
    from sheet_snapshots where spread_home is not null
    union all
    select game_id, 'aussportsbetting', 'aussportsbetting', captured_at, 'spreads', 'away', -1.0 * spread_home,
           spread_price_away
    from sheet_snapshots where spread_home is not null
    union all
    select game_id, 'aussportsbetting', 'aussportsbetting', captured_at, 'totals', 'over', total_line, price_over
    from sheet_snapshots where total_line is not null
    union all
    select game_id, 'aussportsbetting', 'aussportsbetting', captured_at, 'totals', 'under', total_line, price_under
    from sheet_snapshots where total_line is not null
    union all
    select game_id, 'aussportsbetting', 'aussportsbetting', captured_at, 'h2h', 'home',
           cast(null as double precision), moneyline_home
    from sheet_snapshots where moneyline_home is not null
    union all
    select game_id, 'aussportsbetting', 'aussportsbetting', captured_at, 'h2h', 'away',
           cast(null as double precision), moneyline_away
    from sheet_snapshots where moneyline_away is not null

),

odds_api_long as (

    select
        games.game_id, 'odds_api' as source_id, odds_api.book_id, odds_api.captured_at, odds_api.market_id,
        odds_api.side, odds_api.line, odds_api.price_american as price
    from odds_api
    inner join games
        on games.game_date = odds_api.game_date
        and games.home_team_id = odds_api.home_team_id
        and games.away_team_id = odds_api.away_team_id

),

espn_matched as (

    select games.game_id, espn.*
    from espn
    inner join games
        on games.game_date = espn.game_date
        and games.home_team_id = espn.home_team_id
        and games.away_team_id = espn.away_team_id

),

espn_long as (

    select game_id, 'espn' as source_id, 'espn' as book_id, captured_at, 'spreads' as market_id, 'home' as side,
           spread_home as line, cast(null as integer) as price
    from espn_matched where spread_home is not null
    union all
    select game_id, 'espn', 'espn', captured_at, 'spreads', 'away', -1.0 * spread_home, cast(null as integer)
    from espn_matched where spread_home is not null
    union all
    select game_id, 'espn', 'espn', captured_at, 'totals', 'over', total_line, cast(null as integer)
    from espn_matched where total_line is not null
    union all
    select game_id, 'espn', 'espn', captured_at, 'totals', 'under', total_line, cast(null as integer)
    from espn_matched where total_line is not null
    union all
    select game_id, 'espn', 'espn', captured_at, 'h2h', 'home', cast(null as double precision), moneyline_home
    from espn_matched where moneyline_home is not null
    union all
    select game_id, 'espn', 'espn', captured_at, 'h2h', 'away', cast(null as double precision), moneyline_away
    from espn_matched where moneyline_away is not null

),

nflverse_close as (

    select
        game_id,
        'nflverse' as source_id,
        'nflverse_close' as book_id,
        -- nflverse's line is the close once kickoff is near; a line first seen earlier (a live
        -- nflverse file lists upcoming games' lines) was the line as of that first sighting.
        least(
            first_seen_at,
            {{ dbt.dateadd('minute', -1 * var('nflverse_close_minutes_before_kickoff'), 'kickoff_at') }}
        ) as captured_at,
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
    union all
    select game_id, source_id, book_id, market_id, side, captured_at, cast(line as double precision),
           cast(price as integer)
    from sheet_long
    union all
    select game_id, source_id, book_id, market_id, side, captured_at, cast(line as double precision),
           cast(price as integer)
    from odds_api_long
    union all
    select game_id, source_id, book_id, market_id, side, captured_at, cast(line as double precision),
           cast(price as integer)
    from espn_long

)

select * from final
