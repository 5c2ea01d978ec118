"""The walk-forward backtest on the bundled nflverse history (1999-2024)."""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spread_eagle.cli import app
from spread_eagle.config import BUNDLED_GAMES_FILE, BUNDLED_LINES_FILE, Settings
from spread_eagle.leagues import load_league
from spread_eagle.odds import vig_free
from spread_eagle.predict.backtest import (
    HistoricalGame,
    evaluate,
    load_games,
    market_metrics,
    model_metrics,
    run_backtest,
    walk_forward,
)
from spread_eagle.predict.ratings import Prediction, RatingsModel, model_version
from tests.conftest import make_settings

NFL = load_league("nfl")
ATS_KEYS = {"wins", "losses", "pushes", "pct"}
MODEL_KEYS = {
    "model_version",
    "spread_mae",
    "total_mae",
    "win_brier",
    "win_logloss",
    "su_accuracy",
    "cover_brier",
    "calibration_ece",
    "ats_vs_close",
    "ats_vs_open",
    "roi_at_minus110",
    "clv_mean_points",
}


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI configures logging onto CliRunner's streams; put the root logger back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="module")
def decade(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("backtest")
    settings = make_settings(out, f"duckdb:///{out / 'unused.duckdb'}")
    return run_backtest(settings, 2015, 2024, out / "report", show_progress=False), out / "report"


def test_metrics_json_has_the_design_shape(decade: tuple[dict[str, Any], Path]) -> None:
    metrics, out = decade
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8")) == metrics
    assert set(metrics) == {"start_season", "end_season", "games", "market", "models"}
    assert (metrics["start_season"], metrics["end_season"]) == (2015, 2024)
    assert set(metrics["market"]) == {
        "spread_mae",
        "total_mae",
        "win_brier",
        "win_logloss",
        "su_accuracy",
    }
    model = metrics["models"]["ratings"]
    assert set(model) >= MODEL_KEYS
    assert model["model_version"] == model_version(NFL)
    assert set(model["ats_vs_close"]) == ATS_KEYS and set(model["ats_vs_open"]) == ATS_KEYS
    for key in MODEL_KEYS - {"model_version", "ats_vs_close", "ats_vs_open"}:
        assert isinstance(model[key], float) and math.isfinite(model[key]), key


def test_market_baseline_matches_sources_md(decade: tuple[dict[str, Any], Path]) -> None:
    # SOURCES.md: 2015-2024, 2,743 graded games: spread MAE 9.82, total MAE 10.44, favourite SU 66.2%,
    # vig-free moneyline Brier 0.2123 and log loss 0.6127.
    metrics, _ = decade
    market = metrics["market"]
    assert metrics["games"] == 2743
    assert round(market["spread_mae"], 2) == 9.82
    assert round(market["total_mae"], 2) == 10.44
    assert round(market["win_brier"], 4) == 0.2123
    assert round(market["win_logloss"], 4) == 0.6127
    assert round(market["su_accuracy"], 3) == 0.662


def test_model_figures_are_consistent(decade: tuple[dict[str, Any], Path]) -> None:
    metrics, _ = decade
    model, market = metrics["models"]["ratings"], metrics["market"]
    close = model["ats_vs_close"]
    bets = close["wins"] + close["losses"] + close["pushes"]
    assert 0 < bets <= metrics["games"]
    assert close["pct"] == pytest.approx(
        close["wins"] / (close["wins"] + close["losses"]), abs=1e-6
    )
    assert model["roi_at_minus110"] == pytest.approx(
        (close["wins"] * 100 / 110 - close["losses"]) / bets, abs=1e-6
    )
    # Openers from the bundled open/close sheet: 2015 to 2024 week 3 (the sheet ends there).
    assert model["open_lines"] == 2506
    opened = model["ats_vs_open"]
    assert (
        opened != close
        and 0 < opened["wins"] + opened["losses"] + opened["pushes"] <= metrics["games"]
    )
    assert opened["pct"] == pytest.approx(
        opened["wins"] / (opened["wins"] + opened["losses"]), abs=1e-6
    )
    assert -3.0 < model["clv_mean_points"] < 3.0
    # A market-blended model lands near the market, never far off it (a leak would beat it by a lot).
    assert abs(model["spread_mae"] - market["spread_mae"]) < 0.5
    assert model["win_brier"] > market["win_brier"] - 0.01
    assert 0 <= model["calibration_ece"] < 0.1 and 0.2 < model["cover_brier"] < 0.3


def test_report_is_a_self_contained_page(decade: tuple[dict[str, Any], Path]) -> None:
    metrics, out = decade
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert "ratings" in page and metrics["models"]["ratings"]["model_version"] in page
    assert "<svg" in page and "Calibration" in page
    assert "2743 graded games" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_opening_spread_comes_from_the_sheet_with_our_sign() -> None:
    games = {g.game_id: g for g in load_games(BUNDLED_GAMES_FILE, NFL, BUNDLED_LINES_FILE)}
    assert games["2020_01_HOU_KC"].open_spread_home == -10.0  # KC opened -10, closed -9.5
    assert games["2020_01_HOU_KC"].spread_home == -9.5
    assert games["2023_01_DET_KC"].open_spread_home == -6.5
    assert games["2024_12_KC_CAR"].open_spread_home is None  # after the sheet's last row
    assert (
        games["2010_01_MIN_NO"].open_spread_home is None
    )  # before 2014 the sheet has no true opener
    assert games["2024_12_KC_CAR"].opening_spread == 11.0  # ... so the close stands in


def test_spread_sign_is_converted_from_nflverse() -> None:
    games = {g.game_id: g for g in load_games(BUNDLED_GAMES_FILE, NFL)}
    assert games["2024_12_KC_CAR"].spread_home == 11.0  # CAR an 11-point home underdog
    assert games["2020_01_HOU_KC"].spread_home == -9.5  # KC -9.5 at home
    assert games["2024_22_KC_PHI"].spread_home == 1.5  # PHI designated home, KC favored by 1.5
    assert games["2024_22_KC_PHI"].is_neutral_site and not games["2024_12_KC_CAR"].is_neutral_site


def _with_score(source: Path, target: Path, game_id: str, home: int, away: int) -> Path:
    lines = source.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cols = {name: header.index(name) for name in ("home_score", "away_score", "result", "total")}
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        if cells[0] == game_id:
            cells[cols["home_score"]], cells[cols["away_score"]] = str(home), str(away)
            cells[cols["result"]], cells[cols["total"]] = str(home - away), str(home + away)
        out.append(",".join(cells))
    target.write_text("\n".join(out) + "\n", encoding="utf-8")
    return target


def test_walk_forward_never_peeks_at_later_games(tmp_path: Path) -> None:
    changed_id = "2019_10_DET_CHI"  # a 2019-11-10 game; rewrite its final score from 13-20 to 60-0
    settings = make_settings(tmp_path, f"duckdb:///{tmp_path / 'unused.duckdb'}")
    altered = settings.model_copy(
        update={
            "games_file": _with_score(BUNDLED_GAMES_FILE, tmp_path / "games.csv", changed_id, 60, 0)
        }
    )
    _, base = evaluate(settings, 2019, 2019, show_progress=False)
    _, what_if = evaluate(altered, 2019, 2019, show_progress=False)
    changed_day = next(f.game.game_date for f in base if f.game.game_id == changed_id)
    assert changed_day == date(2019, 11, 10)

    base_by_id = {f.game.game_id: f for f in base}
    assert len(base) == len(what_if) == 267
    earlier = [f for f in what_if if f.game.game_date <= changed_day]
    later = [f for f in what_if if f.game.game_date > changed_day]
    assert len(earlier) > 100 and len(later) > 100
    # nothing up to and including the changed game's own date moves (its own prediction included)
    for f in earlier:
        assert f.prediction == base_by_id[f.game.game_id].prediction, f.game.game_id
        assert f.at_open == base_by_id[f.game.game_id].at_open
    # ... and the change is seen afterwards: the test would catch a leak
    moved = [f.game.game_id for f in later if f.prediction != base_by_id[f.game.game_id].prediction]
    assert any("CHI" in game_id or "DET" in game_id for game_id in moved)


def test_each_date_is_fitted_only_on_earlier_games() -> None:
    seen: list[tuple[date, list[date]]] = []

    class Recording(RatingsModel):
        def fit(self, games, as_of_date):  # type: ignore[no-untyped-def]
            seen.append((as_of_date, [g.game_date for g in games]))
            return super().fit(games, as_of_date)

    games = load_games(BUNDLED_GAMES_FILE, NFL)
    walk_forward(Recording(NFL), games, 2023, 2023)
    assert len(seen) == len({g.game_date for g in games if g.season == 2023})
    for as_of, history in seen:
        assert history and max(history) < as_of
        assert min(history) >= date(2020, 1, 1)  # the current season and the three before it


def _game(
    game_id: str,
    home: int,
    away: int,
    spread: float | None,
    total: float | None = 44.0,
    ml: tuple[int, int] | None = (-150, 130),
) -> HistoricalGame:
    return HistoricalGame(
        game_id=game_id,
        season=2024,
        game_type="REG",
        game_date=date(2024, 9, 8),
        home_team_id="KC",
        away_team_id="BAL",
        is_neutral_site=False,
        home_score=home,
        away_score=away,
        spread_home=spread,
        total_line=total,
        moneyline_home=None if ml is None else ml[0],
        moneyline_away=None if ml is None else ml[1],
    )


def _prediction(game_id: str, margin: float, p_cover: float, play: str | None) -> Prediction:
    return Prediction(
        game_id=game_id,
        margin_home=margin,
        total=44.0,
        p_home_win=0.6,
        p_home_cover=p_cover,
        p_over=0.5,
        spread_home=-3.0,
        total_line=44.0,
        edge=0.05 if play else -0.01,
        play=play,
    )


def test_market_metrics_by_hand() -> None:
    assert vig_free(-110, -110)[0] == pytest.approx(0.5)
    assert vig_free(-150, 130)[0] == pytest.approx(0.6 / (0.6 + 100 / 230))
    games = [
        _game("a", 27, 20, -3.0),  # favourite wins: miss |7 - 3| = 4, total miss |47 - 44| = 3
        _game("b", 17, 20, -3.0),  # favourite loses: miss 6, total miss 7
        _game("c", 20, 20, -3.0),  # tie: no SU, no Brier
        _game("d", 10, 13, 0.0, ml=None),  # pick'em: no favourite; no moneylines
    ]
    m = market_metrics(games)
    assert m["spread_mae"] == pytest.approx((4 + 6 + 3 + 3) / 4)
    assert m["total_mae"] == pytest.approx((3 + 7 + 4 + 21) / 4)
    p = vig_free(-150, 130)[0]
    assert m["win_brier"] == pytest.approx(((p - 1) ** 2 + p**2) / 2, abs=1e-6)
    assert m["su_accuracy"] == 0.5


def test_ats_and_roi_by_hand() -> None:
    games = [
        _game("w", 27, 20, -3.0),
        _game("l", 21, 20, -3.0),
        _game("p", 23, 20, -3.0),
        _game("n", 30, 0, -3.0),
    ]
    forecasts = []
    from spread_eagle.predict.backtest import Forecast

    for g, p in zip(
        games,
        [
            _prediction("w", 5.0, 0.6, "KC -3"),
            _prediction("l", 5.0, 0.6, "KC -3"),
            _prediction("p", 5.0, 0.6, "KC -3"),
            _prediction("n", 1.0, 0.45, None),
        ],
        strict=True,
    ):
        forecasts.append(Forecast(g, p, p))
    m = model_metrics(forecasts, "test")
    assert m["ats_vs_close"] == {"wins": 1, "losses": 1, "pushes": 1, "pct": 0.5}
    assert m["roi_at_minus110"] == pytest.approx((100 / 110 - 1) / 3, abs=1e-6)
    assert m["su_accuracy"] == 1.0 and m["clv_mean_points"] == 0.0


def test_cli_backtest_writes_both_files(tmp_path: Path) -> None:
    env = {
        "SPREAD_EAGLE_DATABASE_URL": f"duckdb:///{tmp_path / 'unused.duckdb'}",
        "SPREAD_EAGLE_LOG_DIR": str(tmp_path),
    }
    out = tmp_path / "bt"
    result = CliRunner().invoke(
        app,
        ["backtest", "--start-season", "2023", "--end-season", "2024", "--out", str(out)],
        env=env,
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["games"] == 285 + 285 and "ratings" in metrics["models"]
    assert (
        (out / "report.html").is_file()
        and "ratings" in result.stdout
        and "570 games" in result.stdout
    )

    bad = CliRunner().invoke(
        app,
        ["backtest", "--start-season", "2024", "--end-season", "2020", "--out", str(out)],
        env=env,
    )
    assert bad.exit_code == 1 and "before --start-season" in bad.output
    empty = CliRunner().invoke(
        app,
        ["backtest", "--start-season", "1990", "--end-season", "1991", "--out", str(out)],
        env=env,
    )
    assert empty.exit_code == 1 and "no finished games" in empty.output


def test_settings_games_file_is_used(tmp_path: Path) -> None:
    missing: Settings = make_settings(
        tmp_path, "duckdb:///x.duckdb", games_file=tmp_path / "nope.csv"
    )
    with pytest.raises(ValueError, match="games file not found"):
        evaluate(missing, 2024, 2024, show_progress=False)
