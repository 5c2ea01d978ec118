"""The replay provider shows a date as a live source would have at the run's as-of time."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from spread_eagle.config import BUNDLED_GAMES_FILE
from spread_eagle.ingest.providers.replay import ReplayProvider
from spread_eagle.leagues import load_league

NFL = load_league("nfl")


def _rows(body: str) -> dict[str, dict[str, str]]:
    return {r["game_id"]: r for r in csv.DictReader(io.StringIO(body))}


def test_schedule_before_kickoff_has_no_scores_and_no_closing_line_yet() -> None:
    provider = ReplayProvider(NFL, BUNDLED_GAMES_FILE)
    morning = datetime(2024, 11, 24, 14, 0, tzinfo=UTC)  # 9 am ET
    [payload] = provider.fetch_schedule(date(2024, 11, 24), morning)
    rows = _rows(payload.body)
    assert len(rows) == 11
    assert (
        rows["2024_12_KC_CAR"]["home_score"] == "" and rows["2024_12_KC_CAR"]["spread_line"] == ""
    )
    parsed = provider.parse(payload)
    assert len(parsed.expected_games) == 11 and not parsed.quarantined


def test_schedule_after_close_has_lines_and_finals_only_when_final() -> None:
    provider = ReplayProvider(NFL, BUNDLED_GAMES_FILE)
    during_late_games = datetime(2024, 11, 24, 22, 0, tzinfo=UTC)  # 5 pm ET
    rows = _rows(provider.fetch_schedule(date(2024, 11, 24), during_late_games)[0].body)
    assert rows["2024_12_KC_CAR"]["spread_line"] == "-11"  # closed 12:55 ET
    assert rows["2024_12_KC_CAR"]["home_score"] == "27"  # 1 pm game final by 5 pm
    assert rows["2024_12_SF_GB"]["home_score"] == ""  # 4:25 pm game still on
    assert rows["2024_12_PHI_LA"]["spread_line"] == ""  # SNF line not closed yet


def test_results_are_per_season_and_only_final_games() -> None:
    provider = ReplayProvider(NFL, BUNDLED_GAMES_FILE)
    payloads = provider.fetch_results(date(2024, 11, 24), datetime(2024, 11, 25, 11, 0, tzinfo=UTC))
    assert [p.params["season"] for p in payloads] == [str(s) for s in range(1999, 2025)]
    latest = _rows(payloads[-1].body)
    assert (
        "2024_12_PHI_LA" in latest and "2024_12_BAL_LAC" not in latest
    )  # Monday's game not final yet
    again = provider.fetch_results(date(2024, 11, 24), datetime(2024, 11, 25, 11, 0, tzinfo=UTC))
    assert [p.payload_id for p in payloads] == [
        p.payload_id for p in again
    ]  # same as-of, same payloads


def test_bad_rows_are_quarantined_not_dropped(tmp_path) -> None:
    source = BUNDLED_GAMES_FILE.read_text(encoding="utf-8").splitlines()
    header = source[0]
    week = [line for line in source if ",2024-11-24," in line]
    broken = [week[0].replace(",KC,", ",Kansas City Wizards,", 1), week[1], week[1]]
    games = tmp_path / "games.csv"
    games.write_text("\n".join([header, *broken, *week[2:]]) + "\n", encoding="utf-8")
    provider = ReplayProvider(NFL, games)
    [payload] = provider.fetch_schedule(
        date(2024, 11, 24), datetime(2024, 11, 25, 11, 0, tzinfo=UTC)
    )
    parsed = provider.parse(payload)
    reasons = sorted(q.reason for q in parsed.quarantined)
    assert any("unknown team 'Kansas City Wizards'" in r for r in reasons)
    assert any("duplicate game_id" in r for r in reasons)
    assert len(parsed.rows) + len(parsed.quarantined) == 12  # 11 games + the duplicate
