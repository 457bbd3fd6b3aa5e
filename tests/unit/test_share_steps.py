"""Publish and export steps: recorded as ids with arguments, worded in the page's language."""

from __future__ import annotations

import json
from pathlib import Path

from chemtune.jobs import RunFolder
from chemtune.share.job import last_step
from chemtune.share.steps import STEPS, Step


def test_every_step_has_english_and_korean_with_the_same_blanks() -> None:
    for texts in STEPS.values():
        assert set(texts) == {"en", "ko"}
        blanks = [set(part.split("}")[0] for part in text.split("{")[1:]) for text in texts.values()]
        assert blanks[0] == blanks[1]


def test_the_newest_step_of_a_job_reads_in_the_pages_language(tmp_path: Path) -> None:
    run = RunFolder(tmp_path)
    assert last_step(run, "ko") == ""
    step = Step("upload", {"files": 7})
    events = [{"type": "step", "message": str(Step("merge")), "step": "merge", "args": {}},
              {"type": "step", "message": str(step), "step": step.id, "args": step.args}]
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    assert last_step(run) == "uploading 7 files …"
    assert last_step(run, "ko") == "파일 7개를 올리는 중 …"
