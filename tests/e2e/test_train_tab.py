"""The Train tab in a real browser: a tiny two-process FSDP run started from the page puts points on
the loss curve, and a fresh page reattaches to it."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from pathlib import Path

import pytest

from chemtune import hardware, models

pytestmark = pytest.mark.e2e


def test_tiny_run_started_from_the_train_tab_draws_its_loss_curve(app_server: str, app_home: Path,
                                                                   browser_page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    tiny = models.build_tiny(tmp_path / "tiny")
    page = browser_page
    page.set_default_timeout(30_000)
    page.goto(app_server)
    page.get_by_role("tab", name="Train", exact=True).click()
    panel = page.locator("#tab-train")
    # Opened first: a closed accordion's widgets are drawn when it opens, with their default values.
    panel.get_by_text("Hardware and precision").click()
    processes = panel.locator("#train-num-processes input").first
    expect(processes).to_be_visible()

    model = panel.locator("#train-model input")
    model.fill(str(tiny))
    model.press("Enter")
    # Two processes sharing the model with FSDP: the generated widgets reach the worker.
    settings = {"#train-max-length": "256", "#train-max-steps": "6", "#train-batch-size": "2",
                "#train-grad-accum": "1", "#train-num-processes": "2"}
    for elem_id, value in settings.items():
        field = panel.locator(f"{elem_id} input").first
        field.fill(value)
        field.press("Tab")
        expect(field).to_have_value(value)
    panel.locator("#train-distributed input").click()
    page.get_by_role("option", name="FSDP", exact=True).click()
    expect(panel.locator("#train-distributed input")).to_have_value("FSDP")
    expect(processes).to_have_value("2")

    panel.locator("#train-estimate").click()
    expect(panel.locator("#train-message")).to_contain_text("steps", timeout=60_000)
    expect(panel.locator("#train-message")).to_contain_text("6 steps")

    panel.locator("#train-start").click()
    expect(panel.locator("#train-message")).to_contain_text("Started", timeout=60_000)
    # The timer reads new events every ~2 s: the curve gains points while the run trains.
    points = panel.locator("#train-curve .scatterlayer .trace path, #train-curve .scatterlayer .point")
    expect(points.first).to_be_attached(timeout=90_000)
    expect(panel.locator("#train-status")).to_contain_text("done", timeout=90_000)
    expect(panel.locator("#train-status")).to_contain_text("step 6/6")
    expect(panel.locator("#train-runs")).to_contain_text("done")
    expect(panel.locator("#train-log textarea")).to_have_value(re.compile(r"2 process\(es\) \(FSDP\)"))
    # Each of the two CPU processes computes on its share of the cores, and the page says how many.
    threads = f"{hardware.cpu_threads(2)} CPU threads per process"
    expect(panel.locator("#train-memory")).to_contain_text(threads)
    page.screenshot(path=str(tmp_path / "train-tab.png"), full_page=True)

    # A fresh page reattaches to the run and redraws its curve from the run folder alone.
    page.reload()
    page.get_by_role("tab", name="Train", exact=True).click()
    expect(panel.locator("#train-status")).to_contain_text("step 6/6", timeout=30_000)
    expect(points.first).to_be_attached()
    runs = sorted(p.name for p in (app_home / "runs").iterdir() if p.name.startswith("train-"))
    assert len(runs) == 1 and (app_home / "runs" / runs[0] / "adapter" / "adapter_model.safetensors").exists()


@pytest.mark.long
def test_a_run_outlives_an_app_restart_and_the_new_app_reattaches(browser, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Start a run from the page, stop the app: training goes on. A new app on the same workspace shows
    the run still moving; its Abort stops it and its Resume continues it where it stopped."""
    from playwright.sync_api import expect

    from chemtune import jobs
    from tests.conftest import running_app

    home, tiny = tmp_path / "home", models.build_tiny(tmp_path / "tiny")
    monkeypatch.setenv("CHEMTUNE_HOME", str(home))  # this test reads the apps' workspace

    def wait_for(condition, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        return True

    def train_steps(run_dir: Path) -> int:
        rows, _ = jobs.read_jsonl_since(run_dir / "events.jsonl", 0)
        return sum(1 for row in rows if row.get("type") == "train")

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        with running_app(home, tmp_path / "logs-first") as url:
            page.goto(url)
            page.get_by_role("tab", name="Train", exact=True).click()
            panel = page.locator("#tab-train")
            model = panel.locator("#train-model input")
            model.fill(str(tiny))
            model.press("Enter")
            for elem_id, value in {"#train-max-length": "256", "#train-max-steps": "5000",
                                   "#train-batch-size": "2", "#train-grad-accum": "1"}.items():
                field = panel.locator(f"{elem_id} input").first
                field.fill(value)
                field.press("Tab")
            panel.locator("#train-start").click()
            expect(panel.locator("#train-message")).to_contain_text("Started", timeout=60_000)
            run_dir = next((home / "runs").glob("train-*"))
            assert wait_for(lambda: train_steps(run_dir) >= 1, 120), "training never started"
        # The app is gone; its training run is not.
        run_id = run_dir.name
        before = train_steps(run_dir)
        assert wait_for(lambda: train_steps(run_dir) > before, 60), "training stopped with the app"
        assert jobs.run_folder(run_id).status()["status"] == "running"

        with running_app(home, tmp_path / "logs-second") as url:
            page.goto(url)
            page.get_by_role("tab", name="Train", exact=True).click()
            panel = page.locator("#tab-train")
            expect(panel.locator("#train-run input")).to_have_value(run_id)
            expect(panel.locator("#train-status")).to_contain_text("running")
            shown = panel.locator("#train-status")
            first = shown.inner_text()
            expect(shown).not_to_have_text(first, timeout=15_000)  # the step count goes on
            points = panel.locator("#train-curve .scatterlayer .trace path")
            expect(points.first).to_be_attached(timeout=30_000)  # plotly loads on first use
            panel.locator("#train-abort").click()
            expect(panel.locator("#train-status")).to_contain_text("aborted", timeout=60_000)
            assert (run_dir / "adapter" / "adapter_model.safetensors").exists()
            stopped_at = train_steps(run_dir)

            # Resume continues the aborted run from its checkpoint, in the same folder.
            panel.locator("#train-resume").click()
            expect(panel.locator("#train-status")).to_contain_text("running", timeout=60_000)
            assert wait_for(lambda: train_steps(run_dir) > stopped_at, 60), "the resumed run took no step"
            panel.locator("#train-abort").click()
            expect(panel.locator("#train-status")).to_contain_text("aborted", timeout=60_000)
        rows, _ = jobs.read_jsonl_since(run_dir / "events.jsonl", 0)
        resumed = next(row for row in rows if row.get("type") == "resume")
        steps = [row["step"] for row in rows if row.get("type") == "train"]
        assert steps == list(range(1, len(steps) + 1)) and steps[-1] > stopped_at  # no step repeated
        assert resumed["step"] == stopped_at
    finally:
        context.close()
        for row in jobs.list_runs(kind="train"):  # a failed test leaves no training behind
            status = jobs.run_folder(row["run_id"]).status()
            if status.get("status") in jobs.ACTIVE and status.get("pid"):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(status["pid"], signal.SIGKILL)
