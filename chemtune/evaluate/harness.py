"""Harness-style prompts: MMLU and KMMLU questions rendered exactly as lm-evaluation-harness renders them.

A base model's published MMLU / KMMLU numbers come from lm-evaluation-harness's `mmlu_*` and `kmmlu_*`
tasks; a score sits beside them only if the model saw the same text and the same choice was scored.
The harness's task templates (lm_eval 0.4, `tasks/mmlu/default/_default_template_yaml` and
`tasks/kmmlu/default/_default_kmmlu_yaml`) give, as plain text without any chat template::

    The following are multiple choice questions (with answers) about {subject}.   <- MMLU only
                                                                                  <- a blank line
    {question}
    A. {choice}
    …
    D. {choice}
    Answer: {letter}                                                              <- k-shot examples,
                                                                                     each + blank line
    {question}
    A. …
    Answer:                                                                       <- KMMLU: "정답："

and the log-likelihood of each continuation " A" … " D" decides. Examples come from the dev split: MMLU
takes the first k (its `first_n` sampler); KMMLU draws k at random per question from a generator seeded
with 1234 (the harness's default `fewshot_random_seed`), questions taken in file order. The text is
tokenized with the tokenizer's own special tokens (Gemma's BOS; none for SmolLM2), the continuation is
the tokens `context + " A"` has beyond those of the context, as the harness's `_encode_pair` does.
"""

from __future__ import annotations

import random
from typing import Any

from chemtune.errors import ChemtuneError
from chemtune.evaluate.exam_files import Question

PROMPT_STYLES = ("chat", "harness")
MMLU_DESCRIPTION = "The following are multiple choice questions (with answers) about {subject}.\n\n"
ANSWER_CUE = {"en": "Answer:", "ko": "정답："}  # KMMLU's cue ends in a full-width colon (U+FF1A)
TARGET_DELIMITER = " "
FEWSHOT_DELIMITER = "\n\n"
FEWSHOT_SEED = 1234
RANDOM_SHOTS = ("kmmlu-chemistry",)  # benchmarks whose harness task samples its examples at random


def _template(question: Question) -> str:
    """MMLU's template for English questions, KMMLU's for Korean ones."""
    return "ko" if question.lang == "ko" else "en"


def question_text(question: Question) -> str:
    """`doc_to_text`: the stripped question, the lettered options, then the answer cue."""
    lines = [question.question.strip()]
    lines += [f"{letter}. {choice}" for letter, choice in zip(question.letters, question.choices,
                                                                strict=True)]
    return "\n".join(lines) + "\n" + ANSWER_CUE[_template(question)]


def description(question: Question) -> str:
    """MMLU's task description (its subject with spaces); the KMMLU tasks have none."""
    if _template(question) == "ko":
        return ""
    subject = (question.subject or "chemistry").strip().replace("_", " ")
    return MMLU_DESCRIPTION.format(subject=subject)


def render(question: Question, shots: list[Question]) -> str:
    """The whole context: description, k solved examples, the question ending in its answer cue."""
    parts = [description(question)]
    for example in shots:
        parts.append(question_text(example) + TARGET_DELIMITER + example.answer + FEWSHOT_DELIMITER)
    parts.append(question_text(question))
    return "".join(parts)


def pick_shots(
    questions: list[Question], k: int, dev: list[Question], benchmark: str
) -> list[list[Question]]:
    """Each question's k examples, drawn as the harness's sampler for the benchmark draws them."""
    if k <= 0:
        return [[] for _ in questions]
    by_subject: dict[str, list[Question]] = {}
    for example in dev:
        by_subject.setdefault(example.subject, []).append(example)
    if not dev:  # an exam without a dev split: other test questions of the subset, as the chat style does
        return [[q for q in questions if q.subset == question.subset and q.id != question.id][:k]
                for question in questions]
    if benchmark not in RANDOM_SHOTS:
        return [by_subject.get(question.subject, dev)[:k] for question in questions]
    # One generator per harness task (a subject), consumed question by question in file order.
    generators: dict[str, random.Random] = {}
    shots = []
    for question in sorted(questions, key=_file_order):
        pool = by_subject.get(question.subject, dev)
        if k > len(pool):
            raise ChemtuneError(f"{k}-shot asks for more examples than the {len(pool)} dev questions of "
                                f"{question.subject}.",
                                ko=f"{k}-shot은 {question.subject}의 dev 문제 {len(pool)}개보다 많은 예시를 "
                                   "요구합니다.")
        rng = generators.setdefault(question.subject, random.Random(FEWSHOT_SEED))
        shots.append((question.id, rng.sample(pool, k)))
    drawn = dict(shots)
    return [drawn[question.id] for question in questions]


def _file_order(question: Question) -> tuple[str, int]:
    """(subject, row number) from a KMMLU id `<Subject>-test-<n>`: grouping by difficulty reorders."""
    head, _, number = question.id.rpartition("-")
    return head, int(number) if number.isdigit() else 0


def encode(tokenizer: Any, context: str, letters: str) -> tuple[list[int], list[int]]:
    """(context token ids, the one token of each continuation " A" …), as the harness encodes them."""
    context_ids = list(tokenizer(context)["input_ids"])
    candidates = []
    for letter in letters:
        whole = list(tokenizer(context + TARGET_DELIMITER + letter)["input_ids"])
        continuation = whole[len(context_ids):]
        if whole[: len(context_ids)] != context_ids or len(continuation) != 1:
            raise ChemtuneError(
                f"This tokenizer writes the answer ' {letter}' as {len(continuation)} tokens after the "
                "prompt; harness-style scoring here reads one next token. Use --prompt-style chat.",
                ko=f"이 토크나이저는 답 ' {letter}'을(를) 프롬프트 뒤에 토큰 {len(continuation)}개로 씁니다; "
                   "여기서 harness 방식 채점은 다음 토큰 하나만 읽습니다. --prompt-style chat을 쓰세요."
            )
        candidates.append(continuation[0])
    return context_ids, candidates
