-- Audited result corrections and the publication history. Portable DDL for DuckDB and
-- PostgreSQL; timestamps are naive UTC.

-- One row per correction, never updated or deleted: who (OS user and SPREAD_EAGLE_ENV), when
-- (recorded_at: the wall clock), why, the score it sets and the score it replaced (what
-- facts.fct__game showed, and from which source, when it was recorded). `corrected_at` is the run
-- clock from which a run sees it (dbt: corrected_at <= as_of); it is recorded_at unless the person
-- gave `--as-of` (replays of past dates run on a past clock). The newest correction of a game
-- visible to a run wins over every source (stg__corrections__result, int__game__conformed).
create table if not exists ops.correction (
  correction_id text primary key,
  league text not null,
  game_id text not null,
  game_date date not null,
  home_score integer not null,
  away_score integer not null,
  previous_home_score integer,
  previous_away_score integer,
  previous_status text,
  previous_source text,
  replaces_correction_id text,
  reason text not null,
  corrected_by text not null,
  env text not null,
  recorded_at timestamp not null,
  corrected_at timestamp not null
);

-- Which corrections a successful transform has built into every incremental relation. A
-- correction visible to a run and not listed here pulls that run's `rebuild_from` back to its
-- game's date, so the features after it are re-processed even beyond the incremental lookback;
-- a successful transform on a clock that cannot see a correction (an older date re-run) removes
-- it again, since it re-built features without it.
create table if not exists ops.correction_applied (
  correction_id text primary key,
  run_id text not null,
  applied_at timestamp not null
);

-- Every publication, kept: publish.slate and publish.slate_game hold only the current slate of a
-- date; these hold each publication's header and cards (written in the same transaction), so
-- `slate --date D --run RUN_ID` prints any past one exactly as `slate --json` printed it then.
create table if not exists publish.slate_history (
  run_id text primary key,
  league text not null,
  run_date date not null,
  as_of timestamp not null,
  games integer not null,
  document_hash text not null,
  published_at timestamp not null
);

create table if not exists publish.slate_history_game (
  run_id text not null,
  game_id text not null,
  ordinal integer not null,
  card_json text not null,
  primary key (run_id, game_id)
);

-- The publications made before this migration: the current one of each date is still whole.
insert into publish.slate_history (run_id, league, run_date, as_of, games, document_hash, published_at)
  select run_id, league, run_date, as_of, games, document_hash, published_at from publish.slate;
insert into publish.slate_history_game (run_id, game_id, ordinal, card_json)
  select run_id, game_id, ordinal, card_json from publish.slate_game;
