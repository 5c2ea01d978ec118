-- Integrity: what a run sees depends on its clock, what it must cover comes from the stored
-- schedule, and its outputs become visible only when it validates. Portable DDL for DuckDB and
-- PostgreSQL; timestamps are naive UTC.

-- Every fetch of a payload, identical or not (the payload and its rows are stored once). dbt reads
-- a payload only when one of its sightings is at or before the run's clock, so a run with an early
-- clock on a warm warehouse sees what a fresh warehouse would (macro `seen_as_of`).
create table if not exists raw.payload_sighting (
  payload_id text not null,
  fetched_at timestamp not null,
  run_id text not null,
  primary key (payload_id, fetched_at)
);
insert into raw.payload_sighting (payload_id, fetched_at, run_id)
  select payload_id, fetched_at, run_id from raw.payload;

-- One row per schedule fetch of a date by a source: validation expects, per source, the games of
-- its newest fetch at or before the run's clock (ops.expected_game), and fails on the schedule
-- records that fetch quarantined (ops.schedule_quarantine) unless the run accepted them.
create table if not exists ops.schedule_fetch (
  run_id text not null,
  league text not null,
  run_date date not null,
  source text not null,
  as_of timestamp not null,
  games integer not null,
  quarantined integer not null,
  primary key (run_id, source)
);
insert into ops.schedule_fetch (run_id, league, run_date, source, as_of, games, quarantined)
  select e.run_id, e.league, e.run_date, e.source, r.as_of, count(*), 0
  from ops.expected_game e join ops.run r on r.run_id = e.run_id
  group by e.run_id, e.league, e.run_date, e.source, r.as_of;

create table if not exists ops.schedule_quarantine (
  run_id text not null,
  league text not null,
  run_date date not null,
  source text not null,
  ordinal integer not null,
  record_ref text,
  reason text not null,
  primary key (run_id, source, ordinal)
);

-- A run may accept quarantined schedule records explicitly (--accept-quarantined); a resumed run
-- names the run whose earlier steps it reused.
alter table ops.run add column accept_quarantined boolean;
alter table ops.run add column resumed_from text;

-- Outputs are kept per run: the primary keys gain run_id. The dbt staging views over these tables
-- are dropped first (PostgreSQL will not drop a table a view depends on); the next dbt build
-- recreates them.
drop view if exists staging.stg__outputs__game_prediction;
drop view if exists staging.stg__outputs__game_tldr;

create table outputs.game_prediction_by_run (
  run_id text not null,
  league text not null,
  run_date date not null,
  game_id text not null,
  model text not null,
  model_version text not null,
  margin_home double precision not null,
  total double precision not null,
  p_home_win double precision not null,
  p_home_cover double precision,
  p_over double precision,
  spread_home double precision,
  total_line double precision,
  edge double precision,
  play text,
  predicted_at timestamp not null,
  primary key (run_id, game_id, model)
);
insert into outputs.game_prediction_by_run select * from outputs.game_prediction;
drop table outputs.game_prediction;
alter table outputs.game_prediction_by_run rename to game_prediction;

create table outputs.game_tldr_by_run (
  run_id text not null,
  league text not null,
  run_date date not null,
  game_id text not null,
  provider text not null,
  llm_model text,
  tldr_text text not null,
  context_json text not null,
  context_hash text not null,
  is_grounded boolean not null,
  grounding_detail text not null,
  generated_at timestamp not null,
  primary key (run_id, game_id)
);
insert into outputs.game_tldr_by_run select * from outputs.game_tldr;
drop table outputs.game_tldr;
alter table outputs.game_tldr_by_run rename to game_tldr;

-- Per league and date, the run whose outputs passed validation: the only outputs dbt and the UI
-- read. Existing dates point at the run that wrote their predictions.
create table if not exists outputs.validated_run (
  league text not null,
  run_date date not null,
  run_id text not null,
  validated_at timestamp not null,
  primary key (league, run_date)
);
insert into outputs.validated_run (league, run_date, run_id, validated_at)
  select league, run_date, max(run_id), max(predicted_at)
  from outputs.game_prediction group by league, run_date;
