"""The replay provider's files, read once per process instead of once per step.

A backfill replays hundreds of dates from the same two files; re-reading the games CSV, re-indexing
the open/close sheet and re-computing every game's kickoff and final time for each date was most
of its raw phase. Each file is cached under its path, size, modification time and inode (an edited
or replaced file is read again); what is derived with a league's constants is cached per those
constants. No cached row is ever changed: the provider copies a row before blanking what its clock
has not seen, so a fetch stays a pure function of the files, the date and the clock.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from spread_eagle.ingest.parsers.games_file import GamesFormat
from spread_eagle.leagues import League

FileKey = tuple[str, int, int, int]  # resolved path, size, mtime (ns), inode
Row = dict[str, str]
SheetIndex = dict[tuple[str, str], list[tuple[date, Row]]]


def file_key(path: Path) -> FileKey:
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino


def csv_body(header: list[str], rows: list[Row], extras_ignored: bool = False) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer,
        fieldnames=header,
        lineterminator="\n",
        extrasaction="ignore" if extras_ignored else "raise",
    )
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def kickoff_utc(row: Row, league: League, games_format: GamesFormat) -> datetime | None:
    try:
        return games_format.kickoff_local(row, league).replace(tzinfo=league.tz).astimezone(UTC)
    except (ValueError, KeyError):
        return None  # the parser quarantines it with the reason


@dataclass
class SeasonResults:
    """A season's scored games with the time each becomes final, in file order; the body of the
    whole season (every game final) is written once."""

    final: list[tuple[datetime, Row]] = field(default_factory=list)
    body: str | None = None


@dataclass
class GamesFile:
    header: list[str]
    rows: list[Row]
    by_day: dict[str, list[Row]]
    games_format: GamesFormat
    _results: dict[tuple[str, float, str], dict[str, SeasonResults]] = field(default_factory=dict)

    def results(self, league: League) -> dict[str, SeasonResults]:
        """season -> its scored games and their final times under the league's clock constants,
        seasons in order."""
        key = (league.timezone, league.game_hours, league.default_kickoff_time)
        if key not in self._results:
            seasons: dict[str, SeasonResults] = defaultdict(SeasonResults)
            for row in self.rows:
                fmt = self.games_format
                kickoff = kickoff_utc(row, league, fmt)
                if kickoff is not None and (row.get(fmt.home_score_column) or "").strip():
                    final_at = kickoff + timedelta(hours=league.game_hours)
                    seasons[row.get(fmt.season_column) or "?"].final.append((final_at, row))
            self._results[key] = dict(sorted(seasons.items()))
        return self._results[key]

    def season_body(self, season: SeasonResults, rows: list[Row]) -> str:
        """The CSV body of a season's results seen so far; a finished season's is kept."""
        if len(rows) < len(season.final):
            return csv_body(self.header, rows)
        if season.body is None:
            season.body = csv_body(self.header, rows)
        return season.body


@lru_cache(maxsize=4)
def read_games(key: FileKey, games_format: GamesFormat) -> GamesFile:
    with open(key[0], encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    by_day: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_day[(row.get(games_format.date_column) or "").strip()].append(row)
    return GamesFile(list(reader.fieldnames or []), rows, dict(by_day), games_format)


_sheets: dict[tuple[FileKey, tuple[tuple[str, str], ...]], SheetIndex] = {}


def read_sheet(path: Path, league: League) -> SheetIndex:
    """(home id, away id) -> [(sheet date, row)] of the open/close sheet; rows with unknown names
    are left out (the parser quarantines them). Indexed with the league's team aliases."""
    key = (file_key(path), tuple(sorted(league.aliases.items())))
    if key not in _sheets:
        if len(_sheets) >= 4:
            _sheets.pop(next(iter(_sheets)))
        _sheets[key] = _index_sheet(path, league)
    return _sheets[key]


def _index_sheet(path: Path, league: League) -> SheetIndex:
    index: SheetIndex = defaultdict(list)
    with path.open(encoding="utf-8-sig", newline="") as handle:  # BOM
        for row in csv.DictReader(handle):
            home, away = league.team_id(row.get("Home Team")), league.team_id(row.get("Away Team"))
            try:
                day = date.fromisoformat((row.get("Date") or "").strip())
            except ValueError:
                continue
            if home and away:
                index[(home, away)].append((day, row))
    return dict(index)
