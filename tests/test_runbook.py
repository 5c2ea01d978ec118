"""RUNBOOK.md: every `spread-eagle` command in its ```bash blocks is run, in order, through the
CLI on a copy of a warehouse where 2024-11-24 was published. A line the test does not run says
why on the line itself (`# not run by the runbook test: <reason>`)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spread_eagle.cli import app
from spread_eagle.warehouse import connect

pytestmark = pytest.mark.slow

RUNBOOK = Path(__file__).resolve().parent.parent / "RUNBOOK.md"
EXCLUDED = "# not run by the runbook test:"


def runbook_commands() -> list[tuple[str, str | None]]:
    """(command line, why it is not run or None) of every `spread-eagle` line in a bash block."""
    text = RUNBOOK.read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL):
        for line in block.splitlines():
            line = line.strip()
            if not line.startswith("spread-eagle "):
                continue
            why = line.split(EXCLUDED, 1)[1].strip() if EXCLUDED in line else None
            found.append((line, why))
    return found


def test_the_runbook_has_the_commands_it_promises() -> None:
    commands = runbook_commands()
    lines = [line for line, _ in commands]
    for needed in (
        "spread-eagle run-daily --date",
        "spread-eagle doctor",
        "spread-eagle status",
        "--from-step transform",
        "--from-step predict",
        "--from-step summarize",
        "spread-eagle quarantine",
        "spread-eagle backfill",
        "spread-eagle correct-result",
        "spread-eagle corrections",
        "--run RUN_ID",
        "spread-eagle serve",
    ):
        assert any(needed in line for line in lines), needed
    for line, why in commands:  # an excluded line says why, in words
        assert why is None or len(why) > 10, line


def test_every_runbook_command_runs(
    published_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SPREAD_EAGLE_DATABASE_URL", published_url)
    monkeypatch.setenv("SPREAD_EAGLE_LOG_DIR", str(tmp_path / "logs"))
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, list(args))

    first = run("slate", "--date", "2024-11-24", "--json")
    assert first.exit_code == 0, first.output
    with connect(published_url, read_only=True) as wh:
        first_run = wh.scalar("select run_id from publish.slate where run_date = '2024-11-24'")
    ran = 0
    for line, why in runbook_commands():
        if why is not None:
            continue
        args = shlex.split(line.replace("RUN_ID", first_run), comments=True)[1:]
        result = run(*args)
        assert result.exit_code == 0, f"{line}\n{result.output}"
        ran += 1
        if args[:1] == ["slate"] and "--run" in args:  # the publication before the correction
            assert result.output == first.output
    assert ran >= 15
