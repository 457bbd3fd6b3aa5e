"""Contamination check: exam questions copied into training data are flagged, Korean included."""

from __future__ import annotations

from pathlib import Path

import pytest

from chemtune.errors import ChemtuneError
from chemtune.evaluate.contamination import char_ngrams, check
from chemtune.evaluate.exam_files import Question
from chemtune.records import Record, save_dataset


def q(qid: str, text: str, subset: str = "s") -> Question:
    return Question(qid, subset, text, ["a", "b", "c", "d"], "A")


LEAKED_EN = (
    "Which of the following has the highest boiling point at one atmosphere: water, ethanol or acetone?"
)
LEAKED_KO = "다음 중 25 °C에서 0.1 M 염산 수용액의 pH로 가장 가까운 값은 무엇인가?"
CLEAN = "Explain why transition metals often form coloured complexes in aqueous solution."


def test_char_ngrams_ignore_case_spaces_and_punctuation() -> None:
    assert char_ngrams("Ab, C-d!", 3) == char_ngrams("abcd", 3) == {"abc", "bcd"}
    assert char_ngrams("염산 수용액", 3) == {"염산수", "산수용", "수용액"}


def test_the_check_and_dedup_normalise_text_by_one_rule() -> None:
    from chemtune.datagen import dedup
    from chemtune.evaluate.contamination import normalize

    for text in ("Straße, H₂O!", "염산  수용액 (0.1 M)", "ＡＢＣ－ｄ"):
        assert normalize(text) == dedup.normalize(text, letters_only=True)
        # what dedup judges the same text, the check does too
        assert normalize(dedup.normalize(text)) == normalize(text)
    assert normalize("Straße") == "strasse"  # case-folded, as dedup folds it


def test_the_ngram_length_has_one_bound(tmp_path: Path) -> None:
    from chemtune.evaluate.config import ContaminationConfig
    from chemtune.evaluate.contamination import MIN_N
    from chemtune.options import describe

    assert describe(ContaminationConfig, "ngram")["ge"] == MIN_N
    with pytest.raises(ChemtuneError, match=f"must be {MIN_N}–"):
        check([q("a", CLEAN)], ["d"], n=MIN_N - 1, texts=iter([]))
    assert check([q("a", CLEAN)], ["d"], n=MIN_N, texts=iter([]))["ngram"] == MIN_N


def test_leaked_questions_are_flagged_with_their_source_record() -> None:
    questions = [q("en", LEAKED_EN, "college"), q("ko", LEAKED_KO, "high_school"), q("clean", CLEAN)]
    training = [
        ("chem-ko", "r1", f"Question: {LEAKED_EN.upper()}  Answer: water, because of hydrogen bonds."),
        ("chem-ko", "r2", f"문제: {LEAKED_KO.replace(' ', '')} 정답은 1입니다."),
        ("chem-ko", "r3", "Transition metals are used as catalysts in industry."),
    ]
    result = check(questions, ["chem-ko"], n=20, threshold=0.5, texts=iter(training))
    flagged = {item["id"]: item for item in result["flagged"]}
    assert set(flagged) == {"en", "ko"}
    assert flagged["en"]["overlap"] == 1.0 and flagged["en"]["record_id"] == "r1"
    assert flagged["ko"]["overlap"] == 1.0 and flagged["ko"]["record_id"] == "r2"
    assert next(i for i in result["items"] if i["id"] == "clean")["overlap"] < 0.1
    assert result["by_subset"] == {
        "college": {"n": 1, "flagged": 1},
        "high_school": {"n": 1, "flagged": 1},
        "s": {"n": 1, "flagged": 0},
    }
    assert result["flagged_rate"] == pytest.approx(2 / 3)


def test_partial_overlap_is_measured_and_compared_to_the_threshold() -> None:
    half = LEAKED_EN[: len(LEAKED_EN) // 2]
    result = check([q("en", LEAKED_EN)], ["d"], n=20, threshold=0.9, texts=iter([("d", "r", half)]))
    overlap = result["items"][0]["overlap"]
    assert 0.3 < overlap < 0.6
    assert result["flagged"] == []


def test_named_workspace_datasets_are_read(tmp_path: Path) -> None:
    record = Record(task="qa", lang="ko", instruction=LEAKED_KO, input="", output="정답은 1")
    save_dataset("leaky", [record])
    result = check([q("ko", LEAKED_KO), q("clean", CLEAN)], ["leaky"])
    assert [item["id"] for item in result["flagged"]] == ["ko"]
    assert result["flagged"][0]["dataset"] == "leaky" and result["records_scanned"] == 1


def test_no_dataset_is_an_error() -> None:
    with pytest.raises(ChemtuneError, match="at least one training dataset"):
        check([q("a", CLEAN)], [])


def test_a_short_leaked_question_is_found_and_credited_to_the_record_holding_it_whole() -> None:
    short = "What is pH of 1 M HCl?"  # shorter than n after normalising
    questions = [q("short", short), q("en", LEAKED_EN)]
    training = [
        ("chem", "opening-only", "Which of the following has the highest melting point: NaCl or KCl?"),
        ("chem", "leak", f"Q: {LEAKED_EN} A: water. Also: {short} A: 0."),
    ]
    result = check(questions, ["chem"], n=20, threshold=0.5, texts=iter(training))
    flagged = {item["id"]: item for item in result["flagged"]}
    assert flagged["short"]["overlap"] == 1.0 and flagged["short"]["record_id"] == "leak"
    assert flagged["en"]["record_id"] == "leak"  # not the record sharing only "Which of the following"
