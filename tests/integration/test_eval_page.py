"""The Evaluate tab's handlers against the library: what they start, store and show."""

from __future__ import annotations

import time
from pathlib import Path

from pages import evaluate_handlers
from pages.evaluate_strings import STRINGS
from tests.support.openai_stub import OpenAIStub

KEY = "sk-local-secret-0123456789"


def run_values(**values) -> dict:
    """The run section's named values as the tab sends them: every option's widget at its default."""
    from chemtune.evaluate.config import EvalConfig

    defaults = {name: field.default for name, field in EvalConfig.model_fields.items()}
    return {**defaults, "exam_file": None, "api_key": "", "lang": "en", **values}


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
        started = evaluate_handlers.start_eval(run_values(
            model="stub-model", method="endpoint", limit=2, base_url=stub.base_url, api_key=KEY))
        run_id, message = started["run_id"], started["status"]
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
    def compare(picks: list[str]) -> tuple[str, list[str]]:
        shown = evaluate_handlers.compare({"picks": picks, "metric": "accuracy", "average": "average",
                                           "lang": "en"})
        return shown["table"], [shown[name] for name in evaluate_handlers.DOWNLOADS]

    first, first_files = compare(["e0", "e1"])
    again, again_files = compare(["e0", "e1"])
    assert first_files == again_files
    assert Path(first_files[0]).parent.parent == tmp_path / "tmp" / "chemtune-compare"
    assert "| e1 | **25.00** | **25.00** |" in first
    assert [Path(path).name for path in first_files] == [
        "comparison.csv", "comparison.md", "comparison.tex", "comparison.json"
    ]
    choices = [list(c) for n in range(1, 5) for c in combinations(ids, n)]  # 15 different comparisons
    for choice in choices:
        _, latest = compare(choice)
    folders = list((tmp_path / "tmp" / "chemtune-compare").iterdir())
    assert len(folders) == evaluate_handlers.KEEP_COMPARISONS
    assert Path(latest[0]).parent in folders and Path(latest[0]).read_text().startswith("model,eval_id,")
    assert [p for p in (tmp_path / "tmp").iterdir() if p.name != "chemtune-compare"] == []


def test_the_tab_starts_harness_style_prompts_and_passes_trust_remote_code(isolated_workspace: Path) -> None:
    from chemtune.evaluate.job import load_results

    refused = evaluate_handlers.start_eval(run_values(model="exaone-3.5-7.8b-instruct", limit=1))
    assert refused["status"].startswith("⚠️") and "needs custom code" in refused["status"]
    assert "run_id" not in refused  # nothing started
    started = evaluate_handlers.start_eval(run_values(model="tiny", limit=1, prompt_style="harness",
                                                      trust_remote_code=True))
    run_id, message = started["run_id"], started["status"]
    assert "started" in message, message
    config = (isolated_workspace / "evals" / run_id / "config.yaml").read_text()
    assert "prompt_style: harness" in config and "trust_remote_code: true" in config
    assert _wait_done(run_id, timeout=180)["status"] == "done"
    results = load_results(run_id)
    assert results["prompt_style"] == "harness" and results["average"]["n"] == 3


def test_the_comparison_heatmap_and_tables_speak_the_pages_language(
    isolated_workspace: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(evaluate_handlers.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    for i, eval_id in enumerate(("e0", "e1")):
        _finished_eval(isolated_workspace, eval_id, 0.25 * i)
    korean = evaluate_handlers.compare({"picks": ["e0", "e1"], "metric": "accuracy", "average": "average",
                                        "lang": "ko"})
    assert korean["table"].splitlines()[0] == "| 모델 | college | 평균 |"
    assert korean["table"].rstrip().endswith("점수는 %; 열마다 최고값은 굵게 표시.")
    shown = evaluate_handlers.inspect({"inspect_eval": "e1", "subset": "all", "which": "all", "lang": "ko"})
    layout = shown["heatmap"].layout
    assert (layout.xaxis.title.text, layout.yaxis.title.text) == ("예측", "정답")
    assert "미해석" in shown["heatmap"].data[0].x and layout.title.text == "e1 — 전체"
    assert list(shown["questions"].columns) == ["#", "ID", "세부 분류", "정답", "예측", "정오", "판독"]
    assert shown["subset"]["choices"] == [("전체", "all"), ("college", "college")]
    results = evaluate_handlers.show_results({"run_id": "e1", "lang": "ko"})["results"]
    assert list(results.columns)[:3] == ["세부 분류", "문항 수", "정확도"]
    assert results.values.tolist()[-2][0] == "평균 (전체 문항)"


def test_the_tab_offers_task_benchmarks_and_starts_one(isolated_workspace: Path) -> None:
    from chemtune.evaluate.job import load_results
    from pages.widgets import benchmark_ids

    ids = benchmark_ids()
    assert ids["sample"] == "bench_sample" and "tasks:sample" in ids
    listed = evaluate_handlers.refresh_lists({"lang": "ko"})["benchmark"]["choices"]
    assert ("작업별 점수 · 데이터셋 sample", "tasks:sample") in listed
    with OpenAIStub(responder=lambda body: '{"summary": "a", "keywords": ["b"]}') as stub:
        started = evaluate_handlers.start_eval(run_values(
            model="stub-model", method="endpoint", benchmark="tasks:sample", limit=1, base_url=stub.base_url))
        assert "started" in started["status"], started["status"]
        assert _wait_done(started["run_id"])["status"] == "done"
    results = load_results(started["run_id"])
    assert results["kind"] == "tasks" and results["average"]["n"] == 7
    assert {"valid_json", "chrf"} <= set(results["average"])
