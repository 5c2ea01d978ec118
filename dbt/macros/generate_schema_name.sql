{#- Layers land in schemas named after them (staging, facts, ...) on every target, so Python and
    the UI find `facts.fct__game` without knowing the dbt target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
