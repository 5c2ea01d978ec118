-- Per-game detail documents, published in the same transaction as the slate they belong to:
-- the line history by book up to the run's as-of, the TL;DR's retrieval payload and the
-- predictions. The web layer's game page reads only this (it never reads facts or outputs).
create table if not exists publish.game_detail (
  league text not null,
  run_date date not null,
  game_id text not null,
  run_id text not null,
  detail_json text not null,
  primary key (league, run_date, game_id)
);
