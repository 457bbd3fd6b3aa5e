"""Exam prompts in English and Korean: zero-shot by default, k-shot examples from the dev split.

A question becomes chat messages (system, then k solved examples as user/assistant turns, then the
question); `chemtune.prompting.render_messages` turns them into model text, so a tuned model is asked
exactly the way it was taught. Log-likelihood scoring asks for the option letter alone; generative
scoring asks for `{"Answer": …, "Explanation": …}` as in the paper.
"""

from __future__ import annotations

import json

from chemtune.evaluate.exam_files import Question

SYSTEM = {
    "en": "You are an expert chemist. Answer multiple-choice chemistry questions accurately.",
    "ko": "당신은 화학 전문가입니다. 화학 객관식 문제에 정확하게 답하세요.",
}
HEADER = {
    "en": "The following is a multiple choice question about {subject}.",
    "ko": "다음은 {subject}에 관한 객관식 문제입니다.",
}
ASK_LETTER = {
    "en": "Answer with the letter of the correct option only.",
    "ko": "정답 보기의 알파벳만 답하세요.",
}
ASK_JSON = {
    "en": 'Reply with a JSON object: {"Answer": "<letter>", "Explanation": "<a short explanation>"}.',
    "ko": '다음 JSON 형식으로 답하세요: {"Answer": "<보기 알파벳>", "Explanation": "<간단한 풀이>"}',
}
SUBJECT_KO = {
    "": "화학",
    "chemistry": "화학",
    "high school chemistry": "고등학교 화학",
    "college chemistry": "대학 화학",
    "chemical engineering": "화학공학",
    "materials engineering": "재료공학",
}
METHODS = ("loglik", "generate", "endpoint")


def subject_text(question: Question) -> str:
    subject = (question.subject or "").strip().lower()
    if question.lang == "ko":
        return SUBJECT_KO.get(subject, question.subject or "화학")
    return subject or "chemistry"


def question_text(question: Question) -> str:
    """The question and its lettered options, one per line."""
    lines = [question.question.strip()]
    lines += [
        f"{letter}. {choice}" for letter, choice in zip(question.letters, question.choices, strict=True)
    ]
    return "\n".join(lines)


def user_turn(question: Question, method: str) -> str:
    lang = question.lang if question.lang in SYSTEM else "en"
    ask = ASK_LETTER[lang] if method == "loglik" else ASK_JSON[lang]
    return f"{HEADER[lang].format(subject=subject_text(question))} {ask}\n\n{question_text(question)}"


def assistant_turn(question: Question, method: str) -> str:
    """A solved example's answer, in the form the question asks for."""
    if method == "loglik":
        return question.answer
    return json.dumps({"Answer": question.answer, "Explanation": ""}, ensure_ascii=False)


def messages_for(question: Question, shots: list[Question], method: str) -> list[dict[str, str]]:
    """System message, the k examples as earlier turns, then the question (no answer)."""
    lang = question.lang if question.lang in SYSTEM else "en"
    messages = [{"role": "system", "content": SYSTEM[lang]}]
    for example in shots:
        messages.append({"role": "user", "content": user_turn(example, method)})
        messages.append({"role": "assistant", "content": assistant_turn(example, method)})
    messages.append({"role": "user", "content": user_turn(question, method)})
    return messages


def pick_shots(question: Question, k: int, dev: list[Question], pool: list[Question]) -> list[Question]:
    """The first k dev questions of the question's subset (as MMLU's k-shot does); without a dev split,
    the first k other test questions of the same subset, same language first (results say "shots_from")."""
    if k <= 0:
        return []
    same = [q for q in dev if q.subset == question.subset] or dev
    if not same:
        same = [q for q in pool if q.subset == question.subset and q.id != question.id]
    # Examples in the question's own language first (the sample exam mixes English and Korean).
    same = sorted(same, key=lambda q: q.lang != question.lang)
    return same[:k]


def show_messages(messages: list[dict[str, str]]) -> str:
    """Messages as readable text, for the per-question view of endpoint runs."""
    return "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in messages)
