"""The web UI and JSON API (FastAPI TestClient) over the real 2024-11-24 and 2024-11-25 slates,
on every engine: every route, the OpenAPI contract, errors, escaping and freshness."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from typer.testing import CliRunner

from spread_eagle.cli import app as cli
from spread_eagle.config import Settings
from spread_eagle.leagues import load_league
from spread_eagle.publish.documents import export_runs, sidecar_dir
from spread_eagle.run import ledger
from spread_eagle.run.context import RunContext
from spread_eagle.warehouse import Warehouse, connect, duckdb_path
from spread_eagle.web.app import create_app
from tests.conftest import make_settings
from tests.web.conftest import (
    EVIL_DAY,
    EVIL_TEAM,
    EVIL_TLDR,
    MONDAY,
    SUNDAY,
    LiveServer,
    copy_duckdb,
    duckdb_only,
    publish_evil_copy,
    republish,
)

pytestmark = pytest.mark.slow


def validator(client: TestClient, path: str, status: int) -> jsonschema.protocols.Validator:
    """The schema the app's own OpenAPI document declares for GET `path` answering `status`."""
    spec = client.get("/openapi.json").json()
    for template, ops in spec["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            content = ops["get"]["responses"][str(status)]["content"]["application/json"]
            schema = {**content["schema"], "components": spec["components"]}
            return jsonschema.Draft202012Validator(schema)
    raise AssertionError(f"{path} is not in the OpenAPI schema")


def api_get(client: TestClient, path: str, status: int = 200, **params: str) -> Any:
    """GET an API route, check its status and that the body matches the declared schema."""
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    validator(client, path.split("?")[0], status).validate(body)
    return body


def printed_slate(settings: Settings, log_dir: Path, day: str = "2024-11-24") -> str:
    """What `spread-eagle slate --date DAY --json` prints."""
    env = {"SPREAD_EAGLE_DATABASE_URL": settings.database_url, "SPREAD_EAGLE_LOG_DIR": str(log_dir)}
    printed = CliRunner().invoke(cli, ["slate", "--date", day, "--json"], env=env)
    assert printed.exit_code == 0, printed.output
    return printed.stdout


def test_api_slate_is_byte_for_byte_slate_json(
    client: TestClient, published: Settings, tmp_path: Path
) -> None:
    response = client.get("/api/slates/2024-11-24")
    assert response.status_code == 200
    assert response.text == printed_slate(published, tmp_path)
    again = client.get("/api/slates/2024-11-24")  # from the response cache on DuckDB
    assert again.content == response.content and again.headers == response.headers
    with connect(published.database_url) as wh:  # the publication the warehouse holds
        run_id = wh.scalar("select run_id from publish.slate where run_date = '2024-11-24'")
    assert response.json()["run_id"] == run_id and len(response.json()["games"]) == 11


def test_every_api_response_validates_against_the_openapi_schema(client: TestClient) -> None:
    slates = api_get(client, "/api/slates")
    assert [s["date"] for s in slates] == ["2024-11-25", "2024-11-24"]
    assert slates[1]["games"] == 11 and client.get(slates[1]["url"]).status_code == 200
    doc = api_get(client, "/api/slates/2024-11-24", league="nfl")
    for game in doc["games"]:
        detail = api_get(client, f"/api/games/{game['game_id']}")
        assert detail["card"] == game  # the detail belongs to the published slate
        assert detail["run_id"] == doc["run_id"] and detail["tldr_context"]["game"]
        assert all(s["captured_at"] <= detail["as_of"] for s in detail["line_history"])
        assert {p["model"] for p in detail["predictions"]} == {"ratings", "market_blend"}
    runs = api_get(client, "/api/runs")
    assert {r["run_date"] for r in runs} >= {"2024-11-24", "2024-11-25"}
    assert all(r["status"] == "succeeded" for r in runs)  # the snapshot taken at the run's end
    assert [s["step"] for s in runs[0]["steps"]][-1] == "publish"
    assert api_get(client, f"/api/runs/{runs[0]['run_id']}") == runs[0]
    assert api_get(client, "/healthz")["status"] == "ok"
    # errors: JSON with a message, described by the schema too
    assert "2024-11-23" in api_get(client, "/api/slates/2024-11-23", 404)["detail"]
    assert "no published game" in api_get(client, "/api/games/1999_01_XX_YY", 404)["detail"]
    assert api_get(client, "/api/runs/nope", 404)["status"] == 404
    assert "not a date" in api_get(client, "/api/slates/24-11-2024", 400)["detail"]
    for bad in ("2024-11-5", "2024-02-30", "yesterday", "2024-11-24x"):
        assert client.get(f"/api/slates/{bad}").status_code == 400, bad
    assert api_get(client, "/api/slates", 400, league="curling")["detail"]
    missing = client.get("/api/nothing/here")
    assert missing.status_code == 404 and missing.json()["detail"]
    assert client.post("/api/slates/2024-11-24").status_code == 405  # read-only


def _card(page: str, game_id: str) -> str:
    match = re.search(rf'<article class="game" id="{game_id}".*?</article>', page, re.S)
    assert match, f"no card for {game_id}"
    return match.group(0)


def test_slate_page_has_a_card_per_game(client: TestClient) -> None:
    page = client.get("/slates/2024-11-24").text
    doc = client.get("/api/slates/2024-11-24").json()
    assert re.findall(r'<article class="game" id="([^"]+)"', page) == [
        g["game_id"] for g in doc["games"]
    ]
    kc_car = _card(page, "2024_12_KC_CAR")
    assert 'KC <span class="rec">(9-1)</span> @ CAR' in kc_car  # teams and records
    assert '<dd class="line">CAR +11</dd>' in kc_car and "O/U 43" in kc_car
    assert "KC -700" in kc_car and "CAR +500" in kc_car
    assert "1:00 PM EST" in kc_car and '<svg class="spark"' in kc_car
    game = next(g for g in doc["games"] if g["game_id"] == "2024_12_KC_CAR")
    for prediction in game["predictions"]:  # every model's number, version and play (or none)
        assert prediction["model_version"] in kc_car
        leader = "KC" if prediction["margin_home"] < 0 else "CAR"
        assert f"{leader} by {abs(prediction['margin_home']):.1f}" in kc_car
    assert escape(game["tldr"]["text"]) in kc_car
    assert "Final: KC 30 - 27 CAR" in kc_car and "Line: CAR covered (CAR +11)" in kc_car
    for g in doc["games"]:  # a play is shown with its line and stake, or the card says none
        card = _card(page, g["game_id"])
        for p in g["predictions"]:
            if p["play"]:
                assert (
                    f"Play: {p['play']}" in card and f"{p['stake'] * 100:.1f}% of bankroll" in card
                )
            else:
                assert "No edge" in card
    assert any(p["play"] for g in doc["games"] for p in g["predictions"])  # some plays shown
    assert "8:20 PM EST" in _card(page, "2024_12_PHI_LA")  # 01:20Z the next day
    assert "1-800-GAMBLER" in page and "21+" in page
    assert not re.search(r'(src|href|action)="(https?:)?//', page)  # nothing from elsewhere
    assert (
        "default-src 'none'" in client.get("/slates/2024-11-24").headers["content-security-policy"]
    )


def test_home_is_the_newest_slate_with_picker_and_neighbours(client: TestClient) -> None:
    home = client.get("/").text
    assert "Monday, November 25, 2024" in home and 'href="/slates/2024-11-24?league=nfl"' in home
    sunday = client.get("/slates/2024-11-24").text
    assert 'rel="next" href="/slates/2024-11-25?league=nfl"' in sunday
    assert 'type="date"' in sunday and '<option value="2024-11-25">' in sunday
    picked = client.get("/slates", params={"date": "2024-11-24"}, follow_redirects=False)
    assert (
        picked.status_code == 303 and picked.headers["location"] == "/slates/2024-11-24?league=nfl"
    )
    listing = client.get("/slates").text
    assert 'href="/slates/2024-11-24?league=nfl"' in listing and "11 games" in listing


def test_game_page(client: TestClient) -> None:
    page = client.get("/games/2024_12_KC_CAR")
    assert page.status_code == 200
    text = page.text
    assert '<svg class="chart"' in text and "nflverse_close" in text  # line history by book
    assert "teams.home.season.wins" in text and "market.p_home_vigfree" in text  # the payload
    for prediction in client.get("/api/games/2024_12_KC_CAR").json()["predictions"]:
        assert prediction["model_version"] in text  # model_version
    doc = client.get("/api/slates/2024-11-24").json()
    game, play = next((g, p) for g in doc["games"] for p in g["predictions"] if p["play"])
    played = client.get(f"/games/{game['game_id']}").text  # the play and its stake
    assert f"<td>{play['play']}</td><td>{play['stake'] * 100:.1f}% of bankroll</td>" in played
    run_id = client.get("/api/games/2024_12_KC_CAR").json()["run_id"]
    assert f'href="/runs/{run_id}"' in text
    assert client.get("/games/1999_01_XX_YY").status_code == 404


def test_runs_pages(client: TestClient) -> None:
    page = client.get("/runs").text
    run = client.get("/api/runs").json()[0]
    assert run["run_id"] in page and "transform" in page and "games_published=" in page
    one = client.get(f"/runs/{run['run_id']}")
    assert one.status_code == 200 and run["command"] in one.text
    assert client.get("/runs/no-such-run").status_code == 404


def test_missing_future_and_malformed_dates_answer_clear_pages(client: TestClient) -> None:
    missing = client.get("/slates/2024-11-23")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert (
        "spread-eagle run-daily --date 2024-11-23" in missing.text and 'type="date"' in missing.text
    )
    future = client.get("/slates/2099-09-06")
    assert future.status_code == 404 and "is in the future" in future.text
    for bad in ("2024-11-5", "2024-02-30", "yesterday"):
        page = client.get(f"/slates/{bad}")
        assert page.status_code == 400 and "1-800-GAMBLER" in page.text, bad
    assert client.get("/no/such/page").status_code == 404


def test_docs_are_offline_and_list_every_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) >= {
        "/api/slates",
        "/api/slates/{day}",
        "/api/games/{game_id}",
        "/api/runs",
        "/healthz",
    }
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/api/games/{game_id}" in docs.text
    assert "SlateDocument" in docs.text and "<script" not in docs.text
    assert not re.search(r"https?://", docs.text)
    assert client.get("/redoc").status_code == 404


def test_backtest_page_when_a_report_exists(published: Settings, tmp_path: Path) -> None:
    with TestClient(create_app(published)) as plain:
        assert plain.get("/backtest").status_code == 404
        assert 'href="/backtest"' not in plain.get("/runs").text
    folder = tmp_path / "backtest"
    folder.mkdir()
    metrics = {
        "start_season": 2015,
        "end_season": 2024,
        "games": 2743,
        "market": {
            "spread_mae": 9.82,
            "total_mae": 10.44,
            "win_brier": 0.2123,
            "win_logloss": 0.6127,
            "su_accuracy": 0.662,
        },
        "models": {
            "ratings": {
                "model_version": "ratings-1.0.0",
                "spread_mae": 10.1,
                "total_mae": 10.6,
                "win_brier": 0.218,
                "win_logloss": 0.62,
                "su_accuracy": 0.65,
                "cover_brier": 0.25,
                "ats_vs_close": {"wins": 700, "losses": 680, "pushes": 40, "pct": 0.507},
                "roi_at_minus110": -0.03,
                "clv_mean_points": 0.1,
            }
        },
    }
    (folder / "metrics.json").write_text(json.dumps(metrics))
    (folder / "report.html").write_text("<!doctype html><title>report</title><p>2015-2024</p>")
    with TestClient(create_app(published.model_copy(update={"backtest_dir": folder}))) as shown:
        page = shown.get("/backtest").text
        assert (
            "2743" in page and "9.82" in page and "700-680-40" in page and "ratings-1.0.0" in page
        )
        assert (
            'href="/backtest/report.html"' in page and 'href="/backtest"' in shown.get("/runs").text
        )
        report = shown.get("/backtest/report.html")
        assert report.status_code == 200 and "2015-2024" in report.text


@duckdb_only
def test_hostile_text_renders_inert(published: Settings, tmp_path: Path) -> None:
    settings = copy_duckdb(published, tmp_path)
    publish_evil_copy(settings)
    with TestClient(create_app(settings)) as client:
        assert client.get(f"/api/slates/{EVIL_DAY}").json()["games"][0]["tldr"]["text"] == EVIL_TLDR
        for path in (f"/slates/{EVIL_DAY}", "/games/evil_2024_12_KC_CAR"):
            page = client.get(path).text
            assert escape(EVIL_TLDR) in page and escape(EVIL_TEAM) in page, path
            assert (
                "<script>alert" not in page and "<img src=x" not in page and "<b>bold" not in page
            )


@duckdb_only
def test_a_new_publication_replaces_the_cached_one(published: Settings, tmp_path: Path) -> None:
    settings = copy_duckdb(published, tmp_path)
    with TestClient(create_app(settings)) as client:
        before = client.get("/api/slates/2024-11-24").json()
        assert client.get("/slates/2024-11-24").status_code == 200  # now cached
        assert client.get(f"/api/slates/{EVIL_DAY}").status_code == 404  # not cached
        publish_evil_copy(settings)  # a publish elsewhere: the index changes...
        assert client.get(f"/api/slates/{EVIL_DAY}").status_code == 200
        assert f'<option value="{EVIL_DAY}">' in client.get("/slates/2024-11-24").text
        folder = sidecar_dir(settings.database_url)
        assert folder is not None
        path = folder / "slates" / "nfl" / "2024-11-24.json"
        doc = json.loads(path.read_text())
        doc["run_id"], doc["games"][0]["tldr"]["text"] = "rerun", "A re-run's TL;DR."
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=2) + "\n")
        os.replace(tmp, path)  # ...and so does a re-published date
        after = client.get("/api/slates/2024-11-24").json()
        assert after["run_id"] == "rerun" != before["run_id"]
        assert "A re-run&#39;s TL;DR." in client.get("/slates/2024-11-24").text


def test_cached_answers_last_until_a_new_publication_lands(
    writable: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repeated GET is answered from the response cache without asking the reader again; the
    request right after a publication lands is built from it, and the API slate is still byte
    for byte what `slate --json` prints."""
    settings = writable
    app = create_app(settings)
    asked: list[str] = []
    reader = app.state.web.reader
    for name in ("index", "slate", "game"):
        real = getattr(reader, name)
        monkeypatch.setattr(reader, name, lambda *a, r=real, n=name: asked.append(n) or r(*a))
    with TestClient(app) as client:
        game_id = client.get("/api/slates/2024-11-24").json()["games"][0]["game_id"]
        paths = ["/api/slates/2024-11-24", "/slates/2024-11-24", "/", f"/games/{game_id}"]
        paths.append(f"/api/games/{game_id}")
        first = {path: client.get(path).text for path in paths}
        count = len(asked)
        assert {path: client.get(path).text for path in paths} == first
        assert len(asked) == count  # every answer came from the cache
        assert first["/api/slates/2024-11-24"] == printed_slate(settings, tmp_path)

        republish(settings, SUNDAY, "rerun-1", "A re-run's <TL;DR>.")
        api = client.get("/api/slates/2024-11-24").text
        assert api == printed_slate(settings, tmp_path) != first["/api/slates/2024-11-24"]
        assert json.loads(api)["run_id"] == "rerun-1"
        for path in ("/slates/2024-11-24", f"/games/{game_id}"):
            assert "A re-run&#39;s &lt;TL;DR&gt;." in client.get(path).text, path
        assert client.get(f"/api/games/{game_id}").json()["run_id"] == "rerun-1"
        assert client.get("/").text == first["/"]  # the newest date (Monday) did not change...
        assert len(asked) > count  # ...but it was checked against the new files, not assumed


def test_a_cached_page_links_a_backtest_report_once_it_exists(writable: Settings) -> None:
    settings = writable
    paths = ("/slates/2024-11-24", "/slates/2024-11-24?league=nfl", "/runs")
    with TestClient(create_app(settings)) as client:
        assert not any('href="/backtest"' in client.get(path).text for path in paths)
        settings.backtest_dir.mkdir()
        (settings.backtest_dir / "metrics.json").write_text("{}")
        assert all('href="/backtest"' in client.get(path).text for path in paths)


def test_no_stale_slate_under_load_while_a_publication_lands(writable: Settings) -> None:
    """uvicorn under concurrent keep-alive load: every request sent after the publication
    returned (its commit, and on DuckDB its export) is answered with the new slate."""
    settings = writable
    seen: list[tuple[float, str]] = []  # (sent at, run id answered)
    stop = threading.Event()

    def hammer(url: str) -> None:
        with httpx.Client(base_url=url, trust_env=False) as http:
            while not stop.is_set():
                sent = time.monotonic()
                seen.append((sent, http.get("/api/slates/2024-11-24").json()["run_id"]))

    with LiveServer(settings) as url:
        workers = [threading.Thread(target=hammer, args=(url,)) for _ in range(4)]
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 20
        while len(seen) < 20:  # serving, and each client answered (PostgreSQL warms its pool)
            assert time.monotonic() < deadline and all(w.is_alive() for w in workers)
            time.sleep(0.05)
        old = seen[-1][1]
        republish(settings, SUNDAY, "rerun-2", "Published while serving.")
        landed = time.monotonic()
        # answers to 20 requests sent after it returned (a busy machine answers slowly: a fixed
        # wait could see none, and assert nothing)
        deadline = landed + 20
        while sum(sent > landed for sent, _ in list(seen)) < 20:
            assert time.monotonic() < deadline and all(w.is_alive() for w in workers)
            time.sleep(0.05)
        stop.set()
        for worker in workers:
            worker.join(timeout=10)
    after = [run_id for sent, run_id in seen if sent > landed]
    assert old != "rerun-2" and after and set(after) == {"rerun-2"}


def test_a_new_run_is_seen_right_after_it_lands(
    writable: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runs pages are cached until the ledger changes: a new run, a step skipped (an update
    that stamps no time) and the run's end are each seen by the next request."""
    settings, run_id = writable, "ui-cache-new-run"
    app = create_app(settings)
    asked: list[str] = []
    real = app.state.web.reader.runs
    monkeypatch.setattr(app.state.web.reader, "runs", lambda: asked.append("runs") or real())

    def write(change: Callable[[Warehouse], None]) -> None:
        with connect(settings.database_url) as wh:
            change(wh)
            folder = sidecar_dir(settings.database_url)
            if folder is not None:  # DuckDB: the runs snapshot, as a run writes it
                export_runs(wh, folder)

    def start(wh: Warehouse) -> None:
        league = load_league("nfl", settings.leagues_dir)
        ctx = RunContext(run_id, league, MONDAY, datetime(2024, 11, 25, 12), settings, wh)
        ledger.start_run(ctx, ["ingest_slate", "transform"], None, "run-daily --date 2024-11-25")

    with TestClient(app) as client:
        first = {path: client.get(path).text for path in ("/api/runs", "/runs")}
        count = len(asked)
        assert {path: client.get(path).text for path in first} == first
        assert len(asked) == count  # cached

        write(start)
        runs = client.get("/api/runs").json()
        assert runs[0]["run_id"] == run_id and runs[0]["status"] == "running"
        assert run_id in client.get("/runs").text and run_id not in first["/runs"]

        write(lambda wh: ledger.step_skipped(wh, run_id, "ingest_slate", "nothing new to fetch"))
        steps = client.get(f"/api/runs/{run_id}").json()["steps"]
        assert (steps[0]["status"], steps[0]["detail"]) == ("skipped", "nothing new to fetch")
        assert "nothing new to fetch" in client.get(f"/runs/{run_id}").text

        write(lambda wh: ledger.finish_run(wh, run_id, "failed", "stopped by the test"))
        assert client.get("/api/runs").json()[0]["status"] == "failed"
        assert "stopped by the test" in client.get(f"/runs/{run_id}").text


HOLDER = """
import sys
import duckdb
conn = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.read()
conn.close()
"""


@duckdb_only
def test_serving_never_opens_the_duckdb_file(published: Settings, tmp_path: Path) -> None:
    """While another process holds the warehouse (a running pipeline does), every route still
    answers 200: the server reads only the published files."""
    settings = copy_duckdb(published, tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(duckdb_path(settings.database_url))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with TestClient(create_app(settings)) as client:
            for path in (
                "/",
                "/slates/2024-11-24",
                "/games/2024_12_KC_CAR",
                "/runs",
                "/api/slates",
                "/api/slates/2024-11-24",
                "/api/games/2024_12_KC_CAR",
                "/api/runs",
                "/healthz",
            ):
                assert client.get(path).status_code == 200, path
        env = {
            "SPREAD_EAGLE_DATABASE_URL": settings.database_url,
            "SPREAD_EAGLE_LOG_DIR": str(tmp_path),
        }
        printed = CliRunner().invoke(cli, ["slate", "--date", "2024-11-24", "--json"], env=env)
        assert printed.exit_code == 0, printed.output
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def test_empty_warehouse_is_served_without_creating_it(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"duckdb:///{tmp_path / 'never_written.duckdb'}")
    with TestClient(create_app(settings)) as client:
        home = client.get("/")
        assert home.status_code == 200 and "No slate is published yet" in home.text
        assert client.get("/api/slates").json() == []
        assert client.get("/api/slates/2024-11-24").status_code == 404
        assert client.get("/slates/2024-11-24").status_code == 404
        assert client.get("/runs").status_code == 200 and client.get("/api/runs").json() == []
        assert client.get("/healthz").status_code == 200
    assert not duckdb_path(settings.database_url).exists()
    assert not (tmp_path / "never_written.duckdb.published").exists()
