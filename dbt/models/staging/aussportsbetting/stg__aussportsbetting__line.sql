-- The open/close sheet: one row per game (newest payload), sides put the nflverse way round and
-- odds converted from DECIMAL to American, here and only here.
-- Sign: the sheet's Home Line is the home handicap (negative = home favored), the same sign as
-- spread_home. For the three Super Bowl rows whose home/away are swapped relative to nflverse
-- (is_home_swapped), the sheet's home is our away team: spread_home = -Home Line, and the home
-- and away prices trade places.
-- Before 2014 the sheet has one pre-game line, in its Open columns with Close empty: it is the
-- closing snapshot (open_captured_at is empty for those rows), never an opener.
with source as (

    {{ seen_as_of(source('aussportsbetting', 'aussportsbetting_line')) }}

),

newest as (

    select
        *,
        lower(is_home_swapped) = 'true' as is_swapped,
        nullif(trim(home_line_close), '') is null and open_captured_at is null as is_single_line,
        row_number() over (partition by game_id order by seen_at desc, payload_id desc) as recency_rank
    from source

),

as_sent as (

    -- Close falls back to the single pre-2014 line; both in the sheet's own orientation.
    select
        game_id,
        is_swapped,
        open_captured_at,
        close_captured_at,
        {{ cast_blank('home_line_open', 'double precision') }} as sheet_home_line_open,
        case when is_single_line then {{ cast_blank('home_line_open', 'double precision') }}
             else {{ cast_blank('home_line_close', 'double precision') }} end as sheet_home_line_close,
        {{ cast_blank('home_line_odds_open', 'double precision') }} as sheet_home_line_odds_open,
        {{ cast_blank('away_line_odds_open', 'double precision') }} as sheet_away_line_odds_open,
        {{ cast_blank('home_line_odds_close', 'double precision') }} as sheet_home_line_odds_close,
        {{ cast_blank('away_line_odds_close', 'double precision') }} as sheet_away_line_odds_close,
        {{ cast_blank('home_odds_open', 'double precision') }} as sheet_home_odds_open,
        {{ cast_blank('away_odds_open', 'double precision') }} as sheet_away_odds_open,
        case when is_single_line then {{ cast_blank('home_odds_open', 'double precision') }}
             else {{ cast_blank('home_odds_close', 'double precision') }} end as sheet_home_odds_close,
        case when is_single_line then {{ cast_blank('away_odds_open', 'double precision') }}
             else {{ cast_blank('away_odds_close', 'double precision') }} end as sheet_away_odds_close,
        {{ cast_blank('total_score_open', 'double precision') }} as total_open,
        case when is_single_line then {{ cast_blank('total_score_open', 'double precision') }}
             else {{ cast_blank('total_score_close', 'double precision') }} end as total_close,
        {{ cast_blank('total_score_over_open', 'double precision') }} as over_odds_open,
        {{ cast_blank('total_score_under_open', 'double precision') }} as under_odds_open,
        {{ cast_blank('total_score_over_close', 'double precision') }} as over_odds_close,
        {{ cast_blank('total_score_under_close', 'double precision') }} as under_odds_close,
        fetched_at,
        payload_id
    from newest
    where recency_rank = 1

),

final as (

    select
        game_id,
        is_swapped as is_home_swapped,
        open_captured_at,
        close_captured_at,
        case when is_swapped then -1.0 * sheet_home_line_open else sheet_home_line_open end as spread_home_open,
        case when is_swapped then -1.0 * sheet_home_line_close else sheet_home_line_close end as spread_home_close,
        {{ decimal_to_american("case when is_swapped then sheet_away_line_odds_open else sheet_home_line_odds_open end") }} as spread_price_home_open,
        {{ decimal_to_american("case when is_swapped then sheet_home_line_odds_open else sheet_away_line_odds_open end") }} as spread_price_away_open,
        {{ decimal_to_american("case when is_swapped then sheet_away_line_odds_close else sheet_home_line_odds_close end") }} as spread_price_home_close,
        {{ decimal_to_american("case when is_swapped then sheet_home_line_odds_close else sheet_away_line_odds_close end") }} as spread_price_away_close,
        {{ decimal_to_american("case when is_swapped then sheet_away_odds_open else sheet_home_odds_open end") }} as moneyline_home_open,
        {{ decimal_to_american("case when is_swapped then sheet_home_odds_open else sheet_away_odds_open end") }} as moneyline_away_open,
        {{ decimal_to_american("case when is_swapped then sheet_away_odds_close else sheet_home_odds_close end") }} as moneyline_home_close,
        {{ decimal_to_american("case when is_swapped then sheet_home_odds_close else sheet_away_odds_close end") }} as moneyline_away_close,
        total_open,
        total_close,
        {{ decimal_to_american("over_odds_open") }} as price_over_open,
        {{ decimal_to_american("under_odds_open") }} as price_under_open,
        {{ decimal_to_american("over_odds_close") }} as price_over_close,
        {{ decimal_to_american("under_odds_close") }} as price_under_close,
        fetched_at,
        payload_id
    from as_sent

)

select * from final
