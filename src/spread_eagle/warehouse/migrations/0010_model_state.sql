-- The models' walked state kept between runs (spread_eagle.predict.checkpoint): a date's predict
-- step resumes the walk over history from the newest state saved before its date instead of from
-- the league's first season. A state is used only when the history it learned from is unchanged
-- (history_hash over the same games, read again), so a corrected result or a rebuilt history
-- makes the next run walk from scratch. state_key hashes the models' code and the league's model
-- constants: any change to either makes every saved state unusable.
create table if not exists ops.model_state (
  league text not null,
  state_key text not null,
  walked_before date not null,
  games integer not null,
  history_hash text not null,
  state bytea not null,
  run_id text not null,
  saved_at timestamp not null,
  primary key (league, state_key, walked_before)
);
