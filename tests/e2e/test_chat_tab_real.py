"""The Chat tab in a real browser with a real model: SmolLM2-135M-Instruct, typed in as a model folder,
answers a chemistry question in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import running_app

pytestmark = [pytest.mark.e2e, pytest.mark.real, pytest.mark.slow, pytest.mark.long]

QUESTION = "What is the chemical formula of water?"


def test_smollm2_answers_a_chemistry_question_in_the_chat_tab(smollm2: Path, browser_page,
                                                              tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = browser_page
    with running_app(tmp_path / "home", tmp_path / "logs") as url:
        page.goto(url)
        page.get_by_role("tab", name="Chat", exact=True).click()
        # The model is typed in, whatever the app's default is.
        model_box = page.locator("#chat-model input")
        model_box.fill(str(smollm2))
        model_box.press("Enter")
        expect(model_box).to_have_value(str(smollm2))
        page.get_by_role("button", name="Decoding").click()
        max_new = page.locator("#chat-max-new input[type='number']")
        max_new.fill("16")
        max_new.press("Enter")
        page.locator("#chat-message textarea").fill(QUESTION)
        page.locator("#chat-send").click()
        # Loading the model on first use and answering, with the tab's default system prompt.
        bot = page.locator("#chat-tuned [data-testid='bot']").last
        expect(bot).to_contain_text("H2O", timeout=120_000)
        expect(page.locator("#chat-status")).to_contain_text(smollm2.name)
        answer = bot.inner_text()
        page.screenshot(path=tmp_path / "chat-smollm2.png", full_page=True)
    assert len(re.findall(r"[A-Za-z]+", answer)) >= 3 and answer.isascii(), answer
