#!/usr/bin/env bash
# The Airflow tests (issue 13), in a venv of their own (.venv-airflow: the `airflow` extra, pinned
# by constraints-airflow.txt) so the main suite's venv stays light. Run by .ci/run after the main
# tests; by hand: `bash scripts/test_airflow.sh` (`--fresh` rebuilds the venv first).
#
#   1. the DAG files import with no scheduler and no database or network call, and the cosmos
#      DAG lists one task per dbt model of the transform (every model but the UI ones);
#   2. `airflow dags test spread_eagle_daily 2024-11-24` on a fresh DuckDB publishes that date's
#      slate with its 11 games, one run in the ledger, identical (less run_id and published_at) to
#      `spread-eagle run-daily`'s;
#   3. a second `dags test` of the date is idempotent (same slate, no new raw rows);
#   4. a task made to fail once (the test-only fault hook: SPREAD_EAGLE_FAULT_STEP and
#      SPREAD_EAGLE_FAULT_ONCE_FILE, spread_eagle.config) succeeds on its retry, and the tasks
#      before it ran once;
#   5. `airflow dags test spread_eagle_daily_cosmos 2024-11-24` on a fresh DuckDB builds the models
#      in their per-model tasks and publishes run-daily's slate;
#   6. `airflow backfill create` over 2024-11-25..28, executed by a scheduler started here (DAG
#      processor, scheduler with LocalExecutor, execution API; stopped on exit), runs the two dates
#      with games, skips the two without, and publishes the slates `spread-eagle backfill` does.
# Ends with the line `N passed, M failed`; exits 1 if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export DO_NOT_TRACK=1 PIP_DISABLE_PIP_VERSION_CHECK=1
venv=.venv-airflow
started=$SECONDS

if [ "${1:-}" = "--fresh" ] || [ ! -x "$venv/bin/airflow" ]; then
  rm -rf "$venv"
  python3.11 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q -c constraints-airflow.txt -e ".[airflow]" || exit 1
fi
py="$venv/bin/python"
se="$venv/bin/spread-eagle"

work=$(mktemp -d)
trap 'stop_daemons; rm -rf "$work"' EXIT
export AIRFLOW_HOME=$work/airflow
export AIRFLOW__CORE__DAGS_FOLDER=$root/dags AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY=1  # the DAG's retries wait 1 s here, 300 s by default
export SPREAD_EAGLE_LOG_DIR=$work/logs
unset SPREAD_EAGLE_FAULT_STEP SPREAD_EAGLE_FAULT_ONCE_FILE
passed=0 failed=0

check() {  # check NAME COMMAND...: run one test, count it
  local name=$1 began=$SECONDS
  shift
  echo "== $name"
  if "$@"; then
    passed=$((passed + 1))
    echo "   ok ($((SECONDS - began))s): $name"
  else
    failed=$((failed + 1))
    echo "   FAILED ($((SECONDS - began))s): $name"
  fi
}

dags_test() {  # dags_test DAG DB DATE [ENV=VALUE...]: airflow dags test on DB, output to a log
  local dag=$1 db=$2 day=$3
  shift 3
  env SPREAD_EAGLE_DATABASE_URL="duckdb:///$db" "$@" \
    "$venv/bin/airflow" dags test "$dag" "$day" >"$work/dags_test.$(basename "$db").$day.log" 2>&1 \
    || { tail -40 "$work/dags_test.$(basename "$db").$day.log"; return 1; }
}

import_test() {
  # No metadata database (a path that cannot exist) and no sockets: a DAG file that touched either
  # at import time would fail here. spread_eagle itself must not be imported either.
  AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=sqlite:////nonexistent/airflow.db "$py" - "$root" <<'EOF'
import importlib.util, socket, sys, time
from pathlib import Path

def no_network(*args, **kwargs):
    raise AssertionError("network call at import time")

socket.socket.connect = no_network
socket.create_connection = no_network
root = Path(sys.argv[1])
for path in sorted((root / "dags").glob("*.py")):
    started = time.perf_counter()
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seconds = time.perf_counter() - started
    print(f"   {path.name}: imported in {seconds:.1f}s")
    assert seconds < 30, "over Airflow's dagbag_import_timeout"
assert not [m for m in sys.modules if m.startswith("spread_eagle")], "spread_eagle imported"
EOF
}

cosmos_test() {
  "$py" - "$root" <<'EOF'
import sys
from pathlib import Path
from airflow.dag_processing.dagbag import DagBag

root = Path(sys.argv[1])
bag = DagBag(dag_folder=str(root / "dags"))
assert not bag.import_errors, bag.import_errors
daily = bag.get_dag("spread_eagle_daily")
order = ["should_run", "start_run", "ingest_slate", "ingest_results", "transform", "predict",
         "summarize", "validate", "publish", "finish_run"]
assert sorted(daily.task_ids) == sorted(order), daily.task_ids
for before, after in zip(order, order[1:]):
    assert after in daily.get_task(before).downstream_task_ids, (before, after)
assert daily.get_task("publish").retries == 0 and daily.get_task("validate").retries == 0
assert daily.get_task("ingest_slate").retries > 0 and daily.get_task("ingest_results").retries > 0
assert {t.pool for t in daily.tasks if t.task_id != "should_run"} == {"spread_eagle_warehouse"}
cosmos = bag.get_dag("spread_eagle_daily_cosmos")
models = {p.stem for p in (root / "dbt" / "models").rglob("*.sql") if p.parent.name != "ui"}
tasks = {t.task_id.removeprefix("dbt.").removesuffix("_model_build")
         for t in cosmos.tasks if t.task_id.startswith("dbt.")}
assert tasks == models, (tasks ^ models)
print(f"   cosmos: {len(tasks)} dbt model tasks, one per model")
EOF
}

slates_equal() {  # slates_equal DB_A DB_B DATE...: the published slates, less volatile fields
  "$py" - "$@" <<'EOF'
import sys
from datetime import date
from spread_eagle.publish.slate import read_slate, strip_volatile
from spread_eagle.warehouse import connect

a, b, *days = sys.argv[1:]
for day in days:
    with connect(f"duckdb:///{a}", read_only=True) as wa, connect(f"duckdb:///{b}", read_only=True) as wb:
        sa, sb = read_slate(wa, "nfl", date.fromisoformat(day)), read_slate(wb, "nfl", date.fromisoformat(day))
    assert sa["games"], f"{day}: nothing published"
    assert strip_volatile(sa) == strip_volatile(sb), f"{day}: slates differ"
    print(f"   {day}: {len(sa['games'])} games, identical")
EOF
}

ledger_says() {  # ledger_says DB RUNS [DAG]: the ledger holds RUNS runs, all succeeded, by DAG
  "$py" - "$1" "$2" "${3:-spread_eagle_daily}" <<'EOF'
import sys
from spread_eagle.warehouse import connect

db, expected, dag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with connect(f"duckdb:///{db}", read_only=True) as wh:
    runs = wh.query("select run_id, status, command from ops.run order by started_at")
    steps = wh.query("select run_id, status from ops.step_run")
assert len(runs) == expected, runs
assert all(r["status"] == "succeeded" and r["command"].startswith(f"airflow {dag}/") for r in runs), runs
assert all(s["status"] == "succeeded" for s in steps), steps
print(f"   ledger: {len(runs)} run(s), every step succeeded")
EOF
}

count_raw() {
  "$py" -c "
import sys
from spread_eagle.warehouse import connect
with connect('duckdb:///$1', read_only=True) as wh:
    print(wh.scalar('select count(*) from raw.payload'), wh.scalar('select count(*) from raw.nflverse_game'))"
}

daily_test() {
  dags_test spread_eagle_daily "$work/dag.duckdb" 2024-11-24 || return 1
  ledger_says "$work/dag.duckdb" 1 || return 1
  SPREAD_EAGLE_DATABASE_URL="duckdb:///$work/cli.duckdb" "$se" run-daily --date 2024-11-24 >/dev/null || return 1
  slates_equal "$work/dag.duckdb" "$work/cli.duckdb" 2024-11-24
}

idempotent_test() {
  local before after
  before=$(count_raw "$work/dag.duckdb") || return 1
  cp "$work/dag.duckdb" "$work/first.duckdb"
  dags_test spread_eagle_daily "$work/dag.duckdb" 2024-11-24 || return 1
  after=$(count_raw "$work/dag.duckdb") || return 1
  [ "$before" = "$after" ] || { echo "   raw rows changed: $before -> $after"; return 1; }
  ledger_says "$work/dag.duckdb" 2 && slates_equal "$work/dag.duckdb" "$work/first.duckdb" 2024-11-24
}

retry_test() {
  dags_test spread_eagle_daily "$work/fault.duckdb" 2024-11-24 SPREAD_EAGLE_FAULT_STEP=ingest_results \
    SPREAD_EAGLE_FAULT_ONCE_FILE="$work/fault.once" || return 1
  [ -f "$work/fault.once" ] || { echo "   the fault never fired"; return 1; }
  grep -q "injected fault in ingest_results" "$work/dags_test.fault.duckdb.2024-11-24.log" || return 1
  ledger_says "$work/fault.duckdb" 1 || return 1
  "$py" - "$AIRFLOW_HOME/airflow.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
tries = dict(db.execute(
    "select task_id, try_number from task_instance where run_id ="
    " (select run_id from dag_run where dag_id = 'spread_eagle_daily' order by id desc limit 1)"
    " and dag_id = 'spread_eagle_daily'"))
assert tries["ingest_results"] == 2, tries
assert all(tries[t] == 1 for t in tries if t != "ingest_results"), tries
print(f"   tries: {tries}")
EOF
}

cosmos_run_test() {
  dags_test spread_eagle_daily_cosmos "$work/cosmos.duckdb" 2024-11-24 || return 1
  ledger_says "$work/cosmos.duckdb" 1 spread_eagle_daily_cosmos || return 1
  "$py" - "$work/cosmos.duckdb" "$AIRFLOW_HOME/airflow.db" "$root" <<'EOF' || return 1
import sqlite3, sys
from pathlib import Path
from spread_eagle.warehouse import connect

warehouse, airflow_db, root = sys.argv[1], sys.argv[2], Path(sys.argv[3])
with connect(f"duckdb:///{warehouse}", read_only=True) as wh:
    detail = wh.scalar("select detail from ops.step_run where step = 'transform'")
assert "cosmos" in detail, detail  # the step recorded the per-model tasks' build, not its own
db = sqlite3.connect(airflow_db)
states = dict(db.execute(
    "select task_id, state from task_instance where dag_id = 'spread_eagle_daily_cosmos'"
    " and task_id like 'dbt.%' and run_id = (select run_id from dag_run"
    " where dag_id = 'spread_eagle_daily_cosmos' order by id desc limit 1)"))
models = {p.stem for p in (root / "dbt" / "models").rglob("*.sql") if p.parent.name != "ui"}
assert len(states) == len(models) and set(states.values()) == {"success"}, states
print(f"   {len(states)} dbt model tasks succeeded; transform: {detail}")
EOF
  slates_equal "$work/cosmos.duckdb" "$work/cli.duckdb" 2024-11-24
}

# The scheduler test runs what `airflow standalone` runs, less the UI and the triggerer (no
# deferrable tasks here): the DAG processor, the scheduler with its LocalExecutor, and the API
# server's execution API, through which Airflow 3 task processes read and report their state.
daemons=""

start_daemon() {  # start_daemon NAME ARGS...: `airflow ARGS` in the background, output to NAME.log
  local name=$1
  shift
  "$venv/bin/airflow" "$@" >"$work/$name.log" 2>&1 &
  daemons="$daemons $!"
}

process_tree() {  # process_tree PID: PID and its descendants (the executor's task processes)
  local child
  echo "$1"
  for child in $(ps -o pid= --ppid "$1"); do process_tree "$child"; done
}

stop_daemons() {  # TERM the daemons and their children; KILL whatever is left after 10 s
  local pids="" pid
  for pid in $daemons; do pids="$pids $(process_tree "$pid")"; done
  daemons=""
  [ -n "${pids// /}" ] || return 0
  kill $pids 2>/dev/null
  for _ in $(seq 1 10); do
    kill -0 $pids 2>/dev/null || return 0
    sleep 1
  done
  kill -9 $pids 2>/dev/null
  return 0
}

free_port() {
  "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for_backfill() {  # wait_for_backfill RUNS TIMEOUT: until RUNS backfill DAG runs end; all succeed
  "$py" - "$AIRFLOW_HOME" "$@" <<'EOF'
import json, sqlite3, sys, time
from pathlib import Path

home, expected, timeout = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])

def query(sql):
    db = sqlite3.connect(f"file:{home / 'airflow.db'}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()

deadline = time.monotonic() + timeout
while True:
    runs = dict(query("select run_id, state from dag_run where dag_id = 'spread_eagle_daily'"
                      " and run_type = 'backfill'"))
    done = len(runs) == expected and all(s in ("success", "failed") for s in runs.values())
    if done or time.monotonic() > deadline:
        break
    time.sleep(3)
for run_id, state in sorted(runs.items()):
    print(f"   {run_id}: {state}")
if done and set(runs.values()) == {"success"}:
    sys.exit(0)
paused = query("select is_paused from dag where dag_id = 'spread_eagle_daily'")
print(f"   {'a DAG run failed' if done else f'timed out after {timeout:.0f}s'}; DAG paused: {paused}")
for run_id, task_id, state, attempt in query(
        "select run_id, task_id, state, try_number from task_instance where dag_id ="
        " 'spread_eagle_daily' and run_id like 'backfill%' and state not in ('success', 'skipped')"):
    print(f"   -- {run_id} {task_id}: {state}")
    log = home / "logs" / "dag_id=spread_eagle_daily" / f"run_id={run_id}" / f"task_id={task_id}" / f"attempt={attempt}.log"
    for line in (log.read_text().splitlines()[-15:] if log.exists() else []):
        print("      " + str(json.loads(line).get("event", line) if line.startswith("{") else line))
sys.exit(1)
EOF
}

backfill_test() {
  # The DAG (created paused by the dags tests above) is unpaused and the backfill created before
  # the scheduler starts: SQLite takes one writer at a time, and these CLIs give up after 5 s.
  "$venv/bin/airflow" dags unpause spread_eagle_daily >"$work/unpause.log" 2>&1 \
    || { tail -20 "$work/unpause.log"; return 1; }
  # 2024-11-25..28: two NFL dates (Monday night, Thanksgiving) and two without games. --to-date
  # is a time (a bare date is its midnight UTC, before that day's 09:15 run); one run at a time
  # (one DuckDB file), in date order as `spread-eagle backfill` runs them.
  "$venv/bin/airflow" backfill create --dag-id spread_eagle_daily --from-date 2024-11-25 \
    --to-date 2024-11-28T23:59 --max-active-runs 1 >"$work/backfill_create.log" 2>&1 \
    || { tail -20 "$work/backfill_create.log"; return 1; }
  local port log_port
  port=$(free_port) log_port=$(free_port)
  (
    export SPREAD_EAGLE_DATABASE_URL="duckdb:///$work/sched.duckdb"  # the tasks inherit it
    export AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:$port/execution/
    export AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=$log_port  # not 8793: another test may hold it
    export AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE=False  # only the backfill's runs, no scheduled one
    export AIRFLOW__CORE__PARALLELISM=2  # the pool runs one warehouse task at a time anyway
    export AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL=600  # parse once, not every 30 s
    start_daemon api-server api-server --apps execution -H 127.0.0.1 -p "$port" -w 1
    start_daemon dag-processor dag-processor
    start_daemon scheduler scheduler
    echo "$daemons" >"$work/daemons"
  )
  daemons=$(cat "$work/daemons")
  wait_for_backfill 4 900 || { tail -20 "$work/scheduler.log"; stop_daemons; return 1; }
  stop_daemons
  ledger_says "$work/sched.duckdb" 2 || return 1  # the dates without games opened no run
  SPREAD_EAGLE_DATABASE_URL="duckdb:///$work/backfill.duckdb" \
    "$se" backfill --start 2024-11-25 --end 2024-11-28 >/dev/null 2>&1 || return 1
  slates_equal "$work/sched.duckdb" "$work/backfill.duckdb" 2024-11-25 2024-11-28
}

check "DAG files import with no scheduler, database or network" import_test
echo "== airflow db migrate (AIRFLOW_HOME=$AIRFLOW_HOME, SQLite)"
"$venv/bin/airflow" db migrate >"$work/migrate.log" 2>&1 || { tail -20 "$work/migrate.log"; exit 1; }
"$venv/bin/airflow" pools set spread_eagle_warehouse 1 "writers of one DuckDB file" >/dev/null 2>&1
check "DAGs parse; the cosmos DAG has one task per dbt model" cosmos_test
check "dags test 2024-11-24 publishes run-daily's slate, one ledger run" daily_test
check "a second dags test of the date is idempotent" idempotent_test
check "a task failing once succeeds on its retry, earlier tasks not redone" retry_test
check "dags test of the cosmos DAG publishes run-daily's slate" cosmos_run_test
check "airflow backfill create, run by a scheduler, publishes spread-eagle backfill's slates" backfill_test

echo "airflow tests took $((SECONDS - started))s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
