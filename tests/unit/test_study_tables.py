"""A study's tables: rows model × condition, Δ against the same model's untuned row with a paired interval
and McNemar's p, mean ± sd over seeds, best in bold, the paper's views, exports, the figure; and an
untuned row that is exactly what `chemtune eval` gives for the same model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chemtune import workspace
from chemtune.evaluate import metrics
from chemtune.evaluate.benchmarks import load_exam
from chemtune.study import config, render, runner, tables

REPO = Path(__file__).resolve().parents[2]
STUDY = {"name": "table", "models": ["tiny"], "conditions": {"none": [], "all": ["sample"]},
         "train": {"max_steps": 2}, "benchmarks": [{"benchmark": "sample"}], "seeds": [1, 2],
         "reference": [{"view": "size", "benchmark": "sample", "label": "Paper 13B",
                        "values": {"mean": 0.4}}]}


def fake_eval(run_id: str, right_per_subset: int) -> str:
    """A finished evaluation of the sample exam, right on the first `right_per_subset` of each subset."""
    exam = load_exam("sample")
    rows, seen = [], {}
    for q in exam.questions:
        seen[q.subset] = seen.get(q.subset, 0) + 1
        right = seen[q.subset] <= right_per_subset
        wrong = next(letter for letter in "ABCD" if letter != q.answer)
        rows.append({"id": q.id, "subset": q.subset, "gold": q.answer, "pred": q.answer if right else wrong,
                     "correct": right})
    results = {"label": run_id, "benchmark": "sample", "subset_order": exam.subsets,
               **metrics.summarize(rows, exam.subsets, "ABCD")}
    path = workspace.folder("evals", run_id, create=True)
    workspace.write_json(path / "status.json", {"status": "done", "kind": "eval", "run_id": run_id})
    workspace.write_json(path / "results.json", results)
    (path / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return run_id


@pytest.fixture
def study_id() -> str:
    folder, cells = runner.prepare(config.parse(STUDY))
    right = {"eval/tiny/none/sample": 12, "eval/tiny/all/seed 1/sample": 20,
             "eval/tiny/all/seed 2/sample": 22}
    for key, count in right.items():
        folder.set_cell(key, run_id=fake_eval(f"eval-{len(key)}-{count}", count), status="done")
    return folder.study_id


def test_tuned_rows_carry_their_difference_from_the_untuned_row(study_id: str) -> None:
    table = tables.tables(study_id)["tables"]["sample"]
    assert table["subsets"] == ["high_school", "college", "professional"]
    none, tuned = table["rows"]
    assert (none["model"], none["condition"], none["delta"]) == ("tiny", "none", None)
    assert none["average"]["accuracy"] == pytest.approx(36 / 72)
    # Mean over the two seeds, and their spread.
    assert tuned["subsets"]["college"]["accuracy"] == pytest.approx((20 + 22) / 2 / 24)
    assert tuned["sd"]["average"]["accuracy"] == pytest.approx(((60 - 66) ** 2 / 2) ** 0.5 / 72)
    assert tuned["seeds"] == [1, 2]
    delta = tuned["delta"]
    assert delta["accuracy"] == pytest.approx(63 / 72 - 36 / 72)
    assert 0 < delta["ci_low"] < delta["accuracy"] < delta["ci_high"] and delta["excludes_zero"]
    assert delta["p_mcnemar"] < 1e-6
    assert tuned["contamination"]["n"] == 72 and tuned["contamination"]["flagged"] == 0


def test_markdown_bolds_the_best_marks_real_differences_and_shows_mean_and_sd(study_id: str) -> None:
    table = tables.tables(study_id)["tables"]["sample"]
    text = render.markdown(table, "accuracy")
    none_line = next(line for line in text.splitlines() if line.startswith("| tiny | none"))
    tuned_line = next(line for line in text.splitlines() if line.startswith("| tiny | all"))
    assert "**0.8750 ± 0.0589**" in tuned_line and "**" not in none_line
    assert "+0.3750 [" in tuned_line and "] *" in tuned_line and "0/72" in tuned_line
    assert "| *Paper 13B (published)* |" in text  # the published row of the untuned view
    korean = render.markdown(table, "macro_f1", "ko")
    assert "| 모델 | 학습 데이터 |" in korean and "| tiny | 튜닝 없음 |" in korean


def test_the_paper_views_choose_and_order_rows(study_id: str) -> None:
    study = runner.StudyFolder(study_id).study()
    table = tables.tables(study_id)["tables"]["sample"]
    size = tables.view(table, "size", study.models, list(study.conditions))
    assert [r["condition"] for r in size["rows"]] == ["none"] and size["reference"]
    tuning = tables.view(table, "tuning-data", study.models, list(study.conditions))
    assert [r["condition"] for r in tuning["rows"]] == ["none", "all"] and not tuning["reference"]


def test_exports_and_figure(study_id: str) -> None:
    table = tables.tables(study_id)["tables"]["sample"]
    latex = render.export(table, "latex", "accuracy")
    assert latex.startswith(r"\begin{tabular}") and r"\textbf{0.8750 $\pm$ 0.0589}" in latex
    lines = render.export(table, "csv").splitlines()
    assert lines[0].startswith("benchmark,model,condition,metric,high_school,college,professional,average")
    assert len(lines) == 1 + 2 * 2  # two rows × two metrics
    assert json.loads(render.export(table, "json"))["rows"][1]["delta"]["excludes_zero"] is True
    figure = render.figure(table)
    assert [trace.name for trace in figure.data] == ["tiny · none", "tiny · all"]
    assert list(figure.data[0].x) == ["high_school", "college", "professional", "Average"]
    assert all(v > 0 for v in figure.data[1].error_y.array)


def test_cli_json_last_line_has_the_issue_shape(study_id: str) -> None:
    result = subprocess.run([sys.executable, "-m", "chemtune", "study", "table", study_id, "--json"],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(out) == {"study_id", "status", "tables"} and out["study_id"] == study_id
    row = out["tables"]["sample"]["rows"][1]
    assert {"model", "condition", "subsets", "average", "mean", "delta"} <= set(row)
    assert set(row["subsets"]["college"]) == {"n", "accuracy", "macro_f1"}
    assert {"accuracy", "ci_low", "ci_high", "p_mcnemar"} <= set(row["delta"])


@pytest.mark.slow
def test_the_untuned_row_equals_a_direct_chemtune_eval_of_the_same_model() -> None:
    study = config.parse({"name": "direct", "models": ["tiny"], "conditions": {"none": []},
                          "benchmarks": [{"benchmark": "sample"}]})
    folder = runner.start(study)
    final = runner.wait(folder.study_id, timeout=300)
    assert final["status"] == "done", final
    # Labelled, so it is its own evaluation and not the study's cell found again.
    direct = subprocess.run([sys.executable, "-m", "chemtune", "eval", "--model", "tiny", "--benchmark",
                             "sample", "--label", "direct", "--json"], cwd=REPO, capture_output=True,
                            text=True, timeout=300)
    assert direct.returncode == 0, direct.stderr
    out = json.loads(direct.stdout.strip().splitlines()[-1])
    assert out["eval_id"] != final["cells"][0]["run_id"]
    row = tables.tables(folder.study_id)["tables"]["sample"]["rows"][0]
    for name, scores in row["subsets"].items():
        assert scores == {k: out["subsets"][name][k] for k in ("n", "accuracy", "macro_f1")}
    assert row["average"] == {k: out["average"][k] for k in ("n", "accuracy", "macro_f1")}
    assert row["mean"] == {k: out["mean"][k] for k in ("accuracy", "macro_f1")}
