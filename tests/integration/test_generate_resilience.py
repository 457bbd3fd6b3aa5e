"""The generation pipeline against a misbehaving local OpenAI-compatible server: retries, backoff that
honours Retry-After, JSON-mode fallback, and every document accounted for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chemtune.datagen.pipeline import GenerateConfig, generate_dataset, preview
from chemtune.datagen.sources import Document
from chemtune.errors import ChemtuneError
from tests.support.datagen_answers import task_answers
from tests.support.openai_stub import Fail, Garbage, OpenAIStub, Reply, Slow

KEY = "sk-test-9f8e7d6c5b4a39281706"


@pytest.fixture
def stub():
    with OpenAIStub(responder=task_answers) as server:
        yield server


def _config(stub: OpenAIStub, **changes) -> GenerateConfig:
    teacher = {"base_url": stub.base_url, "model": "gpt-4o-mini", "backoff_s": 0.01, "timeout": 2.0,
               "max_attempts": 3}
    return GenerateConfig(**{"task": "keywords", "concurrency": 4, **teacher, **changes})


def _docs(count: int) -> list[Document]:
    topics = [
        "zeolite",
        "perovskite",
        "benzene",
        "ethanol",
        "graphene",
        "platinum",
        "nickel",
        "lithium",
        "ammonia",
        "methane",
        "ozone",
        "silica",
        "titania",
        "copper",
    ]
    return [
        Document(
            f"d{i}",
            f"Doc{i}: {topics[i % len(topics)]} study number {i * 37} on {topics[-i % 5]}.",
            f"docs.jsonl, line {i + 1}",
        )
        for i in range(count)
    ]


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_429_waits_for_retry_after_then_succeeds(stub: OpenAIStub) -> None:
    stub.script(Fail(429, retry_after=1))
    summary = generate_dataset("ra", _docs(1), _config(stub), KEY)
    assert summary["succeeded"] == 1
    first, second = [r.time for r in stub.requests if r.path == "/v1/chat/completions"]
    assert second - first >= 0.95  # the server's Retry-After, not our 10 ms backoff


def test_server_errors_and_timeouts_are_retried(stub: OpenAIStub) -> None:
    stub.script(Fail(500), Slow(5))  # the second try outlives the 0.5 s client timeout
    summary = generate_dataset("retry", _docs(1), _config(stub, timeout=0.5), KEY)
    assert summary["succeeded"] == 1
    assert stub.count("/v1/chat/completions") == 3


def test_server_without_json_mode_gets_plain_requests_after_one_refusal(stub: OpenAIStub) -> None:
    stub.refuse_json_mode = True
    summary = generate_dataset("nojson", _docs(5), _config(stub), KEY)
    assert summary["succeeded"] == 5
    with_format = [b for b in stub.bodies() if "response_format" in b]
    assert 1 <= len(with_format) <= 4  # at most the requests already in flight when it refused
    assert stub.bodies()[-1].get("response_format") is None


def test_every_document_ends_up_in_the_dataset_or_the_failures(stub: OpenAIStub) -> None:
    docs = _docs(12) + [
        Document("empty", "   ", "docs.jsonl, line 13"),
        Document("twin", _docs(1)[0].text, "docs.jsonl, line 14"),
    ]
    stub.on("Doc1:", Fail(500), Fail(500), Fail(500))
    stub.on("Doc2:", Reply("{not json at all"))
    stub.on("Doc3:", Reply('{"keywords": ["trunc', finish_reason="length"))
    stub.on("Doc4:", Garbage(), Garbage(), Garbage())
    stub.on("Doc5:", Slow(5), Slow(5), Slow(5))
    stub.on("Doc6:", Reply('{"words": ["wrong key"]}'))
    stub.on("Doc7:", Fail(429, retry_after=0.1))
    summary = generate_dataset("mixed", docs, _config(stub, timeout=0.4), KEY)

    folder = Path(summary["path"])
    records, failures = _lines(folder / "records.jsonl"), _lines(folder / "failures.jsonl")
    assert summary["requested"] == 14
    assert summary["succeeded"] + summary["failed"] + summary["deduplicated"] == 14
    assert (len(records), len(failures)) == (
        summary["succeeded"],
        summary["failed"] + summary["deduplicated"],
    )
    accounted = {r["meta"]["doc_id"] for r in records} | {f["doc_id"] for f in failures}
    assert accounted == {d.id for d in docs}
    reasons = {f["doc_id"]: f for f in failures}
    assert "HTTP 500" in reasons["d1"]["reason"]
    assert "not valid JSON" in reasons["d2"]["reason"] and reasons["d2"]["raw"] == "{not json at all"
    assert "truncated" in reasons["d3"]["reason"] and reasons["d3"]["finish_reason"] == "length"
    assert "JSONDecodeError" in reasons["d4"]["reason"]
    assert "Timeout" in reasons["d5"]["reason"]
    assert '"keywords"' in reasons["d6"]["reason"] and reasons["d6"]["raw"] == '{"words": ["wrong key"]}'
    assert reasons["empty"]["reason"] == "the document is empty"
    assert reasons["twin"]["kind"] == "duplicate" and "exact duplicate" in reasons["twin"]["reason"]
    assert "d7" not in reasons  # a 429 is waited out, not a failure
    assert all(f["input"] is not None and f["reason"] for f in failures)


def test_rerun_answers_finished_documents_from_the_cache(stub: OpenAIStub) -> None:
    config = _config(stub)
    first = generate_dataset("first", _docs(6), config, KEY)
    sent = stub.count("/v1/chat/completions")
    second = generate_dataset("second", _docs(6), config, KEY)
    assert stub.count("/v1/chat/completions") == sent  # not one request more
    assert second["cached"] == 6 and second["succeeded"] == first["succeeded"] == 6
    assert (second["prompt_tokens"], second["cost_usd"]) == (0, 0.0)


def test_rerun_asks_again_for_the_documents_whose_answers_failed_their_checks(stub: OpenAIStub) -> None:
    stub.on("Doc2:", Reply("{not json at all"))
    stub.on("Doc4:", Reply('{"words": ["wrong key"]}'))
    first = generate_dataset("first", _docs(6), _config(stub), KEY)
    assert (first["succeeded"], first["failed"]) == (4, 2)
    sent = stub.count("/v1/chat/completions")

    second = generate_dataset("second", _docs(6), _config(stub), KEY)  # the server answers well now
    asked_again = [json.dumps(body["messages"], ensure_ascii=False) for body in stub.bodies()[sent:]]
    docs = [f"Doc{i}:" for i in range(6)]
    assert sorted(doc for text in asked_again for doc in docs if doc in text) == ["Doc2:", "Doc4:"]
    assert (second["succeeded"], second["failed"], second["cached"]) == (6, 0, 4)


def test_preview_shows_outputs_and_failure_reasons_and_edited_instruction(stub: OpenAIStub) -> None:
    stub.on("Doc1:", Reply('{"nope": 1}'))
    edited = 'List the 3 key chemicals. Answer only with a JSON object with the key "keywords".'
    rows = preview(_docs(5), _config(stub, instruction=edited), KEY, n=3)
    assert len(rows) == 3 and stub.count("/v1/chat/completions") == 3
    assert [row["valid"] for row in rows] == [True, False, True]
    assert '"keywords"' in rows[1]["reason"] and rows[1]["output"] == '{"nope": 1}'
    assert rows[0]["instruction"] == edited
    assert stub.bodies()[0]["messages"][-1]["content"].startswith(edited)


def test_usage_and_cost_are_stored_with_the_dataset_using_the_price_table(stub: OpenAIStub) -> None:
    prices = {"gpt-4o-mini": {"input": 1000.0, "output": 2000.0}}
    summary = generate_dataset("priced", _docs(3), _config(stub, prices=prices), KEY)
    expected = (summary["prompt_tokens"] * 1000 + summary["completion_tokens"] * 2000) / 1e6
    assert summary["prompt_tokens"] > 0 and summary["cost_usd"] == pytest.approx(expected)
    meta = json.loads((Path(summary["path"]) / "meta.json").read_text(encoding="utf-8"))
    assert meta["prices"] == prices and meta["cost_usd"] == summary["cost_usd"]
    assert meta["usage"]["prompt_tokens"] == summary["prompt_tokens"]


def test_refused_key_stops_the_run_with_a_message_that_hides_the_key(
        stub: OpenAIStub, isolated_workspace: Path) -> None:
    stub.on(lambda body: True, *[Fail(401, message=f"Incorrect API key provided: {KEY}")] * 20)
    refused = r"refused the request: HTTP 401: Incorrect API key provided: \*\*\*"
    with pytest.raises(ChemtuneError, match=refused) as caught:
        generate_dataset("secret", _docs(6), _config(stub), KEY)
    assert KEY[:8] not in str(caught.value)
    assert stub.count("/v1/chat/completions") <= 4  # stopped at once, not once per document
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in stub.requests)  # the key was used

    stub.reset()
    stub.on("Doc0:", Reply("not JSON"))
    summary = generate_dataset("fine", _docs(3), _config(stub), KEY)
    assert summary["failed"] == 1
    leaks = [p for p in isolated_workspace.rglob("*") if p.is_file() and KEY[:10].encode() in p.read_bytes()]
    assert leaks == []


def test_unreachable_server_fails_fast_with_its_address(free_port: int) -> None:
    config = GenerateConfig(task="keywords", base_url=f"http://127.0.0.1:{free_port}/v1", backoff_s=0.01,
                            max_attempts=2)
    with pytest.raises(ChemtuneError, match=f"cannot reach http://127.0.0.1:{free_port}/v1"):
        generate_dataset("nowhere", _docs(20), config, KEY)


def test_a_chosen_property_is_what_the_answers_are_checked_for(stub: OpenAIStub) -> None:
    config = _config(stub, task="extract_property", property="ion_exchange_capacity")
    summary = generate_dataset("iec", _docs(3), config, KEY)
    assert summary["succeeded"] == 3 and summary["failed"] == 0
    from chemtune.records import load_dataset_records

    outputs = [json.loads(r.output) for r in load_dataset_records("iec")]
    assert len(outputs) == 3
    assert all("IEC" in props for o in outputs for props in o["AEM_MAT"].values())


def test_an_absent_marker_instead_of_materials_is_a_failure_not_a_crash(stub: OpenAIStub) -> None:
    stub.script(Reply('{"AEM_MAT": "-"}'))
    summary = generate_dataset("absent", _docs(2), _config(stub, task="extract_property"), KEY)
    assert summary["succeeded"] + summary["failed"] + summary["deduplicated"] == 2
    assert summary["failed"] == 1


def test_an_edited_instruction_reaches_the_teacher_when_the_document_is_the_question(stub) -> None:
    config = _config(stub, task="qa", instruction="Answer in one sentence, in Korean.")
    rows = preview(_docs(1), config, KEY, n=1)
    sent = stub.requests[-1].body["messages"]
    assert any("Answer in one sentence, in Korean." in m["content"] for m in sent if m["role"] == "system")
    assert rows[0]["instruction"].startswith("Doc0")
