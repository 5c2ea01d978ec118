"""The guarantees every league's models keep, checked by a walk of its games through the engine:
ratings never read a line, and no result after a date reaches that date's predictions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from spread_eagle.leagues import League
from spread_eagle.predict.engine import Engine, Forecast, GameRecord


def walk(league: League, records: list[GameRecord]) -> dict[str, Forecast]:
    return {f.record.game.game_id: f for f in Engine(league).walk(records)}


def assert_ratings_never_read_a_line(
    league: League, games: list[GameRecord], total_shift: float
) -> None:
    base = walk(league, games)
    moved = walk(
        league,
        [
            replace(
                g,
                spread_home=(g.spread_home or 0) + 7,
                total_line=(g.total_line or 0) + total_shift,
                moneyline_home=150,
                moneyline_away=-170,
                open_spread_home=-20.0,
            )
            for g in games
        ],
    )
    for gid, f in base.items():
        a, b = f.models["ratings"], moved[gid].models["ratings"]
        assert (a.margin_home, a.total, a.p_home_win) == (b.margin_home, b.total, b.p_home_win)


def assert_no_later_result_leaks(
    league: League, games: list[GameRecord], model: str, day: date, score: tuple[int, int]
) -> None:
    """Every game from `day` on gets the score `score` (home, away): predictions up to `day`
    stay as they were, and some later one changes (the test would catch a leak)."""
    base = walk(league, games)
    changed = walk(
        league,
        [
            replace(g, home_score=score[0], away_score=score[1]) if g.game.game_date >= day else g
            for g in games
        ],
    )
    for gid, f in base.items():
        if f.record.game.game_date <= day:
            assert f.models[model] == changed[gid].models[model], gid
    later = [gid for gid, f in base.items() if f.record.game.game_date > day]
    assert any(base[gid].models[model] != changed[gid].models[model] for gid in later)
