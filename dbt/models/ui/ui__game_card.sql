-- One row per game of every date that has model outputs: the game, its market as published, its
-- TL;DR and (once final) its result. Built at publish time; `publish` copies a run's rows into the
-- published relations in one transaction.
with games as (

    select * from {{ ref('fct__game') }}

),

lines as (

    select * from {{ ref('fct__game_line') }}

),

tldrs as (

    select * from {{ ref('stg__outputs__game_tldr') }}

),

final as (

    select
        tldrs.run_id,
        tldrs.league_id,
        tldrs.run_date,
        games.game_id,
        games.kickoff_at,
        games.home_team_id,
        games.away_team_id,
        games.status,
        games.is_neutral_site,
        lines.spread_home_current as spread_home,
        lines.total_current as total,
        lines.moneyline_home_current as moneyline_home,
        lines.moneyline_away_current as moneyline_away,
        lines.spread_home_open as open_spread_home,
        lines.total_open as open_total,
        coalesce(lines.books, 0) as books,
        lines.captured_at,
        tldrs.tldr_text,
        tldrs.llm_provider,
        tldrs.llm_model,
        tldrs.is_grounded,
        games.home_score,
        games.away_score,
        case {{ ats_result(
                    "case when games.status = 'final' then games.margin_home end",
                    'coalesce(lines.spread_home_close, lines.spread_home_current)') }}
            when 'cover' then true
            when 'loss' then false
        end as home_covered
    from tldrs
    inner join games on tldrs.game_id = games.game_id
    left join lines on tldrs.game_id = lines.game_id

)

select * from final
