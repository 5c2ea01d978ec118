"""Leagues are data: constants in `<league>.yaml`, teams and aliases in CSV files.

`team_alias.csv` and `<league>_teams.csv` are also dbt seeds (dbt_project.yml points at this
folder), so Python and SQL resolve team names from the same single table.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml


class UnknownLeagueError(ValueError):
    pass


@dataclass(frozen=True)
class League:
    league: str
    name: str
    timezone: str
    home_field_points: float
    margin_sd: float
    total_sd: float
    typical_total: float
    game_hours: float
    closing_line_minutes_before_kickoff: int
    opening_line_days_before_kickoff: int
    ratings: dict[str, float] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)
    default_kickoff_time: str = "13:00"
    sport_keys: dict[str, str] = field(default_factory=dict)
    teams: frozenset[str] = frozenset()
    aliases: dict[str, str] = field(default_factory=dict)
    # names as sources spell them -> the league's code, filled as they are met: a games file
    # names the same 30 teams in each of its rows
    _spelled: dict[str, str | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    names: dict[str, str] = field(default_factory=dict)  # team code -> full name
    # The replay games file's format (spread_eagle.ingest.parsers.games_file.FORMATS).
    games_format: str = "nflverse"
    # The replay's bundled files (in spread_eagle/data), when the league has them.
    bundled_games_file: str | None = None
    bundled_lines_file: str | None = None
    game_types: tuple[str, ...] = ("REG", "WC", "DIV", "CON", "SB")
    # The season calendar: a season starts on `season_starts` (MM-DD) and is named by the year it
    # starts in (`start_year`, the NFL's 2024 season ends in February 2025) or ends in (`end_year`).
    season_starts: str = "06-01"
    season_named_by: str = "start_year"
    # dbt builds this league's relations in `<layer><suffix>` schemas (facts_nba.fct__game), so two
    # leagues share one warehouse without one's build replacing the other's tables.
    schema_suffix: str | None = None
    # What the facts' dbt tests hold lines and final scores to (a value outside fails the build).
    bounds: dict[str, float] = field(
        default_factory=lambda: {
            "spread_line_max": 35,
            "total_line_min": 20,
            "total_line_max": 90,
            "total_points_max": 150,
        }
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def season_of(self, day: date) -> int:
        """The season a league-local date belongs to, as the league names seasons."""
        month, dom = (int(part) for part in self.season_starts.split("-"))
        start_year = day.year if (day.month, day.day) >= (month, dom) else day.year - 1
        return start_year + 1 if self.season_named_by == "end_year" else start_year

    def schema(self, layer: str) -> str:
        """The schema of one of dbt's layers (staging, intermediate, facts, features, ui) for this
        league: the layer's name plus `schema_suffix` (default `_<league>`)."""
        suffix = f"_{self.league}" if self.schema_suffix is None else self.schema_suffix
        return f"{layer}{suffix}"

    def team_id(self, name: str | None) -> str | None:
        """A source's team name or code -> the league's code; None when unknown (quarantine it)."""
        if name is None:
            return None
        if name not in self._spelled:
            self._spelled[name] = self.aliases.get(" ".join(name.split()).casefold())
        return self._spelled[name]


PACKAGE_FOLDER = Path(str(resources.files("spread_eagle.leagues")))


def _read_csv(folder: Path, name: str) -> list[dict[str, str]]:
    path = folder / name
    if not path.is_file():
        return []
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


def known_leagues(folder: Path | None = None) -> list[str]:
    """Every league with a config: the bundled ones and those of `folder` (SPREAD_EAGLE_LEAGUES_DIR)."""
    folders = [PACKAGE_FOLDER] + ([folder] if folder is not None and folder.is_dir() else [])
    return sorted({p.name.removesuffix(".yaml") for f in folders for p in f.glob("*.yaml")})


@cache
def load_league(league: str, folder: Path | None = None) -> League:
    """A league from its data: `<league>.yaml` (constants), `<league>_teams.csv` and the aliases of
    `team_alias.csv`, in `folder` (SPREAD_EAGLE_LEAGUES_DIR) or else the bundled leagues."""
    folder = (
        folder if folder is not None and (folder / f"{league}.yaml").is_file() else PACKAGE_FOLDER
    )
    config_file = folder / f"{league}.yaml"
    if not config_file.is_file():
        known = known_leagues()
        raise UnknownLeagueError(f"unknown league {league!r}; known leagues: {', '.join(known)}")
    config: dict[str, Any] = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    teams = [row for row in _read_csv(folder, f"{league}_teams.csv") if row["league"] == league]
    if not teams:
        raise UnknownLeagueError(
            f"league {league!r} has no teams in {folder / f'{league}_teams.csv'}"
        )
    aliases: dict[str, str] = {}
    for row in teams:
        aliases[row["team_id"].casefold()] = row["team_id"]
        aliases[row["name"].casefold()] = row["team_id"]
    for row in _read_csv(folder, "team_alias.csv"):
        if row["league"] == league:
            aliases[" ".join(row["alias"].split()).casefold()] = row["team_id"]
    if "game_types" in config:
        config["game_types"] = tuple(config["game_types"])
    if config.get("season_named_by", "start_year") not in ("start_year", "end_year"):
        raise UnknownLeagueError(
            f"{config_file}: season_named_by must be start_year or end_year, "
            f"not {config['season_named_by']!r}"
        )
    return League(
        teams=frozenset(row["team_id"] for row in teams),
        aliases=aliases,
        names={row["team_id"]: row["name"] for row in teams},
        **{k: v for k, v in config.items() if k in League.__dataclass_fields__},
    )
