"""The Evaluate tab's handlers against the library: what they start, store and show."""

from __future__ import annotations

import time
from pathlib import Path

from pages import evaluate_handlers
from pages.evaluate_strings import STRINGS
from tests.support.openai_stub import OpenAIStub

KEY = "sk-local-secret-0123456789"


def _wait_done(run_id: str, timeout: float = 60.0) -> dict:
    from chemtune import jobs

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = jobs.run_folder(run_id).status()
        if status.get("status") in jobs.FINISHED:
            return status
        jobs.schedule()
        time.sleep(0.2)
    raise AssertionError(f"{run_id} did not finish")


def test_the_endpoint_key_reaches_the_job_and_is_never_written_to_disk(isolated_workspace: Path) -> None:
    with OpenAIStub(responder=lambda body: "Answer: A") as stub:
        run_id, message = evaluate_handlers.start_eval(
            "tiny", None, "", "sample", None, "", "subject", "endpoint", 0, 2, stub.base_url,
            "stub-model", KEY, "en",
        )
        assert "started" in message, message
        assert _wait_done(run_id)["status"] == "done"
        assert stub.requests[-1].headers["authorization"] == f"Bearer {KEY}"
    holding = [path for path in isolated_workspace.rglob("*")
               if path.is_file() and KEY.encode() in path.read_bytes()]
    assert holding == []
    for text in STRINGS["api_key_help"].values():  # the help says what happens: nothing is kept
        assert "workspace" not in text and "작업 폴더에 저장" not in text
    assert "never written to disk" in STRINGS["api_key_help"]["en"]


def _finished_eval(home: Path, eval_id: str, accuracy: float) -> None:
    from chemtune import workspace

    score = {"n": 4, "accuracy": accuracy, "macro_f1": accuracy, "micro_f1": accuracy, "unparsed": 0,
             "unparsed_rate": 0.0}
    folder = home / "evals" / eval_id
    workspace.write_json(folder / "status.json", {"status": "done", "kind": "eval"})
    workspace.write_json(folder / "results.json", {
        "label": eval_id, "model": "tiny", "benchmark": "sample", "exam": "sample", "method": "loglik",
        "shots": 0, "subset_order": ["college"], "subsets": {"college": score}, "average": score,
        "mean": score, "letters": "ABCD",
    })


def test_comparison_downloads_reuse_one_folder_per_comparison_and_old_ones_are_removed(
    isolated_workspace: Path, tmp_path: Path, monkeypatch
) -> None:
    from itertools import combinations

    monkeypatch.setattr(evaluate_handlers.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    ids = [f"e{i}" for i in range(4)]
    for i, eval_id in enumerate(ids):
        _finished_eval(isolated_workspace, eval_id, 0.25 * i)
    first = evaluate_handlers.compare(["e0", "e1"], "accuracy", "average", "en")
    again = evaluate_handlers.compare(["e0", "e1"], "accuracy", "average", "en")
    assert first[1:] == again[1:] and Path(first[1]).parent.parent == tmp_path / "tmp" / "chemtune-compare"
    assert "| e1 | **25.00** | **25.00** |" in first[0]
    assert [Path(path).name for path in first[1:]] == [
        "comparison.csv", "comparison.md", "comparison.tex", "comparison.json"
    ]
    choices = [list(c) for n in range(1, 5) for c in combinations(ids, n)]  # 15 different comparisons
    for choice in choices:
        latest = evaluate_handlers.compare(choice, "accuracy", "average", "en")
    folders = list((tmp_path / "tmp" / "chemtune-compare").iterdir())
    assert len(folders) == evaluate_handlers.KEEP_COMPARISONS
    assert Path(latest[1]).parent in folders and Path(latest[1]).read_text().startswith("model,eval_id,")
    assert [p for p in (tmp_path / "tmp").iterdir() if p.name != "chemtune-compare"] == []


def test_the_tab_starts_harness_style_prompts_and_passes_trust_remote_code(isolated_workspace: Path) -> None:
    from chemtune.evaluate.job import load_results

    _, refused = evaluate_handlers.start_eval(
        "exaone-3.5-7.8b-instruct", None, "", "sample", None, "", "subject", "loglik", 0, 1, "", "", "", "en",
        "chat", False,
    )
    assert refused.startswith("⚠️") and "needs custom code" in refused
    run_id, message = evaluate_handlers.start_eval(
        "tiny", None, "", "sample", None, "", "subject", "loglik", 0, 1, "", "", "", "en", "harness", True,
    )
    assert "started" in message, message
    config = (isolated_workspace / "evals" / run_id / "config.yaml").read_text()
    assert "prompt_style: harness" in config and "trust_remote_code: true" in config
    assert _wait_done(run_id, timeout=180)["status"] == "done"
    results = load_results(run_id)
    assert results["prompt_style"] == "harness" and results["average"]["n"] == 3
