"""The task benchmark end to end: held-out records, answers from an endpoint or a model, every metric."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chemtune import jobs, records, workspace
from chemtune.datagen.tasks import TASKS
from chemtune.evaluate.tasks import (
    evaluate_tasks,
    held_out_records,
    load_task_set,
    record_view,
    summary_line,
    task_table,
    task_table_markdown,
)
from chemtune.prompting import user_content
from chemtune.train import data
from chemtune.train.config import make_config
from tests.support.openai_stub import OpenAIStub

REPO = Path(__file__).resolve().parents[2]
SAMPLE = records.load_dataset_records("sample")
OUTPUTS = {user_content(r.instruction, r.input): r.output for r in SAMPLE}
# What each task's results must hold: the metrics that apply to it (its reference texts' language aside).
APPLIES = {
    name: {"n"} | ({"valid_json", "schema_valid"} if task.json_answer else set())
    | ({"field_f1"} if task.field_keys else set())
    | ({"chrf"} if task.text_keys or not task.json_answer else set())
    for name, task in TASKS.items()
}


def answering_references(body: dict) -> str:
    return OUTPUTS[body["messages"][-1]["content"]]


def answering_others(body: dict) -> str:
    # The output of another record of the same task: well-formed, but about another document.
    asked = body["messages"][-1]["content"]
    record = next(r for r in SAMPLE if user_content(r.instruction, r.input) == asked)
    same_task = [r for r in SAMPLE if r.task == record.task]
    return same_task[(same_task.index(record) + 1) % len(same_task)].output


def judging(body: dict) -> str:
    graded = body["messages"][-1]["content"]
    return json.dumps({"score": 4, "reason": f"graded {len(graded)} characters"})


def endpoint_eval(stub: OpenAIStub, **extra: object) -> tuple[dict, list[dict]]:
    config = {"model": "stub", "method": "endpoint", "base_url": stub.base_url, "benchmark": "tasks:sample",
              "limit": 4, **extra}
    return evaluate_tasks(config, log=lambda _: None)


def test_reference_answers_score_perfectly() -> None:
    with OpenAIStub(responder=answering_references) as stub:
        results, rows = endpoint_eval(stub)
    assert set(results["subsets"]) == set(TASKS)
    for name, scores in results["subsets"].items():
        assert APPLIES[name] <= set(scores), name
        assert scores["n"] == 4
        if "valid_json" in scores:
            assert scores["valid_json"] == scores["schema_valid"] == 1.0
        if "field_f1" in scores:
            assert scores["field_f1"] == 1.0
        if "chrf" in scores:
            assert scores["chrf"] == pytest.approx(100.0)
        if "rouge_l" in scores:
            assert scores["rouge_l"] == pytest.approx(1.0)
    # Metrics that do not apply are absent, not 0.
    assert "field_f1" not in results["subsets"]["qa"] and "chrf" not in results["subsets"]["keywords"]
    assert "rouge_l" not in results["subsets"]["summarize_translate"]  # Korean references only
    catalyst = next(row for row in rows if row["task"] == "extract_catalyst")
    assert {v["verdict"] for v in catalyst["fields"]} <= {"match", "absent"}
    assert catalyst["prompt"] and catalyst["reference"] == catalyst["raw"]


def test_other_records_answers_score_low() -> None:
    with OpenAIStub(responder=answering_others) as stub:
        results, _ = endpoint_eval(stub)
    subsets = results["subsets"]
    assert all(s["valid_json"] == 1.0 for s in subsets.values() if "valid_json" in s)  # well-formed
    assert all(s["field_f1"] < 0.5 for s in subsets.values() if "field_f1" in s)
    assert all(s["chrf"] < 60 for s in subsets.values() if "chrf" in s)


def test_judge_scores_are_kept_with_the_predictions() -> None:
    with OpenAIStub(responder=answering_references) as stub, OpenAIStub(responder=judging) as judge:
        results, rows = endpoint_eval(stub, limit=1, judge_base_url=judge.base_url, judge_model="grader")
        asked = [r for r in judge.requests if r.path.endswith("/chat/completions")]
    assert len(asked) == len(rows)
    assert all(s["judge"] == 4 for s in results["subsets"].values())
    kept = rows[0]["judge"]
    assert kept["score"] == 4 and kept["reason"].startswith("graded")
    assert "Rubric:" in kept["prompt"][-1]["content"] and rows[0]["raw"] in kept["prompt"][-1]["content"]


def test_a_train_runs_held_out_records_are_exactly_its_validation_split() -> None:
    run_dir = workspace.home() / "runs" / "train-heldout"
    workspace.write_yaml(run_dir / "config.yaml", {"kind": "train", "model": "tiny", "data": ["sample"],
                                                   "val_split": 0.1, "seed": 7})
    workspace.write_json(run_dir / "status.json", {"status": "done"})  # a finished run's folder
    assert jobs.run_folder("train-heldout").config()["kind"] == "train"
    config = make_config({"model": "tiny", "data": ["sample"], "val_split": 0.1, "seed": 7})
    trained, held, _ = data.split_and_mix(data.load_sources(config.data), config.val_split, config.seed)
    found = held_out_records("train-heldout")
    assert [r.id for r in found] == [r.id for r in held] and len(found) == 14
    assert not {r.id for r in found} & {r.id for r in trained}
    assert [r.id for r in load_task_set("tasks:sample@train-heldout").records] == [r.id for r in found]
    assert len(load_task_set("tasks:train-heldout").records) == 14


def test_tiny_model_run_completes_and_reports_every_metric() -> None:
    with OpenAIStub(responder=judging) as judge:
        results, rows = evaluate_tasks({"model": "tiny", "benchmark": "tasks:sample", "limit": 1,
                                        "max_new_tokens": 8, "judge_base_url": judge.base_url,
                                        "judge_model": "grader"}, log=lambda _: None)
    assert len(rows) == len(TASKS) and all(row["prompt"] for row in rows)
    for name, scores in results["subsets"].items():
        assert APPLIES[name] | {"judge"} <= set(scores), name
        assert all(0 <= scores[m] <= 1 for m in ("valid_json", "schema_valid", "field_f1", "rouge_l")
                   if m in scores)
    assert "rouge_l" in results["subsets"]["qa"]  # the first qa record is English


@pytest.mark.real
def test_smollm2_run_completes_and_reports_every_metric(smollm2: Path) -> None:
    results, rows = evaluate_tasks({"model": str(smollm2), "benchmark": "tasks:sample", "limit": 1,
                                    "max_new_tokens": 8}, log=lambda _: None)
    assert len(rows) == len(TASKS) and all(row["raw"] for row in rows)
    for name, scores in results["subsets"].items():
        assert APPLIES[name] <= set(scores), name


def test_per_task_table_puts_base_and_tuned_side_by_side() -> None:
    with OpenAIStub(responder=answering_references) as right, OpenAIStub(responder=answering_others) as wrong:
        tuned, _ = endpoint_eval(right, limit=1, label="tuned")
        base, _ = endpoint_eval(wrong, limit=1, label="base")
    table = task_table([base, tuned])
    assert table["columns"][:4] == ["n (base)", "n (tuned)", "valid JSON % (base)", "valid JSON % (tuned)"]
    qa = next(row for row in table["rows"] if row["task"] == "qa")
    assert qa["cells"]["valid JSON % (tuned)"] == "–" and qa["cells"]["chrF (tuned)"] == "100.0"
    text = task_table_markdown([tuned], lang="ko")
    assert text.startswith("| 작업 | n | 유효 JSON % |")
    assert "| extract_catalyst | 1 | 100.0 | 100.0 | 1.000 |" in text


def test_a_record_is_shown_with_its_field_verdicts() -> None:
    with OpenAIStub(responder=answering_others) as stub:
        results, rows = endpoint_eval(stub, limit=1)
    catalyst = next(row for row in rows if row["task"] == "extract_catalyst")
    view = record_view(catalyst)
    assert catalyst["prompt"] in view and catalyst["reference"] in view and catalyst["raw"] in view
    assert "| Q1 |" in view and "✗ wrong" in view and "valid JSON: yes" in view
    assert "extract_catalyst: valid JSON % 100.0" in summary_line(results)


def _cli(*args: str) -> dict:
    env = os.environ | {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    done = subprocess.run([sys.executable, "-m", "chemtune", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_cli_eval_json_keeps_the_benchmark_shape_and_compare_sets_models_side_by_side() -> None:
    with OpenAIStub(responder=answering_references) as right, OpenAIStub(responder=answering_others) as wrong:
        common = ("eval", "--benchmark", "tasks:sample", "--method", "endpoint", "--model", "stub",
                  "--limit", "1", "--json")
        tuned = _cli(*common, "--base-url", right.base_url, "--label", "tuned")
        base = _cli(*common, "--base-url", wrong.base_url, "--label", "base")
    assert set(tuned["subsets"]) == set(TASKS)
    assert tuned["subsets"]["extract_catalyst"]["field_f1"] == 1.0
    assert "valid_json" not in tuned["subsets"]["qa"] and "chrf" not in tuned["subsets"]["keywords"]
    assert base["subsets"]["extract_catalyst"]["field_f1"] < 0.5
    compared = _cli("compare", base["eval_id"], tuned["eval_id"], "--json")
    assert "field F1 (base)" in compared["columns"] and "field F1 (tuned)" in compared["columns"]
    assert "| extract_catalyst |" in compared["text"]


def test_the_evaluate_tabs_inspect_view_lists_task_records_and_shows_their_verdicts() -> None:
    from pages import evaluate_handlers as handlers

    with OpenAIStub(responder=answering_references) as right:
        tuned = _cli("eval", "--benchmark", "tasks:sample", "--method", "endpoint", "--model", "stub",
                     "--limit", "1", "--json", "--base-url", right.base_url)
    shown = handlers.inspect({"lang": "ko", "inspect_eval": tuned["eval_id"], "subset": "extract_catalyst",
                              "which": "all"})
    assert shown["heatmap"] is None
    rows = shown["questions"].values.tolist()
    assert rows and all(row[2] == "extract_catalyst" for row in rows)
    assert rows[0][6] == "field F1 1.00"

    class Clicked:
        index = (0, 0)

    detail = handlers.show_question({"lang": "ko", "inspect_eval": tuned["eval_id"],
                                     "questions": [list(row) for row in rows]}, Clicked())
    assert "**정답**" in detail["detail"] and "판정" in detail["detail"]
    assert detail["prompt"] and detail["raw"]


def test_the_evaluate_tabs_compare_puts_task_evaluations_side_by_side() -> None:
    from pages import evaluate_handlers as handlers

    common = ("eval", "--benchmark", "tasks:sample", "--method", "endpoint", "--model", "stub",
              "--limit", "1", "--json")
    with OpenAIStub(responder=answering_references) as right, OpenAIStub(responder=answering_others) as wrong:
        tuned = _cli(*common, "--base-url", right.base_url, "--label", "tuned")
        base = _cli(*common, "--base-url", wrong.base_url, "--label", "base")
    shown = handlers.compare({"lang": "ko", "picks": [base["eval_id"], tuned["eval_id"]],
                              "metric": "macro_f1", "average": "average"})
    assert "필드 F1 (base)" in shown["table"] and "필드 F1 (tuned)" in shown["table"]
    assert "| extract_catalyst |" in shown["table"] and shown["download_latex"] is None
    saved = json.loads(Path(shown["download_json"]).read_text(encoding="utf-8"))
    row = next(r for r in saved["rows"] if r["task"] == "extract_catalyst")
    assert row["cells"]["필드 F1 (tuned)"] == "1.000"
    mixed = handlers.compare({"lang": "en", "picks": [tuned["eval_id"], "no-such-eval"],
                              "metric": "macro_f1", "average": "average"})
    assert mixed["download_csv"] is None
