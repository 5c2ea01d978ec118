"""The NBA through configuration and providers: its file's parser (sign, game ids, quarantined
flaws), the replay of that file as of a clock, and The Odds API and ESPN with the league set to
the NBA, on responses in those services' formats (The Odds API's is a saved real NBA response; the
ESPN scoreboard is built from the saved real NFL capture's shape, tests/fixtures/build)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

from spread_eagle.ingest.http import HttpClient
from spread_eagle.ingest.parsers.nba_csv import HEADER, parse_nba_csv
from spread_eagle.ingest.parsers.nflverse_csv import COLUMNS, spread_home
from spread_eagle.ingest.payload import Payload
from spread_eagle.ingest.providers.espn import EspnProvider
from spread_eagle.ingest.providers.odds_api import OddsApiProvider
from spread_eagle.ingest.providers.replay import ReplayProvider, game_dates
from spread_eagle.leagues import load_league
from tests.conftest import make_settings
from tests.ingest.conftest import FIXTURES, fixture_text

NBA = load_league("nba")
SMALL = FIXTURES / "leagues" / "nba_games_2024-01-10_15.csv"
DAY = date(2024, 1, 15)
# real rows of the bundled file: TOR a 6.5-point home underdog to BOS; BOS a 6.5-point home favorite
BOS_AT_TOR = (
    "2024,2024-01-15,True,False,bos,tor,105,96,29,25,27,24,0,25,30,16,25,0,away,6.5,238.5,,,,,0,1"
)
DAL_AT_BOS = (
    "2024,2024-06-17,False,True,dal,bos,88,106,18,28,21,21,0,28,39,19,20,0,home,6.5,210.5,,,,,1,0"
)


def _parse(*rows: str):  # type: ignore[no-untyped-def]
    body = ",".join(HEADER) + "\n" + "\n".join(rows) + "\n"
    payload = Payload(
        "replay", "games.csv#date", body, datetime(2024, 7, 1, tzinfo=UTC), "text/csv"
    )
    return parse_nba_csv(payload, NBA)


def _row(parsed, n: int = 0) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return dict(zip(COLUMNS, parsed.rows[n], strict=True))


def test_the_favorite_and_its_margin_become_the_home_handicap() -> None:
    parsed = _parse(BOS_AT_TOR, DAL_AT_BOS)
    assert not parsed.quarantined
    tor, bos = _row(parsed, 0), _row(parsed, 1)
    # landed in nflverse's sign (positive = home favored); staging makes it a book's home handicap
    assert tor["spread_line"] == "-6.5" and spread_home(-6.5) == 6.5  # TOR +6.5
    assert bos["spread_line"] == "6.5" and spread_home(6.5) == -6.5  # BOS -6.5
    assert tor["game_id"] == "20240115_BOS_TOR" and tor["game_type"] == "REG"
    assert bos["game_type"] == "POST" and bos["season"] == "2024"
    assert (tor["home_score"], tor["away_score"], tor["result"]) == ("96", "105", "-9")
    assert tor["gametime"] is None  # the file has dates only: the league's default tip-off


def test_flawed_rows_are_quarantined_with_their_reason() -> None:
    parsed = _parse(
        BOS_AT_TOR,
        # the moneyline favors home, the spread favors away
        "2024,2024-01-14,True,False,mia,ny,90,100,1,1,1,1,0,1,1,1,1,0,away,2.5,215,130,-150,,,0,0",
        # no spread, other lines present
        "2020,2019-12-19,True,False,hou,lac,122,117,27,27,36,32,0,28,41,18,30,0,away,,235.5,180,-220,2.5,115.0,,1",
        "2024,2024-01-13,True,False,sea,tor,1,2,0,0,0,0,0,0,0,0,0,0,home,1,200,,,,,0,0",
        "2023,2024-01-13,True,False,bos,mia,1,2,0,0,0,0,0,0,0,0,0,0,home,1,200,,,,,0,0",
        "2024,2024-01-15,True,False,tor,lal,1,2,0,0,0,0,0,0,0,0,0,0,home,1,200,,,,,0,0",
        "2024,2024-01-13,True,False,zzz,lal,1,2,0,0,0,0,0,0,0,0,0,0,home,1,200,,,,,0,0",
    )
    reasons = [q.reason for q in parsed.quarantined]
    assert len(parsed.rows) == 2  # BOS@TOR, and Seattle's code is today's OKC at TOR
    assert _row(parsed, 1)["away_team"] == "OKC"
    assert reasons[0].startswith(
        "the moneyline favors home (-150 / 130) but the spread favors away"
    )
    assert reasons[1] == "no spread (the row has total, moneyline_home, moneyline_away)"
    assert reasons[2].startswith("date 2024-01-13 is not in season 2023")
    assert reasons[3] == "a team plays twice on 2024-01-15"
    assert reasons[4] == "unknown team 'zzz' in away"
    assert all(q.record for q in parsed.quarantined)  # the row itself is kept
    assert parsed.quarantined[0].record_ref == "20240114_MIA_NYK"  # named by the game it would be
    assert parsed.quarantined[4].record_ref == "line 8"  # an unknown team: by its line


def test_a_row_with_more_cells_than_the_header_is_quarantined_by_its_line() -> None:
    parsed = _parse(BOS_AT_TOR, DAL_AT_BOS + ",extra", "2024,2024-01-16,x")
    assert len(parsed.rows) == 1
    (overfull, short) = parsed.quarantined
    assert overfull.reason == "row has more cells than the header"
    assert overfull.record_ref == "line 3" and overfull.record.endswith("1,0")
    assert short.reason.startswith("missing ") and short.record_ref == "line 4"


def test_every_alias_the_sources_use_resolves() -> None:
    file_codes = "atl bkn bos cha chi cle dal den det gs hou ind lac lal mem mia mil min no ny okc orl phi phx por sa sac tor utah wsh"
    assert {NBA.team_id(c) for c in file_codes.split()} == NBA.teams and len(NBA.teams) == 30
    odds_api = json.loads(fixture_text("odds.nba_2024-25_h2h_spreads.json"))
    names = {e["home_team"] for e in odds_api} | {e["away_team"] for e in odds_api}
    assert len(names) == 30 and all(NBA.team_id(n) for n in names)
    espn = "ATL BKN BOS CHA CHI CLE DAL DEN DET GS HOU IND LAC LAL MEM MIA MIL MIN NO NY OKC ORL PHI PHX POR SAC SA TOR UTAH WSH"
    assert {NBA.team_id(c) for c in espn.split()} == NBA.teams
    relocated = {
        "NJN": "BKN",
        "New Jersey Nets": "BKN",
        "SEA": "OKC",
        "Seattle SuperSonics": "OKC",
        "NOH": "NOP",
        "NOK": "NOP",
        "New Orleans Hornets": "NOP",
        "Charlotte Bobcats": "CHA",
        "LA Clippers": "LAC",
    }
    assert {alias: NBA.team_id(alias) for alias in relocated} == relocated


def test_the_league_calendar_and_constants() -> None:
    assert NBA.season_of(date(2023, 10, 24)) == 2024 and NBA.season_of(date(2024, 6, 17)) == 2024
    assert NBA.season_of(date(2020, 10, 11)) == 2020  # the bubble finals
    assert NBA.schema("facts") == "facts_nba" and load_league("nfl").schema("facts") == "facts"
    assert NBA.default_kickoff_time == "19:30" and NBA.timezone == "America/New_York"
    assert (
        2.5 < NBA.home_field_points < 4
        and 10 < NBA.margin_sd < 13
        and "qb_new" not in NBA.models["ratings"]
    )


def test_replay_serves_the_file_as_the_clock_saw_it() -> None:
    provider = ReplayProvider(NBA, SMALL)
    assert game_dates(SMALL, NBA)[-1] == DAY
    before = provider.fetch_schedule(DAY, datetime(2024, 1, 15, 20, 0, tzinfo=UTC))
    parsed = provider.parse(before[0])
    assert len(parsed.rows) == 11 and not parsed.quarantined
    tor = next(_row(parsed, n) for n in range(11) if _row(parsed, n)["home_team"] == "TOR")
    # before the close (00:25 UTC) no line, before the final no score
    assert tor["spread_line"] is None and tor["home_score"] is None
    # 19:30 Eastern, the league's default tip-off, is 00:30 UTC the next day
    assert {g.kickoff_at.astimezone(UTC) for g in parsed.expected_games} == {
        datetime(2024, 1, 16, 0, 30, tzinfo=UTC)
    }
    after = provider.parse(provider.fetch_schedule(DAY, datetime(2024, 1, 16, 11, tzinfo=UTC))[0])
    tor = next(_row(after, n) for n in range(11) if _row(after, n)["home_team"] == "TOR")
    assert (tor["spread_line"], tor["home_score"]) == ("-6.5", "96")
    results = provider.fetch_results(DAY, datetime(2024, 1, 16, 11, tzinfo=UTC))
    assert [p.params["season"] for p in results] == ["2024"]
    assert len(provider.parse(results[0]).rows) == 49


def _client(source: str, body: str, seen: list[str]) -> HttpClient:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, headers={"Content-Type": "application/json"}, text=body)

    return HttpClient(
        source=source,
        base_url="http://scripted.test",
        transport=httpx.MockTransport(handle),
        timeout_seconds=1,
        max_attempts=1,
        backoff_seconds=0,
    )


def test_odds_api_takes_the_sport_from_the_league(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "duckdb:///x.duckdb", odds_api_key="k")
    seen: list[str] = []
    body = fixture_text("odds.nba_2024-25_h2h_spreads.json")
    provider = OddsApiProvider(settings, NBA, _client("odds_api", body, seen))
    payloads = provider.fetch_lines(date(2024, 10, 22), datetime(2024, 10, 22, 12, tzinfo=UTC))
    assert seen and set(seen) == {"/v4/sports/basketball_nba/odds"}
    parsed = provider.parse(payloads[0])
    assert parsed.rows and not parsed.quarantined
    rows = [dict(zip(parsed.columns, r, strict=True)) for r in parsed.rows]
    assert {r["sport_key"] for r in rows} == {"basketball_nba"}
    assert all(r["home_team_id"] in NBA.teams and r["away_team_id"] in NBA.teams for r in rows)
    # Boston -5 at home against New York (draftkings): the outcome's point is that team's handicap
    celtics = [
        r
        for r in rows
        if (r["bookmaker_key"], r["market_key"], r["outcome_name"])
        == ("draftkings", "spreads", "Boston Celtics")
        and r["event_id"] == "92cf7db605a734b10e69eabf56e1eac9"
    ]
    assert celtics and float(str(celtics[0]["point"])) == -5.0
    assert (celtics[0]["home_team_id"], celtics[0]["away_team_id"]) == ("BOS", "NYK")


def test_espn_takes_the_sport_from_the_league() -> None:
    seen: list[str] = []
    body = fixture_text("scoreboard.nba_2024-01-15_built_from_nfl_shape.json")
    provider = EspnProvider(NBA, _client("espn", body, seen))
    payloads = provider.fetch_schedule(DAY, datetime(2024, 1, 16, 1, tzinfo=UTC))
    assert set(seen) == {"/apis/site/v2/sports/basketball/nba/scoreboard"}
    parsed = provider.parse(payloads[0])
    assert not parsed.quarantined and len(parsed.rows) == 3
    games = {(g.away_team, g.home_team) for g in parsed.expected_games}
    assert games == {("BOS", "TOR"), ("GSW", "MEM"), ("IND", "UTA")}  # GS, UTAH: ESPN's codes
