"""Providers through their official SDKs against the fake server, and Ollama over MockTransport."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from spread_eagle.leagues import load_league
from spread_eagle.summarize.grounding import check_grounding
from spread_eagle.summarize.offline import write_tldr
from spread_eagle.summarize.prompt import render
from spread_eagle.summarize.providers import MissingKeyError, ProviderError, build_provider
from spread_eagle.summarize.providers.base import TransientError
from tests.conftest import make_settings
from tests.summarize.conftest import FakeLLM, load_payload

NFL = load_league("nfl")
KEY = "sk-test-secret-0123456789"
PAYLOAD = load_payload()


def _settings(tmp_path: Path, provider: str, base_url: str, **extra: object):  # type: ignore[no-untyped-def]
    keys = {"openai": "openai_api_key", "anthropic": "anthropic_api_key"}
    if provider in keys:
        extra.setdefault(keys[provider], KEY)
    return make_settings(
        tmp_path,
        f"duckdb:///{tmp_path / 'w.duckdb'}",
        llm_provider=provider,
        llm_base_url=base_url,
        llm_timeout_seconds=0.5,
        llm_max_attempts=3,
        llm_backoff_seconds=0.25,
        **extra,
    )


def _base(fake: FakeLLM, provider: str) -> str:
    return f"{fake.url}/v1" if provider == "openai" else fake.url


PATHS = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages"}


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_sdk_writes_a_grounded_tldr(provider: str, fake_llm: FakeLLM, tmp_path: Path) -> None:
    writer = build_provider(_settings(tmp_path, provider, _base(fake_llm, provider)))
    completion = writer.write(render(), PAYLOAD)
    assert completion.text == write_tldr(PAYLOAD)
    assert check_grounding(completion.text, PAYLOAD, NFL).grounded
    assert completion.tokens_in > 0 and completion.tokens_out > 0 and completion.retries == 0
    (request,) = fake_llm.calls(PATHS[provider])
    body = request["body"]
    assert json.loads(body["messages"][-1]["content"]) == PAYLOAD
    if provider == "openai":
        assert body["temperature"] == 0 and body["seed"] == 7
        assert body["max_completion_tokens"] == 300
        assert body["messages"][0] == {"role": "system", "content": render()}
    else:
        assert body["system"] == render() and body["max_tokens"] == 300
        # the SDK has no sampling arguments and newer models reject them (see the provider)
        assert "temperature" not in body and "seed" not in body


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("fault", ["429", "500", "timeout"])
def test_transient_faults_are_retried_with_backoff(
    provider: str, fault: str, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    sleeps: list[float] = []
    settings = _settings(tmp_path, provider, _base(fake_llm, provider))
    writer = build_provider(settings, sleep=sleeps.append)
    fake_llm.fault(fault, fault)
    completion = writer.write(render(), PAYLOAD)
    assert completion.retries == 2 and sleeps == [0.25, 0.5]
    assert completion.text == write_tldr(PAYLOAD)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_fault_that_persists_gives_up_after_the_bounded_attempts(
    provider: str, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    writer = build_provider(
        _settings(tmp_path, provider, _base(fake_llm, provider)), sleep=lambda _: None
    )
    fake_llm.fault("500", "500", "500", "500")
    with pytest.raises(TransientError, match=r"HTTP 500 \(gave up after 3 attempts\)"):
        writer.write(render(), PAYLOAD)
    assert len(fake_llm.calls(PATHS[provider])) == 3


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_malformed_json_is_a_clear_failure_not_retried(
    provider: str, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    writer = build_provider(_settings(tmp_path, provider, _base(fake_llm, provider)))
    fake_llm.fault("malformed")
    with pytest.raises(ProviderError, match="malformed response"):
        writer.write(render(), PAYLOAD)
    assert len(fake_llm.calls(PATHS[provider])) == 1


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_the_key_never_appears_in_an_error(
    provider: str, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    writer = build_provider(_settings(tmp_path, provider, _base(fake_llm, provider)))
    fake_llm.fault("401-echo")
    with pytest.raises(ProviderError, match="HTTP 401") as failure:
        writer.write(render(), PAYLOAD)
    assert KEY not in str(failure.value)
    assert KEY in json.dumps(fake_llm.requests[0]["headers"])  # it was sent, and echoed


@pytest.mark.parametrize(
    ("provider", "variable"), [("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY")]
)
def test_a_missing_key_names_the_variable(provider: str, variable: str, tmp_path: Path) -> None:
    settings = _settings(tmp_path, provider, "http://127.0.0.1:9", **{f"{provider}_api_key": None})
    with pytest.raises(MissingKeyError, match=rf"^{variable} is not set: the {provider} LLM"):
        build_provider(settings)


def test_ollama_over_its_http_api(tmp_path: Path) -> None:
    seen: list[dict] = []
    replies = [httpx.Response(503), httpx.Response(429)]

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        if replies:
            return replies.pop(0)
        text = write_tldr(json.loads(body["messages"][-1]["content"]))
        return httpx.Response(
            200,
            json={
                "model": "llama3.2",
                "message": {"role": "assistant", "content": text},
                "prompt_eval_count": 700,
                "eval_count": 60,
                "done": True,
            },
        )

    sleeps: list[float] = []
    settings = _settings(tmp_path, "ollama", "http://ollama.test")
    writer = build_provider(settings, sleep=sleeps.append, transport=httpx.MockTransport(handler))
    completion = writer.write(render(), PAYLOAD)
    assert completion.text == write_tldr(PAYLOAD) and completion.retries == 2
    assert (completion.tokens_in, completion.tokens_out, completion.model) == (700, 60, "llama3.2")
    assert seen[-1]["options"] == {"temperature": 0, "seed": 7, "num_predict": 300}
    assert seen[-1]["stream"] is False and sleeps == [0.25, 0.5]


def test_ollama_malformed_answer_is_a_clear_failure(tmp_path: Path) -> None:
    transport = httpx.MockTransport(lambda _: httpx.Response(200, content=b"{not json"))
    writer = build_provider(
        _settings(tmp_path, "ollama", "http://ollama.test"), transport=transport
    )
    with pytest.raises(ProviderError, match="ollama sent a malformed response"):
        writer.write(render(), PAYLOAD)


def test_offline_is_deterministic_and_grounded() -> None:
    writer = build_provider(make_settings(Path("/tmp"), "duckdb:///x.duckdb"))
    first, second = writer.write(render(), PAYLOAD), writer.write(render(), PAYLOAD)
    assert first.text == second.text and first.model is None and first.tokens_in == 0
    assert check_grounding(first.text, PAYLOAD, NFL).grounded
