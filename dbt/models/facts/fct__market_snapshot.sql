-- One row per game, book, market, side and capture time.
with snapshots as (

    select * from {{ ref('int__market_snapshot__unioned') }}

),

final as (

    select
        game_id,
        book_id,
        market_id,
        side,
        captured_at,
        source_id,
        line,
        price_american
    from snapshots

)

select * from final
