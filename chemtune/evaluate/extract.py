"""Find the chosen option in a model's free-text answer, in English or Korean.

Tried in order, the first that yields exactly one option wins:
1. a JSON object's "Answer" (or "answer", "정답", "답") field;
2. a reply, or its part after "the answer is" / "정답은", that is only a letter, circled numeral or "N번",
   read as that option even when an option's text is the same letter (element symbols);
3. the text of the option when the reply (or that part) is exactly an option's text;
4. an explicit statement: "Answer: C", "The answer is (c)", "정답은 ②", "답: 3번", "정답: C";
5. an option marker opening the reply: "C", "C.", "(c)", "③", "3번";
6. the text of exactly one option quoted in the reply;
7. a single option letter or circled numeral standing alone anywhere in the reply.
Nothing found (or a tie between options) is `None`: the question counts as wrong and as unparsed.
"""

from __future__ import annotations

import json
import re
import unicodedata

from chemtune.evaluate.exam_files import CIRCLED, LETTERS

ANSWER_KEYS = ("answer", "정답", "답", "final answer", "final_answer")
# A digit marker is never the start of a number ("2.5 M" is not option 2).
_MARKER = r"\(?\[?(?P<m>[A-Ea-e]|[①②③④⑤]|[1-5](?![.,]?\d)(?:\s*번)?)\]?\)?"
_STATEMENTS = [
    # English: "Answer: C", "The correct answer is (c).", "answer would be option B"
    # A lowercase "a" followed by a word is the article ("the answer is a strong acid"); "C because" is not.
    rf"(?:final\s+)?answer\s*(?:is|would\s+be|:|=|-)?\s*(?:option\s+|choice\s+)?[:\s]*{_MARKER}"
    r"(?![A-Za-z0-9])(?!(?-i:(?<=a))\s+[a-z])",
    rf"(?:option|choice)\s+{_MARKER}\s+is\s+(?:the\s+)?correct",
    rf"{_MARKER}\s+is\s+(?:the\s+)?correct(?:\s+answer)?",
    # Korean: "정답은 ②", "정답: 3번", "답: C", "정답은 C입니다", "답은 (3)"
    rf"(?:정답|답)\s*(?:은|는|:|=|-)?\s*(?:보기\s*)?{_MARKER}(?![A-Za-z0-9])",
    rf"{_MARKER}\s*(?:이|가)\s*(?:정답|맞)",
]
_LEADING = re.compile(rf"^\s*{_MARKER}(?:\s*[.):：,]|\s*$|\s*\n|\s+(?=[^\w\s])|\s*번)", re.IGNORECASE)
_STANDALONE = re.compile(r"(?<![A-Za-z0-9])\(?([A-E])\)?(?![A-Za-z0-9'’])|([①②③④⑤])")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]|\n)\s*$")


def _is_article(text: str, start: int) -> bool:
    """The English article opening a sentence ("A catalyst lowers…") is not option A."""
    return bool(re.match(r"A\s+[a-z]", text[start:])) and bool(_SENTENCE_START.search(text[:start]))


def marker_to_letter(marker: str, n_choices: int) -> str | None:
    """ "C", "c", "③", "3", "3번" → "C" when it names one of the n options."""
    marker = marker.strip().strip("()[]").replace("번", "").strip()
    letter = None
    if len(marker) == 1 and marker.upper() in LETTERS:
        letter = marker.upper()
    elif marker in CIRCLED:
        letter = LETTERS[CIRCLED.index(marker)]
    elif marker.isdigit() and 1 <= int(marker) <= len(LETTERS):
        letter = LETTERS[int(marker) - 1]
    if letter is None or LETTERS.index(letter) >= n_choices:
        return None
    return letter


def _normalize(text: str) -> str:
    # Signs stay: "+110.5 kJ" and "−110.5 kJ" are different options.
    text = unicodedata.normalize("NFKC", text).lower().replace("−", "-")
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s+\-]", " ", text)).strip()


_ANSWER_TAIL = re.compile(
    r"(?:answer\s*(?:is|:)|정답\s*(?:은|는|:)|답\s*(?:은|는|:))\s*(?P<tail>.+?)\s*(?:입니다|이다)?\s*[.。]?\s*$",
    re.IGNORECASE | re.DOTALL)


# A reply that is nothing but an option marker: "C", "(c)", "**C**", "③", "3번" (a bare digit is not one:
# with numeric options "2" is the option reading 2).
_LETTER_FORM = re.compile(r"^[\s*(\[]*(?P<m>[A-Ea-e]|[①②③④⑤]|[1-5]\s*번)[\s*)\].。]*$")


def _stated_letter(raw: str, n_choices: int) -> str | None:
    """The letter when the reply, or what follows "the answer is" / "정답은", is only an option marker."""
    match = _ANSWER_TAIL.search(raw.strip())
    for text in (raw, match.group("tail") if match else ""):
        form = _LETTER_FORM.match(text)
        letter = marker_to_letter(form.group("m"), n_choices) if form else None
        if letter:
            return letter
    return None


def _exact_option(raw: str, choices: list[str]) -> str | None:
    """The option whose whole text is the reply (or what follows "the answer is" / "정답은")."""
    match = _ANSWER_TAIL.search(raw.strip())
    candidates = {_normalize(raw)} | ({_normalize(match.group("tail"))} if match else set())
    hits = [i for i, choice in enumerate(choices) if _normalize(choice) in candidates]
    return LETTERS[hits[0]] if len(hits) == 1 else None


def _from_json(raw: str, choices: list[str]) -> str | None:
    for match in re.finditer(r"\{[^{}]*\}", raw, re.DOTALL):
        try:
            obj = json.loads(match.group(0))
        except json.JSONDecodeError:
            # Models often write single quotes or trailing commas; a regex on the key still works.
            field = re.search(
                r"[\"']?(?:answer|정답|답)[\"']?\s*:\s*[\"']?([^\"',}\n]+)", match.group(0), re.IGNORECASE
            )
            obj = {"answer": field.group(1)} if field else None
        if not isinstance(obj, dict):
            continue
        for key, value in obj.items():
            if str(key).strip().lower() in ANSWER_KEYS and value is not None:
                found = _from_value(str(value), choices)
                if found:
                    return found
    return None


def _from_value(value: str, choices: list[str]) -> str | None:
    """A JSON answer value: a marker ("C", "③", "3번", "C. text") or the option's text."""
    value = value.strip()
    # A letter is a letter even when an option's text is that letter (element symbols C, N, O, F); then the
    # option's own text: with numeric options, "2" is the option reading 2, as in free text.
    letter = (
        _stated_letter(value, len(choices))
        or _exact_option(value, choices)
        or marker_to_letter(value, len(choices))
    )
    if letter:
        return letter
    leading = _LEADING.match(value)
    if leading:
        letter = marker_to_letter(leading.group("m"), len(choices))
        if letter:
            return letter
    return _from_option_text(value, choices)


def _bounded(choice: str) -> str:
    """A pattern for the option's text as a whole word; Korean particles may follow ("질산칼륨이")."""
    text = _normalize(choice)
    # Only Latin letters and digits bound a word here: a Korean ending may follow ("14 min입니다").
    left = r"(?<![a-z0-9])" if text[0].isascii() else ""
    right = r"(?![a-z0-9])" if text[-1].isascii() else ""
    return left + re.escape(text) + right


def _from_option_text(raw: str, choices: list[str]) -> str | None:
    text = _normalize(raw)
    if not text:
        return None
    hits = [i for i, choice in enumerate(choices) if _normalize(choice) and re.search(_bounded(choice), text)]
    if len(hits) > 1:  # "iron" inside "iron oxide": keep the longest match if it contains the others
        longest = max(hits, key=lambda i: len(_normalize(choices[i])))
        if all(_normalize(choices[i]) in _normalize(choices[longest]) for i in hits):
            hits = [longest]
    return LETTERS[hits[0]] if len(hits) == 1 else None


def extract_answer(raw: str | None, choices: list[str]) -> str | None:
    """The letter of the option a free-text reply chooses, or None when it cannot be told."""
    if not raw or not raw.strip():
        return None
    n = len(choices)
    found = _from_json(raw, choices)
    if found:
        return found
    text = unicodedata.normalize("NFKC", raw) if not any(c in raw for c in CIRCLED) else raw
    found = _stated_letter(text, n) or _exact_option(text, choices)
    if found:
        return found
    for pattern in _STATEMENTS:
        letters = {marker_to_letter(m.group("m"), n) for m in re.finditer(pattern, text, re.IGNORECASE)}
        letters.discard(None)
        if len(letters) == 1:
            return letters.pop()
    leading = _LEADING.match(text)
    if leading:
        letter = marker_to_letter(leading.group("m"), n)
        if letter and (
            leading.group("m").isupper()
            or "(" in leading.group(0)
            or not leading.group("m").isalpha()
            or len(text.strip()) <= 3
        ):
            return letter
    found = _from_option_text(text, choices)
    if found:
        return found
    singles = set()
    for match in _STANDALONE.finditer(text):
        if match.group(1) == "A" and _is_article(text, match.start()):
            continue
        letter = marker_to_letter(match.group(1) or match.group(2), n)
        if letter:
            singles.add(letter)
    return singles.pop() if len(singles) == 1 else None
