"""Harness-style prompts: the text lm-evaluation-harness's mmlu_* and kmmlu_* tasks build, byte for byte.

The expected strings were rendered by lm-evaluation-harness 0.4 itself (its `mmlu` default template and
`kmmlu` default template, pointed at the same local CSVs, `fewshot_random_seed` 1234) and copied here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chemtune.errors import ChemtuneError
from chemtune.evaluate import harness
from chemtune.evaluate.benchmarks import load_exam
from chemtune.evaluate.job import check_config
from tests.support.exams import write_kmmlu, write_mmlu

ACID = "A. HCl\nB. CH3COOH\nC. H2O\nD. NH3\n"
PH = "A. pH 3\nB. pH 7\nC. pH 9\nD. pH 12\n"


def test_mmlu_zero_shot_is_the_description_then_the_question_ending_in_answer(tmp_path: Path) -> None:
    exam = load_exam("mmlu-chemistry", str(write_mmlu(tmp_path / "mmlu", n_test=2)))
    question = exam.questions[1]
    assert harness.render(question, []) == (
        "The following are multiple choice questions (with answers) about high school chemistry.\n\n"
        "Question 1 on high school chemistry: which of these is the strongest acid? Consider aqueous "
        f"solution at 25 °C.\n{ACID}Answer:"
    )


def test_mmlu_k_shot_takes_the_first_dev_questions_with_their_answers(tmp_path: Path) -> None:
    exam = load_exam("mmlu-chemistry", str(write_mmlu(tmp_path / "mmlu", n_test=2, n_dev=5)))
    shots = harness.pick_shots(exam.questions, 2, exam.dev, "mmlu-chemistry")
    college = next(i for i, q in enumerate(exam.questions) if q.subset == "college")
    assert harness.render(exam.questions[college], shots[college]) == (
        "The following are multiple choice questions (with answers) about college chemistry.\n\n"
        f"Question 0 on college chemistry: which of these is the strongest acid?\n{ACID}Answer: A\n\n"
        "Question 1 on college chemistry: which of these is the strongest acid? Consider aqueous "
        f"solution at 25 °C.\n{ACID}Answer: B\n\n"
        f"Question 0 on college chemistry: which of these is the strongest acid?\n{ACID}Answer:"
    )


def test_kmmlu_has_no_description_a_full_width_cue_and_seeded_random_examples(tmp_path: Path) -> None:
    exam = load_exam("kmmlu-chemistry", str(write_kmmlu(tmp_path / "kmmlu", n_test=7, n_dev=5)))
    shots = harness.pick_shots(exam.questions, 2, exam.dev, "kmmlu-chemistry")
    second = [i for i, q in enumerate(exam.questions) if q.subset == "Chemistry"][1]
    assert harness.render(exam.questions[second], shots[second]) == (
        f"Chemistry 문제 0: 다음 중 산성 용액의 pH로 옳은 것은?\n{PH}정답： A\n\n"
        f"Chemistry 문제 4: 다음 중 산성 용액의 pH로 옳은 것은? 25 °C에서.\n{PH}정답： A\n\n"
        f"Chemistry 문제 1: 다음 중 산성 용액의 pH로 옳은 것은? 25 °C에서.\n{PH}정답："
    )


def test_kmmlu_examples_do_not_change_when_sub_categories_are_difficulties(tmp_path: Path) -> None:
    folder = str(write_kmmlu(tmp_path / "kmmlu", n_test=7, n_dev=5))
    by_subject = load_exam("kmmlu-chemistry", folder)
    by_difficulty = load_exam("kmmlu-chemistry", folder, group_by="difficulty")
    first = dict(zip([q.id for q in by_subject.questions],
                     harness.pick_shots(by_subject.questions, 3, by_subject.dev, "kmmlu-chemistry"),
                     strict=True))
    second = harness.pick_shots(by_difficulty.questions, 3, by_difficulty.dev, "kmmlu-chemistry")
    assert [q.subset for q in by_difficulty.questions] != [q.subset for q in by_subject.questions]
    for question, examples in zip(by_difficulty.questions, second, strict=True):
        assert [e.id for e in examples] == [e.id for e in first[question.id]]


def test_the_continuation_is_the_token_of_space_letter_after_the_context() -> None:
    class WordPieces:  # " A" and " B" are single tokens, as in the BPE vocabularies of real models
        def __call__(self, text: str) -> dict:
            return {"input_ids": [ord(c) for c in text.replace(" A", "\x01").replace(" B", "\x02")]}

    class Merging:  # writes ": A" as one token: the context's own last token changes
        def __call__(self, text: str) -> dict:
            return {"input_ids": [ord(c) for c in text.replace(": A", "\x01")]}

    ids, letters = harness.encode(WordPieces(), "Answer:", "AB")
    assert ids == [ord(c) for c in "Answer:"] and letters == [1, 2]
    with pytest.raises(ChemtuneError, match="' A' as"):
        harness.encode(Merging(), "Answer:", "AB")
    with pytest.raises(ChemtuneError, match="' A' as 2 tokens"):  # a space token, then the letter
        harness.encode(lambda text: {"input_ids": [ord(c) for c in text]}, "Answer:", "AB")


@pytest.mark.parametrize("method", ["generate", "endpoint"])
def test_harness_prompts_need_log_likelihood_scoring(method: str) -> None:
    with pytest.raises(ChemtuneError, match=r"Prompt style \(prompt_style\): .*needs method 'loglik'"):
        check_config({"model": "tiny", "benchmark": "sample", "method": method, "prompt_style": "harness",
                      "base_url": "http://127.0.0.1:9/v1"})
    with pytest.raises(ChemtuneError, match=r"\(prompt_style\): Input should be 'chat' or 'harness'"):
        check_config({"model": "tiny", "benchmark": "sample", "prompt_style": "lm-eval"})
    assert check_config({"model": "tiny", "benchmark": "sample"})["prompt_style"] == "chat"
