"""`run-daily` end to end with the odds from The Odds API (a local server replaying the real 2022
week 8 response) and the schedule from the replay."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from spread_eagle.pipeline.runner import run_daily
from spread_eagle.publish.slate import read_slate
from spread_eagle.warehouse import connect
from tests.conftest import make_settings
from tests.ingest.conftest import Reply, Scripted, fixture_text

pytestmark = pytest.mark.slow

API_KEY = "sekrit-odds-key-e2e-77"


def test_run_daily_with_odds_api_publishes_every_game_with_its_lines(
    tmp_path: Path, warehouse_url: str, http_server: Scripted
) -> None:
    http_server.route(
        "/v4/sports/americanfootball_nfl/odds",
        Reply(
            body=fixture_text("odds.nfl_2022w8_h2h_spreads_totals.json"),
            headers={"Content-Type": "application/json", "x-requests-remaining": "499"},
        ),
    )
    settings = make_settings(
        tmp_path,
        warehouse_url,
        odds_provider="odds_api",
        odds_api_key=API_KEY,
        odds_api_base_url=http_server.url,
    )
    report = run_daily(settings, run_date=date(2022, 10, 30))  # as_of: 06:00 ET the next morning
    assert report.ok, report.error
    with connect(settings.database_url) as wh:
        slate = read_slate(wh, "nfl", date(2022, 10, 30))
        fanduel = wh.query(
            "select game_id, side, line, price_american from facts.fct__market_snapshot"
            " where book_id = 'fanduel' and market_id = 'spreads' and game_id = '2022_08_DEN_JAX' order by side"
        )
        books = wh.query(
            "select distinct source_id from facts.fct__market_snapshot m"
            " join facts.fct__game g on g.game_id = m.game_id where g.game_date = ? order by source_id",
            (date(2022, 10, 30),),
        )
        fanduel_games = wh.scalar(
            "select count(distinct m.game_id) from facts.fct__market_snapshot m join facts.fct__game g"
            " on g.game_id = m.game_id where m.book_id = 'fanduel' and g.game_date = ?",
            (date(2022, 10, 30),),
        )
        ledger = wh.query(
            "select row_counts from ops.step_run where run_id = ? and step = 'ingest_slate'",
            (report.run_id,),
        )
    assert len(slate["games"]) == 13
    assert (
        fanduel_games == 13
    )  # every game of the date matched its Odds API event (GB@BUF at 00:20 UTC too)
    # DEN @ JAX: JAX (home) -2.5 at -105, DEN +2.5 at -115
    assert [(r["side"], r["line"], r["price_american"]) for r in fanduel] == [
        ("away", 2.5, -115),
        ("home", -2.5, -105),
    ]
    # the odds come from The Odds API; the replayed schedule row still carries nflverse's closing line
    assert [r["source_id"] for r in books] == ["nflverse", "odds_api"]
    assert '"odds_api_requests_remaining": "499"' in ledger[0]["row_counts"]
    log_text = "".join(p.read_text() for p in (tmp_path / "logs").rglob("*.jsonl"))
    assert API_KEY not in log_text
