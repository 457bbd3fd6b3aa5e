"""The Study tab in a real browser: write a tiny study, see its plan, start it, watch the cells finish,
read the table; a reload reattaches to the study."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
TINY_STUDY = ("{name: tab-study, models: [tiny], conditions: {none: [], all: [sample]}, "
              "train: {max_steps: 1, max_length: 256, batch_size: 2, grad_accum: 1, val_split: 0, "
              "eval_steps: 0}, benchmarks: [{benchmark: sample}]}")


def test_the_study_tab_runs_a_tiny_study_and_shows_its_table(app_server: str, app_home: Path,
                                                              browser_page) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.goto(app_server)
    page.get_by_role("tab", name="Study", exact=True).click()
    editor = page.locator("#study-yaml textarea")
    expect(editor).to_have_value(re.compile(r"name: paper-mini"))  # the template it opens on
    editor.fill(TINY_STUDY)

    page.locator("#study-plan").click()
    expect(page.locator("#study-message")).to_contain_text("3 cells (1 training runs, 2 evaluations)",
                                                           timeout=60_000)
    cells = page.locator("#study-cells")
    for key in ("train", "evaluate", "pending"):
        expect(cells).to_contain_text(key)

    page.locator("#study-start").click()
    expect(page.locator("#study-message")).to_contain_text("started", timeout=30_000)
    state = page.locator("#study-state")
    expect(state).to_contain_text("tab-study-", timeout=15_000)
    expect(state).to_contain_text("3 done", timeout=240_000)
    tables = page.locator("#study-tables")
    for text in ("sample", "macro-F1", "high_school", "Δ accuracy vs none", "McNemar p", "0/72"):
        expect(tables).to_contain_text(text, timeout=15_000)
    rows = tables.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("none")
    expect(rows.nth(1)).to_contain_text("all")
    expect(rows.nth(1).locator("td").nth(7)).to_contain_text("[")  # Δ with its interval
    expect(page.locator("#study-plot .js-plotly-plot")).to_be_visible()
    assert len(list((app_home / "studies").glob("tab-study-*/plan.json"))) == 1

    # A fresh page reattaches to the study and shows its table again.
    page.reload()
    page.get_by_role("tab", name="Study", exact=True).click()
    expect(page.locator("#study-state")).to_contain_text("3 done", timeout=30_000)
    expect(page.locator("#study-tables")).to_contain_text("Δ accuracy vs none", timeout=15_000)
