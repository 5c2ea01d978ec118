"""Operations (issue 11): every failure is recorded truthfully and survivable, on both engines.

Signals and kills go to a real `python -m spread_eagle run-daily` process, sent when its log says
the step has started; everything else runs in-process on a copy of the shared published warehouse
(2024-11-24 published). Every case checks: the exit code, the ledger naming the step and the cause,
nothing left `running`, the previous publication unchanged, and that the next run succeeds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spread_eagle.cli import app
from spread_eagle.ingest.payload import ParsedPayload, Payload
from spread_eagle.ingest.raw_store import StoreResult, store_payloads
from spread_eagle.pipeline.runner import run_daily
from spread_eagle.run import ledger
from spread_eagle.warehouse import connect
from tests.conftest import make_settings, raw_counts, terminate_backends

SUNDAY = date(2024, 11, 24)

pytestmark = pytest.mark.slow

# A Python step that takes its time, so a signal or a terminated connection lands inside it (the
# same CLI, in-process): it waits, 12 s at most, until the test acts. A signal cuts the wait short;
# terminated connections fail the step's next query, one every tenth of a second.
SLOW_PREDICT = """
import sys, time
from spread_eagle.pipeline import steps
original = steps.STEPS["predict"]
def slow_predict(ctx):
    for _ in range(120):
        time.sleep(0.1)
        ctx.warehouse.scalar("select 1")
    return original(ctx)
steps.STEPS["predict"] = slow_predict
from spread_eagle.cli import app
app(prog_name="spread-eagle", args=sys.argv[1:])
"""


def _env(url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "SPREAD_EAGLE_DATABASE_URL": url,
        "SPREAD_EAGLE_LOG_DIR": str(tmp_path / "logs"),
    }


def _spawn(url: str, tmp_path: Path, *args: str, driver: str | None = None) -> subprocess.Popen:
    command = [sys.executable, "-c", driver] if driver else [sys.executable, "-m", "spread_eagle"]
    return subprocess.Popen(
        [*command, *args],
        env=_env(url, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_step(tmp_path: Path, step: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Until the run's log says `step` started (the ledger of a DuckDB run cannot be read while
    the run holds the file; the JSON-lines log can)."""
    log_file = tmp_path / "logs" / "spread_eagle.jsonl"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the run ended before {step} (exit {proc.returncode}): {out}{err}")
        if log_file.exists():
            for line in log_file.read_text(encoding="utf-8").splitlines():
                if json.loads(line)["message"] == f"step {step} started":
                    return
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"step {step} never started")


def _finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def _publication(url: str) -> list[dict[str, Any]]:
    with connect(url, read_only=True) as wh:
        return wh.query(
            "select league, run_date, run_id, document_hash, published_at from publish.slate"
            " order by league, run_date"
        )


def _runs(url: str) -> list[dict[str, Any]]:
    with connect(url, read_only=True) as wh:
        return ledger.recent_runs(wh, limit=20)


def _newest_run(url: str) -> dict[str, Any]:
    return _runs(url)[0]


def _assert_nothing_running(url: str) -> None:
    for run in _runs(url):
        assert run["status"] != ledger.RUNNING, run
        assert all(s["status"] != ledger.RUNNING for s in run["steps"]), run


def _step(run: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in run["steps"] if s["step"] == name)


def _assert_one_line_error(output: str, *needles: str) -> None:
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    for needle in needles:
        assert needle in errors[0], errors[0]


# -- signals ----------------------------------------------------------------------------------------


def test_sigterm_inside_dbt_fails_the_run_naming_step_and_signal_and_resume_continues(
    published_url: str, tmp_path: Path
) -> None:
    before, raw_before = _publication(published_url), raw_counts(published_url)
    proc = _spawn(published_url, tmp_path, "run-daily", "--date", SUNDAY.isoformat())
    _wait_for_step(tmp_path, "transform", proc)
    time.sleep(1.5)  # inside dbt's build
    proc.send_signal(signal.SIGTERM)
    code, out, err = _finish(proc)

    assert code == 128 + signal.SIGTERM, (out, err)
    _assert_one_line_error(err, "interrupted by SIGTERM during step transform", "--resume")
    run = _newest_run(published_url)
    assert run["status"] == ledger.FAILED
    assert run["error"] == "transform: interrupted by SIGTERM during step transform"
    assert _step(run, "transform")["status"] == ledger.FAILED
    assert "SIGTERM" in _step(run, "transform")["error"]  # never an empty error
    assert [s["status"] for s in run["steps"][3:]] == [ledger.SKIPPED] * 4
    _assert_nothing_running(published_url)
    assert _publication(published_url) == before
    assert raw_counts(published_url) == raw_before

    # --resume continues it from transform, under its clock
    resumed = run_daily(make_settings(tmp_path, published_url), resume=run["run_id"])
    assert resumed.ok, resumed.error
    assert resumed.as_of == run["as_of"] and resumed.run_date == SUNDAY
    after = _newest_run(published_url)
    assert after["resumed_from"] == run["run_id"]
    assert [s["status"] for s in after["steps"][:2]] == [ledger.REUSED] * 2
    assert _publication(published_url)[0]["run_id"] == resumed.run_id
    assert raw_counts(published_url) == raw_before


def test_sigint_inside_a_python_step_fails_the_run_and_the_next_run_succeeds(
    published_url: str, tmp_path: Path
) -> None:
    before = _publication(published_url)
    proc = _spawn(
        published_url, tmp_path, "run-daily", "--date", SUNDAY.isoformat(), driver=SLOW_PREDICT
    )
    _wait_for_step(tmp_path, "predict", proc)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    code, out, err = _finish(proc)

    assert code == 128 + signal.SIGINT, (out, err)
    _assert_one_line_error(err, "interrupted by SIGINT during step predict", "--resume")
    run = _newest_run(published_url)
    assert run["status"] == ledger.FAILED and "SIGINT" in run["error"]
    assert _step(run, "predict")["status"] == ledger.FAILED
    assert _step(run, "predict")["error"] == "interrupted by SIGINT during step predict"
    _assert_nothing_running(published_url)
    assert _publication(published_url) == before

    nxt = run_daily(make_settings(tmp_path, published_url), resume=run["run_id"])
    assert nxt.ok, nxt.error
    assert _newest_run(published_url)["steps"][2]["status"] == ledger.REUSED  # transform


def test_kill_9_is_shown_failed_by_status_without_writing_and_marked_by_the_next_run(
    published_url: str, tmp_path: Path
) -> None:
    before = _publication(published_url)
    proc = _spawn(published_url, tmp_path, "run-daily", "--date", SUNDAY.isoformat())
    _wait_for_step(tmp_path, "transform", proc)
    time.sleep(1)
    proc.kill()
    proc.communicate(timeout=30)
    env = {"SPREAD_EAGLE_DATABASE_URL": published_url, "SPREAD_EAGLE_LOG_DIR": str(tmp_path)}

    deadline = time.monotonic() + 20  # PostgreSQL notices the closed sockets, releasing the lock
    while True:
        shown = CliRunner().invoke(app, ["status", "--json", "--limit", "1"], env=env)
        assert shown.exit_code == 0, shown.output
        killed = json.loads(shown.output)[0]
        if killed.get("process_gone") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert killed["status"] == ledger.GONE
    assert _step(killed, "transform")["status"] == ledger.FAILED
    assert _newest_run(published_url)["status"] == ledger.RUNNING  # status wrote nothing
    text = CliRunner().invoke(app, ["status", "--limit", "1"], env=env).output
    assert "failed (process gone)" in text and f"--resume {killed['run_id']}" in text
    assert _publication(published_url) == before

    # the next run (of any date) marks it failed; resuming it is one
    nxt = run_daily(make_settings(tmp_path, published_url), resume=killed["run_id"])
    assert nxt.ok, nxt.error
    marked = next(r for r in _runs(published_url) if r["run_id"] == killed["run_id"])
    assert marked["status"] == ledger.FAILED
    assert marked["error"].startswith("transform: process gone: pid ")
    _assert_nothing_running(published_url)


# -- PostgreSQL: terminated connections, a lost lock, concurrent runs ---------------------------------


def _require_postgres(url: str) -> None:
    if not url.startswith("postgresql://"):
        pytest.skip("PostgreSQL only")


def test_a_lost_run_lock_fails_the_run_before_it_publishes(
    published_url: str, tmp_path: Path
) -> None:
    """The lock's connection terminated: a second run of the date is admitted, and the first
    stops at its next check, before publishing, instead of both publishing."""
    _require_postgres(published_url)
    from spread_eagle.warehouse.postgres_warehouse import _lock_id, _lock_parts

    classid, objid = _lock_parts(_lock_id(f"nfl_{SUNDAY.isoformat()}"))
    proc = _spawn(published_url, tmp_path / "first", "run-daily", "--date", SUNDAY.isoformat())
    _wait_for_step(tmp_path / "first", "transform", proc)
    assert (
        terminate_backends(
            published_url,
            "pid in (select pid from pg_locks where locktype = 'advisory'"
            " and classid = %s::bigint::oid and objid = %s::bigint::oid and objsubid = 1)",
            (classid, objid),
        )
        == 1
    )
    second = run_daily(make_settings(tmp_path / "second", published_url), run_date=SUNDAY)
    code, out, err = _finish(proc)

    assert second.ok, second.error
    assert code == 1, (out, err)
    assert "Traceback" not in err and "lost the run lock" in out
    first = next(r for r in _runs(published_url) if r["run_id"] != second.run_id)
    assert first["status"] == ledger.FAILED and "lost the run lock" in first["error"]
    assert _step(first, "publish")["status"] in (ledger.SKIPPED, ledger.FAILED)
    _assert_nothing_running(published_url)
    with connect(published_url, read_only=True) as wh:
        published = wh.query("select run_id from ops.publication where run_date = ?", (SUNDAY,))
    assert first["run_id"] not in {p["run_id"] for p in published}
    assert _publication(published_url)[0]["run_id"] == second.run_id


def test_terminating_every_connection_of_a_run_fails_it_cleanly(
    published_url: str, tmp_path: Path
) -> None:
    _require_postgres(published_url)
    before = _publication(published_url)
    proc = _spawn(
        published_url, tmp_path, "run-daily", "--date", SUNDAY.isoformat(), driver=SLOW_PREDICT
    )
    _wait_for_step(tmp_path, "predict", proc)
    time.sleep(0.5)
    assert terminate_backends(published_url, "true") >= 2  # the run's connection and its lock's
    code, out, err = _finish(proc)

    assert code == 1, (out, err)
    assert "Traceback" not in err, err
    run = _newest_run(published_url)
    assert run["status"] == ledger.FAILED
    assert run["error"].startswith("predict: ")
    assert "terminated" in run["error"] or "lost the run lock" in run["error"]
    _assert_nothing_running(published_url)
    assert _publication(published_url) == before
    nxt = run_daily(make_settings(tmp_path, published_url), resume=run["run_id"])
    assert nxt.ok, nxt.error


def test_two_first_runs_of_different_dates_at_once_both_succeed(
    warehouse_url: str, tmp_path: Path
) -> None:
    _require_postgres(warehouse_url)
    days = ["2024-11-24", "2024-12-01"]
    procs = [_spawn(warehouse_url, tmp_path / d, "run-daily", "--date", d) for d in days]
    results = [_finish(p, timeout=300) for p in procs]
    for code, out, err in results:
        assert code == 0, (out, err)
        assert "Traceback" not in err
    assert {str(p["run_date"]) for p in _publication(warehouse_url)} == set(days)
    _assert_nothing_running(warehouse_url)


# -- idempotent stores: a payload stored by a concurrent transaction is not an error ----------------


def _rejecting_parser(payload: Payload) -> ParsedPayload:
    parsed = ParsedPayload(table="raw.nflverse_game", columns=[])
    return parsed.reject(payload.source, "not a schedule", payload.body)


def test_a_payload_stored_by_a_concurrent_run_is_seen_not_a_unique_violation(
    warehouse_url: str, tmp_path: Path
) -> None:
    payload = Payload(
        "test", "schedule", "<html>busy</html>", datetime(2024, 11, 24, 12, tzinfo=UTC)
    )
    first, second = connect(warehouse_url), connect(warehouse_url)
    try:
        first.migrate()
        if warehouse_url.startswith("duckdb://"):  # one process at a time: in turn
            second.close()
            second = first
        results = [StoreResult(), StoreResult()]
        errors: list[BaseException] = []

        def store_second() -> None:
            try:
                store_payloads(
                    second, "run-b", [payload], _rejecting_parser, results[1], league="nfl"
                )
            except BaseException as exc:
                errors.append(exc)

        with first.transaction():  # the first run's transaction is still open...
            store_payloads(first, "run-a", [payload], _rejecting_parser, results[0], league="nfl")
            if second is first:
                worker = None
            else:  # ...when the second stores the same payload: it waits, then sees it
                worker = threading.Thread(target=store_second)
                worker.start()
                time.sleep(0.5)
        if worker is None:
            store_second()
        else:
            worker.join(timeout=30)
        assert not errors, errors
        assert (results[0].payloads_new, results[1].payloads_new) == (1, 0)
        assert results[1].payloads_seen == 1
        assert first.scalar("select count(*) from raw.payload") == 1
        assert first.scalar("select count(*) from raw.payload_sighting") == 1
        assert first.scalar("select count(*) from raw.quarantine") == 1
        rows = [{"payload_id": payload.payload_id, "fetched_at": payload.fetched_at, "run_id": "x"}]
        assert first.insert_all("raw.payload_sighting", rows, ignore_conflicts=True) == 0
    finally:
        first.close()
        second.close()
