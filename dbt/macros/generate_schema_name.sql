{#- Layers land in schemas named after them plus the league's `schema_suffix` (staging, facts, ...
    for the NFL; facts_nba, ... for the NBA) on every target, so Python and the UI find
    `facts.fct__game` without knowing the dbt target, and each league's build replaces only its own
    relations in a warehouse shared by several leagues. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{{ var('schema_suffix', '') }}{%- endif -%}
{%- endmacro %}
