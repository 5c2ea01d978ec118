"""The summarize step on a warehouse built by a real daily run (DuckDB)."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr

from spread_eagle.config import Settings
from spread_eagle.leagues import load_league
from spread_eagle.pipeline.runner import run_daily
from spread_eagle.publish.slate import read_slate
from spread_eagle.run import RunContext
from spread_eagle.summarize.context import PAYLOAD_VERSION
from spread_eagle.summarize.grounding import check_grounding
from spread_eagle.summarize.step import SummarizeError, summarize, summarize_batch
from spread_eagle.warehouse import connect, duckdb_path
from tests.conftest import duckdb_copy, make_settings, published_template
from tests.summarize.conftest import INVENTED, FakeLLM

pytestmark = pytest.mark.slow

SUNDAY = date(2024, 11, 24)
NFL = load_league("nfl")
KEY = "sk-test-secret-0123456789"


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> tuple[Path, str]:
    """A DuckDB file after an offline daily run of SUNDAY (the tests' shared published warehouse),
    and that run's id."""
    root = tmp_path_factory.mktemp("built")
    url = duckdb_copy(published_template("duckdb", request), root)
    with connect(url, read_only=True) as wh:
        run_id = wh.scalar("select run_id from publish.slate where run_date = ?", (SUNDAY,))
    return duckdb_path(url), str(run_id)


def _ctx(
    built: tuple[Path, str], tmp_path: Path, **settings: object
) -> tuple[RunContext, Settings]:
    """A context of the built run, on a copy of its warehouse (each test may write)."""
    source, run_id = built
    shutil.copy(source, tmp_path / "warehouse.duckdb")
    s = make_settings(tmp_path, f"duckdb:///{tmp_path / 'warehouse.duckdb'}", **settings)
    wh = connect(s.database_url)
    wh.migrate()
    ctx = RunContext.new(s, wh, NFL, SUNDAY)
    ctx.run_id = run_id  # the predictions of the built run are this run's
    return ctx, s


def _openai(fake: FakeLLM) -> dict[str, object]:
    return {
        "llm_provider": "openai",
        "llm_base_url": f"{fake.url}/v1",
        "openai_api_key": KEY,
        "llm_backoff_seconds": 0,
        "llm_timeout_seconds": 0.5,
    }


def test_offline_tldrs_are_grounded_deterministic_and_all_different(
    built: tuple[Path, str], tmp_path: Path
) -> None:
    ctx, _ = _ctx(built, tmp_path)
    with ctx.warehouse as wh:
        before = wh.query(
            "select game_id, tldr_text, context_json from outputs.game_tldr order by game_id"
        )
        outcome = summarize(ctx)
        after = wh.query(
            "select game_id, tldr_text, context_json from outputs.game_tldr order by game_id"
        )
        calls = wh.query("select * from ops.llm_call where run_id = ?", (ctx.run_id,))
    assert len(after) == 11 and after == before  # a re-run writes the same bytes
    texts = [r["tldr_text"] for r in after]
    assert len(set(texts)) == len(texts)
    openers = {t.split(" ")[1] for t in texts}
    assert len(openers) > 1  # phrasing varies across the slate
    for row in after:
        payload = json.loads(row["context_json"])
        assert payload["payload_version"] == PAYLOAD_VERSION
        assert "home_score" not in json.dumps(payload["game"])
        assert check_grounding(row["tldr_text"], payload, NFL).grounded
    assert outcome.counts["tldrs"] == 11 and "offline tldr_v1: 11/11 grounded" in str(
        outcome.llm_status
    )
    assert all(c["is_cache_hit"] and c["is_grounded"] for c in calls)


def test_openai_writes_every_tldr_then_the_cache_pays_nothing(
    built: tuple[Path, str], tmp_path: Path, fake_llm: FakeLLM
) -> None:
    ctx, _ = _ctx(built, tmp_path, **_openai(fake_llm))
    fake_llm.fault("429", "timeout")
    with ctx.warehouse as wh:
        first = summarize(ctx)
        texts = wh.query(
            "select tldr_text, provider, llm_model from outputs.game_tldr order by game_id"
        )
        calls_made = len(fake_llm.requests)
        second = summarize(ctx)
        again = wh.query(
            "select tldr_text, provider, llm_model from outputs.game_tldr order by game_id"
        )
        ledger = wh.query("select * from ops.llm_call where run_id = ?", (ctx.run_id,))
    assert calls_made == 11 + 2 and len(fake_llm.requests) == calls_made  # no new calls
    assert texts == again and {(r["provider"], r["llm_model"]) for r in texts} == {
        ("openai", "gpt-4o-mini")
    }
    assert "11/11 grounded, 11 calls, 0 cached" in str(first.llm_status)
    assert "2 retries" in str(first.llm_status)
    assert "0 calls, 11 cached" in str(second.llm_status)
    assert len(ledger) == 11 and all(r["is_cache_hit"] for r in ledger)
    assert KEY not in str(ledger) and KEY not in str(first.llm_status)


def test_anthropic_writes_every_tldr_through_its_sdk(
    built: tuple[Path, str], tmp_path: Path, fake_llm: FakeLLM
) -> None:
    ctx, _ = _ctx(
        built,
        tmp_path,
        llm_provider="anthropic",
        llm_base_url=fake_llm.url,
        anthropic_api_key=KEY,
        llm_backoff_seconds=0,
        llm_timeout_seconds=0.5,
    )
    fake_llm.fault("500", "timeout")
    with ctx.warehouse as wh:
        outcome = summarize(ctx)
        texts = wh.query("select provider, llm_model, is_grounded from outputs.game_tldr")
        ledger = wh.query("select * from ops.llm_call where run_id = ?", (ctx.run_id,))
    assert len(fake_llm.calls("/v1/messages")) == 11 + 2
    assert {tuple(r.values()) for r in texts} == {("anthropic", "claude-haiku-4-5", True)}
    assert "anthropic/claude-haiku-4-5 tldr_v1: 11/11 grounded, 11 calls" in str(outcome.llm_status)
    assert "2 retries" in str(outcome.llm_status) and len(ledger) == 11
    assert KEY not in str(ledger) and KEY not in str(outcome.llm_status)


def test_an_invented_number_is_regenerated_with_the_reason_fed_back(
    built: tuple[Path, str], tmp_path: Path, fake_llm: FakeLLM
) -> None:
    ctx, _ = _ctx(built, tmp_path, **_openai(fake_llm), llm_max_concurrency=1)
    fake_llm.fault("invented")
    with ctx.warehouse as wh:
        outcome = summarize(ctx)
        texts = [r["tldr_text"] for r in wh.query("select tldr_text from outputs.game_tldr")]
        rejected = wh.query("select * from ops.llm_call where not is_grounded")
    assert all("13 straight" not in t for t in texts)
    (row,) = rejected
    assert "number 13" in row["grounding_reason"] and row["attempt"] == 1
    retry_prompt = fake_llm.requests[1]["body"]["messages"][0]["content"]
    assert "rejected by the grounding check" in retry_prompt and "number 13" in retry_prompt
    assert "1 regenerated" in str(outcome.llm_status)


@pytest.mark.parametrize("fault", ["invented", "empty", "malformed"])
def test_a_tldr_that_never_passes_fails_the_step_and_stores_nothing(
    built: tuple[Path, str], tmp_path: Path, fake_llm: FakeLLM, fault: str
) -> None:
    ctx, _ = _ctx(built, tmp_path, **_openai(fake_llm), llm_grounding_attempts=2)
    fake_llm.fault(*[fault] * 40)
    with ctx.warehouse as wh:
        with pytest.raises(SummarizeError, match="TL;DRs not written or not grounded") as failure:
            summarize(ctx)
        cached = wh.scalar("select count(*) from ops.llm_cache where provider = 'openai'")
        stored = wh.query("select tldr_text from outputs.game_tldr")
    assert cached == 0
    assert all(INVENTED.strip() not in r["tldr_text"] for r in stored)
    reason = {"invented": "number 13", "empty": "empty", "malformed": "malformed response"}[fault]
    assert reason in str(failure.value)


def test_run_daily_with_openai_then_anthropic_publishes_grounded_tldrs(
    published_duckdb_settings: Settings, tmp_path: Path, fake_llm: FakeLLM
) -> None:
    # SUNDAY published already (offline TL;DRs); this run writes every TL;DR through OpenAI's SDK
    settings = make_settings(tmp_path, published_duckdb_settings.database_url, **_openai(fake_llm))
    fake_llm.fault("500", "invented")
    report = run_daily(settings, run_date=SUNDAY)
    assert report.ok, report.error
    with connect(settings.database_url) as wh:
        slate = read_slate(wh, "nfl", SUNDAY)
    assert len(slate["games"]) == 11
    for game in slate["games"]:
        assert game["tldr"]["provider"] == "openai" and game["tldr"]["grounded"] is True
        assert game["tldr"]["model"] == "gpt-4o-mini"
        assert "13 straight" not in game["tldr"]["text"]
    assert "11/11 grounded" in str(report.outcomes["summarize"].llm_status)

    # the same date again through run-daily, from its summarize step, with Anthropic's SDK
    anthropic = settings.model_copy(
        update={
            "llm_provider": "anthropic",
            "llm_base_url": fake_llm.url,
            "anthropic_api_key": SecretStr(KEY),
        }
    )
    fake_llm.fault("429")
    again = run_daily(anthropic, run_date=SUNDAY, from_step="summarize")
    assert again.ok, again.error
    with connect(settings.database_url) as wh:
        slate = read_slate(wh, "nfl", SUNDAY)
    assert slate["run_id"] == again.run_id and len(slate["games"]) == 11
    for game in slate["games"]:
        assert game["tldr"]["provider"] == "anthropic" and game["tldr"]["grounded"] is True
    assert "11/11 grounded" in str(again.outcomes["summarize"].llm_status)
    logs = b"".join(p.read_bytes() for p in (tmp_path / "logs").rglob("*") if p.is_file())
    assert KEY.encode() not in logs


def test_context_command_prints_the_stored_payload(
    built: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from spread_eagle.cli import app

    monkeypatch.setenv("SPREAD_EAGLE_DATABASE_URL", f"duckdb:///{built[0]}")
    result = CliRunner().invoke(
        app, ["context", "--game", "2024_12_KC_CAR", "--date", "2024-11-24", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["payload_version"] == PAYLOAD_VERSION and payload["game"]["home_team"] == "CAR"
    assert payload["market"]["spread"]["current"] == 11.0


def test_a_batch_summarizes_each_run_as_alone_up_to_the_first_that_fails(
    built: tuple[Path, str], tmp_path: Path
) -> None:
    """A backfill summarizes its runs together (`summarize_batch`: one read, one write): each run
    gets the TL;DRs it would get alone; the first run that cannot be summarized stops the batch,
    after the runs before it are written."""
    ctx, s = _ctx(built, tmp_path)
    columns = "game_id, provider, tldr_text, context_json, context_hash, is_grounded"
    with ctx.warehouse as wh:
        summarize(ctx)
        alone = wh.query(
            f"select {columns} from outputs.game_tldr where run_id = ? order by game_id",
            (ctx.run_id,),
        )
        twin = RunContext.new(s, wh, NFL, SUNDAY)  # the same date's predictions, another run
        wh.copy_run_rows("outputs.game_prediction", ctx.run_id, twin.run_id)
        empty = RunContext.new(s, wh, NFL, SUNDAY)  # no predictions: cannot be summarized
        outcomes = []
        with pytest.raises(SummarizeError, match=f"run {empty.run_id} has no prediction"):
            for outcome in summarize_batch([twin, ctx, empty]):
                outcomes.append(outcome)
        rows = {
            run: wh.query(
                f"select {columns} from outputs.game_tldr where run_id = ? order by game_id",
                (run,),
            )
            for run in (twin.run_id, ctx.run_id, empty.run_id)
        }
    assert [o.counts["tldrs"] for o in outcomes] == [11, 11]
    assert rows == {twin.run_id: alone, ctx.run_id: alone, empty.run_id: []}
