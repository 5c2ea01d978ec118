-- The Odds API scores: one row per event from the newest payload; scores only count once the
-- event is completed (staging keeps them typed; the conformed game decides).
with source as (

    {{ seen_as_of(source('odds_api', 'odds_api_score')) }}

),

newest as (

    select
        *,
        row_number() over (partition by event_id order by seen_at desc, payload_id desc) as recency_rank
    from source

),

final as (

    select
        event_id,
        commence_at as kickoff_at,
        {{ utc_to_local_date('commence_at', league_tz()) }} as game_date,
        home_team_id,
        away_team_id,
        coalesce(lower(completed) = 'true', false) as is_completed,
        {{ cast_blank('home_score', 'integer') }} as home_score,
        {{ cast_blank('away_score', 'integer') }} as away_score,
        fetched_at,
        seen_at,
        payload_id
    from newest
    where recency_rank = 1

)

select * from final
