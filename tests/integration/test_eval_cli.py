"""`python -m chemtune eval --json` and `compare`, through the same eval job the Evaluate tab starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.exams import write_kmmlu
from tests.support.openai_stub import OpenAIStub

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def chemtune(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = os.environ | {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    return subprocess.run(
        [sys.executable, "-m", "chemtune", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def last_json(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_cli_eval_json_then_compare(tmp_path: Path, isolated_workspace: Path) -> None:
    data = write_kmmlu(tmp_path / "kmmlu", n_test=4)
    base = last_json(
        chemtune(
            "eval",
            "--model",
            "tiny",
            "--benchmark",
            "kmmlu-chemistry",
            "--data-dir",
            str(data),
            "--shots",
            "1",
            "--json",
        )
    )
    assert set(base) >= {"eval_id", "benchmark", "method", "subsets", "average", "predictions"}
    assert base["benchmark"] == "kmmlu-chemistry" and base["method"] == "loglik"
    assert list(base["subsets"]) == ["Chemistry", "Chemical-Engineering", "Materials-Engineering"]
    for subset in base["subsets"].values():
        assert set(subset) >= {"n", "accuracy", "macro_f1", "micro_f1", "unparsed"}
        assert subset["n"] == 4 and subset["micro_f1"] == pytest.approx(subset["accuracy"])
    assert base["average"]["n"] == 12
    predictions = [json.loads(line) for line in Path(base["predictions"]).read_text().splitlines()]
    assert len(predictions) == 12
    assert set(predictions[0]) >= {"subset", "gold", "pred", "prompt"}
    eval_dir = isolated_workspace / "evals" / base["eval_id"]
    assert (eval_dir / "results.json").exists() and (eval_dir / "config.yaml").exists()
    assert json.loads((eval_dir / "status.json").read_text())["status"] == "done"

    # An endpoint row on the same questions: every answer is "정답은 ①" (option A).
    with OpenAIStub(responder=lambda body: "정답은 ①") as stub:
        ref = last_json(
            chemtune(
                "eval",
                "--model",
                "stub-model",
                "--method",
                "endpoint",
                "--base-url",
                stub.base_url,
                "--benchmark",
                "kmmlu-chemistry",
                "--data-dir",
                str(data),
                "--json",
            )
        )
    assert ref["method"] == "endpoint" and ref["average"]["unparsed"] == 0
    assert ref["average"]["accuracy"] == pytest.approx(3 / 12)  # gold answers cycle A, B, C, D
    rows = [json.loads(line) for line in Path(ref["predictions"]).read_text().splitlines()]
    assert rows[0]["raw"] == "정답은 ①" and rows[0]["pred"] == "A"

    markdown = chemtune("compare", base["eval_id"], ref["eval_id"], "--format", "markdown")
    assert markdown.returncode == 0, markdown.stderr
    lines = markdown.stdout.strip().splitlines()
    # the endpoint row's score is read from its text, so its unparsed rate stands beside the average
    assert lines[0] == (
        "| Model | Chemistry | Chemical-Engineering | Materials-Engineering | Average | Unparsed |"
    )
    assert lines[3].endswith("| 0.00 |")
    # the rows differ in method and k-shot, so their default labels say so
    assert lines[2].startswith("| tiny (loglik, 1-shot) |")
    assert lines[3].startswith("| stub-model (endpoint) (0-shot) |")
    assert "**" in markdown.stdout
    latex = chemtune("compare", base["eval_id"], ref["eval_id"], "--format", "latex", "--metric", "accuracy")
    assert latex.returncode == 0 and r"\begin{tabular}{lrrrrr}" in latex.stdout
    csv_out = chemtune("compare", base["eval_id"], ref["eval_id"], "--format", "csv")
    assert (
        csv_out.stdout.splitlines()[0]
        == "model,eval_id,Chemistry,Chemical-Engineering,Materials-Engineering,"
        "Average,Unparsed"
    )
    assert f"stub-model (endpoint) (0-shot),{ref['eval_id']}," in csv_out.stdout


def test_cli_eval_repeats_an_evaluation_from_its_config_yaml(isolated_workspace: Path) -> None:
    first = last_json(chemtune("eval", "--model", "tiny", "--limit", "1", "--shots", "1", "--label", "again",
                               "--json"))
    config = isolated_workspace / "evals" / first["eval_id"] / "config.yaml"
    again = last_json(chemtune("eval", "--config", str(config), "--json"))
    assert again["eval_id"] != first["eval_id"]
    assert {k: again[k] for k in ("label", "shots", "average")} == {k: first[k] for k in ("label", "shots",
                                                                                           "average")}
    assert config.read_text() == (isolated_workspace / "evals" / again["eval_id"] / "config.yaml").read_text()


def test_cli_eval_of_a_bad_file_fails_with_file_and_line(tmp_path: Path) -> None:
    exam = tmp_path / "exam.csv"
    exam.write_text("question,A,B,C,D,answer\nq1,a,b,c,d,A\nq2,a,b,c,d,E\n", encoding="utf-8")
    result = chemtune("eval", "--model", "tiny", "--benchmark", str(exam), "--json")
    assert result.returncode == 1
    assert "exam.csv, line 3: answer 'E' is not one of A–D" in result.stderr.strip().splitlines()[-1]


def test_cli_compare_of_an_unknown_eval_is_an_error() -> None:
    result = chemtune("compare", "eval-nope", "--format", "csv")
    assert result.returncode == 1 and "No run named 'eval-nope'" in result.stderr


def test_cli_contamination_lists_leaked_questions(tmp_path: Path) -> None:
    sample = json.loads((REPO / "chemtune/samples/exam.jsonl").read_text().splitlines()[4])
    leaked = tmp_path / "leaked.jsonl"
    record = {
        "instruction": "Solve this exam question.",
        "input": sample["question"],
        "output": sample["answer"],
    }
    leaked.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    result = last_json(chemtune("contamination", "--benchmark", "sample", "--datasets", str(leaked),
                                "--json"))
    assert result["n"] == 72 and result["flagged_count"] == 1
    assert result["flagged"][0]["id"] == sample["id"] and result["flagged"][0]["overlap"] == 1.0
