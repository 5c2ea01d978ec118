{#- A value of one run (`as_of`, `rebuild_from`): the var when one is given (by hand, or a unit
    test's override), else the environment's SPREAD_EAGLE_DBT_<NAME>, which `spread-eagle` sets on
    every dbt call, else `default`. The environment is read only when executing, never while
    parsing: a parse is then the same for every run of a league and dbt's partial parsing reuses it
    (vars are part of the parse, so a clock passed as a var made every call a full parse). -#}
{% macro run_value(name, default=none) -%}
    {%- set given = var(name, none) -%}
    {%- if given is none and execute -%}
        {%- set given = env_var('SPREAD_EAGLE_DBT_' ~ (name | upper), '') or none -%}
    {%- endif -%}
    {{- return(default if given is none else given) -}}
{%- endmacro %}

{#- The run's clock. Every model that reads observations (schedules, scores, statuses, lines) sees
    only what had been seen at or before it, so one date's run gives the same result on a fresh and
    on a warm warehouse, whatever later runs left behind. `spread-eagle` sets it on every dbt call;
    by hand (no `as_of` var) nothing is hidden. -#}
{% macro as_of() -%}
    cast('{{ run_value("as_of", "9999-12-31 00:00:00") }}' as timestamp)
{%- endmacro %}

{#- The rows of `source_relation` whose payload was fetched at or before the run's clock, each with
    `seen_at` (the newest such fetch: an identical payload is stored once but seen at every fetch,
    raw.payload_sighting) and `first_seen_at` (the first one). Rank by `seen_at`, never by the
    payload's own `fetched_at`: that is only its first fetch. -#}
{% macro seen_as_of(source_relation) -%}
    select
        source_rows.*,
        sightings.seen_at,
        sightings.first_seen_at
    -- a subquery, not `relation as alias`: a unit test's fixture is itself an aliased subquery
    from (select * from {{ source_relation }}) as source_rows
    inner join (
        select payload_id, max(fetched_at) as seen_at, min(fetched_at) as first_seen_at
        from {{ source('raw', 'payload_sighting') }}
        -- raw tables are shared by every league: a payload belongs to the league whose run fetched it
        where fetched_at <= {{ as_of() }}
            and league = '{{ var("league_id") }}'
        group by payload_id
    ) as sightings
        on sightings.payload_id = source_rows.payload_id
{%- endmacro %}
