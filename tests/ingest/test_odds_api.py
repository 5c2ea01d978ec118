"""The Odds API v4 provider against a local server replaying the real 2022 week 8 response, on every
engine: every event, book and market lands with the right sign; faults give their documented outcome
and never lose or duplicate what is stored; the API key never shows anywhere."""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from spread_eagle.config import Settings
from spread_eagle.ingest import steps
from spread_eagle.pipeline.runner import run_ingest
from spread_eagle.warehouse import connect
from tests.conftest import make_settings
from tests.ingest.conftest import Reply, Scripted, fixture_text, season_games_file

SUNDAY = date(2022, 10, 30)
AS_OF = datetime(
    2022, 10, 30, 12, 0, tzinfo=UTC
)  # after the fixture's captures (10-29), before kickoffs
ODDS_PATH = "/v4/sports/americanfootball_nfl/odds"
ODDS_FIXTURE = "odds.nfl_2022w8_h2h_spreads_totals.json"
API_KEY = "sekrit-odds-key-5f3a9c"
QUOTA = {
    "Content-Type": "application/json",
    "x-requests-remaining": "480",
    "x-requests-used": "20",
    "x-requests-last": "3",
}


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr(
        steps, "HTTP_OPTIONS", dataclasses.replace(steps.HTTP_OPTIONS, sleep=recorded.append)
    )
    return recorded


def odds_settings(tmp_path: Path, url: str, server: Scripted) -> Settings:
    return make_settings(
        tmp_path,
        url,
        odds_provider="odds_api",
        odds_api_key=API_KEY,
        odds_api_base_url=server.url,
        http_timeout_seconds=0.5,
        http_max_attempts=3,
        games_file=season_games_file(tmp_path, 2022),
    )


def _counts(settings: Settings) -> dict[str, int]:
    with connect(settings.database_url) as wh:
        return {
            t: wh.scalar(f"select count(*) from {t}")
            for t in ("raw.payload", "raw.odds_api_outcome", "raw.quarantine", "raw.http_response")
        }


def _rows(settings: Settings, sql: str, params: tuple = ()) -> list[dict]:
    with connect(settings.database_url) as wh:
        return wh.query(sql, params)


def test_every_event_book_and_market_lands_with_the_right_sign(
    tmp_path: Path,
    warehouse_url: str,
    http_server: Scripted,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    http_server.route(ODDS_PATH, Reply(body=fixture_text(ODDS_FIXTURE), headers=QUOTA))
    settings = odds_settings(tmp_path, warehouse_url, http_server)
    caplog.set_level(logging.DEBUG, logger="spread_eagle")
    report = run_ingest(settings, run_date=SUNDAY, as_of=AS_OF)
    assert report.ok, report.error

    events = json.loads(fixture_text(ODDS_FIXTURE))
    outcomes = sum(
        len(m["outcomes"]) for e in events for b in e["bookmakers"] for m in b["markets"]
    )
    assert _counts(settings)["raw.odds_api_outcome"] == outcomes == 162
    landed = _rows(
        settings,
        "select count(distinct event_id) as events, count(distinct bookmaker_key) as books,"
        " count(distinct market_key) as markets from raw.odds_api_outcome",
    )[0]
    assert landed == {"events": 27, "books": 1, "markets": 3}
    # DEN @ JAX (London): Jacksonville -2.5, i.e. the home team is favored.
    jax = _rows(
        settings,
        "select outcome_name, point, price, home_team_id, away_team_id from raw.odds_api_outcome"
        " where event_id = ? and market_key = 'spreads' order by outcome_name",
        ("0c056485fc7897af7947e667069e420b",),
    )
    assert [(r["outcome_name"], r["point"], r["price"]) for r in jax] == [
        ("Denver Broncos", "2.5", "-115"),
        ("Jacksonville Jaguars", "-2.5", "-105"),
    ]
    assert (jax[0]["home_team_id"], jax[0]["away_team_id"]) == ("JAX", "DEN")

    # quota headers reach the ledger
    assert report.counts["ingest_slate"]["odds_api_requests_remaining"] == "480"
    assert report.counts["ingest_slate"]["odds_api_requests_used"] == "20"
    assert report.counts["ingest_slate"]["games_scheduled"] == 13
    # the commence window asked for is the league-local day
    query = next(q for p, q, _ in http_server.requests if p == ODDS_PATH)
    assert "commenceTimeFrom=2022-10-30T04%3A00%3A00Z" in query and f"apiKey={API_KEY}" in query

    # the key is nowhere we keep or print
    stored = json.dumps(
        _rows(settings, "select * from raw.payload where source = 'odds_api'"), default=str
    )
    stored += json.dumps(_rows(settings, "select * from raw.http_response"), default=str)
    stored += json.dumps(_rows(settings, "select * from ops.step_run"), default=str)
    stored += json.dumps(_rows(settings, "select * from ops.run"), default=str)
    assert "apiKey=***" in stored
    assert API_KEY not in stored
    assert API_KEY not in caplog.text

    # the same response again: nothing new is stored (payload deduplicated)
    before = _counts(settings)
    assert run_ingest(settings, run_date=SUNDAY, as_of=AS_OF).ok
    assert _counts(settings) == before


def test_changed_response_appends_only_the_changed_lines(
    tmp_path: Path, warehouse_url: str, http_server: Scripted, sleeps: list[float]
) -> None:
    events = json.loads(fixture_text(ODDS_FIXTURE))
    moved = json.loads(fixture_text(ODDS_FIXTURE))
    spreads = next(m for m in moved[0]["bookmakers"][0]["markets"] if m["key"] == "spreads")
    for outcome in spreads["outcomes"]:  # the line moves a point toward JAX: -2.5 -> -3.5
        outcome["point"] = -3.5 if outcome["name"] == "Jacksonville Jaguars" else 3.5
    moved[0]["bookmakers"][0]["last_update"] = "2022-10-30T11:00:00Z"
    http_server.route(
        ODDS_PATH,
        Reply(body=json.dumps(events), headers=QUOTA),
        Reply(body=json.dumps(moved), headers=QUOTA),
    )
    settings = odds_settings(tmp_path, warehouse_url, http_server)
    assert run_ingest(settings, run_date=SUNDAY, as_of=AS_OF).ok
    assert run_ingest(settings, run_date=SUNDAY, as_of=AS_OF).ok
    # 162 first, then only the two spread outcomes that moved
    history = _rows(
        settings,
        "select point, captured_at from raw.odds_api_outcome where event_id = ?"
        " and market_key = 'spreads' and outcome_name = 'Jacksonville Jaguars' order by captured_at",
        (events[0]["id"],),
    )
    assert [r["point"] for r in history] == ["-2.5", "-3.5"]
    assert _counts(settings)["raw.odds_api_outcome"] == 164


def _unknown_team() -> str:
    events = json.loads(fixture_text(ODDS_FIXTURE))
    stranger = json.loads(json.dumps(events[1]))
    stranger["id"], stranger["home_team"] = "stranger", "London Monarchs"
    return json.dumps([*events, stranger])


def _duplicate_event() -> str:
    events = json.loads(fixture_text(ODDS_FIXTURE))
    return json.dumps([*events, events[3]])


FULL = fixture_text(ODDS_FIXTURE)
# case -> (replies, ok?, message fragment, quarantine reason fragment or None, odds requests made)
FAULTS = {
    "timeout": ([Reply(body=FULL, delay=1.5)], False, "ReadTimeout", None, 3),
    "http_500": (
        [Reply(status=500, body="oops")],
        False,
        "failed after 3 attempts: HTTP 500",
        None,
        3,
    ),
    "http_429_then_200": (
        [Reply(status=429, body="slow down"), Reply(body=FULL, headers=QUOTA)],
        True,
        None,
        None,
        2,
    ),
    "http_401": (
        [Reply(status=401, body='{"message":"API key is not valid"}')],
        False,
        "the API key is missing or wrong",
        None,
        1,
    ),
    "truncated_json": (
        [Reply(body=FULL[: len(FULL) // 2])],
        False,
        "sent nothing usable",
        "truncated or invalid JSON",
        1,
    ),
    "html_error_page": (
        [
            Reply(
                body="<html><body>502 Bad Gateway</body></html>",
                headers={"Content-Type": "text/html"},
            )
        ],
        False,
        "sent nothing usable",
        "wrong content type 'text/html'",
        1,
    ),
    "empty_list": ([Reply(body="[]")], False, "sent no usable line for the 13 games", None, 1),
    "unknown_team": (
        [Reply(body=_unknown_team())],
        True,
        None,
        "unknown team 'London Monarchs' in home_team",
        1,
    ),
    "duplicate_event": ([Reply(body=_duplicate_event())], True, None, "duplicate event", 1),
}


@pytest.mark.parametrize("case", list(FAULTS))
def test_fault_matrix(
    case: str, tmp_path: Path, warehouse_url: str, http_server: Scripted, sleeps: list[float]
) -> None:
    replies, ok, message, reason, requests = FAULTS[case]
    settings = odds_settings(tmp_path, warehouse_url, http_server)
    http_server.route(ODDS_PATH, Reply(body=FULL, headers=QUOTA))
    assert run_ingest(settings, run_date=SUNDAY, as_of=AS_OF).ok
    before = _counts(settings)
    baseline = _rows(
        settings,
        "select payload_id, row_number, price, point from raw.odds_api_outcome"
        " order by payload_id, row_number",
    )
    http_server.requests.clear()
    sleeps.clear()

    http_server.route(ODDS_PATH, *replies)
    report = run_ingest(settings, run_date=SUNDAY, as_of=AS_OF)

    assert report.ok is ok, report.error
    if message:
        assert report.failed_step == "ingest_slate" and message in (report.error or "")
        with connect(settings.database_url) as wh:
            run = wh.query("select status, error from ops.run where run_id = ?", (report.run_id,))[
                0
            ]
        assert run["status"] == "failed" and message in run["error"]
        assert API_KEY not in run["error"]
    assert http_server.hits(ODDS_PATH) == requests
    assert len(sleeps) == (
        requests - 1 if case in ("timeout", "http_500", "http_429_then_200") else 0
    )
    # nothing stored before is lost, nothing is duplicated
    after = _counts(settings)
    assert (
        _rows(
            settings,
            "select payload_id, row_number, price, point from raw.odds_api_outcome"
            " where payload_id in (select payload_id from raw.payload where run_id <> ?)"
            " order by payload_id, row_number",
            (report.run_id,),
        )
        == baseline
    )
    assert (
        after["raw.odds_api_outcome"] == before["raw.odds_api_outcome"]
    )  # unchanged lines are not stored twice
    quarantined = _rows(
        settings,
        "select source, payload_id, reason from raw.quarantine where run_id = ?",
        (report.run_id,),
    )
    if reason:
        assert any(
            reason in q["reason"] and q["source"] == "odds_api" and q["payload_id"]
            for q in quarantined
        ), quarantined
        assert (
            after["raw.payload"] == before["raw.payload"] + 1
        )  # the faulty payload is kept verbatim
    else:
        assert quarantined == []
    # running the same fault again adds nothing
    if case in ("truncated_json", "html_error_page", "unknown_team", "duplicate_event"):
        again = _counts(settings)
        run_ingest(settings, run_date=SUNDAY, as_of=AS_OF)
        assert _counts(settings) == again
