{#- Cross-database helpers (no dbt deps here: the hub is out of reach). -#}

{#- A local wall-clock timestamp in `tz` -> naive UTC timestamp. Same SQL on DuckDB and Postgres. -#}
{% macro local_to_utc(local_ts, tz) -%}
    (({{ local_ts }}) at time zone {{ tz }}) at time zone 'UTC'
{%- endmacro %}

{#- American odds -> implied probability (with the book's vig still in). -#}
{% macro american_to_prob(odds) -%}
    case
        when {{ odds }} is null then null
        when {{ odds }} < 0 then (-1.0 * {{ odds }}) / ((-1.0 * {{ odds }}) + 100.0)
        else 100.0 / ({{ odds }} + 100.0)
    end
{%- endmacro %}

{#- Blank text -> null, then cast. Staging validates types here once. -#}
{% macro cast_blank(column, type) -%}
    cast(nullif(trim({{ column }}), '') as {{ type }})
{%- endmacro %}

{#- round(double, n) exists on DuckDB but not on Postgres: go through numeric on both. The
    precision is explicit: a bare `numeric` is DECIMAL(18,3) on DuckDB and would cut to 3 places. -#}
{% macro round_to(expression, digits) -%}
    cast(round(cast({{ expression }} as numeric(38, 12)), {{ digits }}) as double precision)
{%- endmacro %}

{#- Remove the vig from one side's implied probability: its share of the book's overround
    (sum of both sides' implied probabilities at the same snapshot). -#}
{% macro vig_free(prob, prob_sum) -%}
    case when {{ prob_sum }} > 0 then {{ prob }} / {{ prob_sum }} end
{%- endmacro %}

{#- Against-the-spread result for one side: its margin plus its handicap (spread_home for the
    home side, -spread_home for the away side). > 0 covers, < 0 loses, = 0 is a push; null
    when the game has no result or no line. -#}
{% macro ats_result(margin, handicap) -%}
    case
        when {{ margin }} is null or {{ handicap }} is null then null
        when {{ margin }} + {{ handicap }} > 0 then 'cover'
        when {{ margin }} + {{ handicap }} < 0 then 'loss'
        else 'push'
    end
{%- endmacro %}
