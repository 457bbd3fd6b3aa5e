"""The app shell in a real browser: every tab opens, the language switch re-labels everything."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import app
import pages

pytestmark = pytest.mark.e2e

KOREAN_HEADER = "범용 LLM을 한국어·영어 화학 전문 모델로 인스트럭션 튜닝합니다."


def visit_every_tab(page, lang: str) -> None:
    """Click each tab by its title in `lang`; its panel must show, with buttons to press."""
    from playwright.sync_api import expect

    for module in pages.PAGES:
        name = module.__name__.rsplit(".", 1)[-1]
        tab = page.get_by_role("tab", name=module.STRINGS["tab"][lang], exact=True)
        tab.click()
        expect(tab).to_have_attribute("aria-selected", "true")
        panel = page.locator(f"#tab-{name}")
        expect(panel).to_be_visible()
        expect(panel.locator("button:visible").first).to_be_visible()


def test_every_tab_opens_and_the_korean_switch_relabels_the_app(
    app_server: str, app_home: Path, browser_page, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.goto(app_server)
    expect(page).to_have_title("chemtune")
    visit_every_tab(page, "en")

    footer = page.locator("#chemtune-footer")
    expect(footer).to_contain_text(str(app_home))
    expect(footer).to_contain_text(re.compile(r"Device:.*(GPU|CPU)"))
    page.screenshot(path=tmp_path / "app-en.png", full_page=True, timeout=60_000)

    page.get_by_label("한국어").check()
    # One event re-labels every component of every tab and redraws what handlers wrote (about two seconds
    # on a quiet two-core machine with every tab drawn; the timeout leaves room for a busy one).
    expect(page.get_by_role("tab", name="학습", exact=True)).to_be_visible(timeout=60_000)
    expect(page.get_by_role("tab", name="Train", exact=True)).to_have_count(0, timeout=30_000)
    expect(page.get_by_text(KOREAN_HEADER)).to_be_visible()
    visit_every_tab(page, "ko")
    expect(footer).to_contain_text("작업 폴더")
    expect(footer).to_contain_text(str(app_home))
    page.screenshot(path=tmp_path / "app-ko.png", full_page=True, timeout=60_000)

    page.get_by_label("English").check()
    expect(page.get_by_role("tab", name="Train", exact=True)).to_be_visible(timeout=60_000)
    assert app.STRINGS["header"]["ko"].endswith(KOREAN_HEADER)
