"""Clear failures at the front door (issue 11): PostgreSQL down, the database missing, a DuckDB file
in a read-only folder, a path whose parent is a file, a full disk. Every command ends in one line
naming the cause and the next command, a non-zero exit and no traceback; a reader never creates
anything. The read-only folder and the full disk are real: small tmpfs mounts (skipped where this
process may not mount)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spread_eagle.cli import app
from spread_eagle.pipeline.runner import run_daily
from spread_eagle.run import ledger
from spread_eagle.warehouse import connect
from tests.conftest import make_settings

DAY = "2024-11-24"
WRITERS = [
    ["run-daily", "--date", DAY],
    ["ingest", "--date", DAY],
    ["backfill", "--start", DAY, "--end", DAY],
]
READERS = [
    ["slate", "--date", DAY],
    ["status"],
    ["validate", "--date", DAY],
    ["quarantine"],
    ["serve", "--port", "8799"],  # fails at start, before it binds
]
COMMANDS = WRITERS + READERS


def _invoke(url: str, tmp_path: Path, args: list[str]) -> tuple[int, str]:
    env = {"SPREAD_EAGLE_DATABASE_URL": url, "SPREAD_EAGLE_LOG_DIR": str(tmp_path / "logs")}
    result = CliRunner().invoke(app, args, env=env)
    return result.exit_code, result.output


def _one_line(code: int, output: str, *needles: str) -> str:
    assert code != 0, output
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_postgres_down(args: list[str], tmp_path: Path) -> None:
    code, output = _invoke("postgresql://postgres@127.0.0.1:1/test", tmp_path, args)
    _one_line(code, output, "cannot connect to PostgreSQL", "connection refused", "doctor")


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_postgres_database_missing(args: list[str], tmp_path: Path, request) -> None:
    from tests.conftest import _pg_base

    base = _pg_base(request.config)
    if not base:
        pytest.skip("needs a PostgreSQL server: SPREAD_EAGLE_TEST_POSTGRES_URL or --postgres")
    url = base.rpartition("/")[0] + "/se_no_such_database"
    code, output = _invoke(url, tmp_path, args)
    _one_line(code, output, 'no database "se_no_such_database"', "createdb")


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_a_duckdb_path_under_a_file(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder", encoding="utf-8")
    code, output = _invoke(f"duckdb:///{tmp_path / 'data' / 'w.duckdb'}", tmp_path, args)
    line = _one_line(code, output, "w.duckdb")
    if args in WRITERS:
        assert "is a file, not a folder" in line
    else:
        assert "no DuckDB warehouse at" in line


@pytest.mark.parametrize("args", READERS, ids=lambda a: a[0])
def test_readers_on_a_mistyped_duckdb_path_create_nothing(args: list[str], tmp_path: Path) -> None:
    code, output = _invoke(f"duckdb:///{tmp_path / 'typo' / 'w.duckdb'}", tmp_path, args)
    _one_line(code, output, "no DuckDB warehouse at", "w.duckdb")
    assert not (tmp_path / "typo").exists()


# -- real mounts: a read-only folder and a full disk -------------------------------------------------


def _mount(path: Path, options: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[Path]:
    """A 200 MB tmpfs at tmp_path/mnt (remount it read-only or smaller in the test)."""
    path = tmp_path / "mnt"
    _mount(path, "size=200m")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True)


def test_a_duckdb_file_in_a_read_only_folder(
    mounted: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Writers say the folder is read-only; readers still read (they never write)."""
    from tests.conftest import published_template

    source = Path(published_template("duckdb", request).removeprefix("duckdb:///"))
    shutil.copyfile(source, mounted / "w.duckdb")
    shutil.copytree(source.with_name(source.name + ".published"), mounted / "w.duckdb.published")
    _remount(mounted, "ro")
    url = f"duckdb:///{mounted / 'w.duckdb'}"
    for args in WRITERS:
        code, output = _invoke(url, tmp_path, args)
        _one_line(code, output, "is read-only", "SPREAD_EAGLE_DATABASE_URL")
    for args in (["status"], ["slate", "--date", DAY, "--json"], ["validate", "--date", DAY]):
        code, output = _invoke(url, tmp_path, args)
        assert code == 0, output


def test_a_full_disk_fails_the_run_in_one_line_and_the_next_run_succeeds(
    mounted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 3 MB fills while the run writes the whole bundled history: the disk is full in mid-run, too
    # full for the ledger to take the failure; the run notes it beside the warehouse in the space
    # it held in reserve, `status` shows it, and the next run writes it to the ledger
    for name in ("SPREAD_EAGLE_GAMES_FILE", "SPREAD_EAGLE_LINES_FILE"):
        monkeypatch.delenv(name)
    _remount(mounted, "size=3m")
    url = f"duckdb:///{mounted / 'w.duckdb'}"
    code, output = _invoke(url, tmp_path, ["run-daily", "--date", DAY])
    assert code == 1 and "Traceback" not in output, output
    assert "is full (no space left on device)" in output and "--resume" in output
    with connect(url, read_only=True) as wh:
        runs = ledger.recent_runs(wh)
    failed = runs[0]
    assert failed["status"] == ledger.FAILED and "no space left" in failed["error"], failed
    assert not any(s["status"] == ledger.RUNNING for s in failed["steps"]), failed
    for args in WRITERS[1:]:  # each fails at opening the file or at a step, saying why
        code, output = _invoke(url, tmp_path, args)
        assert code != 0 and "Traceback" not in output, output
        assert "is full (no space left on device)" in output, output

    _remount(mounted, "size=200m")  # space freed: the failed run continues
    report = run_daily(make_settings(tmp_path, url), resume=failed["run_id"])
    assert report.ok, report.error
    with connect(url, read_only=True) as wh:
        runs = ledger.recent_runs(wh, limit=20)
        assert not wh.failure_notes()  # every note is in the ledger now
    assert all(r["status"] != ledger.RUNNING for r in runs), runs
    noted = next(r for r in runs if r["run_id"] == failed["run_id"])
    assert noted["status"] == ledger.FAILED and noted["error"] == failed["error"]


def test_postgres_readers_open_read_only_sessions(warehouse_url: str) -> None:
    """`slate` and `serve` on PostgreSQL read publish.* through sessions that cannot write, and
    an empty database is "nothing published", not an error or a migration."""
    if not warehouse_url.startswith("postgresql://"):
        pytest.skip("PostgreSQL only (DuckDB readers read the sidecar files)")
    import psycopg

    from spread_eagle.publish.documents import WarehouseReader
    from spread_eagle.publish.slate import SlateNotFoundError

    reader = WarehouseReader(warehouse_url)
    try:
        with pytest.raises(SlateNotFoundError):
            reader.slate("nfl", date(2024, 11, 24))
        with reader._connection() as wh, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            wh.execute("create schema ops")
    finally:
        reader.close()
    with connect(warehouse_url) as wh:
        assert not wh.relation_exists("ops", "schema_migration")
