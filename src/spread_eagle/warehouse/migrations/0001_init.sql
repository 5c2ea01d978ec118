-- Python-owned relations: raw (append-only, verbatim), ops (the run ledger), outputs (model
-- outputs that enter dbt as sources) and publish (what the UI reads). Portable DDL for
-- DuckDB and PostgreSQL; timestamps are naive UTC.
create schema if not exists raw;
create schema if not exists ops;
create schema if not exists outputs;
create schema if not exists publish;

create table if not exists raw.payload (
  payload_id text primary key,
  source text not null,
  endpoint text not null,
  request_params text not null,
  content_type text,
  body text not null,
  content_hash text not null,
  fetched_at timestamp not null,
  run_id text not null
);

create table if not exists raw.quarantine (
  quarantine_id text primary key,
  run_id text not null,
  source text not null,
  payload_id text,
  record_ref text,
  reason text not null,
  record text,
  quarantined_at timestamp not null
);

create table if not exists raw.nflverse_game (
  payload_id text not null,
  row_number integer not null,
  fetched_at timestamp not null,
  run_id text not null,
  game_id text, season text, game_type text, week text, gameday text, weekday text, gametime text,
  away_team text, away_score text, home_team text, home_score text, location text, result text,
  total text, overtime text, old_game_id text, gsis text, nfl_detail_id text, pfr text, pff text,
  espn text, ftn text, away_rest text, home_rest text, away_moneyline text, home_moneyline text,
  spread_line text, away_spread_odds text, home_spread_odds text, total_line text, under_odds text,
  over_odds text, div_game text, roof text, surface text, temp text, wind text, away_qb_id text,
  home_qb_id text, away_qb_name text, home_qb_name text, away_coach text, home_coach text,
  referee text, stadium_id text, stadium text,
  primary key (payload_id, row_number)
);

create table if not exists ops.run (
  run_id text primary key,
  league text not null,
  run_date date not null,
  as_of timestamp not null,
  env text not null,
  status text not null,
  from_step text,
  command text not null,
  started_at timestamp not null,
  ended_at timestamp,
  error text
);

create table if not exists ops.step_run (
  run_id text not null,
  step text not null,
  ordinal integer not null,
  status text not null,
  started_at timestamp,
  ended_at timestamp,
  row_counts text,
  model_version text,
  dbt_status text,
  llm_status text,
  detail text,
  error text,
  primary key (run_id, step)
);

create table if not exists ops.dbt_node_result (
  run_id text not null,
  step text not null,
  unique_id text not null,
  resource_type text not null,
  status text not null,
  rows_affected bigint,
  execution_seconds double precision,
  message text,
  primary key (run_id, step, unique_id)
);

create table if not exists ops.expected_game (
  run_id text not null,
  league text not null,
  run_date date not null,
  source text not null,
  home_team text not null,
  away_team text not null,
  kickoff_at timestamp,
  primary key (run_id, home_team, away_team)
);

create table if not exists ops.validation (
  run_id text not null,
  check_name text not null,
  passed boolean not null,
  detail text not null,
  checked_at timestamp not null,
  primary key (run_id, check_name)
);

create table if not exists ops.publication (
  run_id text primary key,
  league text not null,
  run_date date not null,
  games integer not null,
  document_hash text not null,
  published_at timestamp not null
);

create table if not exists outputs.game_prediction (
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
  primary key (game_id, model, run_date)
);

create table if not exists outputs.game_tldr (
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
  primary key (game_id, run_date)
);

create table if not exists publish.slate (
  league text not null,
  run_date date not null,
  run_id text not null,
  as_of timestamp not null,
  games integer not null,
  document_hash text not null,
  published_at timestamp not null,
  primary key (league, run_date)
);

create table if not exists publish.slate_game (
  league text not null,
  run_date date not null,
  game_id text not null,
  ordinal integer not null,
  run_id text not null,
  card_json text not null,
  primary key (league, run_date, game_id)
);
