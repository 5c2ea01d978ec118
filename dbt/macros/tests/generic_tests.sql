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
