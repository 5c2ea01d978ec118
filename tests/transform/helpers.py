"""Land an nflverse-format games file in a warehouse and build the dbt project over it.

The tests here drive the real pieces: the replay provider and raw store (as the ingest steps do),
then dbt in-process through `run_dbt`, against DuckDB or PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import math
import shutil
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from spread_eagle.config import BUNDLED_GAMES_FILE, Settings
from spread_eagle.ingest.steps import ingest_results, ingest_slate
from spread_eagle.leagues import load_league
from spread_eagle.run.context import RunContext, default_as_of, new_run_id
from spread_eagle.transform import dbt_runner
from spread_eagle.transform.dbt_runner import DbtOutcome, run_dbt
from spread_eagle.warehouse import connect

RESULT_COLUMNS = ("away_score", "home_score", "result", "total", "overtime")
MODELS = ["run", "--exclude", "tag:publish"]


def project_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the dbt project (without what dbt run by hand writes there) that `run_dbt`
    builds from for the rest of the test: a test adds or edits models in it."""
    project = tmp_path / "dbt_project"
    shutil.copytree(
        dbt_runner.DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs")
    )
    monkeypatch.setattr(dbt_runner, "DBT_PROJECT_DIR", project)
    return project


def write_games(path: Path, keep: Callable[[dict[str, str]], dict[str, str] | None]) -> Path:
    """An edited copy of the bundled nflverse CSV: `keep` returns the (possibly changed) row, or None."""
    with BUNDLED_GAMES_FILE.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = [kept for row in reader if (kept := keep(dict(row))) is not None]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def seasons(first: int, last: int) -> Callable[[dict[str, str]], dict[str, str] | None]:
    return lambda row: row if first <= int(row["season"]) <= last else None


def land(settings: Settings, run_date: date, as_of: datetime | None = None) -> RunContext:
    """What the two ingest steps of `run_date`'s daily run store: its schedule and every result final by as_of."""
    league = load_league("nfl")
    wh = connect(settings.database_url)
    wh.migrate()
    ctx = RunContext(
        run_id=new_run_id(),
        league=league,
        run_date=run_date,
        as_of=as_of or default_as_of(run_date, league),
        settings=settings,
        warehouse=wh,
    )
    ingest_slate(ctx)
    ingest_results(ctx)
    return ctx


def dbt(settings: Settings, args: list[str], **extra_vars: Any) -> DbtOutcome:
    with connect(settings.database_url) as wh:
        outcome = run_dbt(
            wh,
            args,
            league=load_league("nfl"),
            work_dir=settings.log_dir / "dbt",
            threads=settings.dbt_threads,
            extra_vars=extra_vars or None,
            parse_cache=settings.dbt_parse_cache,
        )
    failed = outcome.failures()
    assert outcome.success, [(n.unique_id, n.message) for n in failed[:5]]
    return outcome


def _normal(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    if hasattr(value, "is_finite") and not isinstance(value, int):  # Decimal
        return round(float(value), 6)
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return value


def rows(
    settings: Settings, relation: str, where: str = "1 = 1"
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """A relation's rows keyed by its grain, floats rounded to 6 places so engines compare equal."""
    keys = {
        "facts.fct__market_snapshot": ("game_id", "book_id", "market_id", "side", "captured_at"),
        "features.feat__team_form": ("game_id", "team_id"),
    }.get(relation, ("game_id",))
    with connect(settings.database_url) as wh:
        found = wh.query(f"select * from {relation} where {where}")
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in found:
        normal = {k: _normal(v) for k, v in row.items()}
        key = tuple(normal[k] for k in keys)
        assert key not in out, f"duplicate {keys}={key} in {relation}"
        out[key] = normal
    return out


def differences(
    left: dict[Any, dict[str, Any]],
    right: dict[Any, dict[str, Any]],
    keys: Iterable[Any] | None = None,
) -> list[str]:
    """Human-readable differences between two keyed row sets (first few only)."""
    problems = []
    for key in sorted(set(keys) if keys is not None else set(left) | set(right), key=str):
        a, b = left.get(key), right.get(key)
        if a != b:
            changed = sorted(c for c in (a or b or {}) if (a or {}).get(c) != (b or {}).get(c))
            problems.append(
                f"{key}: {changed if a and b else ('missing right' if a else 'missing left')}"
            )
    return problems[:10]
