"""nflverse provider: downloads the public games CSV with a conditional GET against a local server."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from spread_eagle.pipeline.runner import run_ingest
from spread_eagle.warehouse import connect
from tests.conftest import make_settings
from tests.ingest.conftest import Reply, Scripted, season_games_file

ETAG = '"abc123"'
MODIFIED = "Sun, 24 Nov 2024 10:00:00 GMT"


def test_conditional_get_stores_validators_and_an_unchanged_file_once(
    tmp_path: Path, warehouse_url: str, http_server: Scripted
) -> None:
    body = season_games_file(tmp_path, 2024).read_text(encoding="utf-8")
    csv_headers = {"Content-Type": "text/csv", "ETag": ETAG, "Last-Modified": MODIFIED}
    http_server.route(
        "/nflverse/games.csv",
        Reply(body=body, headers=csv_headers),
        Reply(status=304, body=b"", headers={}),
    )
    settings = make_settings(
        tmp_path,
        warehouse_url,
        schedule_provider="nflverse",
        odds_provider="nflverse",
        results_provider="nflverse",
        nflverse_games_url=f"{http_server.url}/nflverse/games.csv",
    )
    as_of = datetime(2024, 11, 25, 11, 0, tzinfo=UTC)
    first = run_ingest(settings, run_date=date(2024, 11, 24), as_of=as_of)
    assert first.ok, first.error
    assert first.counts["ingest_slate"]["games_scheduled"] == 11
    # ingest_slate downloads once (schedule and lines share it); ingest_results asks again, conditionally
    assert http_server.hits("/nflverse/games.csv") == 2
    assert "if-none-match" not in http_server.requests[0][2]
    assert http_server.requests[1][2]["if-none-match"] == ETAG
    assert first.counts["ingest_results"]["nflverse_http"] == "304 not modified"
    with connect(settings.database_url) as wh:
        stored = wh.query(
            "select etag, last_modified, status_code, url from raw.http_response where source = 'nflverse'"
        )
        rows = wh.scalar("select count(*) from raw.nflverse_game")
    assert stored == [
        {
            "etag": ETAG,
            "last_modified": MODIFIED,
            "status_code": 200,
            "url": f"{http_server.url}/nflverse/games.csv",
        }
    ]
    assert rows == len(body.splitlines()) - 1

    second = run_ingest(settings, run_date=date(2024, 11, 24), as_of=as_of)
    assert second.ok, second.error
    assert second.counts["ingest_slate"]["games_scheduled"] == 11  # served from the stored copy
    assert second.counts["ingest_slate"]["nflverse_http"] == "304 not modified"
    _, _, headers = http_server.requests[-1]
    assert headers["if-none-match"] == ETAG and headers["if-modified-since"] == MODIFIED
    with connect(settings.database_url) as wh:
        assert wh.scalar("select count(*) from raw.nflverse_game") == rows
        assert wh.scalar("select count(*) from raw.payload where source = 'nflverse'") == 1
