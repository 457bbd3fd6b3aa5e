"""The one retry rule for LLM calls (chemtune.retry), against the local OpenAI-compatible stub server, and
the three callers that use it: the teacher client (generation), endpoint evaluation and remote chat."""

from __future__ import annotations

import time

import openai
import pytest

from chemtune.retry import CHAT, EVALUATION, GENERATION, RetryPolicy
from tests.support.openai_stub import Fail, OpenAIStub, Slow

QUICK = RetryPolicy(attempts=3, backoff_s=0.01, max_wait_s=5.0)


@pytest.fixture
def stub():
    with OpenAIStub(responder=lambda body: "fine") as server:
        yield server


def _ask(stub: OpenAIStub, policy: RetryPolicy = QUICK, timeout: float = 5.0) -> str:
    client = openai.OpenAI(base_url=stub.base_url, api_key="sk-test", max_retries=0, timeout=timeout)
    reply = policy.call(lambda: client.chat.completions.create(
        model="stub-model", messages=[{"role": "user", "content": "hi"}]))
    return reply.choices[0].message.content


def test_a_rate_limit_waits_for_retry_after_then_succeeds(stub: OpenAIStub) -> None:
    stub.script(Fail(429, retry_after=1))
    started = time.monotonic()
    assert _ask(stub) == "fine"
    assert time.monotonic() - started >= 1.0  # the server's wait, not our 0.01 s backoff
    assert stub.count("/v1/chat/completions") == 2


def test_a_server_error_is_tried_again(stub: OpenAIStub) -> None:
    stub.script(Fail(500), Fail(503))
    assert _ask(stub) == "fine"
    assert stub.count("/v1/chat/completions") == 3


def test_a_timeout_is_tried_again(stub: OpenAIStub) -> None:
    stub.script(Slow(2.0))
    assert _ask(stub, timeout=0.5) == "fine"
    assert stub.count("/v1/chat/completions") == 2


def test_a_bad_request_is_not_tried_again(stub: OpenAIStub) -> None:
    stub.script(Fail(400, message="bad request"))
    with pytest.raises(openai.BadRequestError):
        _ask(stub)
    assert stub.count("/v1/chat/completions") == 1


def test_the_last_failure_is_raised_when_the_tries_run_out(stub: OpenAIStub) -> None:
    stub.script(*[Fail(502)] * 5)
    tries: list[int] = []
    client = openai.OpenAI(base_url=stub.base_url, api_key="sk-test", max_retries=0)
    with pytest.raises(openai.InternalServerError):
        QUICK.call(lambda: client.chat.completions.create(
            model="stub-model", messages=[{"role": "user", "content": "hi"}]), on_attempt=tries.append)
    assert tries == [1, 2, 3] and stub.count("/v1/chat/completions") == 3


def test_waits_take_retry_after_capped_else_grow_with_jitter() -> None:
    policy = RetryPolicy(attempts=5, backoff_s=1.0, max_wait_s=30.0)
    assert policy.wait(1, 7.0) == 7.0 and policy.wait(1, 120.0) == 30.0
    first, third = policy.wait(1), policy.wait(3)
    assert 0.75 <= first <= 1.25 and 3.0 <= third <= 5.0
    assert policy.wait(10) == 30.0


def test_a_chat_turn_tries_fewer_times_and_waits_less_than_a_job() -> None:
    assert CHAT.attempts < EVALUATION.attempts <= GENERATION.attempts
    assert CHAT.max_wait_s < EVALUATION.max_wait_s <= GENERATION.max_wait_s


def test_remote_chat_retries_the_start_of_a_turn_then_names_the_error(stub: OpenAIStub) -> None:
    from chemtune.chat.remote import RemoteChat
    from chemtune.errors import ChemtuneError

    chat = RemoteChat(stub.base_url, "stub-model", retry=RetryPolicy(attempts=2, backoff_s=0.01))
    stub.script(Fail(503))
    *_, (_, reply) = chat.stream([{"role": "user", "content": "hi"}])
    assert reply.text == "fine" and stub.count("/v1/chat/completions") == 2
    stub.script(Fail(503), Fail(503))
    with pytest.raises(ChemtuneError, match="answered 503"):
        list(chat.stream([{"role": "user", "content": "hi"}]))
    assert stub.count("/v1/chat/completions") == 4  # two tries, then the person sees the error


def test_the_teacher_client_gives_up_after_the_run_s_tries(stub: OpenAIStub) -> None:
    from chemtune.datagen.client import LLMClient, LLMRequestError, LLMSettings
    from chemtune.datagen.pipeline import run_coroutine

    settings = LLMSettings(base_url=stub.base_url, max_attempts=2, backoff_s=0.01)
    stub.script(Fail(500), Fail(500))

    async def ask() -> None:
        client = LLMClient(settings, "sk-test")
        try:
            await client.complete([{"role": "user", "content": "hi"}], {})
        finally:
            await client.close()

    with pytest.raises(LLMRequestError, match="gave up after 2 attempt"):
        run_coroutine(ask())
    assert stub.count("/v1/chat/completions") == 2


def test_endpoint_evaluation_scores_a_question_that_keeps_failing_as_its_error(stub: OpenAIStub) -> None:
    from chemtune.evaluate.scoring import ask_endpoint, endpoint_client

    stub.on("second", Fail(503), Fail(503))
    conversations = [[{"role": "user", "content": text}] for text in ("first", "second")]
    answers = ask_endpoint(endpoint_client(stub.base_url), "stub-model", conversations, concurrency=1,
                           retry=RetryPolicy(attempts=2, backoff_s=0.01))
    assert answers[0] == ("fine", None)
    assert answers[1][0] == "" and "HTTP 503" in answers[1][1]
    assert stub.count("/v1/chat/completions") == 3  # the failing question was asked twice
