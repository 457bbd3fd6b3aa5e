"""Contamination check: how much of each exam question appears in the training data.

Text is compared as character n-grams after dedup's normalisation (`chemtune.datagen.dedup.normalize`:
NFKC, case-folded; here with punctuation and spaces removed too, since a copied question is often
re-spaced), so Korean, formulas and English are treated alike. A question is flagged when the share of its
n-grams found anywhere in the training records reaches the threshold. Only the exam's n-grams are kept in
memory; the training data is streamed past them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from chemtune.datagen.dedup import normalize as dedup_normalize
from chemtune.errors import ChemtuneError
from chemtune.evaluate.exam_files import Question

if TYPE_CHECKING:
    from chemtune.evaluate.config import ContaminationConfig

DEFAULT_N = 20
MIN_N = 5  # shorter n-grams match common words, not copied questions
MAX_N = 200
DEFAULT_THRESHOLD = 0.5


def normalize(text: str) -> str:
    """The text n-grams are taken from: dedup's normalisation, letters and digits only (Hangul included)."""
    return dedup_normalize(text, letters_only=True)


def char_ngrams(text: str, n: int = DEFAULT_N) -> set[str]:
    """The set of character n-grams of the normalised text (the whole text when it is shorter than n)."""
    text = normalize(text)
    if not text:
        return set()
    if len(text) <= n:
        return {text}
    return {text[i : i + n] for i in range(len(text) - n + 1)}


def question_text(question: Question, with_choices: bool = False) -> str:
    return question.question + (" " + " ".join(question.choices) if with_choices else "")


def training_texts(datasets: Iterable[str]) -> Iterable[tuple[str, str, str]]:
    """(dataset, record id, text) for every record of the named datasets (or JSONL/CSV files)."""
    from pathlib import Path

    from chemtune import records

    for name in datasets:
        if Path(name).is_file():
            from chemtune.formats import load_records

            loaded = load_records(name)
        else:
            loaded = records.load_dataset_records(name)
        for record in loaded:
            yield name, record.id, "\n".join([record.instruction, record.input, record.output])


def check(
    questions: list[Question],
    datasets: list[str],
    n: int = DEFAULT_N,
    threshold: float = DEFAULT_THRESHOLD,
    with_choices: bool = False,
    texts: Iterable[tuple[str, str, str]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Overlap of every question with the training data; flagged items sorted by overlap, highest first."""
    if not datasets and texts is None:
        raise ChemtuneError("Choose at least one training dataset to check the exam against.",
                            ko="시험과 대조할 학습 데이터셋을 하나 이상 고르세요.")
    if not MIN_N <= n <= MAX_N:
        raise ChemtuneError(f"The n-gram length must be {MIN_N}–{MAX_N} characters, not {n}.",
                            ko=f"n-gram 길이는 {MIN_N}–{MAX_N}자여야 합니다({n}은(는) 안 됩니다).")
    grams = [char_ngrams(question_text(q, with_choices), n) for q in questions]
    owners: dict[str, list[int]] = {}
    for index, question_grams in enumerate(grams):
        for gram in question_grams:
            owners.setdefault(gram, []).append(index)
    # A question no longer than n is one "n-gram" that never equals a window of a longer record: look for
    # it as a whole instead.
    short = {index: next(iter(g)) for index, g in enumerate(grams) if len(g) == 1 and len(next(iter(g))) < n}
    found: list[set[str]] = [set() for _ in questions]
    source: list[tuple[str, str] | None] = [None for _ in questions]
    best_hits = [0 for _ in questions]  # the record sharing the most n-grams with a question is its source
    scanned = 0
    for dataset, record_id, text in texts if texts is not None else training_texts(datasets):
        normal = normalize(text)
        hits: dict[int, set[str]] = {}
        for i in range(max(1, len(normal) - n + 1)):
            gram = normal[i : i + n] if len(normal) >= n else normal
            for index in owners.get(gram, ()):
                hits.setdefault(index, set()).add(gram)
        for index, whole in short.items():
            if whole in normal:
                hits.setdefault(index, set()).add(whole)
        for index, shared in hits.items():
            found[index] |= shared
            if len(shared) > best_hits[index]:
                best_hits[index], source[index] = len(shared), (dataset, record_id)
        scanned += 1
        if progress and scanned % 200 == 0:
            progress(scanned)
    items = []
    for index, question in enumerate(questions):
        overlap = len(found[index]) / len(grams[index]) if grams[index] else 0.0
        items.append(
            {
                "id": question.id,
                "subset": question.subset,
                "question": question.question,
                "overlap": round(overlap, 4),
                "dataset": source[index][0] if source[index] else None,
                "record_id": source[index][1] if source[index] else None,
            }
        )
    flagged = sorted(
        (item for item in items if item["overlap"] >= threshold), key=lambda item: -item["overlap"]
    )
    by_subset: dict[str, dict[str, int]] = {}
    for item in items:
        entry = by_subset.setdefault(item["subset"], {"n": 0, "flagged": 0})
        entry["n"] += 1
        entry["flagged"] += int(item["overlap"] >= threshold)
    return {
        "n": len(questions),
        "ngram": n,
        "threshold": threshold,
        "datasets": list(datasets),
        "records_scanned": scanned,
        "flagged_count": len(flagged),
        "flagged_rate": len(flagged) / len(questions) if questions else 0.0,
        "by_subset": by_subset,
        "flagged": flagged,
        "items": items,
    }


def run(config: ContaminationConfig) -> dict[str, Any]:
    """The check a config describes (the CLI's `contamination` and the Evaluate tab both run this)."""
    from chemtune.evaluate.benchmarks import load_exam

    exam = load_exam(config.benchmark, config.data_dir, config.group_by)
    return check(exam.questions, config.datasets, config.ngram, config.threshold, config.with_choices)
