-- Result corrections: per game, the newest correction a person recorded that the run's clock can
-- see (corrected_at <= as_of). Its score is the game's score, over every source
-- (int__game__conformed); who, when, why and what it replaced stay in ops.correction.
with source as (

    select * from {{ source('corrections', 'correction') }}
    where league = '{{ var("league_id") }}'
        and corrected_at <= {{ as_of() }}

),

newest as (

    select
        *,
        row_number() over (
            partition by game_id
            order by corrected_at desc, recorded_at desc, correction_id desc
        ) as recency_rank
    from source

),

final as (

    select
        game_id,
        correction_id,
        cast(home_score as integer) as home_score,
        cast(away_score as integer) as away_score,
        reason,
        corrected_by,
        corrected_at
    from newest
    where recency_rank = 1

)

select * from final
