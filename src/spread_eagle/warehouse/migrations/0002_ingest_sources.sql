-- Raw tables of the live sources (The Odds API v4, ESPN scoreboard) and of the open/close sheet
-- the replay provider serves, plus the HTTP facts of every fetched payload. Portable DDL for
-- DuckDB and PostgreSQL; timestamps are naive UTC. Every source table starts with the META
-- columns (payload_id, row_number, fetched_at, run_id); values are landed as the source sent
-- them (text), except times (typed, UTC) and team names, which are ALSO landed resolved through
-- the one alias table (leagues/team_alias.csv) so an unknown name is quarantined, never guessed.

-- One row per fetched HTTP payload: the (redacted) URL, status and the validators a conditional
-- GET sends back next time (ETag / Last-Modified), and the quota headers of metered APIs.
create table if not exists raw.http_response (
  payload_id text primary key,
  source text not null,
  url text not null,
  status_code integer not null,
  etag text,
  last_modified text,
  requests_remaining text,
  requests_used text,
  requests_last text,
  fetched_at timestamp not null,
  run_id text not null
);

-- The Odds API v4 /sports/{sport}/odds: one row per event, bookmaker, market and outcome.
-- An outcome whose (event, book, market, outcome) line and price equal the newest stored row is
-- not landed again: each run appends only the line snapshots that changed.
create table if not exists raw.odds_api_outcome (
  payload_id text not null,
  row_number integer not null,
  fetched_at timestamp not null,
  run_id text not null,
  event_id text not null,
  sport_key text,
  commence_time text,
  commence_at timestamp not null,
  home_team text not null,
  away_team text not null,
  home_team_id text not null,
  away_team_id text not null,
  bookmaker_key text not null,
  bookmaker_last_update text,
  market_key text not null,
  market_last_update text,
  captured_at timestamp not null,
  outcome_name text not null,
  price text not null,
  point text,
  odds_format text not null,
  primary key (payload_id, row_number)
);

-- The Odds API v4 /sports/{sport}/scores: one row per event (scores are strings; null before kickoff).
create table if not exists raw.odds_api_score (
  payload_id text not null,
  row_number integer not null,
  fetched_at timestamp not null,
  run_id text not null,
  event_id text not null,
  sport_key text,
  commence_time text,
  commence_at timestamp not null,
  completed text,
  home_team text not null,
  away_team text not null,
  home_team_id text not null,
  away_team_id text not null,
  home_score text,
  away_score text,
  last_update text,
  primary key (payload_id, row_number)
);

-- ESPN site API scoreboard: one row per event, with ESPN's own odds (first provider) when present.
-- `odds_spread` is ESPN's number as sent: the HOME team's handicap (negative = home favored).
create table if not exists raw.espn_event (
  payload_id text not null,
  row_number integer not null,
  fetched_at timestamp not null,
  run_id text not null,
  event_id text not null,
  event_date text,
  kickoff_at timestamp not null,
  season_year text,
  season_type text,
  week text,
  status_name text,
  status_state text,
  status_completed text,
  neutral_site text,
  home_team_abbr text,
  home_team_name text,
  away_team_abbr text,
  away_team_name text,
  home_team_id text not null,
  away_team_id text not null,
  home_score text,
  away_score text,
  odds_provider text,
  odds_details text,
  odds_spread text,
  odds_over_under text,
  home_moneyline text,
  away_moneyline text,
  primary key (payload_id, row_number)
);

-- aussportsbetting.com open/close sheet rows as the replay provider serves them: the sheet's own
-- 45 columns as sent (decimal odds, `home_line` negative = home favored), prefixed by what the
-- replay adds: the nflverse game it matched, and when the open and close were captured.
create table if not exists raw.aussportsbetting_line (
  payload_id text not null,
  row_number integer not null,
  fetched_at timestamp not null,
  run_id text not null,
  game_id text not null,
  is_home_swapped text not null,
  open_captured_at timestamp,
  close_captured_at timestamp,
  sheet_date text, home_team text, away_team text, home_score text, away_score text,
  overtime text, playoff_game text, neutral_venue text,
  home_odds_open text, home_odds_min text, home_odds_max text, home_odds_close text,
  away_odds_open text, away_odds_min text, away_odds_max text, away_odds_close text,
  home_line_open text, home_line_min text, home_line_max text, home_line_close text,
  away_line_open text, away_line_min text, away_line_max text, away_line_close text,
  home_line_odds_open text, home_line_odds_min text, home_line_odds_max text, home_line_odds_close text,
  away_line_odds_open text, away_line_odds_min text, away_line_odds_max text, away_line_odds_close text,
  total_score_open text, total_score_min text, total_score_max text, total_score_close text,
  total_score_over_open text, total_score_over_min text, total_score_over_max text, total_score_over_close text,
  total_score_under_open text, total_score_under_min text, total_score_under_max text, total_score_under_close text,
  notes text,
  primary key (payload_id, row_number)
);
