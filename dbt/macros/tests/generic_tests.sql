{#- Our own generic tests (dbt_utils is out of reach). Each returns the offending rows. -#}

{#- A column may be null only where `allowed_when` holds (e.g. no prior games to average). -#}
{% test null_only_when(model, column_name, allowed_when) %}
    select * from {{ model }}
    where {{ column_name }} is null and not ({{ allowed_when }})
{% endtest %}

{#- Numbers within sane bounds (spreads, totals). -#}
{% test between(model, column_name, min_value, max_value) %}
    select * from {{ model }}
    where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}

{#- Two columns never equal (home team vs away team). -#}
{% test columns_differ(model, column_name, other_column) %}
    select * from {{ model }}
    where {{ column_name }} = {{ other_column }}
{% endtest %}

{#- A combination of columns is unique (the grain of a fact). -#}
{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as n
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- Every row of the model (optionally only those where `row_condition` holds) has at least one
    row in `to` with the same key: e.g. every scheduled game has a market snapshot. -#}
{% test has_related_row(model, column_name, to, field, row_condition='1 = 1', child_condition='1 = 1') %}
    select parent.{{ column_name }}
    from {{ model }} as parent
    where ({{ row_condition }})
      and not exists (
          select 1 from {{ to }} as child
          where child.{{ field }} = parent.{{ column_name }} and ({{ child_condition }})
      )
{% endtest %}

{#- A relation has no unexpected nulls: each of `required_columns` is never null, and each column of
    `nullable_when` is null only where its condition holds (no earlier game, no line). The project's
    one null test, one per relation instead of a `not_null` per column (docs/dbt.md, "Data tests"). -#}
{% test no_unexpected_nulls(model, required_columns=[], nullable_when={}) %}
    {%- set conditions = [] -%}
    {%- for column in required_columns -%}
        {%- do conditions.append(column ~ ' is null') -%}
    {%- endfor -%}
    {%- for column, allowed in nullable_when.items() -%}
        {%- do conditions.append('(' ~ column ~ ' is null and not (' ~ allowed ~ '))') -%}
    {%- endfor -%}
    select * from {{ model }}
    where {{ conditions | join('\n       or ') if conditions else '1 = 0' }}
{% endtest %}
