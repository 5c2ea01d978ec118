#!/usr/bin/env bash
# The one check command, the same for a developer and CI: lint, format, types, tests.
# Extra arguments go to pytest (e.g. `bash scripts/check.sh -k slate`).
# PostgreSQL tests run when SPREAD_EAGLE_TEST_POSTGRES_URL is set (or with --postgres); they then
# FAIL, never skip, if the server cannot be reached.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
[ -x "$bin/python" ] || { echo "no .venv: run the README's test command (it creates it)" >&2; exit 2; }
export DO_NOT_TRACK=1
echo "== ruff check";  "$bin/ruff" check src tests bench dags scripts
echo "== ruff format"; "$bin/ruff" format --check src tests bench dags scripts
echo "== mypy";        "$bin/mypy"
echo "== layers";      "$bin/lint-imports" --no-cache  # pyproject.toml [tool.importlinter]
# Four workers on 2 cores: the suite is mostly whole pipeline runs (dbt, DuckDB, PostgreSQL), and
# the extra workers fill the cores while others wait on PostgreSQL, subprocesses and file locks, and
# even out the end (README, "Tests", has the timings: 4 workers 307 s, 3 workers 321 s, back to
# back); modules stay on one worker so their shared warehouses are built once.
# Modules are handed out in collection order, which conftest.py sorts longest first (xdist's own
# reorder, by number of tests, left the longest modules, with few tests each, for last).
echo "== pytest";      "$bin/python" -m pytest tests -n "${SPREAD_EAGLE_TEST_WORKERS:-4}" --dist loadscope \
  --no-loadscope-reorder "$@"
