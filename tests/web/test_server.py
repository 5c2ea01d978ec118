"""`spread-eagle serve` over a warehouse where the real 2024-11-24 slate was published, on every engine.

Requests go to 127.0.0.1 only, with a timeout.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from datetime import date

import pytest
from typer.testing import CliRunner

from spread_eagle.cli import app
from spread_eagle.config import Settings
from spread_eagle.predict.backtest import evaluate
from spread_eagle.publish.slate import read_slate
from spread_eagle.warehouse import connect, duckdb_path
from tests.web.conftest import SUNDAY, Running, duckdb_only

pytestmark = pytest.mark.slow

EVIL = '<script>alert("tldr")</script> & <b>bold</b>'


def _stored_slate(settings: Settings, day: date = SUNDAY) -> dict:
    with connect(settings.database_url) as wh:
        return read_slate(wh, "nfl", day)


def _card(page: str, game_id: str) -> str:
    match = re.search(rf'<article class="game" id="{game_id}">(.*?)</article>', page, re.S)
    assert match, f"no card for {game_id}"
    return match.group(1)


def test_api_slate_is_exactly_the_published_document(running: Running, tmp_path) -> None:
    response = running.client.get("/api/slates/2024-11-24")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == _stored_slate(running.settings)
    # ... and byte for byte what `slate --date D --json` prints
    env = {
        "SPREAD_EAGLE_DATABASE_URL": running.settings.database_url,
        "SPREAD_EAGLE_LOG_DIR": str(tmp_path),
    }
    cli = CliRunner().invoke(app, ["slate", "--date", "2024-11-24", "--json"], env=env)
    assert cli.exit_code == 0, cli.output
    assert response.text == cli.stdout


def test_api_slates_lists_published_dates_newest_first(running: Running) -> None:
    response = running.client.get("/api/slates", params={"league": "nfl"})
    assert response.status_code == 200
    slates = response.json()
    sunday = next(s for s in slates if s["date"] == "2024-11-24")
    assert sunday["games"] == 11 and sunday["league"] == "nfl"
    assert sunday["run_id"] == _stored_slate(running.settings)["run_id"]
    assert [s["date"] for s in slates] == sorted((s["date"] for s in slates), reverse=True)
    assert running.client.get(sunday["url"]).json()["games"]


def test_slate_page_shows_every_game_in_kickoff_order(running: Running) -> None:
    response = running.client.get("/slates/2024-11-24")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    doc = _stored_slate(running.settings)
    shown = re.findall(r'<article class="game" id="([^"]+)">', page)
    assert shown == [g["game_id"] for g in doc["games"]] and len(shown) == 11

    kc_car = _card(page, "2024_12_KC_CAR")
    assert "KC @ CAR" in kc_car
    assert '<dd class="line">CAR +11</dd>' in kc_car  # the home handicap as a book prints it
    assert "O/U 43" in kc_car and "KC -700" in kc_car and "CAR +500" in kc_car
    assert "1:00 PM EST" in kc_car  # 18:00Z in league-local time
    assert "Final: KC 30 - 27 CAR" in kc_car and "CAR covered" in kc_car
    game = next(g for g in doc["games"] if g["game_id"] == "2024_12_KC_CAR")
    assert html.escape(game["tldr"]["text"]) in kc_car
    assert "No play" in kc_car  # the published prediction has no play on this game
    # Sunday night PHI @ LA: 01:20Z the next day is still 8:20 PM on the slate's date
    assert "8:20 PM EST" in _card(page, "2024_12_PHI_LA")
    # self-contained: nothing is loaded from elsewhere
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_index_links_each_published_slate(running: Running) -> None:
    response = running.client.get("/")
    assert response.status_code == 200
    assert 'href="/slates/2024-11-24?league=nfl"' in response.text and "11 games" in response.text


def test_unpublished_and_malformed_dates(running: Running) -> None:
    client = running.client
    missing = client.get("/api/slates/2024-11-23")
    assert missing.status_code == 404
    assert "no slate is published for nfl 2024-11-23" in missing.json()["error"]
    page = client.get("/slates/2024-11-23")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "spread-eagle run-daily --date 2024-11-23" in page.text
    for bad in ("2024-11-5", "2024-02-30", "yesterday", "2024-11-24x"):
        assert client.get(f"/api/slates/{bad}").status_code == 400, bad
        assert client.get(f"/slates/{bad}").status_code == 400, bad
    assert "not a date" in client.get("/api/slates/24-11-2024").json()["error"]
    assert client.get("/api/slates/2024-11-24", params={"league": "curling"}).status_code == 400
    assert client.get("/no/such/page").status_code == 404
    assert client.post("/api/slates/2024-11-24").status_code == 405
    assert client.get("/healthz").json() == {"status": "ok", "warehouse": "ok"}


WRITER = """
import json, sys
from spread_eagle.warehouse import connect, duckdb_path
url, source_day, day, text = sys.argv[1:]
with connect(url) as wh, wh.transaction():
    header = wh.query("select * from publish.slate where league = 'nfl' and run_date = ?", (source_day,))[0]
    header["run_date"] = day
    wh.insert_rows("publish.slate", list(header), [list(header.values())])
    for row in wh.query("select * from publish.slate_game where league = 'nfl' and run_date = ?", (source_day,)):
        card = json.loads(row["card_json"])
        card["tldr"]["text"] = text
        row["run_date"], row["card_json"] = day, json.dumps(card)
        wh.insert_rows("publish.slate_game", list(row), [list(row.values())])
"""


def test_another_process_can_publish_while_the_server_runs_and_text_is_escaped(
    running: Running,
) -> None:
    client = running.client
    assert (
        client.get("/api/slates/2030-01-06").status_code == 404
    )  # the server has read the warehouse
    # A second process writes to the warehouse while the server is up: the server must not hold
    # the DuckDB file between requests (a daily run could not publish otherwise).
    writer = subprocess.run(
        [
            sys.executable,
            "-c",
            WRITER,
            running.settings.database_url,
            "2024-11-24",
            "2030-01-06",
            EVIL,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert writer.returncode == 0, writer.stderr
    try:
        doc = client.get("/api/slates/2030-01-06").json()
        assert doc["games"][0]["tldr"]["text"] == EVIL
        assert client.get("/api/slates").json()[0]["date"] == "2030-01-06"  # newest first
        page = client.get("/slates/2030-01-06").text
        assert "<script>alert" not in page and "<b>bold" not in page
        assert html.escape(EVIL) in page
    finally:
        with connect(running.settings.database_url) as wh:
            wh.execute("delete from publish.slate_game where run_date = ?", (date(2030, 1, 6),))
            wh.execute("delete from publish.slate where run_date = ?", (date(2030, 1, 6),))
    assert client.get("/api/slates/2030-01-06").status_code == 404


def test_empty_warehouse_is_served_without_creating_it(empty_server: Running) -> None:
    index = empty_server.client.get("/")
    assert index.status_code == 200 and "No slate is published yet" in index.text
    assert empty_server.client.get("/api/slates").json() == []
    assert empty_server.client.get("/api/slates/2024-11-24").status_code == 404
    assert empty_server.client.get("/healthz").status_code == 200
    assert not duckdb_path(empty_server.settings.database_url).exists()


HOLDER = """
import sys
import duckdb
conn = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.read()
conn.close()
"""


@duckdb_only
def test_a_request_while_another_process_holds_the_duckdb_file_is_a_503(running: Running) -> None:
    url = running.settings.database_url
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(duckdb_path(url))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        busy = running.client.get("/api/slates/2024-11-24")
        assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
        assert "busy" in busy.json()["error"]
        assert running.client.get("/slates/2024-11-24").status_code == 503
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert (
        running.client.get("/api/slates/2024-11-24").status_code == 200
    )  # served again once released


def test_backtest_predictions_equal_the_published_ones(running: Running) -> None:
    """The backtest evaluates the model the daily run publishes: same history window and inputs."""
    with connect(running.settings.database_url) as wh:
        slate = read_slate(wh, "nfl", SUNDAY)
    _, forecasts = evaluate(running.settings, 2024, 2024)
    backtested = {f.game.game_id: f.prediction for f in forecasts if f.game.game_date == SUNDAY}
    assert set(backtested) == {g["game_id"] for g in slate["games"]}
    for game in slate["games"]:
        live, replayed = game["predictions"][0], backtested[game["game_id"]]
        assert (
            live["margin_home"],
            live["total"],
            live["p_home_win"],
            live["p_home_cover"],
            live["play"],
        ) == (
            replayed.margin_home,
            replayed.total,
            replayed.p_home_win,
            replayed.p_home_cover,
            replayed.play,
        ), game["game_id"]
