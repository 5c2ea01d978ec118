{#- Helpers for the live-source staging models. Same SQL on DuckDB and Postgres. -#}

{#- A naive UTC timestamp -> the league-local calendar date (an 8:20 pm ET kickoff at 01:20 UTC
    stays on its day). -#}
{% macro utc_to_local_date(utc_ts, tz) -%}
    cast((({{ utc_ts }}) at time zone 'UTC') at time zone {{ tz }} as date)
{%- endmacro %}

{#- The league's time zone (`spread-eagle` passes it from the league config). -#}
{% macro league_tz() -%}
    '{{ var("league_timezone") }}'
{%- endmacro %}

{#- Decimal odds (1.91) -> American odds (-110), rounded to a whole number; null stays null.
    2.0 and above are underdog prices: +100 * (d - 1); below 2.0: -100 / (d - 1). -#}
{% macro decimal_to_american(decimal_odds) -%}
    case
        when {{ decimal_odds }} is null or {{ decimal_odds }} <= 1.0 then null
        when {{ decimal_odds }} >= 2.0 then cast({{ round_to("100.0 * (" ~ decimal_odds ~ " - 1.0)", 0) }} as integer)
        else cast({{ round_to("-100.0 / (" ~ decimal_odds ~ " - 1.0)", 0) }} as integer)
    end
{%- endmacro %}
