"""The ledger tells the truth, in-process and fast (no dbt): a signal or a KeyboardInterrupt inside a
step, a failure whose own connection is broken, a run whose process is gone. Both engines."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spread_eagle.cli import app
from spread_eagle.config import Settings
from spread_eagle.pipeline.runner import ResumeError, run_daily
from spread_eagle.run import RunContext, StepOutcome, ledger
from spread_eagle.run.signals import RunInterrupted
from spread_eagle.warehouse import connect

DAY = date(2024, 11, 24)


def _ok(ctx: RunContext) -> StepOutcome:
    return StepOutcome(counts={"ok": 1})


def _sigterm(ctx: RunContext) -> StepOutcome:
    os.kill(os.getpid(), signal.SIGTERM)
    raise AssertionError("the handler raises before this")


def _ctrl_c(ctx: RunContext) -> StepOutcome:
    raise KeyboardInterrupt  # Ctrl-C reaching a step by any path


def _sigint_turned_into_an_error(ctx: RunContext) -> StepOutcome:
    """What DuckDB does with a signal that arrives during a query: it cancels the query, drops
    the handler's RunInterrupted and raises an error of its own (seen with duckdb 1.x and 2.x)."""
    try:
        os.kill(os.getpid(), signal.SIGINT)  # the handler raises RunInterrupted here
    except KeyboardInterrupt:
        raise RuntimeError("Query interrupted") from None
    raise AssertionError("the handler raises before this")


def _runs(settings: Settings) -> list[dict]:
    with connect(settings.database_url, read_only=True) as wh:
        return ledger.recent_runs(wh)


def test_sigterm_inside_a_step_is_recorded_and_the_handlers_restored(settings: Settings) -> None:
    before = signal.getsignal(signal.SIGTERM)
    steps = {"first": _ok, "second": _sigterm, "third": _ok}
    with pytest.raises(RunInterrupted) as info:
        run_daily(settings, run_date=DAY, steps=steps)
    assert info.value.signal_name == "SIGTERM" and info.value.step == "second"
    assert info.value.exit_code == 143
    assert signal.getsignal(signal.SIGTERM) is before  # only for the run's duration
    run = _runs(settings)[0]
    assert (run["run_id"], run["status"]) == (info.value.run_id, ledger.FAILED)
    assert run["error"] == "second: interrupted by SIGTERM during step second"
    assert [(s["step"], s["status"]) for s in run["steps"]] == [
        ("first", ledger.SUCCEEDED),
        ("second", ledger.FAILED),
        ("third", ledger.SKIPPED),
    ]
    assert run["pid"] == os.getpid() and run["host"]


def test_a_keyboard_interrupt_inside_a_step_is_recorded_as_sigint(settings: Settings) -> None:
    with pytest.raises(KeyboardInterrupt):
        run_daily(settings, run_date=DAY, steps={"first": _ctrl_c, "second": _ok})
    run = _runs(settings)[0]
    assert run["status"] == ledger.FAILED
    assert run["steps"][0]["error"] == "interrupted by SIGINT during step first"


def test_a_signal_a_library_turned_into_its_own_error_is_still_the_signal(
    settings: Settings,
) -> None:
    with pytest.raises(RunInterrupted) as info:
        run_daily(
            settings, run_date=DAY, steps={"first": _sigint_turned_into_an_error, "second": _ok}
        )
    assert (info.value.signal_name, info.value.step, info.value.exit_code) == (
        "SIGINT",
        "first",
        130,
    )
    run = _runs(settings)[0]
    assert run["status"] == ledger.FAILED
    assert run["steps"][0]["error"] == "interrupted by SIGINT during step first"
    assert run["steps"][1]["status"] == ledger.SKIPPED


def test_a_failure_whose_connection_broke_is_recorded_through_a_fresh_one(
    settings: Settings,
) -> None:
    def break_the_connection(ctx: RunContext) -> StepOutcome:
        wh = ctx.warehouse
        if wh.dialect == "duckdb":
            wh.conn.close()  # the object still holds it: every statement now fails
        else:
            import psycopg

            with psycopg.connect(wh.url, autocommit=True) as admin:
                admin.execute(
                    # waits until the backend has exited, so the next statement surely fails
                    "select pg_terminate_backend(%s, 10000)",
                    [wh.scalar("select pg_backend_pid()")],
                )
        wh.scalar("select 1")  # the step's own statement fails on the broken connection
        return StepOutcome()

    report = run_daily(settings, run_date=DAY, steps={"first": break_the_connection, "x": _ok})
    assert report.status == ledger.FAILED and report.failed_step == "first"
    run = _runs(settings)[0]
    assert run["status"] == ledger.FAILED
    assert [s["status"] for s in run["steps"]] == [ledger.FAILED, ledger.SKIPPED]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_run_whose_process_is_gone_is_shown_by_status_and_marked_by_the_next_run(
    settings: Settings, tmp_path: Path
) -> None:
    assert run_daily(settings, run_date=DAY, steps={"first": _ok, "second": _ok}).ok
    with connect(settings.database_url) as wh:
        dead = wh.scalar("select run_id from ops.run")
        wh.execute(
            "update ops.run set status = ?, ended_at = null, pid = ? where run_id = ?",
            (ledger.RUNNING, _dead_pid(), dead),
        )
        wh.execute(
            "update ops.step_run set status = ? where run_id = ? and step = ?",
            (ledger.RUNNING, dead, "second"),
        )
    env = {
        "SPREAD_EAGLE_DATABASE_URL": settings.database_url,
        "SPREAD_EAGLE_LOG_DIR": str(tmp_path),
    }
    shown = CliRunner().invoke(app, ["status"], env=env)
    assert shown.exit_code == 0 and "failed (process gone)" in shown.output
    assert f"spread-eagle run-daily --resume {dead}" in shown.output
    assert _runs(settings)[0]["status"] == ledger.RUNNING  # status wrote nothing

    # a run of another date marks it failed
    assert run_daily(settings, run_date=date(2024, 12, 1), steps={"first": _ok}).ok
    marked = next(r for r in _runs(settings) if r["run_id"] == dead)
    assert marked["status"] == ledger.FAILED
    assert marked["error"].startswith("second: process gone: pid ")
    assert [s["status"] for s in marked["steps"]] == [ledger.SUCCEEDED, ledger.FAILED]

    # a run between steps (a scheduler's run waiting for its next task) is not gone
    with connect(settings.database_url) as wh:
        wh.execute(
            "update ops.run set status = ?, pid = ?, error = null where run_id = ?",
            (ledger.RUNNING, _dead_pid(), dead),
        )
        wh.execute("update ops.step_run set status = ? where run_id = ?", (ledger.SUCCEEDED, dead))
        assert ledger.reap_gone_runs(wh) == []

    # a live run is never marked: this process's own pid
    with connect(settings.database_url) as wh:
        wh.execute(
            "update ops.run set status = ?, pid = ? where run_id = ?",
            (ledger.RUNNING, os.getpid(), dead),
        )
        assert ledger.reap_gone_runs(wh) == []
    with pytest.raises(ResumeError, match="is still running"):
        run_daily(settings, resume=dead, steps={"first": _ok, "second": _ok})


def test_resume_refuses_a_succeeded_or_unknown_run(settings: Settings) -> None:
    done = run_daily(settings, run_date=DAY, steps={"first": _ok})
    with pytest.raises(ResumeError, match="succeeded: nothing to resume"):
        run_daily(settings, resume=done.run_id, steps={"first": _ok})
    with pytest.raises(ResumeError, match="no run 'nope'"):
        run_daily(settings, resume="nope", steps={"first": _ok})


def test_resume_continues_from_the_failed_step_under_the_same_clock(settings: Settings) -> None:
    calls: list[str] = []

    def flaky(ctx: RunContext) -> StepOutcome:
        calls.append(ctx.run_id)
        if len(calls) == 1:
            raise RuntimeError("the model store is down")
        return StepOutcome()

    steps = {"first": _ok, "second": flaky, "third": _ok}
    failed = run_daily(settings, run_date=DAY, steps=steps)
    assert failed.failed_step == "second"
    resumed = run_daily(settings, resume=failed.run_id, steps=steps)
    assert resumed.ok and resumed.as_of == failed.as_of
    run = _runs(settings)[0]
    assert run["resumed_from"] == failed.run_id
    assert [s["status"] for s in run["steps"]] == [
        ledger.REUSED,
        ledger.SUCCEEDED,
        ledger.SUCCEEDED,
    ]


def test_a_signal_during_publishs_switch_waits_for_the_run_to_finish(settings: Settings) -> None:
    from spread_eagle.run import signals

    def switching(ctx: RunContext) -> StepOutcome:
        signals.hold_until_run_ends()  # what publish does before its switch
        os.kill(os.getpid(), signal.SIGTERM)
        return StepOutcome(counts={"games_published": 1})

    report = run_daily(settings, run_date=DAY, steps={"first": _ok, "publish": switching})
    assert report.ok, report.error
    assert _runs(settings)[0]["status"] == ledger.SUCCEEDED
