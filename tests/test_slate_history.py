"""Publication history: every publication of a date is kept, and `slate --date D --run RUN_ID`
prints a past one exactly as `slate --json` printed it when it was current. Both engines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spread_eagle.cli import app
from spread_eagle.publish.documents import sidecar_dir
from spread_eagle.warehouse import connect

pytestmark = pytest.mark.slow

DAY = "2024-11-24"


@pytest.fixture
def cli(published_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("SPREAD_EAGLE_DATABASE_URL", published_url)
    monkeypatch.setenv("SPREAD_EAGLE_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_every_publication_is_kept_and_readable_by_run(cli: Any, published_url: str) -> None:
    first = cli("slate", "--date", DAY, "--json")
    assert first.exit_code == 0, first.output
    first_run = json.loads(first.output)["run_id"]

    # A correction, then the date again: a second publication with another result.
    corrected = cli(
        "correct-result", "--game", "2024_12_KC_CAR", "--home-score", "20", "--away-score", "34",
        "--reason", "scorer's change", "--as-of", "2024-11-25T08:00:00Z",
    )  # fmt: skip
    assert corrected.exit_code == 0, corrected.output
    rerun = cli("run-daily", "--date", DAY)
    assert rerun.exit_code == 0, rerun.output
    second = cli("slate", "--date", DAY, "--json")
    second_run = json.loads(second.output)["run_id"]
    assert second_run != first_run and second.output != first.output

    # Each publication, byte for byte as it was printed while current.
    past = cli("slate", "--date", DAY, "--run", first_run, "--json")
    assert past.exit_code == 0, past.output
    assert past.output == first.output
    assert cli("slate", "--date", DAY, "--run", second_run, "--json").output == second.output
    table = cli("slate", "--date", DAY, "--run", first_run)
    assert table.exit_code == 0 and first_run in table.output

    missing = cli("slate", "--date", DAY, "--run", "20240101T000000Z-abcdef", "--json")
    assert missing.exit_code == 1
    assert "did not publish" in missing.output
    assert first_run in missing.output and second_run in missing.output
    never = cli("slate", "--date", "2024-11-17", "--run", first_run, "--json")
    assert never.exit_code == 1 and "run-daily --date 2024-11-17" in never.output

    with connect(published_url, read_only=True) as wh:
        kept = wh.query(
            "select run_id, games from publish.slate_history where run_date = ? order by published_at",
            (DAY,),
        )
        published = wh.scalar("select count(*) from ops.publication where run_date = ?", (DAY,))
    assert [r["run_id"] for r in kept] == [first_run, second_run] and published == 2
    folder = sidecar_dir(published_url)
    if folder is not None:  # DuckDB readers read files only: both are exported
        assert {p.stem for p in (folder / "history" / "nfl" / DAY).iterdir()} == {
            first_run,
            second_run,
        }
