"""Walk-forward: no prediction ever sees a result from its own date or later."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from spread_eagle.config import BUNDLED_GAMES_FILE
from spread_eagle.leagues import load_league
from spread_eagle.predict.backtest import (
    HistoricalGame,
    evaluate,
    load_games,
    walk_forward,
    with_result,
)
from spread_eagle.predict.ratings import RatingsModel
from tests.conftest import make_settings

NFL = load_league("nfl")
TEAMS = ("KC", "BUF", "BAL", "CIN", "PHI", "DAL")
FIRST_SUNDAY = date(2023, 9, 10)


def _season(weeks: int = 8) -> list[HistoricalGame]:
    """In-memory games: each week the six teams pair up differently; scores follow a fixed
    pattern so the ratings have something to learn. Sorted by date, as load_games returns them."""
    games = []
    for week in range(weeks):
        day = FIRST_SUNDAY + timedelta(weeks=week)
        order = TEAMS[week % 6 :] + TEAMS[: week % 6]
        for i, (home, away) in enumerate(zip(order[0::2], order[1::2], strict=True)):
            games.append(
                HistoricalGame(
                    game_id=f"2023_{week + 1:02d}_{away}_{home}",
                    season=2023,
                    game_type="REG",
                    game_date=day,
                    home_team_id=home,
                    away_team_id=away,
                    is_neutral_site=False,
                    home_score=17 + 3 * i + week % 3,
                    away_score=20 - 2 * i,
                    spread_home=-2.5 + i,
                    total_line=44.0,
                    moneyline_home=-140,
                    moneyline_away=120,
                    open_spread_home=-3.0 + i,
                )
            )
    return sorted(games, key=lambda g: (g.game_date, g.game_id))


def test_changing_a_result_after_a_date_changes_no_prediction_up_to_it() -> None:
    games = _season()
    changed = next(g for g in games if g.game_date == FIRST_SUNDAY + timedelta(weeks=3))
    assert changed.home_score is not None and changed.away_score is not None
    what_if_games = with_result(games, changed.game_id, changed.away_score + 30, changed.home_score)
    base = {f.game.game_id: f for f in walk_forward(RatingsModel(NFL), games, 2023, 2023)}
    what_if = walk_forward(RatingsModel(NFL), what_if_games, 2023, 2023)
    assert len(what_if) == len(games)
    for f in what_if:
        if f.game.game_date <= changed.game_date:  # its own date included
            assert (f.prediction, f.at_open) == (
                base[f.game.game_id].prediction,
                base[f.game.game_id].at_open,
            ), f.game.game_id
    # ... and every later date sees it: the test would catch a leak
    later = [f for f in what_if if f.game.game_date > changed.game_date]
    assert later and all(f.prediction != base[f.game.game_id].prediction for f in later)


def test_progress_is_called_after_each_date_ending_with_total_of_total() -> None:
    calls: list[tuple[int, int, str]] = []
    walk_forward(
        RatingsModel(NFL),
        _season(weeks=4),
        2023,
        2023,
        lambda done, total, day: calls.append((done, total, day)),
    )
    assert calls == [
        (week + 1, 4, (FIRST_SUNDAY + timedelta(weeks=week)).isoformat()) for week in range(4)
    ]
    assert calls[-1][:2] == (4, 4)


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
    _, base = evaluate(settings, 2019, 2019)
    _, what_if = evaluate(altered, 2019, 2019)
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
