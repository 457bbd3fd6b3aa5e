"""A tiny-model study end to end through the CLI: it runs, a rerun starts no job, a kill -9 in the middle
then a rerun finishes without redoing a finished cell, and a failing cell leaves the others to finish."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chemtune import jobs, workspace
from chemtune.study import runner

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
TINY_STUDY = """\
name: tiny
models: [tiny]
conditions:
  none: []
  English: [sample-en]
  Korean: [sample-ko]
mixtures:
  sample-en: [{dataset: sample, langs: [en]}]
  sample-ko: [{dataset: sample, langs: [ko]}]
train: {max_steps: 3, save_steps: 1, max_length: 256, batch_size: 2, grad_accum: 1, val_split: 0,
        eval_steps: 0}
benchmarks:
  - {benchmark: sample}
"""


def study(*args: str, timeout: float = 600) -> dict:
    result = subprocess.run([sys.executable, "-m", "chemtune", "study", *args, "--json"], cwd=REPO,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_ids() -> set[str]:
    home = workspace.home()
    return {p.name for kind in ("runs", "evals") for p in (home / kind).iterdir()
            if (p / "status.json").exists()}


def wait_for(predicate, timeout: float = 300.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_9_in_the_middle_then_rerun_finishes_without_redoing_and_a_third_run_starts_nothing(
        tmp_path: Path) -> None:
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY_STUDY)
    started = study("run", str(config), "--detach")
    folder = runner.StudyFolder(started["study_id"])

    def training_midway() -> dict | None:
        cells = folder.cells()
        first, train = cells.get("eval/tiny/none/sample", {}), cells.get("train/tiny/English", {})
        if first.get("status") == "done" and train.get("run_id"):
            status = jobs.run_folder(train["run_id"]).raw_status()
            if status.get("status") == "running" and status.get("pid"):
                return cells
        return None

    before = wait_for(training_midway, what="the first cell done and the first training running")
    train_run = jobs.run_folder(before["train/tiny/English"]["run_id"])
    # As a reboot would: the study's driver and the running job, at once, with no chance to clean up.
    os.kill(folder.raw_status()["pid"], signal.SIGKILL)
    os.killpg(train_run.raw_status()["pid"], signal.SIGKILL)
    wait_for(lambda: runner.status(folder.study_id)["status"] == "interrupted", 30, "the study interrupted")
    assert train_run.status()["status"] == "interrupted"
    finished = before["eval/tiny/none/sample"]["run_id"]

    final = study("run", str(config))
    assert final["status"] == "done"
    rows = final["tables"]["sample"]["rows"]
    assert [(r["model"], r["condition"]) for r in rows] == [("tiny", "none"), ("tiny", "English"),
                                                           ("tiny", "Korean")]
    assert rows[0]["delta"] is None and all(r["delta"] is not None for r in rows[1:])
    assert rows[0]["eval_ids"] == [finished]  # the finished cell was not redone
    cells = {c["key"]: c for c in runner.status(folder.study_id)["cells"]}
    assert cells["train/tiny/English"]["run_id"] == train_run.run_id  # resumed in its own folder
    assert train_run.status()["result"]["steps"] == 3
    assert len(run_ids()) == 5  # one job per cell, none twice

    seen = run_ids()
    again = study("run", str(config))
    assert again["status"] == "done" and run_ids() == seen
    assert again["tables"] == final["tables"]
    log = folder.file("log.txt").read_text()
    # Five cells: five jobs started, one of them resumed after the kill, and every cell reused after that.
    assert log.count(": started ") == 5 and log.count(": resume ") == 1 and log.count(": reuse ") == 6


def test_a_failing_cell_is_marked_with_its_error_and_the_others_finish(tmp_path: Path) -> None:
    config = tmp_path / "broken.yaml"
    config.write_text("name: broken\nmodels: [tiny]\n"
                      "conditions: {none: [], gpu-only: {data: [sample], train: {qlora: true}}}\n"
                      "benchmarks: [{benchmark: sample}]\n")
    result = subprocess.run([sys.executable, "-m", "chemtune", "study", "run", str(config), "--json"],
                            cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1 and "study broken-" in result.stderr and "failed" in result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["status"] == "failed"
    assert [r["condition"] for r in out["tables"]["sample"]["rows"]] == ["none"]
    cells = {c["key"]: c for c in runner.status(out["study_id"])["cells"]}
    assert cells["eval/tiny/none/sample"]["status"] == "done"
    assert cells["train/tiny/gpu-only"]["status"] == "failed"
    assert "QLoRA" in cells["train/tiny/gpu-only"]["error"]
    assert cells["eval/tiny/gpu-only/sample"]["status"] == "failed"
    assert "training cell" in cells["eval/tiny/gpu-only/sample"]["error"]
