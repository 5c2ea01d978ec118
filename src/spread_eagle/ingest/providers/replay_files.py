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
class ResultsPeriod:
    """The games of a season, of one of its months or of one of their days (league-local game
    dates): when the last of them (scored or not: a game still to play) is final, the scored ones
    with the time each becomes final, in file order, and the period's parts (a season's months, a
    month's days). The body of all its scored games is written once."""

    params: dict[str, str]  # what names the period in a request: season, month, date
    starts_at: datetime | None = None  # when its first game is final
    ends_at: datetime | None = None
    final: list[tuple[datetime, Row]] = field(default_factory=list)
    parts: dict[str, ResultsPeriod] = field(default_factory=dict)
    _whole: tuple[datetime, str] | None = None

    def add(self, final_at: datetime, row: Row, scored: bool) -> None:
        self.starts_at = min(final_at, self.starts_at or final_at)
        self.ends_at = max(final_at, self.ends_at or final_at)
        if scored:
            self.final.append((final_at, row))

    def part(self, key: str, name: str) -> ResultsPeriod:
        if name not in self.parts:
            self.parts[name] = ResultsPeriod({**self.params, key: name})
        return self.parts[name]

    def body(self, header: list[str], as_of: datetime) -> str | None:
        """The CSV body of the period's games final by `as_of`, or None when none is."""
        if self._whole is None and self.final:
            last = max(final_at for final_at, _ in self.final)
            self._whole = (last, csv_body(header, [row for _, row in self.final]))
        if self._whole is not None and self._whole[0] <= as_of:
            return self._whole[1]
        rows = [row for final_at, row in self.final if final_at <= as_of]
        return csv_body(header, rows) if rows else None

    def served(self, as_of: datetime) -> list[ResultsPeriod]:
        """The periods `as_of` is served as: none before its first game is final, this one whole
        once all its games are, else its parts (a day is served as far as it has been seen)."""
        if self.starts_at is None or as_of < self.starts_at:
            return []
        if not self.parts or (self.ends_at is not None and self.ends_at <= as_of):
            return [self]
        return [period for part in self.parts.values() for period in part.served(as_of)]


@dataclass
class GamesFile:
    header: list[str]
    rows: list[Row]
    by_day: dict[str, list[Row]]
    games_format: GamesFormat
    _results: dict[tuple[str, float, str], list[ResultsPeriod]] = field(default_factory=dict)

    def results(self, league: League) -> list[ResultsPeriod]:
        """The seasons, each with its months and their days, in order, with every game's final
        time under the league's clock constants."""
        key = (league.timezone, league.game_hours, league.default_kickoff_time)
        if key not in self._results:
            fmt = self.games_format
            seasons: dict[str, ResultsPeriod] = {}
            for row in self.rows:
                kickoff = kickoff_utc(row, league, fmt)
                if kickoff is None:
                    continue  # the parser quarantines it with the reason
                final_at = kickoff + timedelta(hours=league.game_hours)
                scored = bool((row.get(fmt.home_score_column) or "").strip())
                name = row.get(fmt.season_column) or "?"
                season = seasons.setdefault(name, ResultsPeriod({"season": name}))
                day = row[fmt.date_column].strip()
                month = season.part("month", day[:7])
                for period in (season, month, month.part("date", day)):
                    period.add(final_at, row, scored)
            for season in seasons.values():  # months and days in order (the file's may not be)
                season.parts = dict(sorted(season.parts.items()))
                for month in season.parts.values():
                    month.parts = dict(sorted(month.parts.items()))
            self._results[key] = [seasons[name] for name in sorted(seasons)]
        return self._results[key]


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
