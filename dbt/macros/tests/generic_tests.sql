{#- Our own generic tests (dbt_utils is out of reach). Each returns the offending rows. -#}

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
    (`accepted_values`: column -> values); any other predicate each row must satisfy (`rules`:
    name -> SQL, e.g. a bound, two columns that differ); and the relation's keys (`unique_keys`: a
    column, or a list of columns, that no two rows share: the grain). As in dbt's own
    `accepted_values`, `between` and `unique` tests, a rule on a null value passes (a key with a
    null part is no duplicate: list its columns in `required_columns`); a null where none is
    allowed is what `required_columns` catches. A failing row carries the names of the rules it
    breaks (`broken_rules`) and, with keys, how many rows share each (`key_<n>_copies`). The
    project's one data test on a relation's own rows, one per relation instead of one per column,
    rule and key (docs/dbt.md, "Data tests"). -#}
{% test every_row_holds(model, required_columns=[], nullable_when={}, accepted_values={}, rules={}, unique_keys=[]) %}
    {%- set checks = [] -%}
    {%- set keys = [] -%}
    {%- for key in unique_keys -%}
        {%- set columns = [key] if key is string else key -%}
        {%- set named = columns[0] if columns | length == 1 else '(' ~ columns | join(', ') ~ ')' -%}
        {%- do keys.append(columns) -%}
        {%- do checks.append(('key_' ~ loop.index ~ '_copies > 1', named ~ ' not unique')) -%}
    {%- endfor -%}
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
        {#- with keys, each row carries how many rows share each of its keys (`key_<n>_copies`, null
            when a part is null): a window, not a join to the duplicated values, which PostgreSQL
            could plan as a nested loop over a view it had no statistics for (seen: 15 s) -#}
        {%- if keys %}
        from (
            select
                keyed.*
                {%- for columns in keys %},
                case when {% for column in columns -%}
                    {{ 'and ' if not loop.first }}{{ column }} is not null {% endfor -%}
                    then count(*) over (partition by {{ columns | join(', ') }})
                end as key_{{ loop.index }}_copies
                {%- endfor %}
            from {{ model }} as keyed
        ) as checked
        {%- else %}
        from {{ model }} as checked
        {%- endif %}
    ) as judged
    where broken_rules <> ''
{% endtest %}
