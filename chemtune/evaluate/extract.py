"""Find the chosen option in a model's free-text answer, in English or Korean, the way a person reads it.

`read_answer` gives the letter and the rule that read it (kept as `read_by` on each prediction, shown in
Inspect). Tried in order:
- "json": a JSON object's "Answer" (or "answer", "정답", "답") field;
- "letter": a reply, or its part after "the answer is" / "정답은", that is only a letter, circled numeral
  or "N번", read as that option even when an option's text is the same letter (element symbols);
- "option_text": the reply (or that part) is exactly one option's text;
- "statement": "Answer: C", "The answer is (c)", "C is correct", "정답은 ②", "답: 3번", "③번이 정답";
- "leading_marker": an option marker opening the reply: "C", "C. Fe", "(c)", "③", "3번";
- "mentioned_text": the text of exactly one option named in the reply;
- "lone_letter": a single option letter or circled numeral standing alone anywhere in the reply.
A reply that states two different choices (two JSON answers, a JSON answer and a statement, two
statements) is "contradictory"; one that lists several options ("A. 0.33 atm\nB. 0.40 atm …") and states
no choice is "option_list"; otherwise "no_answer" (or "empty"). Each of these is unparsed: the letter is
None, the question counts as wrong and as unparsed.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

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


def _is_article(text: str, start: int, choices: list[str] | None = None) -> bool:
    """The English article opening a sentence ("A catalyst lowers…", "A 10.0 L container…", as an echoed
    question begins) is not option A; "A 18 g" followed by option A's own text still is."""
    if not _SENTENCE_START.search(text[:start]):
        return False
    if re.match(r"A\s+[a-z]", text[start:]):
        return True
    own = _normalize(choices[0]) if choices else ""
    names_own = bool(own) and _normalize(text[start + 1:]).startswith(own)
    return bool(re.match(r"A\s+\d", text[start:])) and not names_own


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


_LINE_TAIL = re.compile(r"(?:answer\s*(?:is|:)|정답\s*(?:은|는|:)|답\s*(?:은|는|:))\s*(?P<tail>[^\n]+?)"
                        r"\s*(?:입니다|이다)?\s*[.。]?\s*(?:\n|$)", re.IGNORECASE)


def _exact_option(raw: str, choices: list[str]) -> str | None:
    """The option whose whole text is the reply, or what follows "the answer is" / "정답은" to the end of
    the reply or of its line ("The answer is 18.\n\nThe number of moles…")."""
    match = _ANSWER_TAIL.search(raw.strip())
    candidates = {_normalize(raw)} | ({_normalize(match.group("tail"))} if match else set())
    candidates |= {_normalize(line.group("tail")) for line in _LINE_TAIL.finditer(raw)}
    hits = [i for i, choice in enumerate(choices) if _normalize(choice) in candidates]
    return LETTERS[hits[0]] if len(hits) == 1 else None


def _from_json(raw: str, choices: list[str]) -> set[str]:
    """The letters every JSON object in the reply gives as its answer (a reply may run on to more)."""
    found: set[str] = set()
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
                letter = _from_value(str(value), choices)
                if letter:
                    found.add(letter)
                    break
    return found


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


# "A. 0.33 atm", "(b) 0.40 atm", "③ 4.4 g" opening a line: an option as the question lists it.
_OPTION_LINE = re.compile(r"^[\s*]*[(\[]?([A-Ea-e]|[①②③④⑤])(?:[)\].:]|\s(?=\S))", re.MULTILINE)


def _listed_options(text: str, choices: list[str]) -> set[str]:
    """Letters the reply lists the way the question does: markers opening lines, or three or more markers
    with their options' own texts ("A. 18 g B. 32 g C. 36 g" on one line)."""
    n = len(choices)
    listed = set()
    for match in _OPTION_LINE.finditer(text):
        line = text[match.start():].split("\n", 1)[0]
        marker = match.group(1)
        # "A catalyst…" opens a line with the article, not option A.
        if marker == "A" and re.match(r"[\s*]*A\s+[a-z]", line) and not _names_option(line, 0, choices):
            continue
        letter = marker_to_letter(marker, n)
        if letter:
            listed.add(letter)
    if len(listed) > 1:
        return listed
    normalized, inline = _normalize(text), set()
    for i, choice in enumerate(choices):
        own = _normalize(choice)
        marker = rf"(?<![a-z0-9]){LETTERS[i].lower()}\s+{re.escape(own)}" if own else None
        if marker and re.search(marker + (r"(?![a-z0-9])" if own[-1].isascii() else ""), normalized):
            inline.add(LETTERS[i])
    # On one line, two markers with their texts may be a choice and its rival ("D. 72 g, not A. 18 g").
    return listed | inline if len(inline) > 2 else listed


def _names_option(line: str, index: int, choices: list[str]) -> bool:
    own = _normalize(choices[index])
    return bool(own) and _normalize(line).startswith(f"{LETTERS[index].lower()} {own}")


@dataclass(frozen=True)
class Reading:
    """The option a reply chooses (None when unparsed) and the rule that read it, or why it could not."""

    letter: str | None
    rule: str


READ_RULES = ("json", "letter", "option_text", "statement", "leading_marker", "mentioned_text", "lone_letter")
UNPARSED_RULES = ("contradictory", "option_list", "no_answer", "empty")


def _stated(text: str, n: int) -> set[str]:
    """Every letter an explicit statement ("the answer is C", "정답은 ③") names."""
    letters = set()
    for pattern in _STATEMENTS:
        letters |= {marker_to_letter(m.group("m"), n) for m in re.finditer(pattern, text, re.IGNORECASE)}
    letters.discard(None)
    return letters


def _leading_letter(text: str, n: int) -> tuple[str | None, str]:
    """The option marker opening the reply ("C. Fe", "(c)", "③") and the rest of its line."""
    leading = _LEADING.match(text)
    if not leading:
        return None, ""
    marker = leading.group("m")
    letter = marker_to_letter(marker, n)
    # A lowercase letter opens a reply as a word ("a. …" is rare, "a gas" common) unless bracketed or alone.
    bracketed = "(" in leading.group(0)
    if letter and (marker.isupper() or bracketed or not marker.isalpha() or len(text.strip()) <= 3):
        return letter, text[leading.end():].split("\n", 1)[0]
    return None, ""


def _text_names_other(letter: str, rest: str, choices: list[str]) -> str | None:
    """The other option whose text follows a marker ("A. 32 g" where 32 g is B), when not its own."""
    rest = _normalize(rest)
    own = _normalize(choices[LETTERS.index(letter)])
    if not rest or (own and rest.startswith(own)):
        return None
    others = [i for i, choice in enumerate(choices)
              if _normalize(choice) and re.match(_bounded(choice), rest) and LETTERS[i] != letter]
    return LETTERS[others[0]] if len(others) == 1 else None


def read_answer(raw: str | None, choices: list[str]) -> Reading:
    """The letter of the option a free-text reply chooses and the rule that read it (see the module)."""
    if not raw or not raw.strip():
        return Reading(None, "empty")
    n = len(choices)
    text = unicodedata.normalize("NFKC", raw) if not any(c in raw for c in CIRCLED) else raw
    in_json = _from_json(raw, choices)
    if in_json:
        # What the explanation states counts too: {"Answer": "B", "Explanation": "… the answer is C"}.
        outside = _stated(re.sub(r"[\"']?(?:answer|정답|답)[\"']?\s*:\s*[\"'][^\"']*[\"']", " ", text,
                                 flags=re.IGNORECASE), n)
        if len(in_json | outside) > 1:
            return Reading(None, "contradictory")
        return Reading(in_json.pop(), "json")
    letter = _stated_letter(text, n)
    if letter:
        return Reading(letter, "letter")
    letter = _exact_option(text, choices)
    if letter:
        return Reading(letter, "option_text")
    stated = _stated(text, n)
    listing = len(_listed_options(text, choices)) > 1
    # A list of options opens with a marker that chooses nothing.
    leading, rest = (None, "") if listing else _leading_letter(text, n)
    claims = stated | ({leading} if leading else set())
    if leading and _text_names_other(leading, rest, choices):
        claims.add(_text_names_other(leading, rest, choices))
    if len(claims) > 1:
        return Reading(None, "contradictory")
    if stated:
        return Reading(stated.pop(), "statement")
    if listing:
        return Reading(None, "option_list")
    if leading:
        return Reading(leading, "leading_marker")
    letter = _from_option_text(text, choices)
    if letter:
        return Reading(letter, "mentioned_text")
    singles = set()
    for match in _STANDALONE.finditer(text):
        if match.group(1) == "A" and _is_article(text, match.start(), choices):
            continue
        letter = marker_to_letter(match.group(1) or match.group(2), n)
        if letter:
            singles.add(letter)
    if len(singles) == 1:
        return Reading(singles.pop(), "lone_letter")
    return Reading(None, "no_answer")


def extract_answer(raw: str | None, choices: list[str]) -> str | None:
    """The letter of the option a free-text reply chooses, or None when it cannot be told."""
    return read_answer(raw, choices).letter
