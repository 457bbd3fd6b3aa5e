"""Answer extraction from messy English and Korean model outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chemtune.evaluate.extract import (
    READ_RULES,
    UNPARSED_RULES,
    Reading,
    extract_answer,
    marker_to_letter,
    read_answer,
)

CHOICES = ["Sodium chloride", "Potassium nitrate", "Iron oxide", "Iron"]
CHOICES_KO = ["염화나트륨", "질산칼륨", "산화철", "황산구리"]

CASES = [
    # JSON as the prompt asks for it, and its near misses
    ('{"Answer": "C", "Explanation": "Fe2O3 is iron oxide."}', CHOICES, "C"),
    ('```json\n{"Answer": "B",\n "Explanation": "질산칼륨은 산화제"}\n```', CHOICES_KO, "B"),
    ("{'Answer': 'A', 'Explanation': 'single quotes'}", CHOICES, "A"),
    ('{"answer": "3번", "explanation": ""}', CHOICES_KO, "C"),
    ('{"정답": "②", "해설": "..."}', CHOICES_KO, "B"),
    ('{"Answer": "Iron oxide"}', CHOICES, "C"),
    ('{"Answer": "D. Iron", "Explanation": "x"}', CHOICES, "D"),
    # English statements
    ("Answer: C", CHOICES, "C"),
    ("The answer is (b).", CHOICES, "B"),
    ("I think the correct answer is D because iron is an element.", CHOICES, "D"),
    ("A and B are both salts, so the answer is C", CHOICES, "C"),
    ("Final answer: A", CHOICES, "A"),
    ("Option B is correct.", CHOICES, "B"),
    # Korean statements
    ("정답은 ②입니다.", CHOICES_KO, "B"),
    ("답: 3번", CHOICES_KO, "C"),
    ("답은 4번입니다", CHOICES_KO, "D"),
    ("④번이 정답입니다", CHOICES_KO, "D"),
    ("정답: C", CHOICES_KO, "C"),
    ("정답은 (3)", CHOICES_KO, "C"),
    ("풀이: 산화철은 Fe2O3이다. 따라서 정답은 ③", CHOICES_KO, "C"),
    # option markers opening the reply
    ("B", CHOICES, "B"),
    ("(b)", CHOICES, "B"),
    ("③", CHOICES_KO, "C"),
    ("C. Iron oxide", CHOICES, "C"),
    ("D) Iron", CHOICES, "D"),
    # the option's text
    ("Iron oxide is the answer because it is a compound.", CHOICES, "C"),
    ("The answer is Potassium nitrate.", CHOICES, "B"),
    ("질산칼륨이 맞습니다", CHOICES_KO, "B"),
    # unparsed
    ("", CHOICES, None),
    ("asdf qwerty", CHOICES, None),
    ("A catalyst lowers the activation energy.", CHOICES, None),
    ("I'm not sure.", CHOICES, None),
    ("Answer: E", CHOICES, None),  # no option E in a 4-option question
    ("잘 모르겠습니다", CHOICES_KO, None),
    ("It is either A or B.", CHOICES, None),
]


@pytest.mark.parametrize(("raw", "choices", "expected"), CASES)
def test_extract_answer_reads_messy_outputs(raw: str, choices: list[str], expected: str | None) -> None:
    assert extract_answer(raw, choices) == expected


ELEMENTS = ["C", "N", "O", "F"]  # options whose text is itself a letter


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"Answer": "C", "Explanation": "O is the most electronegative here after F"}', "C"),
        ('{"Answer": "(b)"}', "B"),
        ("Answer: C", "C"),
        ("The answer is C.", "C"),
        ("정답은 C입니다.", "C"),
        ("정답: 2번", "B"),
        ("정답은 ④", "D"),
        ("C", "C"),
        ('{"Answer": "Oxygen is O"}', "C"),  # a longer value still reads the option's text
    ],
)
def test_a_letter_is_read_as_the_letter_even_when_an_option_is_that_letter(raw: str, expected: str) -> None:
    assert extract_answer(raw, ELEMENTS) == expected


NUMBERS = ["3", "1", "4", "2"]  # option B reads "1", option D reads "2"


@pytest.mark.parametrize(
    ("raw", "choices", "expected"),
    [
        ('{"Answer": "2"}', NUMBERS, "D"),
        ("Answer: 2", NUMBERS, "D"),
        ("The answer is 1.", NUMBERS, "B"),
        ("정답은 2번", NUMBERS, "B"),  # "N번" names the option's position
        ('{"Answer": "B"}', NUMBERS, "B"),
        ("The answer is 2.5 M", ["1.0 M", "2.5 M", "0.5 M", "5.0 M"], "B"),
        ('{"Answer": "2.5 M"}', ["1.0 M", "2.5 M", "0.5 M", "5.0 M"], "B"),
    ],
)
def test_numeric_options_are_read_by_their_text_when_no_letter_is_given(
    raw: str, choices: list[str], expected: str
) -> None:
    assert extract_answer(raw, choices) == expected


ACIDS = ["HCl", "NaOH", "NaCl", "KOH"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The answer is C because A is a strong acid.", "C"),
        ("The answer is C and not A.", "C"),
        ("Answer: B since NaOH is a base, unlike A", "B"),
        ("A strong acid is HCl, so the answer is A.", "A"),
        ("the answer is a strong base, B is it", "B"),  # "a strong" is the article, not option A
    ],
)
def test_an_uppercase_letter_followed_by_a_word_is_still_the_stated_answer(raw: str, expected: str) -> None:
    assert extract_answer(raw, ACIDS) == expected


def test_fifth_option_is_understood_in_five_option_questions() -> None:
    choices = ["a", "b", "c", "d", "e"]
    assert extract_answer("Answer: E", choices) == "E"
    assert extract_answer("정답은 ⑤", choices) == "E"


@pytest.mark.parametrize(
    ("marker", "n", "letter"),
    [
        ("c", 4, "C"),
        ("③", 4, "C"),
        ("3번", 4, "C"),
        ("(2)", 4, "B"),
        ("5", 4, None),
        ("E", 5, "E"),
        ("x", 4, None),
    ],
)
def test_marker_to_letter(marker: str, n: int, letter: str | None) -> None:
    assert marker_to_letter(marker, n) == letter


SAMPLE_EXAM = [json.loads(line) for line in
               (Path(__file__).resolve().parents[2] / "chemtune/samples/exam.jsonl").read_text().splitlines()
               if line.strip()]
REPLY_FORMS = ['{{"Answer": "{text}", "Explanation": "계산 결과이다."}}', "The answer is {text}.", "{text}",
               "정답은 {text}입니다."]


@pytest.mark.parametrize("form", REPLY_FORMS)
def test_every_sample_option_quoted_by_its_text_is_read_as_that_option(form):
    wrong = []
    for question in SAMPLE_EXAM:
        for letter, text in zip("ABCD", question["choices"], strict=True):
            reply = form.format(text=text.replace('"', '\\"'))
            got = extract_answer(reply, question["choices"])
            if got != letter:
                wrong.append(f"{question['id']}: {reply!r} → {got}, expected {letter}")
    assert not wrong, "\n".join(wrong[:10])


GASES = ["0.33 atm", "0.40 atm", "0.50 atm", "2.0 atm"]


@pytest.mark.parametrize(
    ("raw", "choices", "letter", "rule"),
    [
        # The options repeated, one per line or on one line, choose nothing.
        ("A. 0.33 atm\nB. 0.40 atm\nC. 0.50 atm\nD. 2.0 atm", GASES, None, "option_list"),
        ("\nA. 0.33 atm\nB. 0.40 atm\n", GASES, None, "option_list"),
        ("A. 0.33 atm B. 0.40 atm C. 0.50 atm D. 2.0 atm", GASES, None, "option_list"),
        ("(a) 염화나트륨\n(b) 질산칼륨\n(c) 산화철", CHOICES_KO, None, "option_list"),
        ("① 염화나트륨\n② 질산칼륨\n③ 산화철\n④ 황산구리", CHOICES_KO, None, "option_list"),
        # ... unless a choice is stated after them.
        ("A. 0.33 atm\nB. 0.40 atm\nC. 0.50 atm\nD. 2.0 atm\n\nThe answer is C.", GASES, "C", "letter"),
        ("① 염화나트륨\n② 질산칼륨\n③ 산화철\n④ 황산구리\n정답은 ③", CHOICES_KO, "C", "letter"),
        ("A. 0.33 atm\nB. 0.40 atm\nC. 0.50 atm\n\nThe answer is C, as Boyle says.", GASES, "C", "statement"),
        # Two choices stated: no choice.
        ("The answer is B. Actually, the answer is D.", GASES, None, "contradictory"),
        ('{"Answer": "B", "Explanation": "the answer is C because"}', GASES, None, "contradictory"),
        ('{"Answer": "B"}\n{"Answer": "C"}', GASES, None, "contradictory"),
        ("A. 0.40 atm", GASES, None, "contradictory"),  # marker A, but option B's text
        ("A. 0.33 atm\n\nThe correct answer is D. 2.0 atm.", GASES, None, "contradictory"),
        ("정답은 ②입니다. 아니, 정답은 ④입니다.", CHOICES_KO, None, "contradictory"),
        # A single stated choice, however it is written.
        ("C. 0.50 atm", GASES, "C", "leading_marker"),
        ("C. 0.50 atm\nBecause the pressure halves.", GASES, "C", "leading_marker"),
        ('{"Answer": "B", "Explanation": "B is correct: 0.40 atm"}', GASES, "B", "json"),
        ("The answer is 0.50 atm.\n\nThe pressure falls as the volume grows.", GASES, "C", "option_text"),
        ("0.50 atm", GASES, "C", "option_text"),
        ("B", GASES, "B", "letter"),
        ("정답은 ③", CHOICES_KO, "C", "letter"),
        ("The answer is C because the pressure halves.", GASES, "C", "statement"),
        # An option's text alone counts only when it matches exactly one option.
        ("It is 0.40 atm or 0.50 atm.", GASES, None, "no_answer"),
        ("The pressure is 0.40 atm at the end.", GASES, "B", "mentioned_text"),
        ("", GASES, None, "empty"),
    ],
)
def test_read_answer_names_the_rule_that_read_the_reply(raw, choices, letter, rule) -> None:
    assert read_answer(raw, choices) == Reading(letter, rule)
    assert extract_answer(raw, choices) == letter


def test_every_reading_rule_is_either_a_read_or_an_unparsed_one() -> None:
    assert not set(READ_RULES) & set(UNPARSED_RULES)
    assert read_answer("Answer: C", CHOICES).rule in READ_RULES
    assert read_answer("asdf", CHOICES).rule in UNPARSED_RULES


def test_an_echoed_question_opening_with_the_article_is_not_option_a() -> None:
    choices = ["0.45 atm", "0.67 atm", "1.1 atm", "2.2 atm"]
    echo = "A 10.0 L container at 273 K holds 0.20 mol of He. The total pressure is the sum of"
    assert read_answer(echo, choices) == Reading(None, "no_answer")
    assert extract_answer("A 0.45 atm", choices) == "A"  # the article never precedes the option's own text
