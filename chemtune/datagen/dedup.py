"""Exact and near-duplicate removal that works for Korean: MinHash over character n-grams.

Word-based similarity (ROUGE-L's usual tokenizer) drops Hangul entirely, so two different Korean answers
look identical to it. Character n-grams of the normalized text treat Hangul, Latin formulas and digits
alike. MinHash LSH proposes candidate pairs; the exact Jaccard similarity of their n-gram sets decides.
Records are only compared within the same task: one document answered in two task formats is not a
duplicate.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from chemtune.records import Record

DEFAULT_THRESHOLD = 0.7  # Jaccard of character 3-grams; catches reworded Korean sentences
NGRAM = 3
NUM_PERM = 128


def normalize(text: str, letters_only: bool = False) -> str:
    """The one text normalisation of dedup and of the contamination check: NFKC, case-folded, whitespace
    collapsed (the text duplicates are judged on); with `letters_only`, letters and digits alone (Hangul
    included), since a question copied into training data is often re-spaced and re-punctuated."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    if letters_only:
        return re.sub(r"[\W_]+", "", text)
    return re.sub(r"\s+", " ", text).strip()


def ngrams(text: str, n: int = NGRAM) -> set[str]:
    text = normalize(text)
    if len(text) <= n:
        return {text} if text else set()
    return {text[i:i + n] for i in range(len(text) - n + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def similarity(a: str, b: str, n: int = NGRAM) -> float:
    """Jaccard similarity of two texts' character n-grams (1.0 = same text)."""
    return jaccard(ngrams(a, n), ngrams(b, n))


def comparable_text(record: Record) -> str:
    """What a record is compared on: input + output when it has an input (records of one task share the
    instruction, which would make every pair look alike), instruction + output otherwise."""
    head = record.input if record.input.strip() else record.instruction
    return f"{head}\n{record.output}"


@dataclass
class Duplicate:
    record: Record
    kept_id: str
    similarity: float

    @property
    def reason(self) -> str:
        if self.similarity >= 1.0:
            return f"exact duplicate of record {self.kept_id}"
        return f"near-duplicate of record {self.kept_id} (similarity {self.similarity:.2f})"


def find_duplicates(texts: list[str], threshold: float = DEFAULT_THRESHOLD, n: int = NGRAM
                    ) -> dict[int, tuple[int, float]]:
    """{index of a later text: (index of the earlier text it duplicates, similarity)}."""
    from datasketch import MinHash, MinHashLSH

    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    removed: dict[int, tuple[int, float]] = {}
    exact: dict[str, int] = {}
    grams = [ngrams(text, n) for text in texts]
    lsh = MinHashLSH(threshold=min(threshold, 0.99) * 0.9, num_perm=NUM_PERM)  # a bit lower: fewer misses
    for index, text in enumerate(texts):
        digest = hashlib.sha1(normalize(text).encode("utf-8")).hexdigest()
        if digest in exact:
            removed[index] = (exact[digest], 1.0)
            continue
        exact[digest] = index
        if threshold >= 1.0 or not grams[index]:
            continue
        signature = MinHash(num_perm=NUM_PERM)
        signature.update_batch([gram.encode("utf-8") for gram in grams[index]])
        best: tuple[int, float] | None = None
        for candidate in lsh.query(signature):
            score = jaccard(grams[index], grams[candidate])
            if score >= threshold and (best is None or score > best[1]):
                best = (candidate, score)
        if best is not None:
            removed[index] = best
        else:
            lsh.insert(index, signature)
    return removed


def dedup_records(records: list[Record], threshold: float = DEFAULT_THRESHOLD, n: int = NGRAM
                  ) -> tuple[list[Record], list[Duplicate]]:
    """(records kept in their order, duplicates removed with the record each duplicates)."""
    by_task: dict[str, list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        by_task[record.task].append(index)
    dropped: dict[int, Duplicate] = {}
    for indices in by_task.values():
        found = find_duplicates([comparable_text(records[i]) for i in indices], threshold, n)
        for local, (kept_local, score) in found.items():
            dropped[indices[local]] = Duplicate(records[indices[local]], records[indices[kept_local]].id,
                                                round(score, 4))
    kept = [record for index, record in enumerate(records) if index not in dropped]
    return kept, [dropped[index] for index in sorted(dropped)]
