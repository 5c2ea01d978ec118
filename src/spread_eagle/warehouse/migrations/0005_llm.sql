-- The summarize step's LLM ledger and cache. Portable DDL for DuckDB and PostgreSQL; timestamps
-- are naive UTC.

-- One row per TL;DR attempt of a game in a run: what was asked of which provider and model, what it
-- cost, whether it came from the cache, and the grounding gate's verdict with its reason.
create table if not exists ops.llm_call (
  run_id text not null,
  game_id text not null,
  attempt integer not null,
  provider text not null,
  llm_model text not null,
  prompt_version text not null,
  payload_hash text not null,
  tokens_in integer not null,
  tokens_out integer not null,
  latency_seconds double precision not null,
  retries integer not null,
  is_cache_hit boolean not null,
  is_grounded boolean not null,
  grounding_reason text not null,
  called_at timestamp not null,
  primary key (run_id, game_id, attempt)
);

-- Grounded TL;DRs by what determines them, so a re-run pays nothing and writes the same bytes.
-- `llm_model` is '' for a provider without models (offline).
create table if not exists ops.llm_cache (
  payload_hash text not null,
  prompt_version text not null,
  provider text not null,
  llm_model text not null,
  tldr_text text not null,
  tokens_in integer not null,
  tokens_out integer not null,
  run_id text not null,
  created_at timestamp not null,
  primary key (payload_hash, prompt_version, provider, llm_model)
);
