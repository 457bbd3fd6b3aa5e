"""The Chat tab in a real browser: a Korean question streams an answer and can be stopped, compare mode
shows the base and the tuned answer side by side, and the app serves the same model under /v1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.chat_models import finished_train_run, random_lora

pytestmark = pytest.mark.e2e

RUN_ID = "train-chem-ko"
API_KEY = "e2e-key"
QUESTION = "촉매는 반응 속도를 어떻게 바꾸나요?"


@pytest.fixture(scope="module", autouse=True)
def trained_run_and_api(app_home: Path) -> Iterator[None]:
    """Before the app starts: the tiny model, a finished train run with an adapter, and the /v1 API on."""
    from chemtune import models

    tiny = models.build_tiny(app_home / "models" / "tiny")
    adapter = random_lora(app_home / "runs" / RUN_ID / "adapter", seed=3, base=str(tiny))
    finished_train_run(app_home, RUN_ID, adapter, model="tiny")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHEMTUNE_SERVE_MODEL", "tiny")
        mp.setenv("CHEMTUNE_SERVE_ADAPTERS", RUN_ID)
        mp.setenv("CHEMTUNE_SERVE_API_KEY", API_KEY)
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")  # the openai client below talks to 127.0.0.1
        yield


def bot_text(page, chatbot: str) -> str:
    messages = page.locator(f"#{chatbot} [data-testid='bot']")
    return messages.last.inner_text() if messages.count() else ""


def set_max_tokens(page, value: int) -> None:
    box = page.locator("#chat-max-new input[type='number']")
    box.fill(str(value))
    box.press("Enter")


def test_korean_question_streams_and_compare_shows_two_answers(app_server: str, browser_page,
                                                               tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.goto(app_server)
    page.get_by_role("tab", name="Chat", exact=True).click()

    # Pick the finished train run; its base model is filled in, Load puts both in memory.
    model_box = page.locator("#chat-model input")
    model_box.fill("llama-2-7b")
    model_box.press("Enter")
    expect(model_box).to_have_value("llama-2-7b")
    page.locator("#chat-adapter input").click()
    page.get_by_role("option", name=f"{RUN_ID} (tiny)").click()
    expect(page.locator("#chat-model input")).to_have_value("tiny")
    page.locator("#chat-load").click()
    expect(page.locator("#chat-status")).to_contain_text(f"with adapter {RUN_ID}", timeout=30_000)

    # A long answer streams in: text shows while it is still generating, and Stop ends it.
    page.get_by_role("button", name="Decoding").click()
    set_max_tokens(page, 2048)
    page.locator("#chat-message textarea").fill(QUESTION)
    page.locator("#chat-send").click()
    expect(page.locator("#chat-tuned [data-testid='user']").last).to_contain_text(QUESTION)
    deadline = time.monotonic() + 20
    while not bot_text(page, "chat-tuned").strip() and time.monotonic() < deadline:
        time.sleep(0.05)
    partial = bot_text(page, "chat-tuned")
    assert partial.strip(), "no streamed text appeared"
    page.locator("#chat-stop").click()
    expect(page.locator("#chat-stats")).to_contain_text("stopped", timeout=20_000)
    expect(page.locator("#chat-stats")).to_contain_text("first token")
    expect(page.locator("#chat-stats")).to_contain_text("tokens/s")
    stopped_at = bot_text(page, "chat-tuned")
    assert stopped_at.startswith(partial.strip()[:5])
    page.screenshot(path=tmp_path / "chat-streamed.png", full_page=True)

    # Compare mode: the same question answered with the adapter on and off, side by side.
    page.locator("#chat-clear").click()
    set_max_tokens(page, 24)
    page.locator("#chat-compare input").check()
    expect(page.locator("#chat-base")).to_be_visible()
    page.locator("#chat-message textarea").fill(QUESTION)
    page.locator("#chat-send").click()
    expect(page.locator("#chat-stats")).to_contain_text("Base:", timeout=30_000)
    expect(page.locator("#chat-stats")).to_contain_text("Tuned:")
    tuned, base = bot_text(page, "chat-tuned"), bot_text(page, "chat-base")
    assert tuned.strip() and base.strip() and tuned != base
    page.screenshot(path=tmp_path / "chat-compare.png", full_page=True)

    # The API mounted under /v1 serves the same resident model and adapter.
    from openai import OpenAI

    client = OpenAI(base_url=f"{app_server}v1", api_key=API_KEY, max_retries=0, timeout=60)
    assert {m.id for m in client.models.list()} == {"tiny", RUN_ID}
    answer = client.chat.completions.create(model=RUN_ID, max_tokens=8,
                                            messages=[{"role": "user", "content": QUESTION}])
    assert answer.usage.completion_tokens >= 1 and answer.choices[0].message.content
