"""The replay provider shows a date as a live source would have at the run's as-of time."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

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


def test_results_come_by_period_of_play_and_only_final_games() -> None:
    provider = ReplayProvider(NFL, BUNDLED_GAMES_FILE)
    monday_morning = datetime(2024, 11, 25, 11, 0, tzinfo=UTC)
    payloads = provider.fetch_results(date(2024, 11, 24), monday_morning)
    params = [{k: v for k, v in p.params.items() if k != "file"} for p in payloads]
    november = ["2024-11-03", "2024-11-04", "2024-11-07", "2024-11-10", "2024-11-11"]
    november += ["2024-11-14", "2024-11-17", "2024-11-18", "2024-11-21", "2024-11-24"]
    assert params == [  # finished seasons whole, finished months whole, the month under way by day
        *({"season": str(s)} for s in range(1999, 2024)),
        {"season": "2024", "month": "2024-09"},
        {"season": "2024", "month": "2024-10"},
        *({"season": "2024", "month": "2024-11", "date": d} for d in november),
    ]
    sunday = _rows(payloads[-1].body)
    assert "2024_12_PHI_LA" in sunday and "2024_12_BAL_LAC" not in sunday  # Monday's: not yet
    again = provider.fetch_results(date(2024, 11, 24), monday_morning)
    assert [p.payload_id for p in payloads] == [p.payload_id for p in again]  # same clock, same
    # a day on, only the new day is new: a day's run adds its day, not the season again
    tuesday = provider.fetch_results(date(2024, 11, 26), monday_morning + timedelta(days=1))
    new = [p for p in tuesday if p.payload_id not in {q.payload_id for q in payloads}]
    assert [(p.params["date"], list(_rows(p.body))) for p in new] == [
        ("2024-11-25", ["2024_12_BAL_LAC"])
    ]
    # once November is over, it comes whole
    december = provider.fetch_results(date(2024, 12, 3), monday_morning + timedelta(days=8))
    assert {"season": "2024", "month": "2024-11"} in [
        {k: v for k, v in p.params.items() if k != "file"} for p in december
    ]


def test_a_season_whose_last_game_is_final_comes_whole() -> None:
    provider = ReplayProvider(NFL, BUNDLED_GAMES_FILE)
    payloads = provider.fetch_results(date(2024, 3, 1), datetime(2024, 3, 1, 11, 0, tzinfo=UTC))
    last = payloads[-1]
    assert last.params == {"file": BUNDLED_GAMES_FILE.name, "season": "2023"}
    assert len(_rows(last.body)) == 285  # the 2023 season's every game, Super Bowl included


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
