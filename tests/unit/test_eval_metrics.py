"""Accuracy and F1 against hand-computed cases; comparison tables and their exports."""

from __future__ import annotations

import json

import pytest

from chemtune.errors import ChemtuneError
from chemtune.evaluate.metrics import confusion, score, summarize
from chemtune.evaluate.report import comparison, confusion_figure, render_table, to_latex, to_markdown


def test_f1_values_match_a_hand_computed_case() -> None:
    gold = ["A", "A", "B", "C", "D", "D"]
    pred = ["A", "B", "B", "C", None, "D"]
    result = score(gold, pred, "ABCD")
    # 4 of 6 right. Per option (precision, recall, F1): A (1, 1/2, 2/3), B (1/2, 1, 2/3), C (1, 1, 1),
    # D (1, 1/2, 2/3); the unparsed answer lowers D's recall only.
    assert result["n"] == 6
    assert result["accuracy"] == pytest.approx(4 / 6)
    assert result["micro_f1"] == pytest.approx(4 / 6)  # = accuracy
    assert result["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1 + 2 / 3) / 4)
    assert result["unparsed"] == 1
    assert result["unparsed_rate"] == pytest.approx(1 / 6)


def test_macro_f1_counts_an_option_never_predicted_as_zero() -> None:
    # Always answering "A": A has precision 1/4, recall 1 → F1 0.4; B, C, D have F1 0.
    result = score(["A", "B", "C", "D"], ["A", "A", "A", "A"], "ABCD")
    assert result["accuracy"] == pytest.approx(0.25)
    assert result["macro_f1"] == pytest.approx(0.4 / 4)


def test_all_unparsed_scores_zero() -> None:
    result = score(["A", "B"], [None, None], "ABCD")
    assert result == {
        "n": 2,
        "accuracy": 0.0,
        "micro_f1": 0.0,
        "macro_f1": 0.0,
        "unparsed": 2,
        "unparsed_rate": 1.0,
    }


def test_pooled_average_and_mean_over_subsets_differ_when_subsets_differ_in_size() -> None:
    rows = [{"subset": "high_school", "gold": "A", "pred": "A"}] * 3 + [
        {"subset": "college", "gold": "B", "pred": "C"}
    ]
    summary = summarize(rows, ["high_school", "college"], "ABCD")
    assert summary["subsets"]["high_school"]["accuracy"] == 1.0
    assert summary["subsets"]["college"]["accuracy"] == 0.0
    assert summary["average"]["accuracy"] == pytest.approx(0.75)  # 3 of 4 questions
    assert summary["mean"]["accuracy"] == pytest.approx(0.5)  # mean of 1.0 and 0.0
    assert summary["average"]["n"] == 4


def test_confusion_counts_gold_against_predicted_with_unparsed_column() -> None:
    rows = [
        {"subset": "s", "gold": "A", "pred": "A"},
        {"subset": "s", "gold": "A", "pred": None},
        {"subset": "s", "gold": "B", "pred": "A"},
    ]
    gold, pred, counts = confusion(rows, "AB")
    assert gold == ["A", "B"] and pred == ["A", "B", "unparsed"]
    assert counts == [[1, 0, 1], [1, 0, 0]]
    figure = confusion_figure(rows, "AB")
    assert list(figure.data[0].x) == ["A", "B", "unparsed"]
    assert [list(row) for row in figure.data[0].text] == counts


def _result(label: str, hs: float, college: float, avg: float, eval_id: str) -> dict:
    def s(v: float) -> dict:
        return {"n": 10, "accuracy": v, "macro_f1": v, "micro_f1": v, "unparsed": 0, "unparsed_rate": 0.0}

    return {
        "label": label,
        "eval_id": eval_id,
        "benchmark": "mmlu-chemistry",
        "method": "loglik",
        "shots": 0,
        "subset_order": ["high_school", "college"],
        "subsets": {"high_school": s(hs), "college": s(college)},
        "average": s(avg),
        "mean": s((hs + college) / 2),
    }


def test_comparison_table_bolds_the_best_of_each_column() -> None:
    results = [_result("no tuning", 0.30, 0.50, 0.35, "e1"), _result("Korean", 0.45, 0.40, 0.43, "e2")]
    table = comparison(results, "accuracy")
    assert table["columns"] == ["high_school", "college", "Average"]
    markdown = to_markdown(table)
    lines = markdown.splitlines()
    assert lines[0] == "| Model | high_school | college | Average |"
    assert lines[2] == "| no tuning | 30.00 | **50.00** | 35.00 |"
    assert lines[3] == "| Korean | **45.00** | 40.00 | **43.00** |"
    latex = to_latex(table)
    assert r"\textbf{45.00}" in latex and r"high\_school" in latex and r"\begin{tabular}{lrrr}" in latex
    csv_text = render_table(table, "csv").splitlines()
    assert csv_text[0] == "model,eval_id,high_school,college,Average"
    assert csv_text[1] == "no tuning,e1,0.3000,0.5000,0.3500"
    data = json.loads(render_table(table, "json"))
    assert data["best"]["Average"] == 0.43


def test_comparison_of_different_benchmarks_never_shares_bolds_or_averages_a_column() -> None:
    sample = _result("tiny", 0.9, 0.9, 0.9, "s1")
    sample.update(benchmark="sample", exam="sample")
    sample2 = _result("tuned", 0.2, 0.95, 0.5, "s2")
    sample2.update(benchmark="sample", exam="sample")
    mmlu = _result("tiny-mmlu", 0.3, 0.5, 0.35, "m1")
    table = comparison([sample, mmlu, sample2], "accuracy")
    assert table["columns"] == [
        "sample: high_school", "sample: college", "sample: Average",
        "mmlu-chemistry: high_school", "mmlu-chemistry: college", "mmlu-chemistry: Average",
    ]
    lines = to_markdown(table).splitlines()
    assert lines[2] == "| tiny | **90.00** | 90.00 | **90.00** | – | – | – |"
    # alone in its benchmark's columns: nothing to beat, so nothing bold (0.30 < sample's 0.90 is irrelevant)
    assert lines[3] == "| tiny-mmlu | – | – | – | 30.00 | 50.00 | 35.00 |"
    assert lines[4] == "| tuned | 20.00 | **95.00** | 50.00 | – | – | – |"


def test_comparison_of_one_benchmark_with_other_sub_categories_leaves_missing_cells_empty() -> None:
    other = _result("endpoint", 0.9, 0.9, 0.9, "e3")
    other["subsets"] = {"Chemistry": other["subsets"]["college"]}
    other["subset_order"] = ["Chemistry"]
    table = comparison([_result("base", 0.3, 0.5, 0.35, "e1"), other], "macro_f1", average="mean")
    assert table["columns"] == ["high_school", "college", "Chemistry", "Mean of sub-categories"]
    assert "| base | 30.00 | 50.00 | – | 40.00 |" in to_markdown(table)


def test_rows_differing_only_in_method_or_shots_are_labelled_apart() -> None:
    zero = _result("tiny", 0.3, 0.5, 0.35, "e0")
    three = {**_result("tiny", 0.4, 0.5, 0.45, "e3"), "shots": 3}
    generate = {**_result("tiny", 0.4, 0.5, 0.45, "g0"), "method": "generate"}
    named = {**_result("my label", 0.4, 0.5, 0.45, "n1"), "shots": 5, "label_given": True}
    table = comparison([zero, three, generate, named], "accuracy")
    assert [row["model"] for row in table["rows"]] == [
        "tiny (loglik, 0-shot)", "tiny (loglik, 3-shot)", "tiny (generate, 0-shot)", "my label"
    ]
    endpoint = {**_result("gpt (endpoint)", 0.4, 0.5, 0.45, "r1"), "method": "endpoint"}
    assert comparison([zero, endpoint], "accuracy")["rows"][1]["model"] == "gpt (endpoint)"
    only_shots = comparison([zero, three], "accuracy")
    assert [row["model"] for row in only_shots["rows"]] == ["tiny (0-shot)", "tiny (3-shot)"]


def test_identical_labels_are_made_unique_by_eval_id() -> None:
    table = comparison([_result("tiny + adapter", 0.3, 0.5, 0.35, "e1"),
                        _result("tiny + adapter", 0.4, 0.5, 0.45, "e2")], "accuracy")
    assert [row["model"] for row in table["rows"]] == ["tiny + adapter [e1]", "tiny + adapter [e2]"]
    assert to_csv_rows(table)[1].startswith("tiny + adapter [e1],e1,")


def to_csv_rows(table: dict) -> list[str]:
    return render_table(table, "csv").splitlines()


def test_comparison_rejects_unknown_metric_and_empty_choice() -> None:
    with pytest.raises(ChemtuneError, match="metric"):
        comparison([_result("a", 0, 0, 0, "e")], "bleu")
    with pytest.raises(ChemtuneError, match="at least one"):
        comparison([], "accuracy")


def test_macro_f1_ignores_options_no_question_had_or_chose():
    from sklearn.metrics import f1_score

    from chemtune.evaluate.metrics import score

    perfect = score(["A", "B"], ["A", "B"], "ABCD")
    assert perfect["macro_f1"] == 1.0 == f1_score(["A", "B"], ["A", "B"], average="macro")
    assert score(["A", "B"], ["A", "C"], "ABCD")["macro_f1"] == pytest.approx(1 / 3)  # A=1, B=0, C=0


def test_read_by_counts_how_generated_answers_were_read_most_first():
    from chemtune.evaluate.metrics import read_by_counts

    rows = [{"read_by": "json"}, {"read_by": "option_list"}, {"read_by": "json"}, {"read_by": "statement"}]
    assert read_by_counts(rows) == {"json": 2, "option_list": 1, "statement": 1}
    assert list(read_by_counts(rows)) == ["json", "option_list", "statement"]
    assert read_by_counts([{"pred": "A", "logprobs": {}}]) == {}  # log-likelihood rows are not read


def test_a_generative_score_has_its_unparsed_rate_beside_it_in_every_export():
    base = _result("tiny", 0.30, 0.50, 0.35, "l1")
    generated = {**_result("tiny", 0.40, 0.20, 0.30, "g1"), "method": "generate"}
    generated["average"] = {**generated["average"], "unparsed_rate": 0.25}
    table = comparison([base, generated], "accuracy")
    assert table["columns"] == ["high_school", "college", "Average", "Unparsed"]
    assert table["unparsed_columns"] == ["Unparsed"] and "Unparsed" not in table["best"]
    lines = to_markdown(table).splitlines()
    assert lines[0] == "| Model | high_school | college | Average | Unparsed |"
    # never bold: fewer unparsed answers is not a better score
    assert lines[2] == "| tiny (loglik) | 30.00 | **50.00** | **35.00** | 0.00 |"
    assert lines[3] == "| tiny (generate) | **40.00** | 20.00 | 30.00 | 25.00 |"
    assert to_csv_rows(table)[2] == "tiny (generate),g1,0.4000,0.2000,0.3000,0.2500"
    assert "Unparsed" in to_latex(table)


def test_the_unparsed_column_belongs_to_the_benchmark_with_generative_rows():
    endpoint = {**_result("gpt", 0.9, 0.9, 0.9, "r1"), "method": "endpoint", "benchmark": "sample"}
    endpoint["mean"] = {**endpoint["mean"], "unparsed_rate": 0.1}
    table = comparison([_result("base", 0.3, 0.5, 0.35, "e1"), endpoint], "macro_f1", average="mean")
    assert table["columns"][-4:] == [
        "sample: high_school", "sample: college", "sample: Mean of sub-categories", "sample: Unparsed"
    ]
    assert table["rows"][1]["values"]["sample: Unparsed"] == 0.1  # over the same average as the score
    assert not any("mmlu-chemistry: Unparsed" == column for column in table["columns"])
    # the unparsed rate as the table's own metric needs no second column for it
    assert "Unparsed" not in comparison([endpoint], "unparsed_rate")["columns"]
