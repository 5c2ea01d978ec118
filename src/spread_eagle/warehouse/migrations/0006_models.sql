-- The model registry (spread_eagle.predict.registry) and the predict step's richer rows.
-- Portable DDL for DuckDB and PostgreSQL; timestamps are naive UTC.

-- One row per model version: what it is and the parameters its version hashes.
create table if not exists ops.model (
  model_version text not null,
  model text not null,
  league text not null,
  code_version text not null,
  params_json text not null,
  training_cutoff text not null,
  registered_at timestamp not null,
  primary key (model_version)
);

-- A backtest's figures for a model version over a window of seasons (the whole metrics.json
-- block in metrics_json, the headline figures as columns).
create table if not exists ops.model_metrics (
  model_version text not null,
  model text not null,
  start_season integer not null,
  end_season integer not null,
  games integer not null,
  spread_mae double precision,
  win_brier double precision,
  calibration_ece double precision,
  metrics_json text not null,
  measured_at timestamp not null,
  primary key (model_version, start_season, end_season)
);

-- Predictions: push probability, the side and price bet, fair odds, stake, the published pick and
-- the play rule's walk-forward record. Existing columns keep their meaning (`play` is the pick).
alter table outputs.game_prediction add column p_push double precision;
alter table outputs.game_prediction add column side text;
alter table outputs.game_prediction add column price_american integer;
alter table outputs.game_prediction add column fair_american integer;
alter table outputs.game_prediction add column stake double precision;
alter table outputs.game_prediction add column rule_json text;
