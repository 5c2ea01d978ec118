"""The offline writer over every game of the 2024 season: deterministic, grounded, and never the
same text twice on a slate.

The payloads are the summarize step's own (`retrieve`), read from one dbt build at a clock after
the season: each game's features are as of its own kickoff, so they are what that date's run
read. The predictions come from one walk of the predict step's engine over the history, instead
of a predict step per date (each walks the history from scratch: ~40 s for the season).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from spread_eagle.leagues import load_league
from spread_eagle.predict.engine import Engine
from spread_eagle.predict.registry import configured_versions
from spread_eagle.predict.step import history_record, prediction_row
from spread_eagle.summarize.context import context_hash, retrieve
from spread_eagle.summarize.grounding import check_grounding
from spread_eagle.summarize.offline import write_tldr
from spread_eagle.warehouse import connect
from spread_eagle.warehouse.relations import model_history
from tests.conftest import make_settings
from tests.ingest.conftest import season_games_file
from tests.transform.helpers import MODELS, dbt, land

pytestmark = pytest.mark.slow

NFL = load_league("nfl")
SEASON = 2024
SUPER_BOWL = date(2025, 2, 9)
AFTER_SEASON = datetime(2025, 3, 1, tzinfo=UTC)
SEASON_GAMES = 285  # 272 regular season, 13 playoff

Slates = dict[date, list[dict[str, Any]]]


def _payloads(root: Path) -> tuple[Slates, Slates]:
    """Every 2024 game's payload by slate date, retrieved twice from the same warehouse."""
    settings = make_settings(
        root,
        f"duckdb:///{root / 'warehouse.duckdb'}",
        games_file=season_games_file(root, 2023, 2024),
    )
    land(settings, SUPER_BOWL, as_of=AFTER_SEASON).warehouse.close()  # every result, one payload
    dbt(settings, MODELS)
    versions = configured_versions(settings.models, NFL)
    with connect(settings.database_url) as wh:
        history = [history_record(r) for r in model_history(wh, NFL, AFTER_SEASON.date())]
        forecasts = Engine(NFL).walk(history, keep=lambda r: r.game.season == SEASON)
        every = {
            f.record.game.game_id: [prediction_row(f.models[n], v) for n, v in versions.items()]
            for f in forecasts
        }
        features = wh.query(
            "select * from features.feat__game where season = ? order by kickoff_at, game_id",
            (SEASON,),
        )
        games = [
            (
                f,
                next(p for p in every[f["game_id"]] if p["model"] == settings.headline_model),
                every[f["game_id"]],
            )
            for f in features
        ]
        builds = retrieve(wh, NFL, games), retrieve(wh, NFL, games)
    slates: tuple[Slates, Slates] = (defaultdict(list), defaultdict(list))
    for (f, _, _), first, second in zip(games, *builds, strict=True):
        slates[0][f["game_date"]].append(first)
        slates[1][f["game_date"]].append(second)
    return slates


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> tuple[Slates, Slates]:
    return _payloads(tmp_path_factory.mktemp("season"))


def test_every_game_of_the_season_gets_a_grounded_tldr(season: tuple[Slates, Slates]) -> None:
    payloads = [p for slate in season[0].values() for p in slate]
    assert len(payloads) == SEASON_GAMES
    assert all(p["market"]["spread"]["current"] is not None for p in payloads)
    rejected = []
    for payload in payloads:
        text = write_tldr(payload)
        check = check_grounding(text, payload, NFL)
        if not check.grounded:
            rejected.append(f"{payload['game']['game_id']}: {check.detail()} | {text}")
    assert rejected == []


def test_the_offline_writer_is_deterministic(season: tuple[Slates, Slates]) -> None:
    first, second = season
    assert first.keys() == second.keys()
    for day, slate in first.items():
        again = second[day]
        assert [context_hash(p) for p in slate] == [context_hash(p) for p in again], day
        assert [write_tldr(p) for p in slate] == [write_tldr(p) for p in again], day


def test_no_two_games_of_a_slate_read_the_same(season: tuple[Slates, Slates]) -> None:
    first, _ = season
    assert len(first) > 20  # Thursdays, Sundays, Mondays, the playoffs
    for day, slate in first.items():
        texts = [write_tldr(p) for p in slate]
        assert len(set(texts)) == len(texts), day
