"""The local OpenAI-compatible test server answers as scripted and records what it received."""

from __future__ import annotations

import io
import json

import openai
import pytest

from tests.support.openai_stub import Fail, Garbage, OpenAIStub, Reply, Slow


@pytest.fixture
def stub():
    with OpenAIStub() as server:
        yield server


def _ask(client: openai.OpenAI, text: str, **kwargs):
    return client.chat.completions.create(model="m", messages=[{"role": "user", "content": text}], **kwargs)


def test_stub_scripts_failures_then_answers_and_records_headers(stub: OpenAIStub) -> None:
    client = openai.OpenAI(base_url=stub.base_url, api_key="sk-stub", max_retries=0)
    stub.script(Fail(429, retry_after=2), Fail(500), Garbage())
    with pytest.raises(openai.RateLimitError) as caught:
        _ask(client, "a")
    assert caught.value.response.headers["retry-after"] == "2"
    with pytest.raises(openai.InternalServerError):
        _ask(client, "b")
    with pytest.raises(json.JSONDecodeError):
        _ask(client, "c")
    stub.on("벤젠", Reply("truncated", finish_reason="length"))
    answer = _ask(client, "벤젠의 구조")
    assert answer.choices[0].finish_reason == "length"
    assert _ask(client, "hello").choices[0].message.content == "echo: hello"
    assert stub.count("/v1/chat/completions") == 5
    assert stub.requests[0].headers["authorization"] == "Bearer sk-stub"
    assert stub.bodies()[-1]["messages"][0]["content"] == "hello"


def test_stub_slow_answer_runs_past_client_timeout(stub: OpenAIStub) -> None:
    client = openai.OpenAI(base_url=stub.base_url, api_key="k", max_retries=0, timeout=0.3)
    stub.script(Slow(5))
    with pytest.raises(openai.APITimeoutError):
        _ask(client, "slow")


def test_stub_refuses_json_mode_when_asked_and_streams(stub: OpenAIStub) -> None:
    client = openai.OpenAI(base_url=stub.base_url, api_key="k", max_retries=0)
    stub.refuse_json_mode = True
    with pytest.raises(openai.BadRequestError):
        _ask(client, "x", response_format={"type": "json_object"})
    chunks = _ask(client, "stream this answer", stream=True)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == "echo: stream this answer"


def test_stub_runs_a_batch_from_an_uploaded_file(stub: OpenAIStub) -> None:
    client = openai.OpenAI(base_url=stub.base_url, api_key="k", max_retries=0)
    lines = [{"custom_id": f"doc-{i}", "method": "POST", "url": "/v1/chat/completions",
              "body": {"model": "m", "messages": [{"role": "user", "content": f"q{i}"}]}} for i in range(3)]
    stub.on("q1", Fail(500))
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    uploaded = client.files.create(file=("in.jsonl", io.BytesIO(data)), purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                  completion_window="24h")
    while batch.status not in ("completed", "failed"):
        batch = client.batches.retrieve(batch.id)
    done = [json.loads(line) for line in client.files.content(batch.output_file_id).text.splitlines()]
    failed = [json.loads(line) for line in client.files.content(batch.error_file_id).text.splitlines()]
    assert sorted(row["custom_id"] for row in done) == ["doc-0", "doc-2"]
    assert failed[0]["custom_id"] == "doc-1" and failed[0]["response"]["status_code"] == 500
