"""How each generated answer was read travels from the eval job to the CLI summary and the Inspect view."""

from __future__ import annotations

from pathlib import Path

import pytest

from chemtune import workspace
from chemtune.evaluate import browse
from chemtune.evaluate.commands import summary, summary_table
from chemtune.evaluate.job import evaluate, write_outputs
from tests.support.exams import FOUR_QUESTIONS, answering
from tests.support.openai_stub import OpenAIStub

EXAM = FOUR_QUESTIONS
# Answers as small models give them: a JSON answer, a Korean statement, the options repeated, two choices.
ANSWERS = {
    "formula of water": '{"Answer": "A", "Explanation": "Water is H2O."}',
    "몰 농도": "정답은 ②입니다.",
    "noble gas": "A. N2\nB. O2\nC. Ar\nD. H2",
    "strong base": "The answer is B. No, the answer is D.",
}


responder = answering(ANSWERS)


def _evaluated(tmp_path: Path) -> tuple[dict, list[dict]]:
    exam = tmp_path / "exam.csv"
    exam.write_text(EXAM, encoding="utf-8")
    with OpenAIStub(responder=responder) as stub:
        return evaluate(
            {"model": "stub-model", "method": "endpoint", "base_url": stub.base_url, "benchmark": str(exam)},
            log=lambda _: None,
        )


def test_each_prediction_records_the_rule_that_read_it_and_results_count_them(tmp_path: Path) -> None:
    results, rows = _evaluated(tmp_path)
    assert [(row["pred"], row["read_by"]) for row in rows] == [
        ("A", "json"), ("B", "letter"), (None, "option_list"), (None, "contradictory")
    ]
    assert results["read_by"] == {"contradictory": 1, "json": 1, "letter": 1, "option_list": 1}
    assert results["average"]["unparsed"] == 2 and results["average"]["unparsed_rate"] == 0.5


def test_the_cli_summary_shows_the_unparsed_rate_beside_accuracy(tmp_path: Path) -> None:
    results, _ = _evaluated(tmp_path)
    out = summary({**results, "eval_id": "e1"}, str(tmp_path / "predictions.jsonl"))
    assert out["average"]["unparsed_rate"] == 0.5 and out["read_by"]["option_list"] == 1
    lines = summary_table(out)
    assert lines[0].split() == ["subset", "n", "accuracy", "macro-F1", "unparsed", "unparsed%"]
    average = next(line for line in lines if line.startswith("average"))
    assert average.split() == ["average", "4", "0.5000", average.split()[3], "2", "50.00%"]
    general = next(line for line in lines if line.startswith("general"))
    assert general.split()[-2:] == ["2", "66.67%"]
    assert lines[-1] == "read by: contradictory 1, json 1, letter 1, option_list 1"


def test_inspect_lists_each_reading_rule_in_the_pages_language(
    tmp_path: Path, isolated_workspace: Path
) -> None:
    from pages import evaluate_handlers

    results, rows = _evaluated(tmp_path)
    folder = isolated_workspace / "evals" / "e1"
    workspace.write_json(folder / "status.json", {"status": "done", "kind": "eval"})
    write_outputs(folder, {**results, "eval_id": "e1"}, rows)

    assert browse.QUESTION_COLUMNS[-1] == "read by"
    rules = [row[-1] for row in browse.question_rows("e1")]
    assert rules == ["json", "letter", "option_list", "contradictory"]
    def questions(which: str, lang: str) -> list[list]:
        shown = evaluate_handlers.inspect({"inspect_eval": "e1", "subset": "all", "which": which,
                                           "lang": lang})
        return shown["questions"].values.tolist()

    korean = questions("unparsed", "ko")
    assert [row[-1] for row in korean] == ["미해석: 보기를 나열만 함", "미해석: 서로 다른 답"]
    assert [row[4] for row in korean] == ["미해석", "미해석"]  # the predicted column says it in Korean too
    english = questions("all", "en")
    assert english[0][-1] == "JSON answer" and english[2][-1] == "unparsed: lists options, chooses none"

    stored = workspace.read_json(folder / "results.json")
    assert stored["read_by"]["json"] == 1
    assert browse.RESULT_COLUMNS[-2:] == ["unparsed", "unparsed %"]
    average = next(row for row in browse.results_rows(stored) if row[0].startswith("average"))
    assert average[-2:] == [2, "50.00"]


@pytest.mark.real
@pytest.mark.slow
def test_a_real_models_generated_answers_each_carry_their_reading(smollm2: Path) -> None:
    from chemtune.evaluate.extract import READ_RULES, UNPARSED_RULES

    results, rows = evaluate(
        {"model": str(smollm2), "benchmark": "sample", "method": "generate", "limit": 1,
         "max_new_tokens": 16},
        log=lambda _: None,
    )
    assert len(rows) == 3 and all(row["raw"] for row in rows)
    for row in rows:
        assert row["read_by"] in (READ_RULES if row["pred"] else UNPARSED_RULES), row
    unparsed = sum(1 for row in rows if row["read_by"] in UNPARSED_RULES)
    assert results["average"]["unparsed"] == unparsed
    assert sum(results["read_by"].values()) == 3
