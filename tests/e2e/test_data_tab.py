"""The Data tab in a real browser: point it at a local OpenAI-compatible server, preview three documents,
run the generation job, and find the new dataset listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.datagen_answers import task_answers
from tests.support.openai_stub import OpenAIStub, Reply

pytestmark = pytest.mark.e2e

KEY = "sk-e2e-0a1b2c3d4e5f6a7b8c9d"
DOCUMENTS = """Platinum nanoparticles on nitric-acid-treated carbon black catalyse oxygen reduction.
---
벤젠은 방향족 탄화수소로, 분자식은 C6H6이며 끓는점은 80.1 °C이다.
---
Quaternized poly(phenylene oxide) membranes reach 45 % water uptake at 30 °C.
---
Zeolite ZSM-5 with a Si/Al ratio of 40 converts methanol into light olefins."""


def _field(page, elem_id: str):
    return page.locator(f"#{elem_id}").locator("input, textarea").first


def test_preview_three_documents_then_generate_and_see_the_dataset(
        app_server: str, app_home: Path, browser_page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = browser_page
    with OpenAIStub(responder=task_answers) as stub:
        stub.on("Zeolite ZSM-5", Reply("{this is not JSON", delay=4))  # slow: the run shows live counts
        page.goto(app_server)
        page.get_by_role("tab", name="Generate", exact=True).click()
        _field(page, "data-pasted").fill(DOCUMENTS)
        _field(page, "gen-base-url").fill(stub.base_url)
        _field(page, "data-api-key").fill(KEY)

        page.locator("#data-preview").click()
        table = page.locator("#data-preview-table")
        expect(page.locator("#data-preview-status")).to_contain_text("3 previewed: 3 valid", timeout=30_000)
        expect(table).to_contain_text("Platinum nanoparticles")
        expect(table).to_contain_text("벤젠은 방향족")
        assert stub.count("/v1/chat/completions") == 3
        page.screenshot(path=tmp_path / "data-preview.png", full_page=True)

        _field(page, "gen-out").fill("e2e-set")
        page.locator("#data-run").click()
        status = page.locator("#data-run-status")
        expect(status).to_contain_text("3/4 documents · 3 ok · 0 failed · 3 cached", timeout=15_000)
        expect(page.locator("#data-progress")).to_have_attribute("data-done", "3")
        expect(status).to_contain_text("Dataset e2e-set saved: 3 records, 1 failed", timeout=45_000)
        expect(page.locator("#data-progress")).to_have_attribute("data-done", "4")
        # The three previewed documents came from the cache: only the fourth was asked again.
        assert stub.count("/v1/chat/completions") == 4
        page.screenshot(path=tmp_path / "data-run.png", full_page=True)

    page.get_by_role("tab", name="Datasets", exact=True).click()
    expect(page.locator("#data-overview")).to_contain_text("e2e-set")
    page.locator("#data-picker").locator("input").first.click()
    page.get_by_role("option", name="e2e-set").click()
    expect(page.locator("#data-summary")).to_contain_text("3 records")
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Error", exact=True)).to_have_count(0)  # no handler raised
    assert (app_home / "datasets" / "e2e-set" / "records.jsonl").is_file()
    leaks = [p for p in app_home.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    assert leaks == []
    page.screenshot(path=tmp_path / "data-datasets.png", full_page=True)

    page.get_by_label("한국어").check()
    # One switch re-labels every tab of the app: give it time on a busy two-core machine.
    expect(page.get_by_role("tab", name="데이터셋", exact=True)).to_be_visible(timeout=60_000)
    page.get_by_role("tab", name="생성", exact=True).click()
    expect(page.get_by_text("교사 LLM", exact=True)).to_be_visible()
    page.get_by_role("tab", name="데이터셋", exact=True).click()
    expect(page.locator("#data-overview")).to_contain_text("레코드 수")  # headers follow the language
    page.screenshot(path=tmp_path / "data-ko.png", full_page=True)
