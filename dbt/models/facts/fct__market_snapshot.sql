-- One row per game, book, market, side and capture time: every line any source showed us.
-- Incremental: history only grows, so a daily run re-processes the snapshots captured within
-- `incremental_lookback_days` of the newest one already here (delete+insert on the grain, which
-- dbt-duckdb and dbt-postgres both support). `--full-refresh` rebuilds all of it.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['game_id', 'book_id', 'market_id', 'side', 'captured_at'],
        on_schema_change='fail'
    )
}}

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
    where {{ incremental_window_filter('captured_at') }}

)

select * from final
