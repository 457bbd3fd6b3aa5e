"""The Evaluate tab in a real browser: evaluate the sample exam, see the table, compare, inspect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chemtune import models

pytestmark = pytest.mark.e2e


def run_evaluation(page, label: str, shots: int | None = None) -> None:
    from playwright.sync_api import expect

    page.locator("#eval-label textarea, #eval-label input").first.fill(label)
    if shots is not None:
        page.locator("#eval-shots input").fill(str(shots))
        page.keyboard.press("Tab")
    page.locator("#eval-run").click()
    expect(page.locator("#eval-status")).to_contain_text("started", timeout=15_000)
    expect(page.locator("#eval-status")).to_contain_text(f"({label}) finished", timeout=90_000)


def test_evaluate_the_sample_exam_and_compare_two_rows(
    app_server: str, app_home: Path, browser_page, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.goto(app_server)
    page.get_by_role("tab", name="Evaluate", exact=True).click()
    expect(page.locator("#eval-benchmark input")).to_have_value("Sample chemistry exam (sample)")
    # The newcomer's default is the best model available offline; the fast tiny one is typed in here.
    model = page.locator("#eval-model input")
    expect(model).to_have_value(models.default_model())
    model.fill("tiny")
    model.press("Enter")
    expect(model).to_have_value("tiny")

    # A value out of the declared range is refused by the option's check, naming it as the CLI does
    page.locator("#eval-shots input").fill("30")
    page.keyboard.press("Tab")
    page.locator("#eval-run").click()
    expect(page.locator("#eval-status")).to_contain_text(
        "eval options: Examples (k-shot) (shots): Input should be less than or equal to 25", timeout=15_000)
    page.locator("#eval-shots input").fill("0")
    page.keyboard.press("Tab")

    run_evaluation(page, "tiny zero-shot")
    results = page.locator("#eval-results")
    for subset in ("high_school", "college", "professional", "average (all questions)"):
        expect(results).to_contain_text(subset)
    expect(page.locator("#eval-progress")).to_contain_text("72/72")
    run_evaluation(page, "tiny one-shot", shots=1)

    # Both runs are written as eval jobs with results and predictions
    evals = sorted((app_home / "evals").glob("eval-*/results.json"))
    assert len(evals) == 2
    labels = {json.loads(path.read_text())["label"] for path in evals}
    assert labels == {"tiny zero-shot", "tiny one-shot"}
    assert {json.loads(path.read_text())["shots"] for path in evals} == {0, 1}

    # Compare: one row per evaluation, sub-categories and the average as columns, the best in bold
    page.locator("#eval-refresh").click()
    page.locator("#eval-compare-pick input").click()
    page.get_by_role("option", name="tiny zero-shot", exact=False).click()
    page.locator("#eval-compare-pick input").click()
    page.get_by_role("option", name="tiny one-shot", exact=False).click()
    page.keyboard.press("Escape")
    table = page.locator("#eval-compare-table table")
    expect(table.locator("th")).to_have_text(["Model", "high_school", "college", "professional", "Average"])
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").first.locator("td").first).to_have_text("tiny zero-shot")
    assert table.locator("strong").count() >= 4  # at least one best value per column
    for name in ("CSV", "Markdown", "LaTeX", "JSON"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()

    # Inspect the last run: confusion heatmap and the exact prompt of a question
    expect(page.locator("#eval-heatmap .js-plotly-plot")).to_be_visible(timeout=15_000)
    page.locator("#eval-questions").get_by_text("q-002", exact=True).click()
    expect(page.locator("#eval-question-detail")).to_contain_text(
        "Which of the following atoms has the largest"
    )
    expect(page.locator("#eval-prompt textarea")).to_have_value(
        __import__("re").compile(r"<\|im_start\|>system\n.*<\|im_start\|>assistant\n$", __import__("re").S)
    )
    page.screenshot(path=tmp_path / "evaluate-tab.png", full_page=True)

    # Contamination check of the sample exam against the bundled instruction set
    page.locator("#eval-contam-datasets input").click()
    page.get_by_role("option", name="sample", exact=True).click()
    page.keyboard.press("Escape")
    page.locator("#eval-contam-run").click()
    expect(page.locator("#eval-contam-summary")).to_contain_text("of 72 questions", timeout=15_000)

    # In Korean the same page reads Korean: buttons, choices, table headers, the comparison table
    page.get_by_label("한국어").check()
    # every tab's components are relabelled at once: on a 2-core machine that takes several seconds
    expect(page.locator("#eval-run")).to_have_text("평가 실행", timeout=30_000)
    expect(page.locator("#eval-method")).to_contain_text("로그우도")
    expect(page.locator("#eval-results")).to_contain_text("세부 분류")
    expect(page.locator("#eval-results")).to_contain_text("평균 (전체 문항)")
    expect(table.locator("th").first).to_have_text("모델")
    expect(page.locator("#eval-contam-summary")).to_contain_text("72문항 중")
