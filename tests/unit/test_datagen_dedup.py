"""Dedup removes exact and near-duplicate records, Korean included, within a task."""

from __future__ import annotations

from chemtune.datagen.dedup import dedup_records, find_duplicates, similarity
from chemtune.records import Record

KO_A = "벤젠은 방향족 탄화수소로 분자식은 C6H6이며 끓는점은 80.1 °C이다. 고리 구조가 안정하다."
KO_A_NEAR = "벤젠은 방향족 탄화수소이며 분자식은 C6H6이고 끓는점은 80.1 °C이다. 고리 구조가 안정하다."
KO_B = "에탄올은 알코올의 일종으로 분자식은 C2H5OH이며 끓는점은 78.4 °C이다. 소독제로 쓰인다."


def _record(output: str, task: str = "qa", instruction: str = "설명하세요") -> Record:
    return Record(task=task, instruction=instruction, input="", output=output)


def test_korean_near_duplicate_is_removed_and_reported_against_the_kept_record() -> None:
    records = [_record(KO_A), _record(KO_B), _record(KO_A_NEAR)]
    kept, removed = dedup_records(records)  # the default threshold
    assert [r.output for r in kept] == [KO_A, KO_B]
    assert len(removed) == 1
    assert removed[0].kept_id == records[0].id
    assert 0.7 <= removed[0].similarity < 1.0
    assert "near-duplicate" in removed[0].reason


def test_character_ngrams_see_hangul_differences() -> None:
    assert similarity(KO_A, KO_B) < 0.3  # a word tokenizer that drops Hangul would call these equal
    assert similarity(KO_A, KO_A_NEAR) > 0.7


def test_exact_duplicates_ignore_case_and_spacing() -> None:
    found = find_duplicates(["Water boils at 100 °C.", "water  boils at 100 °C.", "Ice melts at 0 °C."])
    assert found == {1: (0, 1.0)}


def test_threshold_is_adjustable() -> None:
    records = [_record(KO_A), _record(KO_A_NEAR)]
    assert len(dedup_records(records, threshold=0.7)[1]) == 1
    assert len(dedup_records(records, threshold=0.99)[1]) == 0


def test_same_answer_under_different_tasks_is_not_a_duplicate() -> None:
    kept, removed = dedup_records([_record(KO_A, task="qa"), _record(KO_A, task="keywords")])
    assert len(kept) == 2 and not removed
