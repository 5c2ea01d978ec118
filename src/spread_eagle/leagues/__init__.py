"""Leagues are data: constants in `<league>.yaml`, teams and aliases in CSV files.

`team_alias.csv` and `<league>_teams.csv` are also dbt seeds (dbt_project.yml points at this
folder), so Python and SQL resolve team names from the same single table.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
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
    names: dict[str, str] = field(default_factory=dict)  # team code -> full name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def team_id(self, name: str | None) -> str | None:
        """A source's team name or code -> the league's code; None when unknown (quarantine it)."""
        if name is None:
            return None
        key = " ".join(name.split()).casefold()
        return self.aliases.get(key)


PACKAGE_FOLDER = Path(str(resources.files("spread_eagle.leagues")))


def _read_csv(folder: Path, name: str) -> list[dict[str, str]]:
    path = folder / name
    if not path.is_file():
        return []
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


@cache
def load_league(league: str, folder: Path | None = None) -> League:
    """A league from its data: `<league>.yaml` (constants), `<league>_teams.csv` and the aliases of
    `team_alias.csv`, in `folder` (SPREAD_EAGLE_LEAGUES_DIR) or else the bundled leagues."""
    folder = (
        folder if folder is not None and (folder / f"{league}.yaml").is_file() else PACKAGE_FOLDER
    )
    config_file = folder / f"{league}.yaml"
    if not config_file.is_file():
        known = sorted(p.name.removesuffix(".yaml") for p in PACKAGE_FOLDER.glob("*.yaml"))
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
    return League(
        teams=frozenset(row["team_id"] for row in teams),
        aliases=aliases,
        names={row["team_id"]: row["name"] for row in teams},
        **{k: v for k, v in config.items() if k in League.__dataclass_fields__},
    )
