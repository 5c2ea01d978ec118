"""Leakage: a game's features use only what was known before its kickoff.

Two edits of the real nflverse file that must not move an earlier game's features: a following
season appended (the future), and a game's own result removed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from spread_eagle.config import Settings
from tests.conftest import make_settings
from tests.transform.helpers import (
    MODELS,
    RESULT_COLUMNS,
    dbt,
    differences,
    land,
    rows,
    seasons,
    write_games,
)

pytestmark = pytest.mark.slow

AFTER_2024_SEASON = datetime(2025, 3, 1, tzinfo=UTC)
FEATURES = ["features.feat__game", "features.feat__team_form"]


def _build(settings: Settings, games: Path, *, slate: date, name: str) -> Settings:
    own = settings.model_copy(update={"games_file": games, "log_dir": settings.log_dir / name})
    land(own, slate, as_of=AFTER_2024_SEASON).warehouse.close()
    dbt(own, MODELS)
    return own


def test_adding_a_later_season_changes_no_earlier_feature(tmp_path: Path) -> None:
    # Two warehouses (DuckDB files): 2022-2023 only, and 2022-2024.
    short = make_settings(tmp_path / "a", f"duckdb:///{tmp_path / 'a.duckdb'}")
    long = make_settings(tmp_path / "b", f"duckdb:///{tmp_path / 'b.duckdb'}")
    _build(
        short,
        write_games(tmp_path / "short.csv", seasons(2022, 2023)),
        slate=date(2024, 2, 11),
        name="short",
    )
    _build(
        long,
        write_games(tmp_path / "long.csv", seasons(2022, 2024)),
        slate=date(2024, 2, 11),
        name="long",
    )
    for relation in FEATURES:
        before, after = rows(short, relation), rows(long, relation)
        assert len(after) > len(before)  # the later season is there...
        assert differences(before, after, keys=before) == [], (
            relation
        )  # ...and moved nothing earlier


def test_removing_a_games_result_changes_none_of_its_features(
    settings: Settings, tmp_path: Path
) -> None:
    target = "2024_12_KC_CAR"

    def blank_result(row: dict[str, str]) -> dict[str, str] | None:
        if not 2023 <= int(row["season"]) <= 2024:
            return None
        if row["game_id"] == target:
            row.update({column: "" for column in RESULT_COLUMNS})
        return row

    full = _build(
        settings,
        write_games(tmp_path / "full.csv", seasons(2023, 2024)),
        slate=date(2024, 11, 24),
        name="full",
    )
    full_games, full_features = rows(full, "facts.fct__game"), rows(full, "features.feat__game")
    # A second database on the same engine for the edited file.
    edited_url = settings.database_url
    if edited_url.startswith("duckdb"):
        edited_url = f"duckdb:///{tmp_path / 'edited.duckdb'}"
    else:
        from tests.conftest import fresh_postgres_database

        edited_url = fresh_postgres_database(settings.database_url)
    try:
        edited = _build(
            make_settings(tmp_path / "edited", edited_url),
            write_games(tmp_path / "edited.csv", blank_result),
            slate=date(2024, 11, 24),
            name="edited",
        )
        edited_games, edited_features = (
            rows(edited, "facts.fct__game"),
            rows(edited, "features.feat__game"),
        )
    finally:
        if not settings.database_url.startswith("duckdb"):
            from tests.conftest import drop_postgres_database

            drop_postgres_database(edited_url)

    key = (target,)
    assert full_games[key]["status"] == "final" and edited_games[key]["status"] == "scheduled"
    assert edited_games[key]["home_score"] is None
    assert differences(full_features, edited_features, keys=[key]) == []
    # The edit is visible where it should be: KC's and CAR's next games lost one game of form.
    for later in ("2024_13_LV_KC", "2024_13_TB_CAR"):
        assert full_features[(later,)] != edited_features[(later,)], later
