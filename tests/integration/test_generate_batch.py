"""The Batch API path against the local stub: resuming after a kill, dead batches, abort, batch limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chemtune.datagen import batch as batch_api
from chemtune.datagen.cache import ResponseCache
from chemtune.datagen.pipeline import GenerateConfig, generate_dataset
from chemtune.datagen.sources import Document
from chemtune.jobs import JobAborted
from tests.support.datagen_answers import task_answers
from tests.support.openai_stub import OpenAIStub

KEY = "sk-batch-0a1b2c3d4e5f"


class Killed(Exception):
    """Stands in for a kill -9 of the generating process while it polls."""


@pytest.fixture
def stub():
    with OpenAIStub(responder=task_answers) as server:
        yield server


def _docs(count: int) -> list[Document]:
    return [Document(f"d{i}", f"Doc{i}: zeolite study number {i} on catalysts", f"docs, line {i}")
            for i in range(count)]


def _config(stub: OpenAIStub) -> GenerateConfig:
    return GenerateConfig(task="keywords", base_url=stub.base_url, batch_api=True,
                          dedup=False, batch_poll_s=0.02)


def _killed_run(stub: OpenAIStub, docs: list[Document]) -> None:
    def die(_stats) -> None:
        raise Killed()

    stub.batch_delay = 3600
    with pytest.raises(Killed):
        generate_dataset("first", docs, _config(stub), api_key=KEY, progress=die)


def _uploaded_lines(stub: OpenAIStub) -> list[int]:
    return [len(r.body["files"]["file"].splitlines()) for r in stub.requests
            if r.path == "/v1/files" and r.method == "POST"]


def test_a_rerun_after_a_kill_resumes_the_submitted_batch_instead_of_paying_again(stub: OpenAIStub) -> None:
    docs = _docs(5)
    _killed_run(stub, docs)
    assert stub.count("/v1/batches", "POST") == 1
    stub.batch_delay = 0
    summary = generate_dataset("again", docs, _config(stub), api_key=KEY)
    assert summary["succeeded"] == 5
    assert stub.count("/v1/batches", "POST") == 1 and stub.count("/v1/files", "POST") == 1
    assert list(batch_api.state_dir().glob("*.json")) == []  # an ended batch's state is removed


def test_a_saved_batch_that_expired_gives_its_answers_and_a_new_batch_asks_the_rest(
        stub: OpenAIStub) -> None:
    docs = _docs(5)
    _killed_run(stub, docs)
    stub.end_batch(next(iter(stub.batches)), "expired", answered=2)
    stub.batch_delay = 0
    summary = generate_dataset("again", docs, _config(stub), api_key=KEY)
    assert (summary["succeeded"], summary["failed"]) == (5, 0)
    assert stub.count("/v1/batches", "POST") == 2
    assert _uploaded_lines(stub) == [5, 3]
    assert {b["status"] for b in stub.batches.values()} == {"expired", "completed"}


def test_abort_cancels_the_batch_and_caches_the_answers_it_already_has(
        stub: OpenAIStub, isolated_workspace: Path) -> None:
    stub.batch_delay = 3600
    stub.cancel_answers = 2
    polls = iter([False])
    with pytest.raises(JobAborted):
        batch_api.answer_documents_batch(_docs(5), _config(stub), KEY, should_stop=lambda: next(polls, True))
    assert [b["status"] for b in stub.batches.values()] == ["cancelled"]
    assert len(ResponseCache(isolated_workspace / "cache" / "llm")) == 2
    assert list(batch_api.state_dir().glob("*.json")) == []

    stub.batch_delay = 0
    outcomes, stats = batch_api.answer_documents_batch(_docs(5), _config(stub), KEY)
    assert (stats.cached, stats.succeeded, stats.requests_sent) == (2, 5, 3)


def test_pending_requests_are_split_into_batches_within_the_line_limit(
        stub: OpenAIStub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch_api, "MAX_BATCH_REQUESTS", 2)
    outcomes, stats = batch_api.answer_documents_batch(_docs(5), _config(stub), KEY)
    assert stats.succeeded == 5
    assert _uploaded_lines(stub) == [2, 2, 1]


def test_batch_files_stay_under_the_byte_limit() -> None:
    lines = [(f"k{i}", json.dumps({"n": i, "pad": "x" * 40}).encode() + b"\n") for i in range(6)]
    groups = batch_api.split_batches(lines, max_bytes=len(lines[0][1]) * 2 + 1)
    assert [len(g) for g in groups] == [2, 2, 2]
    assert sum(len(g) for g in batch_api.split_batches(lines)) == 6
