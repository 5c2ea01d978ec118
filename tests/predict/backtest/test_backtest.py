"""The backtest end to end on the bundled nflverse history (1999-2024): metrics.json, the report,\nprogress and the CLI command."""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spread_eagle.cli import app
from spread_eagle.config import BUNDLED_GAMES_FILE, BUNDLED_LINES_FILE, DATA_DIR, Settings
from spread_eagle.leagues import load_league
from spread_eagle.predict.backtest import (
    evaluate,
    run_backtest,
)
from spread_eagle.predict.registry import model_versions
from tests.conftest import make_settings

NBA_GAMES_FILE = DATA_DIR / "nba_games_2008_2024.csv"

NFL = load_league("nfl")
ATS_KEYS = {"wins", "losses", "pushes", "pct", "pct_ci95"}
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


def _bundled(tmp_path: Path) -> Settings:
    """The whole bundled history (the tests' default is a cut of it): these are its real figures."""
    return make_settings(
        tmp_path,
        f"duckdb:///{tmp_path / 'unused.duckdb'}",
        games_file=BUNDLED_GAMES_FILE,
        lines_file=BUNDLED_LINES_FILE,
    )


@pytest.fixture(scope="module")
def progress_calls() -> list[tuple[int, int, str]]:
    return []


@pytest.fixture(scope="module")
def decade(
    tmp_path_factory: pytest.TempPathFactory, progress_calls: list[tuple[int, int, str]]
) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("backtest")
    settings = _bundled(out)

    def progress(done: int, total: int, day: str) -> None:
        progress_calls.append((done, total, day))

    return run_backtest(settings, 2015, 2024, out / "report", progress), out / "report"


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
    assert set(metrics["models"]) == {"ratings", "market_blend"}
    for name, model in metrics["models"].items():
        assert set(model) >= MODEL_KEYS
        assert model["model_version"] == model_versions(NFL)[name]
        assert set(model["ats_vs_close"]) == ATS_KEYS and set(model["ats_vs_open"]) == ATS_KEYS
        for key in MODEL_KEYS - {"model_version", "ats_vs_close", "ats_vs_open"}:
            assert isinstance(model[key], float) and math.isfinite(model[key]), key
        bets = model["ats_vs_close"]["wins"] + model["ats_vs_close"]["losses"]
        if bets:
            low, high = model["roi_at_minus110_ci95"]
            assert low <= model["roi_at_minus110"] <= high
        else:  # a model that never bets has no interval to show (the blend, shrunk to the market)
            assert model["roi_at_minus110_ci95"] is None


def test_market_figures_match_an_independent_computation(
    decade: tuple[dict[str, Any], Path],
) -> None:
    import csv

    from spread_eagle.config import BUNDLED_GAMES_FILE

    rows = [
        r
        for r in csv.DictReader(BUNDLED_GAMES_FILE.open(encoding="utf-8-sig"))
        if 2015 <= int(r["season"]) <= 2024 and r["result"]
    ]
    mae = sum(abs(float(r["result"]) - float(r["spread_line"])) for r in rows) / len(rows)
    briers = []
    for r in rows:
        if r["home_moneyline"] and r["away_moneyline"] and float(r["result"]) != 0:
            h, a = (float(r["home_moneyline"]), float(r["away_moneyline"]))
            ph = 100 / (h + 100) if h > 0 else -h / (-h + 100)
            pa = 100 / (a + 100) if a > 0 else -a / (-a + 100)
            briers.append((ph / (ph + pa) - (float(r["result"]) > 0)) ** 2)
    metrics, _ = decade
    assert metrics["market"]["spread_mae"] == pytest.approx(mae, abs=1e-6)
    assert metrics["market"]["win_brier"] == pytest.approx(sum(briers) / len(briers), abs=1e-6)


def test_two_backtests_write_byte_identical_metrics(
    decade: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    _, out = decade
    settings = _bundled(tmp_path)
    run_backtest(settings, 2015, 2024, tmp_path / "again")
    assert (tmp_path / "again" / "metrics.json").read_bytes() == (out / "metrics.json").read_bytes()


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
    # the betting figures of the model that bets (the blend, shrunk to the market, seldom does)
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
    assert 0 < opened["wins"] + opened["losses"] + opened["pushes"] <= metrics["games"]
    assert opened["pct"] == pytest.approx(
        opened["wins"] / (opened["wins"] + opened["losses"]), abs=1e-6
    )
    assert -3.0 < model["clv_mean_points"] < 3.0
    # A market-blended model lands near the market, never far off it (a leak would beat it by a lot).
    model = metrics["models"]["market_blend"]
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


def test_progress_is_reported_after_each_date_and_ends_at_total(
    decade: tuple[dict[str, Any], Path], progress_calls: list[tuple[int, int, str]]
) -> None:
    total = len(progress_calls)
    assert total == 590  # game dates of the 2015-2024 seasons
    assert [done for done, _, _ in progress_calls] == list(range(1, total + 1))
    assert {t for _, t, _ in progress_calls} == {total}
    assert progress_calls[-1] == (total, total, "2025-02-09")  # the 2024 season's Super Bowl


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
        evaluate(missing, 2024, 2024)


def test_nba_backtest_meets_the_goals_of_issue_15(tmp_path: Path) -> None:
    """2015-2024 over the bundled NBA file (the whole 2008-2024 walk, ~6 s): the market-blind
    ratings within 1.04x of the market's spread MAE, the blend's Brier at or below the market's."""
    settings = make_settings(
        tmp_path, "duckdb:///unused.duckdb", league="nba", games_file=NBA_GAMES_FILE
    )
    metrics, _ = evaluate(settings, 2015, 2024)
    market, models = metrics["market"], metrics["models"]
    assert metrics["games"] == 12818  # 12,836 games less the 18 rows the parser quarantined
    assert market["spread_mae"] == pytest.approx(9.94, abs=0.005)
    assert models["ratings"]["spread_mae"] <= 1.04 * market["spread_mae"]
    assert models["market_blend"]["win_brier"] <= market["win_brier"]
    assert "+nba." in models["ratings"]["model_version"]
