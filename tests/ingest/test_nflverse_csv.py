"""The nflverse games CSV parser and its one Python copy of the spread sign conversion."""

from __future__ import annotations

import csv

from spread_eagle.config import BUNDLED_GAMES_FILE
from spread_eagle.ingest.parsers.nflverse_csv import spread_home


def _row(game_id: str) -> dict[str, str]:
    with BUNDLED_GAMES_FILE.open(encoding="utf-8-sig", newline="") as handle:
        return next(r for r in csv.DictReader(handle) if r["game_id"] == game_id)


def test_spread_home_is_minus_nflverse_spread_line() -> None:
    # 2024_12_KC_CAR: nflverse spread_line -11 (KC favored), so CAR is an 11-point home underdog:
    # the same answer staging's unit test pins for stg__nflverse__game.
    kc_car = _row("2024_12_KC_CAR")
    assert (kc_car["home_team"], float(kc_car["spread_line"])) == ("CAR", -11.0)
    assert spread_home(float(kc_car["spread_line"])) == 11.0
    assert spread_home(float(_row("2020_01_HOU_KC")["spread_line"])) == -9.5  # KC -9.5 at home
    assert spread_home(None) is None
