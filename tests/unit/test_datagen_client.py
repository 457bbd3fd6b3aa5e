"""Client helpers: prices and cost, key redaction, backoff waits, cache keys, batch result parsing."""

from __future__ import annotations

import json

import pytest

from chemtune.datagen.batch import parse_results, request_lines
from chemtune.datagen.cache import ResponseCache, cache_key
from chemtune.datagen.client import LLMClient, LLMSettings, cost_usd, price_for, redact
from chemtune.datagen.pipeline import GenerateConfig, Stats, stats_dict


def test_cost_uses_the_price_table_and_longest_model_prefix() -> None:
    prices = {"gpt-4o": {"input": 2.5, "output": 10.0}, "gpt-4o-mini": {"input": 0.15, "output": 0.6}}
    assert price_for("gpt-4o-mini-2024-07-18", prices) == prices["gpt-4o-mini"]
    assert cost_usd("gpt-4o", 1_000_000, 100_000, prices) == 3.5
    assert cost_usd("gpt-4o", 1_000_000, 100_000, prices, batch=True) == 1.75
    assert cost_usd("llama-3-local", 10, 10, prices) is None


@pytest.mark.parametrize("model", ["gpt-4.1-nano", "gpt-4-turbo", "gpt-4.5-preview", "gpt-4o-audio"])
def test_another_model_that_only_shares_a_prefix_has_no_price(model: str) -> None:
    prices = {"gpt-4.1": {"input": 2.0, "output": 8.0}, "gpt-4": {"input": 30.0, "output": 60.0},
              "gpt-4o": {"input": 2.5, "output": 10.0}}
    assert price_for(model, prices) is None and cost_usd(model, 1000, 1000, prices) is None
    assert price_for("gpt-4-0613", prices) == prices["gpt-4"]
    assert price_for("gpt-4.1-2025-04-14", prices) == prices["gpt-4.1"]


def test_live_cost_is_at_the_batch_price_when_the_batch_api_is_used() -> None:
    stats = Stats(requested=4, succeeded=2, prompt_tokens=1_000_000, completion_tokens=100_000)
    prices = {"gpt-4o": {"input": 2.5, "output": 10.0}}
    live = stats_dict(stats, GenerateConfig(model="gpt-4o", prices=prices))
    batch = stats_dict(stats, GenerateConfig(model="gpt-4o", prices=prices, batch_api=True))
    assert (live["cost_usd"], batch["cost_usd"]) == (3.5, 1.75)


def test_redact_blanks_the_key_and_its_common_shortenings() -> None:
    key = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX"
    text = f"Incorrect API key provided: {key}. You passed sk-proj-***UVWX or {key[:8]}…{key[-6:]}"
    cleaned = redact(text, key)
    assert key not in cleaned and key[:8] not in cleaned and key[-6:] not in cleaned
    assert redact("nothing secret", "EMPTY") == "nothing secret"


def test_the_client_retries_by_the_one_rule_with_the_run_s_tries_and_waits() -> None:
    from chemtune.retry import RetryPolicy

    settings = LLMSettings(base_url="http://127.0.0.1:9/v1", max_attempts=4, backoff_s=0.5, max_backoff_s=30)
    assert LLMClient(settings, "k").policy == RetryPolicy(attempts=4, backoff_s=0.5, max_wait_s=30)


def test_cache_key_ignores_nothing_but_the_secret(isolated_workspace) -> None:
    messages = [{"role": "user", "content": "벤젠의 끓는점은?"}]
    key = cache_key("gpt-4o-mini", messages, {"temperature": 0})
    assert key != cache_key("gpt-4o", messages, {"temperature": 0})
    assert key != cache_key("gpt-4o-mini", messages, {"temperature": 0.7})
    cache = ResponseCache()
    cache.put(key, {"content": "80.1 °C", "finish_reason": "stop"})
    assert cache.get(key)["content"] == "80.1 °C" and len(cache) == 1
    assert cache.get(cache_key("other", messages, {})) is None


def test_batch_lines_and_results_round_trip_by_custom_id() -> None:
    data = request_lines([("doc-0-a", [{"role": "user", "content": "q"}], {"temperature": 0})], "gpt-4o-mini")
    line = json.loads(data)
    assert line["custom_id"] == "doc-0-a" and line["body"]["model"] == "gpt-4o-mini"
    ok = {"custom_id": "doc-0-a", "error": None, "response": {"status_code": 200, "body": {
        "choices": [{"message": {"content": "{}"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2}}}}
    bad = {"custom_id": "doc-1-b", "response": {"status_code": 500, "body": {"error": {"message": "boom"}}}}
    results = parse_results("\n".join(json.dumps(row) for row in (ok, bad)))
    assert results["doc-0-a"]["prompt_tokens"] == 5
    assert results["doc-1-b"] == {"error": "HTTP 500: boom"}
