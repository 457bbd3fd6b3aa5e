"""`serve` with the tiny model and a LoRA adapter trained here, spoken to by the official `openai` client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.chat_models import QUESTION_KO, SYSTEM_KO, TARGET_KO, ServerThread, trained_lora

API_KEY = "test-key"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from chemtune.chat.engine import ChatEngine
    from chemtune.chat.server import create_app
    from tests.conftest import OFFLINE, _free_port

    home = tmp_path_factory.mktemp("serve") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHEMTUNE_HOME", str(home))
        for name, value in OFFLINE.items():
            mp.setenv(name, value)
        adapter = trained_lora(home / "chem-ko")
        engine = ChatEngine().load("tiny", {"chem-ko": str(adapter)}, device="cpu")
        app = create_app(engine, api_key=API_KEY, default_max_tokens=24)
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")  # the openai client must not use a proxy for it
        with ServerThread(app, _free_port()) as running:
            yield running.url


@pytest.fixture
def client(server: str):
    from openai import OpenAI

    return OpenAI(base_url=server, api_key=API_KEY, max_retries=0, timeout=60)


def ask(client, model: str = "tiny", stream: bool = False, **extra):
    messages = [{"role": "system", "content": SYSTEM_KO}, {"role": "user", "content": QUESTION_KO}]
    return client.chat.completions.create(model=model, messages=messages, stream=stream, max_tokens=16,
                                          **extra)


def streamed_text(stream) -> tuple[str, list, object]:
    pieces, finishes, usage = [], [], None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            pieces.append(choice.delta.content or "")
            finishes.append(choice.finish_reason)
    return "".join(pieces), finishes, usage


def test_models_lists_the_base_and_each_adapter(client) -> None:
    assert [m.id for m in client.models.list()] == ["tiny", "chem-ko"]


def test_plain_completion_has_text_and_usage_counts(client) -> None:
    response = ask(client)
    assert response.object == "chat.completion"
    assert response.choices[0].message.role == "assistant"
    assert response.choices[0].message.content
    assert response.choices[0].finish_reason in ("stop", "length")
    usage = response.usage
    assert usage.prompt_tokens > 10 and usage.completion_tokens >= 1
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_korean_streamed_chunks_join_to_the_greedy_plain_answer(client) -> None:
    plain = ask(client, model="chem-ko")
    text, finishes, usage = streamed_text(ask(client, model="chem-ko", stream=True,
                                              stream_options={"include_usage": True}))
    assert text == plain.choices[0].message.content
    assert finishes[-1] == plain.choices[0].finish_reason and all(f is None for f in finishes[:-1])
    assert usage.completion_tokens == plain.usage.completion_tokens
    assert usage.prompt_tokens == plain.usage.prompt_tokens


def test_trained_adapter_chosen_by_model_answers_what_it_learned(client) -> None:
    base = ask(client, model="tiny").choices[0].message.content
    tuned = ask(client, model="chem-ko", max_completion_tokens=40).choices[0].message.content
    assert tuned != base
    assert tuned.startswith(TARGET_KO[:3])  # the Korean it was taught comes back intact
    # The base answer is unchanged after the adapter was used (adapters are disabled, not merged).
    assert ask(client, model="tiny").choices[0].message.content == base


def test_greedy_answers_repeat_exactly(client) -> None:
    answers = {ask(client, model=m).choices[0].message.content for m in ("chem-ko", "chem-ko", "chem-ko")}
    assert len(answers) == 1


def test_sse_stream_is_openai_chunk_format_ending_with_done(server: str) -> None:
    body = {"model": "tiny", "stream": True, "max_tokens": 4, "messages": [{"role": "user", "content": "산"}]}
    with httpx.stream("POST", f"{server}/chat/completions", json=body, timeout=60,
                      headers={"Authorization": f"Bearer {API_KEY}"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    assert '"object": "chat.completion.chunk"' in lines[0] and '"role": "assistant"' in lines[0]


def test_unknown_model_is_404_with_openai_error(client) -> None:
    import openai

    with pytest.raises(openai.NotFoundError) as caught:
        ask(client, model="no-such-adapter")
    error = caught.value.body
    assert error["code"] == "model_not_found" and "no-such-adapter" in error["message"]
    assert error["type"] == "invalid_request_error"


def test_wrong_or_missing_key_is_401(server: str) -> None:
    import openai

    wrong = openai.OpenAI(base_url=server, api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        wrong.models.list()
    assert caught.value.body["code"] == "invalid_api_key"
    response = httpx.post(f"{server}/chat/completions", json={"model": "tiny", "messages": []}, timeout=30)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_api_key"


@pytest.mark.parametrize("body, field", [
    ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
    ({"model": "tiny", "messages": "hi"}, "messages"),
    ({"model": "tiny", "messages": [{"role": "robot", "content": "hi"}]}, "role"),
    ({"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "temperature": -1}, "temperature"),
    ({"model": "tiny", "messages": [{"role": "assistant", "content": "hi"}]}, "last message"),
])
def test_malformed_request_is_400_naming_the_problem(server: str, body: dict, field: str) -> None:
    response = httpx.post(f"{server}/chat/completions", json=body, timeout=30,
                          headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and field in error["message"]


def test_body_that_is_not_json_is_400(server: str) -> None:
    response = httpx.post(f"{server}/chat/completions", content=b"{not json", timeout=30,
                          headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


def test_remote_backend_streams_from_the_server_like_the_local_engine(client, server: str) -> None:
    from chemtune.chat.engine import Settings
    from chemtune.chat.remote import RemoteChat

    remote = RemoteChat(server, "chem-ko", API_KEY)
    assert remote.model_names() == ["tiny", "chem-ko"]
    messages = [{"role": "system", "content": SYSTEM_KO},
                {"role": "user", "content": [{"type": "text", "text": QUESTION_KO}]}]
    pieces, reply = [], None
    for piece, latest in remote.stream(messages, settings=Settings(max_new_tokens=16)):
        pieces.append(piece)
        reply = latest
    assert reply.finish_reason in ("stop", "length")
    assert "".join(pieces) == reply.text == ask(client, model="chem-ko").choices[0].message.content
    assert reply.tokens == ask(client, model="chem-ko").usage.completion_tokens
    assert reply.ttft_ms is not None and reply.ttft_ms > 0


def test_remote_backend_explains_a_wrong_key_and_an_unknown_model(server: str) -> None:
    from chemtune.chat.remote import RemoteChat
    from chemtune.errors import ChemtuneError

    with pytest.raises(ChemtuneError, match="refused the API key"):
        RemoteChat(server, "tiny", "wrong").model_names()
    with pytest.raises(ChemtuneError, match="does not exist"):
        list(RemoteChat(server, "nope", API_KEY).stream([{"role": "user", "content": "hi"}]))


def test_the_app_refuses_an_open_api_beside_a_login_protected_page():
    from chemtune.chat.server import api_from_env
    from chemtune.errors import ChemtuneError

    with pytest.raises(ChemtuneError, match="CHEMTUNE_SERVE_API_KEY"):
        api_from_env({"CHEMTUNE_SERVE_MODEL": "tiny", "CHEMTUNE_AUTH": "chemist:secret"})


def test_a_client_that_hangs_up_does_not_hold_up_the_next_one(server: str, client) -> None:
    import time

    import httpx

    long_request = {"model": "tiny", "messages": [{"role": "user", "content": "촉매란?"}], "max_tokens": 1900}
    with pytest.raises(httpx.TimeoutException):
        httpx.post(f"{server}/chat/completions", json=long_request, timeout=0.5,
                   headers={"Authorization": f"Bearer {API_KEY}"})
    started = time.monotonic()
    reply = client.chat.completions.create(model="tiny", max_tokens=4,
                                           messages=[{"role": "user", "content": "pH?"}])
    assert reply.choices[0].message.content is not None
    # the abandoned answer (1,900 tokens, seconds of work) was stopped, not finished first
    assert time.monotonic() - started < 1.5


# ---- requests checked before the stream starts, errors in OpenAI's shape, a queue that leaves threads free

LONG = "촉매 반응 " * 1500  # more tokens than the tiny model's 2,048 positions
NEARLY_FULL = "촉매 반응 " * 940  # about 1,900 tokens: room for a short answer, not for 500 tokens


@pytest.mark.parametrize("stream", [False, True])
def test_a_conversation_longer_than_the_context_is_400_streamed_or_not(client, stream: bool) -> None:
    import openai

    with pytest.raises(openai.BadRequestError) as caught:
        response = client.chat.completions.create(model="chem-ko", stream=stream, max_tokens=5,
                                                  messages=[{"role": "user", "content": LONG}])
        list(response) if stream else None
    assert caught.value.status_code == 400
    assert caught.value.body["code"] == "context_length_exceeded"
    assert "reads at most 2048" in caught.value.body["message"]


def test_prompt_plus_max_tokens_beyond_the_context_is_400_naming_the_room_left(client) -> None:
    import openai

    messages = [{"role": "user", "content": NEARLY_FULL}]
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="tiny", stream=True, max_tokens=500, messages=messages)
    assert "Ask for at most" in caught.value.body["message"]
    fits = client.chat.completions.create(model="tiny", max_tokens=2, messages=messages)
    assert fits.usage.prompt_tokens + 500 > 2048 and fits.usage.completion_tokens == 2


def test_tool_messages_are_refused_saying_tools_are_not_supported(server: str) -> None:
    body = {"model": "tiny", "messages": [{"role": "user", "content": "hi"},
                                          {"role": "tool", "content": "42", "tool_call_id": "c1"}]}
    response = httpx.post(f"{server}/chat/completions", json=body, timeout=30,
                          headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 400
    assert "tools and function calling are not supported" in response.json()["error"]["message"]


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory):
    """A server without a key over an engine the test can reach (to hold it busy or make it fail)."""
    from chemtune.chat.engine import ChatEngine
    from chemtune.chat.server import create_app
    from tests.conftest import OFFLINE, _free_port

    home = tmp_path_factory.mktemp("serve-own") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHEMTUNE_HOME", str(home))
        for name, value in OFFLINE.items():
            mp.setenv(name, value)
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")
        engine = ChatEngine().load("tiny", device="cpu")
        with ServerThread(create_app(engine, default_max_tokens=4), _free_port()) as running:
            yield engine, running.url


def test_models_answer_at_once_while_many_completions_wait_for_the_engine(own) -> None:
    import threading
    import time

    engine, url = own
    body = {"model": "tiny", "messages": [{"role": "user", "content": "촉매란?"}], "max_tokens": 2}
    statuses: list[int] = []

    def complete() -> None:
        statuses.append(httpx.post(f"{url}/chat/completions", json=body, timeout=120).status_code)

    stream_body = body | {"stream": True}
    streams = [threading.Thread(target=lambda: statuses.append(
        httpx.post(f"{url}/chat/completions", json=stream_body, timeout=120).status_code)) for _ in range(5)]
    waiting = [threading.Thread(target=complete) for _ in range(45)] + streams
    with engine._lock:  # the engine is busy (as with a long answer in the Chat tab): everyone queues
        for thread in waiting:
            thread.start()
        time.sleep(1.5)  # all 50 requests are in and waiting
        started = time.monotonic()
        models = httpx.get(f"{url}/models", timeout=10)
        assert models.status_code == 200 and models.json()["data"][0]["id"] == "tiny"
        # Queued behind the engine it would wait as long as the lock is held: here, until its timeout.
        assert time.monotonic() - started < 5.0
    for thread in waiting:
        thread.join(timeout=120)
    assert statuses == [200] * 50


def test_a_failure_while_generating_is_500_server_error_streamed_or_not(own, monkeypatch) -> None:
    engine, url = own

    def out_of_memory(**kwargs):
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(engine.model, "generate", out_of_memory)
    body = {"model": "tiny", "messages": [{"role": "user", "content": "촉매란?"}]}
    response = httpx.post(f"{url}/chat/completions", json=body, timeout=60)
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["type"] == "server_error" and "out of memory" in error["message"]
    streamed_body = body | {"stream": True}
    with httpx.stream("POST", f"{url}/chat/completions", json=streamed_body, timeout=60) as streamed:
        lines = [line for line in streamed.iter_lines() if line]
    assert '"type": "server_error"' in lines[-1] and "out of memory" in lines[-1]


@pytest.mark.parametrize("stream", [False, True])
def test_a_seed_torch_cannot_take_is_400_naming_the_seed(own, stream: bool) -> None:
    _, url = own
    body = {"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "stream": stream,
            "seed": 99999999999999999999999, "temperature": 1}
    response = httpx.post(f"{url}/chat/completions", json=body, timeout=60)
    assert response.status_code == 400
    assert "seed" in response.json()["error"]["message"]


def test_unexpected_errors_and_unknown_routes_answer_in_openai_shape(own, monkeypatch) -> None:
    engine, url = own

    def broken(*args, **kwargs):
        raise KeyError("tokenizer state")

    monkeypatch.setattr(engine, "prompt_ids", broken)
    body = {"model": "tiny", "messages": [{"role": "user", "content": "hi"}]}
    response = httpx.post(f"{url}/chat/completions", json=body, timeout=60)
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error"
    for path in (f"{url}/embeddings", url.removesuffix("/v1") + "/nowhere"):
        missing = httpx.get(path, timeout=10)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
