"""The Korean walk-through in a real browser: switched to 한국어, every tab shows no English UI text.

A Korean reader's browser (locale ko-KR) opens the app, picks 한국어 once, and visits each tab (one test
per tab: `-k chat`, `-k evaluate` …); every accordion is opened, and the visible text, the placeholders and
what the pickers show are read. On the Chat and Train tabs the test also presses buttons and reads what
the handlers write (status lines, estimates, errors). Switching after the page opens also catches text
that was built once and never registered for translation. What may stay in Latin script is decided in
tests/support/korean_text.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import pages
from tests.support.korean_text import findings, names_in_workspace

pytestmark = pytest.mark.e2e

PAGE_NAMES = [page.__name__.rsplit(".", 1)[-1] for page in pages.PAGES]
TAB_TITLES = {page.__name__.rsplit(".", 1)[-1]: page.STRINGS["tab"]["ko"] for page in pages.PAGES}

# Visible text, placeholders and what each picker shows, inside one element. Code (rendered from Markdown
# backticks) comes back in backticks, as it was written; chat messages are the conversation, not UI text.
READ_TEXT = """(root) => {
  const shown = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const content = "[data-testid='bot'], [data-testid='user'], textarea, script, style";
  const out = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement, text = node.textContent.trim();
    if (!text || !parent || parent.closest(content) || !shown(parent)) continue;
    out.push(["text", parent.closest("code, pre") ? "`" + text + "`" : text]);
  }
  for (const el of root.querySelectorAll("input, textarea")) {
    if (!shown(el)) continue;
    if (el.placeholder) out.push(["placeholder", el.placeholder]);
    if (el.getAttribute("role") === "listbox" && el.value) out.push(["picker", el.value]);
  }
  return out;
}"""


@pytest.fixture(scope="module")
def korean_page(browser, app_server: str) -> Iterator[object]:
    """The app in a Korean browser, switched to 한국어 once; every tab's test then reads the same page."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(app_server)
    page.get_by_label("한국어").check()
    # One event re-labels every component of every tab (seconds; the timeout leaves room for a busy machine).
    expect(page.get_by_role("tab", name=TAB_TITLES["chat"], exact=True)).to_be_visible(timeout=60_000)
    yield page
    context.close()


def open_tab(page, tab: str):
    from playwright.sync_api import expect

    button = page.get_by_role("tab", name=TAB_TITLES[tab], exact=True)
    button.click()
    expect(button).to_have_attribute("aria-selected", "true")
    panel = page.locator(f"#tab-{tab}")
    expect(panel).to_be_visible()
    return panel


def open_accordions(panel) -> None:
    """Open every closed accordion that shows, so the widgets inside are drawn and read too."""
    for _ in range(50):  # an accordion may hold another; opening one may show more
        closed = [item for item in panel.locator("button.label-wrap:not(.open)").all() if item.is_visible()]
        if not closed:
            return
        closed[0].click()


def english_on(page, where, home: Path, monkeypatch: pytest.MonkeyPatch, label: str) -> list[str]:
    monkeypatch.setenv("CHEMTUNE_HOME", str(home))
    names = names_in_workspace()
    texts = [(f"{label} {kind}", text) for kind, block in where.evaluate(READ_TEXT)
             for text in block.splitlines() if text.strip()]
    # A toast's message is the app's; its header ("Error") is Gradio's own, shown whatever the locale.
    toasts = page.locator("[data-testid='toast-text']")
    texts += [(f"{label} toast", toasts.nth(i).inner_text()) for i in range(toasts.count())]
    return findings(texts, names)


def chat_actions(page, panel) -> None:
    """Load the tiny model, answer one message, then ask for a comparison without an adapter (an error)."""
    from playwright.sync_api import expect

    model = panel.locator("#chat-model input")
    model.fill("tiny")
    model.press("Enter")
    status = panel.locator("#chat-status")
    before = status.inner_text()
    panel.locator("#chat-load").click()
    expect(status).not_to_have_text(before, timeout=60_000)
    box = panel.locator("#chat-max-new input[type='number']")
    box.fill("4")
    box.press("Enter")
    panel.locator("#chat-message textarea").fill("촉매란 무엇인가요?")
    panel.locator("#chat-send").click()
    expect(panel.locator("#chat-stats")).not_to_be_empty(timeout=60_000)
    expect(panel.locator(".progress-text")).to_have_count(0, timeout=60_000)  # the answer is finished
    panel.locator("#chat-compare input").check()
    panel.locator("#chat-message textarea").fill("촉매란 무엇인가요?")
    panel.locator("#chat-send").click()
    expect(page.locator("[data-testid='toast-text']").first).to_be_visible(timeout=60_000)


def train_actions(page, panel) -> None:
    """Estimate the default run, and press Abort with no run chosen (the page says what to do)."""
    from playwright.sync_api import expect

    message = panel.locator("#train-message")
    panel.locator("#train-estimate").click()
    expect(message).not_to_be_empty(timeout=60_000)
    estimate = message.inner_text()
    panel.locator("#train-abort").click()
    expect(message).not_to_have_text(estimate)
    expect(panel.locator("#train-status")).not_to_be_empty(timeout=15_000)
    # Gradio's own "processing | 0.3s" shows while a handler runs: read the page once they are done.
    expect(panel.locator(".progress-text")).to_have_count(0, timeout=60_000)


ACTIONS = {"chat": chat_actions, "train": train_actions}


@pytest.mark.parametrize("tab", PAGE_NAMES)
def test_korean_tab_in_the_browser_shows_no_english(korean_page, app_home: Path, tab: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    page = korean_page
    panel = open_tab(page, tab)
    open_accordions(panel)
    found = english_on(page, panel, app_home, monkeypatch, tab)
    if tab in ACTIONS:
        ACTIONS[tab](page, panel)
        open_accordions(panel)
        found += english_on(page, panel, app_home, monkeypatch, f"{tab} (after actions)")
    page.screenshot(path=tmp_path / f"korean-{tab}.png", full_page=True)
    assert not found, f"English UI text on the Korean {tab} tab:\n" + "\n".join(dict.fromkeys(found))


def test_korean_app_shell_in_the_browser_shows_no_english(korean_page, app_home: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    page = korean_page
    found = []
    for where in ("h1", "#chemtune-footer"):
        found += english_on(page, page.locator(where).first, app_home, monkeypatch, f"shell {where}")
    assert not found, "English UI text in the Korean app shell:\n" + "\n".join(found)
