{#- Views (staging, intermediate) are replaced in place, in one statement. Every run rebuilds them
    (the run's clock is a literal in their SQL), and dbt's default materialization spends four
    statements and their bookkeeping on each: create the view under another name, rename the old
    one away, rename the new one in, drop the old one (with CASCADE on PostgreSQL, which drops the
    views built on it until they are built again). docs/dbt.md has the figures. Grants, docs and
    hooks are applied as the default applies them. -#}
{%- materialization view, default -%}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='view') -%}
  {%- set grant_config = config.get('grants') -%}
  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {%- if existing_relation is not none and not existing_relation.is_view %}
    {{ drop_relation_if_exists(existing_relation) }}  {#- a table of that name: replaced by the view #}
  {%- endif %}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}
  {% call statement('main') -%}
    {{ spread_eagle_replace_view(target_relation, sql) }}
  {%- endcall %}
  {% do apply_grants(target_relation, grant_config, should_revoke=should_revoke(existing_relation, full_refresh_mode=True)) %}
  {% do persist_docs(target_relation, model) %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target_relation]}) }}
{%- endmaterialization -%}


{% macro spread_eagle_replace_view(relation, sql) -%}
  {{ return(adapter.dispatch('spread_eagle_replace_view')(relation, sql)) }}
{%- endmacro %}

{% macro default__spread_eagle_replace_view(relation, sql) -%}
  create or replace view {{ relation }} as (
    {{ sql }}
  )
{%- endmacro %}

{#- PostgreSQL replaces a view only when its columns keep their names, order and types
    (42P16 otherwise): a view whose columns changed is dropped and created anew by the same
    statement, and the views built on it go with it (CASCADE) until the build reaches them, as
    with dbt's default. -#}
{% macro postgres__spread_eagle_replace_view(relation, sql) -%}
  do $spread_eagle_view$
  declare
    replace_view constant text := $spread_eagle_sql$
      {{ default__spread_eagle_replace_view(relation, sql) }}
    $spread_eagle_sql$;
  begin
    execute replace_view;
  exception when invalid_table_definition then
    execute $spread_eagle_sql$ drop view {{ relation }} cascade $spread_eagle_sql$;
    execute replace_view;
  end
  $spread_eagle_view$
{%- endmacro %}
