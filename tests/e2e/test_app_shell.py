"""The app shell in a real browser: every tab opens, the language switch re-labels everything."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

# page id -> (English title, text its page shows, Korean title, Korean text)
TABS = {
    "data": ("Data", "Instruction data", "데이터", "인스트럭션 데이터"),
    "train": ("Train", "LoRA tuning", "학습", "LoRA 학습"),
    "evaluate": ("Evaluate", "MMLU chemistry", "평가", "MMLU 화학"),
    "chat": ("Chat", "Streaming chat", "채팅", "스트리밍 채팅"),
}


def test_every_tab_shows_its_page_and_korean_switch_relabels_it(
    app_server: str, app_home: Path, browser_page, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.goto(app_server)
    expect(page).to_have_title("chemtune")

    for name, (title, content, _, _) in TABS.items():
        page.get_by_role("tab", name=title, exact=True).click()
        expect(page.get_by_role("tab", name=title, exact=True)).to_have_attribute("aria-selected", "true")
        panel = page.locator(f"#tab-{name}")
        expect(panel.get_by_text(content, exact=True)).to_be_visible()
        expect(panel.get_by_text("Not available yet.")).to_be_visible()
        expect(panel.get_by_role("button")).to_have_count(0)  # nothing pretends to work

    footer = page.locator("#chemtune-footer")
    expect(footer).to_contain_text(str(app_home))
    expect(footer).to_contain_text(re.compile(r"Device:.*(GPU|CPU)"))
    page.screenshot(path=tmp_path / "app-en.png", full_page=True)

    page.get_by_label("한국어").check()
    expect(page.get_by_role("tab", name="학습", exact=True)).to_be_visible()
    expect(page.get_by_role("tab", name="Train", exact=True)).to_have_count(0)
    for name, (_, _, title, content) in TABS.items():
        page.get_by_role("tab", name=title, exact=True).click()
        panel = page.locator(f"#tab-{name}")
        expect(panel.get_by_text(content, exact=True)).to_be_visible()
        expect(panel.get_by_text("아직 사용할 수 없습니다.")).to_be_visible()
    expect(footer).to_contain_text("작업 폴더")
    expect(footer).to_contain_text(str(app_home))
    page.screenshot(path=tmp_path / "app-ko.png", full_page=True)

    page.get_by_label("English").check()
    expect(page.get_by_role("tab", name="Train", exact=True)).to_be_visible()
