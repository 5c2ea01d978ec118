"""The transform step: the one dbt project, run in-process with dbtRunner."""
