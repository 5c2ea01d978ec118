{#- Incremental windows. A daily run re-processes only rows whose time column falls within
    `incremental_lookback_days` of the newest row already built (the target's own high-water
    mark, so a run after a gap still picks up everything since the last build). Older rows are
    left as built; `dbt build --full-refresh` rebuilds everything and must give the same rows. -#}

{#- The earliest time a run re-processes: newest `time_column` in this relation minus the lookback.
    An empty relation gives the epoch, so nothing is skipped. -#}
{#- `rebuild_from` (a date, set by the pipeline to the earliest date a run touched) pulls the
    window back, so running an older date after a newer one, or a backfill, re-processes what it
    changed instead of leaving it behind the high-water mark. -#}
{% macro incremental_window_start(time_column) -%}
    {%- set high_water -%}
    (
        select coalesce(
            {{ dbt.dateadd('day', -1 * var('incremental_lookback_days'), 'max(' ~ time_column ~ ')') }},
            cast('1900-01-01 00:00:00' as timestamp)
        )
        from {{ this }}
    )
    {%- endset -%}
    {%- set rebuild_from = run_value('rebuild_from') -%}
    {%- if rebuild_from -%}
        least(
            {{ high_water }},
            {{ dbt.dateadd('day', -1 * var('incremental_lookback_days'), "cast('" ~ rebuild_from ~ " 00:00:00' as timestamp)") }}
        )
    {%- else -%}
        {{ high_water }}
    {%- endif -%}
{%- endmacro %}

{#- `where <time_column> >= window start` on incremental runs, nothing on a full build. -#}
{% macro incremental_window_filter(time_column, relation_alias=none) -%}
    {%- if is_incremental() -%}
        {%- set qualified = (relation_alias ~ '.' ~ time_column) if relation_alias else time_column -%}
        {{ qualified }} >= {{ incremental_window_start(time_column) }}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of an incremental model keyed by game: drop the rows whose game is not in fct__game
    as of this run's clock. A run with an earlier clock than the last build (an older date, an
    earlier --as-of) leaves no row derived from what it cannot see; the lowered high-water mark
    makes the next build rebuild them. Cheap: only orphans are touched. -#}
{% macro prune_unseen_games() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where not exists (
            -- by name, not ref(): a ref only inside is_incremental() is invisible to dbt's parser;
            -- the model reaches fct__game through its own refs, so it is built first
            select 1 from facts{{ var('schema_suffix', '') }}.fct__game as games
            where games.game_id = {{ this }}.game_id
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
