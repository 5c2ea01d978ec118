"""The fault matrix of issue 11: each fault at each step it applies to, on both engines.

Every case runs a real `spread-eagle run-daily` process (tests/pipeline/fault_driver.py: the CLI
with the target step held at its start until the test releases it, so a fault lands inside even the
fastest step) on a private copy of the shared published warehouse (2024-11-24 published), and
checks: the exit code; one line naming the step and the cause (`error: ...` for a signal, `run R
failed at step S: ...` otherwise), no traceback; the ledger and the JSON-lines log naming the step
and the cause; nothing `running` afterwards; the previous publication unchanged; raw rows neither
duplicated nor lost; and that the next run (`--resume`) succeeds, publishes, and adds no raw row.
A case at a step after the first starts the run with `--from-step` (the earlier steps reused from
the published run under its clock), so it pays only for its own step onward. A full disk fails
the first step that needs space (the held one or a later one), naming it; when not even the
failure's record fits, `status` shows the run failed (process gone) and the next run marks it.

| fault | steps | engines |
|---|---|---|
| kill9, sigterm, sigint | every step | both |
| pg_terminate (every connection of the database: the run's, its lock's, dbt's) | every step | PostgreSQL |
| provider_down (an HTTP provider refusing connections, after its retries) | ingest_slate, ingest_results | both |
| dbt_test (a failing data test added to a copy of the dbt project) | transform, publish | both |
| llm_down (the OpenAI provider's endpoint refusing connections) | summarize | both |
| disk_full (the DuckDB warehouse on a tmpfs filled while the step is held) | every step | DuckDB |
| log_disk_full (the log folder, where dbt writes its target and log, on a tmpfs filled while transform is held) | transform | both |
| readers (`slate --json`, `status --json` and `serve` polled for the whole run) | the run | both |

Costly (a run and its resume per case): marked `fault_matrix`, which the default test run
deselects; run it with `python -m pytest tests -m fault_matrix -n 2 --dist loadscope` (CI does,
with PostgreSQL).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from spread_eagle.cli import app
from spread_eagle.pipeline.runner import run_daily
from spread_eagle.pipeline.steps import STEP_NAMES
from spread_eagle.run import ledger
from spread_eagle.transform.dbt_runner import DBT_PROJECT_DIR
from spread_eagle.warehouse import connect
from tests.conftest import (
    _pg_base,
    _shared_dir,
    drop_postgres_database,
    fresh_postgres_database,
    make_settings,
    published_template,
    raw_counts,
    terminate_backends,
)

SUNDAY = date(2024, 11, 24)
DRIVER = Path(__file__).with_name("fault_driver.py")
REFUSED = "http://127.0.0.1:9"  # the discard port: nothing listens, every connection is refused

pytestmark = [pytest.mark.fault_matrix, pytest.mark.slow]

SIGNALS = {"kill9": signal.SIGKILL, "sigterm": signal.SIGTERM, "sigint": signal.SIGINT}
# the faults that hold the step and act while it is held; the others fail by themselves
HELD = {*SIGNALS, "pg_terminate", "disk_full", "log_disk_full"}


@dataclass(frozen=True)
class Case:
    engine: str
    step: str
    fault: str

    @property
    def id(self) -> str:
        return f"{self.engine}-{self.step}-{self.fault}"


def cases(postgres: bool) -> list[Case]:
    out: list[Case] = []
    for engine in ["duckdb"] + (["postgres"] if postgres else []):
        for step in STEP_NAMES:
            faults = list(SIGNALS)
            if engine == "postgres":
                faults.append("pg_terminate")
            if step in ("ingest_slate", "ingest_results"):
                faults.append("provider_down")
            if step in ("transform", "publish"):
                faults.append("dbt_test")
            if step == "transform":
                faults.append("log_disk_full")
            if step == "summarize":
                faults.append("llm_down")
            if engine == "duckdb":
                faults.append("disk_full")
            out += [Case(engine, step, fault) for fault in faults]
        out.append(Case(engine, "run", "readers"))
    return out


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        step = getattr(metafunc.cls, "step", None)
        found = [c for c in cases(bool(_pg_base(metafunc.config))) if c.step == step]
        metafunc.parametrize("case", found, ids=[c.id for c in found])


# -- the case's warehouse, folders and mounts ----------------------------------------------------------


def _mount(path: Path, size: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


def _fill(path: Path) -> None:
    """Fill the file system of `path` to the last byte (unbuffered: nothing left to flush)."""
    with (path / "filler").open("ab", buffering=0) as filler:
        for size in (1 << 20, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    filler.write(b"\0" * size)


@dataclass
class World:
    """One case's warehouse (a private copy of the published template), folders and env."""

    case: Case
    tmp: Path
    url: str
    log_dir: Path
    pause_dir: Path
    mounts: list[Path] = field(default_factory=list)
    filled: list[Path] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DO_NOT_TRACK": "1",
            "SPREAD_EAGLE_DATABASE_URL": self.url,
            "SPREAD_EAGLE_LOG_DIR": str(self.log_dir),
            "FAULT_PAUSE_DIR": str(self.pause_dir),
        }
        env.pop("FAULT_PAUSE_STEP", None)
        return {**env, **extra}

    def fill(self) -> None:
        target = self.filled_dir
        _fill(target)
        self.filled.append(target)

    @property
    def filled_dir(self) -> Path:
        return self.mounts[0]

    def free(self) -> None:
        for folder in self.filled:
            (folder / "filler").unlink(missing_ok=True)
        self.filled.clear()


@pytest.fixture
def world(case: Case, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    template = published_template(case.engine, request)
    log_dir, pause_dir = tmp_path / "logs", tmp_path / "pause"
    pause_dir.mkdir()
    mounts: list[Path] = []
    if case.fault == "log_disk_full":
        _mount(log_dir, "64m")
        mounts.append(log_dir)
    # dbt's target of the template's run: dbt parses the project partially, not from scratch
    built = _shared_dir(request.config._tmp_path_factory) / f"published_{case.engine}"  # type: ignore[attr-defined]
    shutil.copytree(
        built / "logs" / "dbt", log_dir / "dbt", ignore=shutil.ignore_patterns("logs", "*.log")
    )
    if case.engine == "duckdb":
        folder = tmp_path / "wh"
        if case.fault == "disk_full":
            _mount(folder, "256m")
            mounts.append(folder)
        folder.mkdir(exist_ok=True)
        source = Path(template.removeprefix("duckdb:///"))
        shutil.copyfile(source, folder / "w.duckdb")
        shutil.copytree(source.with_name(source.name + ".published"), folder / "w.duckdb.published")
        url = f"duckdb:///{folder / 'w.duckdb'}"
    else:
        url = fresh_postgres_database(template, template=template)
    w = World(case, tmp_path, url, log_dir, pause_dir, mounts)
    try:
        yield w
    finally:
        w.free()
        for mount in mounts:
            subprocess.run(["umount", "-l", str(mount)], check=False)
        if case.engine == "postgres":
            drop_postgres_database(url)


# -- what a case observes -------------------------------------------------------------------------------


def _publication(url: str) -> dict[str, Any]:
    with connect(url, read_only=True) as wh:
        return {
            "slate": wh.query(
                "select league, run_date, run_id, document_hash, published_at from publish.slate"
                " order by league, run_date"
            ),
            "history": wh.scalar("select count(*) from ops.publication"),
        }


def _runs(url: str) -> list[dict[str, Any]]:
    with connect(url, read_only=True) as wh:
        return ledger.recent_runs(wh, limit=50)


def _status(w: World) -> list[dict[str, Any]]:
    """What `spread-eagle status --json` shows (it never writes)."""
    env = {"SPREAD_EAGLE_DATABASE_URL": w.url, "SPREAD_EAGLE_LOG_DIR": str(w.tmp / "reader_logs")}
    shown = CliRunner().invoke(app, ["status", "--json", "--limit", "50"], env=env)
    assert shown.exit_code == 0, shown.output
    return json.loads(shown.output)


def _assert_nothing_running(runs: list[dict[str, Any]]) -> None:
    for run in runs:
        assert run["status"] not in (ledger.RUNNING, ledger.GONE), run
        assert all(s["status"] != ledger.RUNNING for s in run["steps"]), run


def _step(run: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in run["steps"] if s["step"] == name)


def _log(w: World) -> list[dict[str, Any]]:
    path = w.log_dir / "spread_eagle.jsonl"
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            records.append(json.loads(line))
    return records


def _spawn(w: World, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(DRIVER), *args],
        env=w.env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_paused(w: World, proc: subprocess.Popen[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not (w.pause_dir / "paused").exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the run ended before {w.case.step} (exit {proc.returncode}): {out}{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"step {w.case.step} was never reached")
        time.sleep(0.02)


def _release(w: World) -> None:
    (w.pause_dir / "go").write_text("", encoding="utf-8")


def _wait_for_dbt_connection(url: str, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    """Until dbt (inside transform) has a connection of its own open on the database."""
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as admin:
        while time.monotonic() < deadline and proc.poll() is None:
            found = admin.execute(
                "select count(*) from pg_stat_activity where datname = current_database()"
                " and application_name like 'dbt%%' and pid <> pg_backend_pid()"
            ).fetchone()
            if found and found[0]:
                return
            time.sleep(0.02)
    pytest.fail("dbt never connected during transform")


# -- the faults -----------------------------------------------------------------------------------------


def _dbt_project_with_a_failing_test(tmp: Path, step: str) -> Path:
    """A copy of the dbt project with a data test that fails: on fct__game (built by transform)
    or on ui__slate (tagged `publish`, so built and tested by publish only)."""
    project = tmp / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "tests").mkdir(exist_ok=True)
    if step == "transform":
        sql = "select game_id from {{ ref('fct__game') }} where game_id is not null"
    else:
        sql = (
            "{{ config(tags=['publish']) }}\n"
            "select run_id from {{ ref('ui__slate') }} where run_id is not null or run_id is null"
        )
    (project / "tests" / "fault_injected_failure.sql").write_text(sql + "\n", encoding="utf-8")
    return project


def _fault_env(w: World) -> dict[str, str]:
    fault, step = w.case.fault, w.case.step
    env: dict[str, str] = {}
    if fault in HELD:
        env["FAULT_PAUSE_STEP"] = step
    if fault == "provider_down":
        env["SPREAD_EAGLE_HTTP_BACKOFF_SECONDS"] = "0.01"
        if step == "ingest_slate":
            env |= {
                "SPREAD_EAGLE_ODDS_PROVIDER": "odds_api",
                "ODDS_API_KEY": "fault-matrix-key",
                "SPREAD_EAGLE_ODDS_API_BASE_URL": REFUSED,
            }
        else:
            env |= {"SPREAD_EAGLE_RESULTS_PROVIDER": "espn", "SPREAD_EAGLE_ESPN_BASE_URL": REFUSED}
    if fault == "llm_down":
        env |= {
            "SPREAD_EAGLE_LLM_PROVIDER": "openai",
            "OPENAI_API_KEY": "sk-fault-matrix",
            "SPREAD_EAGLE_LLM_BASE_URL": f"{REFUSED}/v1",
            "SPREAD_EAGLE_LLM_BACKOFF_SECONDS": "0.01",
        }
    if fault == "dbt_test":
        env["FAULT_DBT_PROJECT"] = str(_dbt_project_with_a_failing_test(w.tmp, step))
    return env


# What the ledger's error (after "<step>: ") and the error line say, per fault.
CAUSES: dict[str, tuple[str, ...]] = {
    "sigterm": ("interrupted by SIGTERM",),
    "sigint": ("interrupted by SIGINT",),
    "pg_terminate": ("ended this connection", "lost the run lock", "terminat"),
    "provider_down": ("127.0.0.1:9",),
    "dbt_test": ("fault_injected_failure",),
    "llm_down": ("openai",),
    "disk_full": ("is full",),
    "log_disk_full": ("is full",),
}


def _inject(w: World, proc: subprocess.Popen[str]) -> None:
    fault = w.case.fault
    if fault not in HELD:
        return
    _wait_paused(w, proc)
    if fault in SIGNALS:
        proc.send_signal(SIGNALS[fault])
    elif fault == "pg_terminate":
        if w.case.step == "transform":  # inside dbt: its connection too
            _release(w)
            _wait_for_dbt_connection(w.url, proc)
            assert terminate_backends(w.url) >= 2  # dbt's and the lock's (the run's waits closed)
        else:
            assert terminate_backends(w.url) >= 2  # the run's and its lock's
            _release(w)
    elif fault in ("disk_full", "log_disk_full"):
        w.fill()
        _release(w)


# -- the matrix -----------------------------------------------------------------------------------------


class _Matrix:
    """The cases of one step (a class per step: `--dist loadscope` spreads classes over workers)."""

    step = ""

    def test_fault(self, case: Case, world: World) -> None:
        if case.fault == "readers":
            _readers_during_a_run(world)
        else:
            _fault_at_a_step(case, world)


class TestIngestSlate(_Matrix):
    step = "ingest_slate"


class TestIngestResults(_Matrix):
    step = "ingest_results"


class TestTransform(_Matrix):
    step = "transform"


class TestPredict(_Matrix):
    step = "predict"


class TestSummarize(_Matrix):
    step = "summarize"


class TestValidate(_Matrix):
    step = "validate"


class TestPublish(_Matrix):
    step = "publish"


class TestReaders(_Matrix):
    step = "run"


def _fault_at_a_step(case: Case, w: World) -> None:
    before, raw_before = _publication(w.url), raw_counts(w.url)

    # a case at a later step re-runs the date from that step (the steps before it reused from the
    # published run, under its clock, as `--from-step` does): it pays for its own step onward
    args = ["run-daily", "--date", SUNDAY.isoformat()]
    if case.step != STEP_NAMES[0]:
        args += ["--from-step", case.step]
    proc = _spawn(w, *args, **_fault_env(w))
    try:
        _inject(w, proc)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    code = proc.returncode
    w.free()  # space freed (a full disk's cases): as an operator would before resuming
    output = out + err
    assert "Traceback" not in output, output
    assert "Logging error" not in output, output

    if case.fault == "kill9":
        assert code == -signal.SIGKILL, output
        run = _killed_run_is_shown_gone(w)
    else:
        expected = 128 + SIGNALS[case.fault] if case.fault in SIGNALS else 1
        assert code == expected, output
        run = _runs(w.url)[0]
        failed_at = _failed_step(run, output)
        if case.fault == "disk_full":
            # a step that needs no new space (a few ledger rows fit in the file's free blocks)
            # goes on: the run fails at the first step that does, naming that step
            assert STEP_NAMES.index(failed_at) >= STEP_NAMES.index(case.step), output
        elif case.fault == "pg_terminate" and failed_at != case.step:
            # dbt reconnects between its nodes: a build whose own connection was idle when it
            # was ended can finish, and the lost run lock then fails the run at the next step's
            # lock check, before anything is published
            assert STEP_NAMES.index(failed_at) == STEP_NAMES.index(case.step) + 1, output
            assert "lost the run lock" in output, output
        else:
            assert failed_at == case.step, output
        # one line names the run, the step and the cause; the command to continue it follows
        if case.fault in SIGNALS:  # an interrupted run: one `error:` line
            said = [line for line in output.splitlines() if line.startswith("error:")]
            assert len(said) == 1 and f"during step {failed_at}" in said[0], output
        else:
            said = [
                line
                for line in output.splitlines()
                if line.startswith(f"run {run['run_id']} failed at step {failed_at}: ")
            ]
            assert len(said) == 1, output
        assert any(c in said[0] for c in CAUSES[case.fault]), said[0]
        assert f"spread-eagle run-daily --resume {run['run_id']}" in output, output
        # the log names the step and the cause (a full log disk: only the console can)
        if case.fault != "log_disk_full":
            assert any(
                r["level"] == "ERROR"
                and r["step"] == failed_at
                and r["run_id"] == run["run_id"]
                and any(c in r["message"] for c in CAUSES[case.fault])
                for r in _log(w)
            ), _log(w)[-10:]
        if case.fault == "disk_full" and run["status"] == ledger.RUNNING:
            # A disk full to the last byte can leave no room for the failure's own record (DuckDB
            # appends it to its WAL): the log says so, `status` shows the run failed (process
            # gone) at its step once the process has ended, and the next run marks it failed.
            assert any("could not record the failure" in r["message"] for r in _log(w))
            run = _status(w)[0]
            assert run["status"] == ledger.GONE, run
            assert _step(run, failed_at)["status"] == ledger.FAILED, run
        else:
            assert run["status"] == ledger.FAILED, run
            assert run["error"].startswith(f"{failed_at}: "), run["error"]
            assert any(c in run["error"] for c in CAUSES[case.fault]), run["error"]
            assert _step(run, failed_at)["status"] == ledger.FAILED
            later = STEP_NAMES[STEP_NAMES.index(failed_at) + 1 :]
            assert [_step(run, s)["status"] for s in later] == [ledger.SKIPPED] * len(later)
            _assert_nothing_running(_status(w))
    assert _publication(w.url) == before
    assert raw_counts(w.url) == raw_before

    # the next run: `--resume` continues it, publishes, and adds no raw row
    _next_run_succeeds(w, run["run_id"], before)
    assert raw_counts(w.url) == raw_before


def _failed_step(run: dict[str, Any], output: str) -> str:
    """The step the run failed at: the ledger's, or (a run whose failure could not be recorded)
    the one its output names."""
    failed = [s["step"] for s in run["steps"] if s["status"] in (ledger.FAILED, ledger.RUNNING)]
    assert len(failed) == 1, run
    assert f"failed at step {failed[0]}" in output or f"during step {failed[0]}" in output, output
    return str(failed[0])


def _killed_run_is_shown_gone(w: World) -> dict[str, Any]:
    deadline = time.monotonic() + 30  # PostgreSQL notices the closed sockets, releasing the lock
    while True:
        killed = _status(w)[0]
        if killed["status"] == ledger.GONE or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert killed["status"] == ledger.GONE, killed
    assert _step(killed, w.case.step)["status"] == ledger.FAILED, killed
    # the killed run's last words in the log name its step
    assert any(
        r["run_id"] == killed["run_id"] and r["message"] == f"step {w.case.step} started"
        for r in _log(w)
    )
    return killed


def _next_run_succeeds(w: World, run_id: str, before: dict[str, Any]) -> None:
    if _status(w)[0]["status"] == ledger.GONE:  # the next run marks it failed, and logs it
        done = subprocess.run(
            [sys.executable, "-m", "spread_eagle", "run-daily", "--resume", run_id],
            env=w.env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr
        marked = next(r for r in _runs(w.url) if r["run_id"] == run_id)
        assert marked["status"] == ledger.FAILED
        failed_at = next(s["step"] for s in marked["steps"] if s["status"] == ledger.FAILED)
        assert marked["error"].startswith(f"{failed_at}: process gone: pid "), marked
        later = STEP_NAMES[STEP_NAMES.index(failed_at) + 1 :]
        assert [_step(marked, s)["status"] for s in later] == [ledger.SKIPPED] * len(later)
        assert any(
            run_id in r["message"] and "left running" in r["message"] and r["level"] == "WARNING"
            for r in _log(w)
        )
        new_run = _runs(w.url)[0]["run_id"]
    else:
        settings = make_settings(w.tmp, w.url)  # its log folder: w.log_dir
        report = run_daily(settings, resume=run_id)
        assert report.ok, report.error
        new_run = report.run_id
    runs = _runs(w.url)
    _assert_nothing_running(runs)
    assert runs[0]["run_id"] == new_run and runs[0]["resumed_from"] == run_id
    after = _publication(w.url)
    assert after["slate"][0]["run_id"] == new_run
    assert after["history"] == before["history"] + 1


# -- readers hammering during a run -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _readers_during_a_run(w: World) -> None:
    """`slate --json` and `status --json` (processes, in turn) and `serve` (HTTP, as fast as it
    answers) for a whole run that publishes a different slate of the date (a clock earlier than
    the published run's, 02:00Z: the Sunday night game not final yet): the run succeeds; every
    slate read is the old one or the new one whole, never a mix; every status read succeeds."""
    day = SUNDAY.isoformat()
    raw_before = raw_counts(w.url)
    reader_env = w.env(SPREAD_EAGLE_LOG_DIR=str(w.tmp / "reader_logs"))

    def read(*args: str) -> tuple[int, str, str]:
        done = subprocess.run(
            [sys.executable, "-m", "spread_eagle", *args],
            env=reader_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return done.returncode, done.stdout, done.stderr

    code, old_text, err = read("slate", "--date", day, "--json")
    assert code == 0, err
    old = json.loads(old_text)

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "spread_eagle", "serve", "--port", str(port)],
        env=reader_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    api = f"http://127.0.0.1:{port}/api/slates/{day}"
    seen_cli: list[Any] = []
    seen_api: list[Any] = []
    statuses: list[tuple[int, str]] = []
    problems: list[str] = []
    done_event = threading.Event()
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(api, timeout=5).status_code == 200:
                    break
            assert server.poll() is None and time.monotonic() < deadline, server.stderr
            time.sleep(0.2)

        def poll_cli() -> None:
            while not done_event.is_set():
                code, text, err = read("slate", "--date", day, "--json")
                if code != 0 or "Traceback" in err:
                    problems.append(f"slate exit {code}: {err}")
                else:
                    seen_cli.append(json.loads(text))
                code, text, err = read("status", "--json", "--limit", "3")
                statuses.append((code, err))
                if code == 0:
                    json.loads(text)

        def poll_api() -> None:
            with httpx.Client(timeout=10) as client:
                while not done_event.is_set():
                    response = client.get(api)
                    if response.status_code != 200:
                        problems.append(f"serve {response.status_code}: {response.text[:200]}")
                    else:
                        seen_api.append(response.json())

        pollers = [threading.Thread(target=poll_cli), threading.Thread(target=poll_api)]
        for poller in pollers:
            poller.start()
        try:
            proc = _spawn(w, "run-daily", "--date", day, "--as-of", "2024-11-25T02:00:00Z")
            out, err = proc.communicate(timeout=600)
        finally:
            done_event.set()
            for poller in pollers:
                poller.join(timeout=120)
        assert proc.returncode == 0, out + err
        assert "Traceback" not in out + err

        code, new_text, err = read("slate", "--date", day, "--json")
        assert code == 0, err
        new = json.loads(new_text)
        assert new["run_id"] != old["run_id"]
        strip = ("run_id", "published_at")
        assert {k: v for k, v in new.items() if k not in strip} != {
            k: v for k, v in old.items() if k not in strip
        }, "the run must publish a different slate, or a mix could not be seen"
        # serve shows the new publication once it lands
        deadline = time.monotonic() + 30
        while httpx.get(api, timeout=5).json() != new:
            assert time.monotonic() < deadline, "serve never showed the new publication"
            time.sleep(0.2)
    finally:
        server.terminate()
        server.communicate(timeout=30)

    assert not problems, problems[:5]
    assert all(code == 0 for code, _ in statuses), statuses
    assert all("Traceback" not in err for _, err in statuses)
    assert len(seen_cli) >= 3 and len(seen_api) >= 20, (len(seen_cli), len(seen_api))
    mixed = [doc for doc in seen_cli + seen_api if doc not in (old, new)]
    assert not mixed, mixed[0]
    runs = _runs(w.url)
    _assert_nothing_running(runs)
    assert runs[0]["status"] == ledger.SUCCEEDED
    raw_after = raw_counts(w.url)
    assert all(raw_after[t] >= n for t, n in raw_before.items()), (raw_before, raw_after)
    with connect(w.url, read_only=True) as wh:  # content-addressed: every payload once
        assert wh.scalar("select count(*) from raw.payload") == wh.scalar(
            "select count(distinct payload_id) from raw.payload"
        )
