"""Reading exam files (CSV, JSONL) into questions, with errors that name the file and the line."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chemtune.errors import ChemtuneError
from chemtune.records import detect_lang, parse_csv, parse_jsonl, read_text

LETTERS = "ABCDE"
# Circled and parenthesised numerals Korean exams use for options: ① = A, ② = B, …
CIRCLED = "①②③④⑤"


@dataclass
class Question:
    """One multiple-choice question; `answer` is a letter (A–E)."""

    id: str
    subset: str
    question: str
    choices: list[str]
    answer: str
    lang: str = "en"
    subject: str = ""  # shown in the prompt ("high school chemistry"); empty means "chemistry"
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def letters(self) -> str:
        return LETTERS[: len(self.choices)]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def letter_range(n: int) -> str:
    return f"A–{LETTERS[n - 1]}"


def parse_answer(value: Any, n_choices: int, where: str, choices: list[str] | None = None) -> str:
    """An answer given as a letter, a 1-based number, a circled numeral or the option's text → a letter."""
    text = str(value if value is not None else "").strip()
    if not text:
        raise ChemtuneError(f"{where}: the answer is empty; give a letter {letter_range(n_choices)}.",
                            ko=f"{where}: 답이 비어 있습니다; {letter_range(n_choices)} 중 한 글자를 주세요.")
    upper = text.upper().strip("()．. ")
    letter = None
    if len(upper) == 1 and upper in LETTERS:
        letter = upper
    elif upper in CIRCLED:
        letter = LETTERS[CIRCLED.index(upper)]
    elif upper.isdigit() and 1 <= int(upper) <= len(LETTERS):
        letter = LETTERS[int(upper) - 1]
    elif upper.replace(".0", "").isdigit() and 1 <= int(upper.replace(".0", "")) <= len(LETTERS):
        letter = LETTERS[int(upper.replace(".0", "")) - 1]  # "3.0" from spreadsheet exports
    elif choices and text in choices:
        letter = LETTERS[choices.index(text)]
    if letter is None or LETTERS.index(letter) >= n_choices:
        raise ChemtuneError(
            f"{where}: answer {text!r} is not one of {letter_range(n_choices)} (or 1–{n_choices}).",
            ko=f"{where}: 답 {text!r}이(가) {letter_range(n_choices)}(또는 1–{n_choices}) 중 하나가 아닙니다."
        )
    return letter


def read_csv_rows(path: Path, header: bool = True) -> list[tuple[str, dict[str, str] | list[str]]]:
    """The rows of an exam CSV file, each with its place ("exam.csv, line 3"); every row complete."""
    rows = parse_csv(path, header=header)
    if not rows and not read_text(path).strip():
        raise ChemtuneError(f"{path.name} is empty: expected a header line and one question per line.",
                            ko=f"{path.name}이(가) 비어 있습니다: 머리글 한 줄과 한 줄에 문제 하나가 있어야 "
                               "합니다.")
    return rows


def _find(row: dict[str, Any], *names: str) -> str | None:
    """The first of `names` present in `row`, matched case-insensitively."""
    lower = {str(key).strip().lower(): key for key in row}
    for name in names:
        if name.lower() in lower:
            return lower[name.lower()]
    return None


def _choices_of(row: dict[str, Any], where: str) -> list[str]:
    key = _find(row, "choices", "options")
    if key is not None and isinstance(row[key], list):
        choices = [str(c) for c in row[key]]
    else:
        choices = []
        for letter in LETTERS:
            col = _find(row, letter, f"option_{letter}", f"choice_{letter}")
            if col is None or str(row[col]).strip() == "":
                break
            choices.append(str(row[col]).strip())
    if len(choices) not in (4, 5):
        columns = ", ".join(str(k) for k in row)
        raise ChemtuneError(
            f"{where}: expected 4 or 5 options (columns A, B, C, D[, E] or a 'choices' list),"
            f" found {len(choices)}; columns present: {columns}.",
            ko=f"{where}: 선택지가 4개 또는 5개(A, B, C, D[, E] 열 또는 'choices' 목록)여야 하는데"
               f" {len(choices)}개입니다; 있는 열: {columns}."
        )
    return choices


def question_from_row(
    row: dict[str, Any], where: str, index: int, default_subset: str, n_choices: int | None = None
) -> Question:
    """One uploaded-exam row → Question; `category` or `difficulty` becomes the sub-category."""
    if not isinstance(row, dict):
        raise ChemtuneError(f"{where}: expected an object with question, options and answer.",
                            ko=f"{where}: question, options, answer가 있는 객체여야 합니다.")
    q_key = _find(row, "question", "문제")
    if q_key is None:
        raise ChemtuneError(f"{where}: missing column 'question'.",
                            ko=f"{where}: 'question' 열이 없습니다.")
    a_key = _find(row, "answer", "정답", "label")
    if a_key is None:
        raise ChemtuneError(f"{where}: missing column 'answer'.",
                            ko=f"{where}: 'answer' 열이 없습니다.")
    question = str(row[q_key]).strip()
    if not question:
        raise ChemtuneError(f"{where}: the question is empty.",
                            ko=f"{where}: 문제가 비어 있습니다.")
    choices = _choices_of(row, where)
    if n_choices is not None and len(choices) != n_choices:
        raise ChemtuneError(
            f"{where}: {len(choices)} options, but the file's other questions have {n_choices}.",
            ko=f"{where}: 선택지가 {len(choices)}개인데, 파일의 다른 문제들은 {n_choices}개입니다."
        )
    answer = parse_answer(row[a_key], len(choices), where, choices)
    sub_key = _find(row, "category", "difficulty", "subset")
    subset = str(row[sub_key]).strip() if sub_key and str(row[sub_key]).strip() else default_subset
    lang_key = _find(row, "lang", "language")
    lang = (
        str(row[lang_key]).strip()
        if lang_key and row[lang_key]
        else detect_lang(question + " ".join(choices))
    )
    id_key = _find(row, "id")
    qid = str(row[id_key]) if id_key and str(row[id_key]).strip() else f"q{index:04d}"
    return Question(qid, subset, question, choices, answer, lang if lang in ("en", "ko") else "en")


def read_exam_file(path: Path | str, default_subset: str = "all") -> list[Question]:
    """An uploaded exam: CSV with a header, or JSONL; 4 or 5 options; optional category/difficulty."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise ChemtuneError(
            f"{path.name}: an exam must be a .csv or .jsonl file, not '{suffix or 'no suffix'}'.",
            ko=f"{path.name}: 시험은 .csv 또는 .jsonl 파일이어야 합니다('{suffix or '확장자 없음'}'은(는) 안 "
               "됩니다)."
        )
    if suffix == ".csv":
        rows = read_csv_rows(path, header=True)
    else:
        if not read_text(path).strip():
            raise ChemtuneError(f"{path.name} is empty: expected one JSON question per line.",
                                ko=f"{path.name}이(가) 비어 있습니다: 한 줄에 JSON 문제 하나가 있어야 "
                                   "합니다.")
        rows = parse_jsonl(path)
    questions: list[Question] = []
    for index, (where, row) in enumerate(rows, start=1):
        first = len(questions[0].choices) if questions else None
        questions.append(question_from_row(row, where, index, default_subset, first))
    if not questions:
        raise ChemtuneError(f"{path.name} has a header but no questions.",
                            ko=f"{path.name}에 머리글은 있지만 문제가 없습니다.")
    seen: dict[str, int] = {}
    for question in questions:  # ids must be unique: predictions are joined on them
        if question.id in seen:
            seen[question.id] += 1
            question.id = f"{question.id}#{seen[question.id]}"
        else:
            seen[question.id] = 0
    return questions
