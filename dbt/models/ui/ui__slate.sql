-- One row per league and date with outputs: what a slate header needs.
with cards as (

    select * from {{ ref('ui__game_card') }}

),

final as (

    select
        league_id,
        run_date,
        max(run_id) as run_id,
        count(*) as games,
        sum(case when is_grounded then 1 else 0 end) as grounded_tldrs,
        min(kickoff_at) as first_kickoff_at
    from cards
    group by league_id, run_date

)

select * from final
