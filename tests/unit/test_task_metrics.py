"""The task benchmark's field matcher and metrics on Korean and English values."""

from __future__ import annotations

import json

import pytest

from chemtune.datagen.tasks import TASKS
from chemtune.evaluate.task_metrics import (
    match_fields,
    normalize_value,
    read_json,
    read_verdict,
    score_answer,
    summarize_task,
)


@pytest.mark.parametrize(("written", "alike"), [
    ("48 %", "48%"),
    ("1.2 mS/cm", "1.2 mS cm⁻¹"),
    ("1.2 mS·cm^-1", "1.2 mS cm-1"),
    ("80 ℃", "80 °C"),
    ("45.0 wt%", "45 WT %"),
    ("10,000 cycles", "10000  cycles"),
    ("1.8 meq/g", "1.8 mmol g-1"),
    ("Ｐｔ／Ｃ", "Pt/C"),
    ("  카본블랙 ", "카본블랙"),
    ("3 시간", "3시간"),
])
def test_values_written_alike_are_equal(written: str, alike: str) -> None:
    assert normalize_value(written) == normalize_value(alike)


@pytest.mark.parametrize("absent", ["N/A", "n/a", "-", "–", "", "  ", None, "없음"])
def test_absent_values_normalise_to_none(absent: str | None) -> None:
    assert normalize_value(absent) is None


def test_different_values_stay_different() -> None:
    assert normalize_value("48%") != normalize_value("4.8%")
    assert normalize_value("백금") != normalize_value("팔라듐")


def test_lists_are_compared_as_sets() -> None:
    keywords = TASKS["keywords"].field_keys
    match = match_fields(keywords, {"keywords": ["Pt/C", "내구성", "ECSA"]},
                         {"keywords": ["ecsa", "pt / c", "pt/c", "내구성 "]})
    assert (match.matched, match.answered, match.expected) == (3, 3, 3)
    assert match.verdicts[0]["verdict"] == "match"


def test_absent_against_a_value_is_a_miss_and_vice_versa() -> None:
    keys = TASKS["extract_catalyst"].field_keys
    reference = {"Q1": "Pt (40 wt%)", "Q2": "카본블랙", "Q3": "N/A", "Q4": "-"}
    answer = {"Q1": "pt (40 wt %)", "Q2": "N/A", "Q3": "산 처리", "Q4": "n/a"}
    match = match_fields(keys, reference, answer)
    verdicts = {v["field"]: v["verdict"] for v in match.verdicts}
    assert verdicts == {"Q1": "match", "Q2": "missed", "Q3": "extra", "Q4": "absent"}
    assert (match.matched, match.answered, match.expected) == (1, 2, 2)


def test_nested_property_values_are_matched_by_material_and_code() -> None:
    keys = TASKS["extract_property"].field_keys
    reference = {"AEM_MAT": {"QPPO": {"IC": "58 mS/cm"}, "PSf-MesIm": {"IC": "43 mS cm⁻¹"}}}
    answer = {"AEM_MAT": {"qppo": {"IC": "58 mS cm-1"}, "PSf-MesIm": {"IC": "31 mS/cm"}}}
    verdicts = {v["field"]: v["verdict"] for v in match_fields(keys, reference, answer).verdicts}
    assert verdicts == {"AEM_MAT › qppo › ic": "match", "AEM_MAT › psf-mesim › ic": "wrong"}


def test_schema_checks_each_key_kind() -> None:
    task = TASKS["summarize_extract"]
    assert read_json(task, '```json\n{"summary": "S.", "chemicals": ["Pt"]}\n```')[1:] == (True, None)
    value, valid, error = read_json(task, '{"summary": "S.", "chemicals": "Pt"}')
    assert valid and "chemicals" in error
    assert read_json(task, "the summary is …")[1] is False


def test_metrics_that_do_not_apply_are_absent() -> None:
    qa = TASKS["qa"]
    rows = [score_answer(qa, "물은 H2O입니다.", "물은 H2O입니다.")]
    summary = summarize_task(qa, rows)
    assert summary["chrf"] == pytest.approx(100.0)
    assert "valid_json" not in summary and "field_f1" not in summary
    assert "rouge_l" not in summary  # a Korean reference: rouge-score would drop every Hangul character


def test_an_invalid_answer_scores_no_fields_and_empty_texts() -> None:
    task = TASKS["summarize_extract"]
    reference = json.dumps({"summary": "Pt on carbon.", "chemicals": ["Pt", "C"]})
    summary = summarize_task(task, [score_answer(task, reference, "I cannot help.")])
    assert summary["valid_json"] == 0.0 and summary["field_recall"] == 0.0 and summary["chrf"] == 0.0


def test_judge_verdicts_are_read_or_refused() -> None:
    assert read_verdict('{"score": 4, "reason": "minor slip"}') == {"score": 4, "reason": "minor slip"}
    assert read_verdict('{"score": 9}')["score"] is None
    assert read_verdict("great answer")["score"] is None
