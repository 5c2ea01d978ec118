{#- Our own generic tests (dbt_utils is out of reach). Each returns the offending rows. -#}

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

{#- Every row of a relation holds its row rules, checked in one query: the columns that are never
    null (`required_columns`); those that may be null only where a condition holds (`nullable_when`:
    column -> condition, e.g. no earlier game, no line); the values a code may take
    (`accepted_values`: column -> values); and any other predicate each row must satisfy (`rules`:
    name -> SQL, e.g. a bound, two columns that differ). As in dbt's own `accepted_values` and in
    `between` tests, a rule on a null value passes; a null where none is allowed is what
    `required_columns` catches. A failing row carries the names of the rules it breaks
    (`broken_rules`). The project's one row-level test, one per relation instead of one per column
    and rule (docs/dbt.md, "Data tests"). -#}
{% test every_row_holds(model, required_columns=[], nullable_when={}, accepted_values={}, rules={}) %}
    {%- set checks = [] -%}
    {%- for column in required_columns -%}
        {%- do checks.append((column ~ ' is null', column ~ ' is null')) -%}
    {%- endfor -%}
    {%- for column, allowed in nullable_when.items() -%}
        {%- do checks.append(('(' ~ column ~ ' is null and not (' ~ allowed ~ '))', column ~ ' is null')) -%}
    {%- endfor -%}
    {%- for column, values in accepted_values.items() -%}
        {%- set quoted = [] -%}
        {%- for value in values -%}
            {%- do quoted.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
        {%- do checks.append((column ~ ' not in (' ~ quoted | join(', ') ~ ')', column ~ ' not accepted')) -%}
    {%- endfor -%}
    {%- for name, predicate in rules.items() -%}
        {%- do checks.append(('not (' ~ predicate ~ ')', name)) -%}
    {%- endfor -%}
    {%- if not checks -%}
        {{ exceptions.raise_compiler_error("every_row_holds on " ~ model ~ " has no rule") }}
    {%- endif -%}
    {#- a rule whose check is null (a null value) adds no name: concat_ws skips nulls, '' if all -#}
    select * from (
        select
            concat_ws(', '
                {%- for broken, name in checks %},
                case when {{ broken }} then '{{ name | replace("'", "''") }}' end
                {%- endfor %}
            ) as broken_rules,
            checked.*
        from {{ model }} as checked
    ) as judged
    where broken_rules <> ''
{% endtest %}
