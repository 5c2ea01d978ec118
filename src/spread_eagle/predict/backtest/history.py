"""The history a backtest walks: every game of an nflverse-format games file, sign conventions ours.

The games come from the replay games file (`settings.resolved_games_file`, nflverse format) read
through the same parser the daily run uses (`parse_games_csv`: unusable rows are dropped with
their reason, team names resolved through the league's alias table), with the parser module's
one Python copy of staging's sign conversion (`spread_home = -spread_line`). Opening spreads come
from the replay provider's open/close sheet (`ReplayProvider.opening_lines`). Nothing is read
from the warehouse, so a fresh checkout can run it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from spread_eagle.ingest.parsers.nflverse_csv import COLUMNS, parse_games_csv, spread_home
from spread_eagle.ingest.payload import Payload
from spread_eagle.ingest.providers.replay import ReplayProvider
from spread_eagle.leagues import League
from spread_eagle.predict.ratings import FinishedGame


class BacktestError(ValueError):
    pass


@dataclass(frozen=True)
class HistoricalGame:
    """One game of the history, sign conventions already ours (`spread_home` as a book prints it)."""

    game_id: str
    season: int
    game_type: str
    game_date: date
    home_team_id: str
    away_team_id: str
    is_neutral_site: bool
    home_score: int | None
    away_score: int | None
    spread_home: float | None
    total_line: float | None
    moneyline_home: int | None
    moneyline_away: int | None
    open_spread_home: float | None = None

    @property
    def is_final(self) -> bool:
        return self.home_score is not None and self.away_score is not None

    @property
    def margin(self) -> int:
        assert self.home_score is not None and self.away_score is not None
        return self.home_score - self.away_score

    @property
    def points(self) -> int:
        assert self.home_score is not None and self.away_score is not None
        return self.home_score + self.away_score

    def finished(self) -> FinishedGame:
        assert self.home_score is not None and self.away_score is not None
        return FinishedGame(
            self.game_date,
            self.home_team_id,
            self.away_team_id,
            self.is_neutral_site,
            self.home_score,
            self.away_score,
        )

    @property
    def opening_spread(self) -> float | None:
        """The opening spread, or the closing one where the source has no opener."""
        return self.spread_home if self.open_spread_home is None else self.open_spread_home

    def features(self, opening: bool = False) -> dict[str, Any]:
        """What the model sees before kickoff: teams, venue and the lines (never the score).

        The feature names are feat__game's; with `opening` the opening spread stands in for the close.
        """
        return {
            "game_id": self.game_id,
            "home_team_id": self.home_team_id,
            "away_team_id": self.away_team_id,
            "is_neutral_site": self.is_neutral_site,
            "spread_home_current": self.opening_spread if opening else self.spread_home,
            "total_current": self.total_line,
        }


def _number(value: str | None) -> float | None:
    return None if value is None or not value.strip() else float(value)


def _integer(value: str | None) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def load_games(
    games_file: Path, league: League, lines_file: Path | None = None
) -> list[HistoricalGame]:
    """Every usable game of an nflverse-format CSV, oldest first (kickoff date, then game_id), with
    its opening spread from the open/close sheet `lines_file` where that has one."""
    if not games_file.is_file():
        raise BacktestError(f"games file not found: {games_file} (set SPREAD_EAGLE_GAMES_FILE)")
    payload = Payload(
        source="backtest",
        endpoint="games.csv",
        body=games_file.read_text(encoding="utf-8-sig"),
        fetched_at=datetime.now(UTC),
        content_type="text/csv",
    )
    parsed = parse_games_csv(payload, league)
    rows = [dict(zip(COLUMNS, row, strict=True)) for row in parsed.rows]
    openers = (
        ReplayProvider(league, games_file, lines_file).opening_lines(rows)
        if lines_file is not None
        else {}
    )
    games = []
    for row in rows:
        game_id = str(row["game_id"])
        games.append(
            HistoricalGame(
                game_id=game_id,
                season=int(str(row["season"])),
                game_type=str(row["game_type"]),
                game_date=date.fromisoformat(str(row["gameday"])),
                home_team_id=league.team_id(row["home_team"]) or str(row["home_team"]),
                away_team_id=league.team_id(row["away_team"]) or str(row["away_team"]),
                is_neutral_site=row["location"] == "Neutral",
                home_score=_integer(row["home_score"]),
                away_score=_integer(row["away_score"]),
                spread_home=spread_home(_number(row["spread_line"])),
                total_line=_number(row["total_line"]),
                moneyline_home=_integer(row["home_moneyline"]),
                moneyline_away=_integer(row["away_moneyline"]),
                open_spread_home=openers.get(game_id),
            )
        )
    return sorted(games, key=lambda g: (g.game_date, g.game_id))


def with_result(
    games: Sequence[HistoricalGame], game_id: str, home_score: int, away_score: int
) -> list[HistoricalGame]:
    """A copy of `games` where one game's final score is changed (what-if analysis, leakage tests)."""
    return [
        replace(g, home_score=home_score, away_score=away_score) if g.game_id == game_id else g
        for g in games
    ]
