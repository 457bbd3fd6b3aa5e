"""The answer reader against real greedy answers of SmolLM2-135M-Instruct and Gemma 3 270M.

tests/data/generated_answers.jsonl holds answers the two models generated for questions of the bundled
sample exam (English and Korean), with chemtune's chat prompt (through the model's chat template, or the
instruction template for Gemma) and with lm-evaluation-harness-style plain text prompts, 0- and 2-shot,
decoded greedily up to 64 new tokens. `raw` is the answer up to where generation stops: a following
"### Instruction" header (Gemma with the instruction template) or, for the harness prompts, the first
blank line, as lm-evaluation-harness's generate_until does.
Each `label` was written by a person reading the answer: the option a reader takes from it, or "none"
where it chooses no option (a list of the options, an echo of the question, two different choices).
`note` says what made an answer worth a second look.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chemtune.evaluate.extract import READ_RULES, UNPARSED_RULES, read_answer

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "generated_answers.jsonl"
ANSWERS = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]


def _name(answer: dict) -> str:
    return f"{answer['model']}-{answer['prompt']}-{answer['shots']}shot-{answer['exam_id']}"


@pytest.mark.parametrize("answer", ANSWERS, ids=[_name(a) for a in ANSWERS])
def test_the_reader_takes_the_option_a_person_reads_from_a_real_answer(answer: dict) -> None:
    reading = read_answer(answer["raw"], answer["choices"])
    expected = None if answer["label"] == "none" else answer["label"]
    assert reading.letter == expected, f"{answer['raw']!r} read by {reading.rule}"
    assert reading.rule in (READ_RULES if expected else UNPARSED_RULES)


def test_the_real_answers_cover_both_models_languages_prompt_kinds_and_shot_counts() -> None:
    assert len(ANSWERS) >= 80
    for key, wanted in (
        ("model", {"SmolLM2-135M-Instruct", "Gemma 3 270M"}),
        ("lang", {"en", "ko"}),
        ("prompt", {"chat", "harness"}),
        ("shots", {0, 2}),
    ):
        assert {a[key] for a in ANSWERS} == wanted, key
    labels = {a["label"] for a in ANSWERS}
    assert "none" in labels and len(labels - {"none"}) >= 3  # unparsed ones and several letters
    for answer in ANSWERS:
        assert answer["label"] in {"none", *"ABCDE"[: len(answer["choices"])]}, _name(answer)
