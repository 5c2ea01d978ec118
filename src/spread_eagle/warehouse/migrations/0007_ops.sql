-- Operations: which process runs a run, so a run whose process is gone (killed, machine rebooted)
-- can be told from one still running and marked failed by the next run (`spread-eagle status`
-- shows it as "failed (process gone)" without writing). Portable DDL for DuckDB and PostgreSQL.
alter table ops.run add column pid integer;
alter table ops.run add column host text;
