"""Scores with scikit-learn: accuracy (= micro-F1), macro-F1 over the options, per sub-category and overall.

An unparsed answer is the label "unparsed": it is never right, it lowers the recall of the gold option in
macro-F1, and it is counted in `unparsed` (a count) and `unparsed_rate`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

UNPARSED = "unparsed"


def score(gold: list[str], pred: list[str | None], letters: Iterable[str]) -> dict[str, Any]:
    """n, accuracy, micro_f1, macro_f1 (over the options), unparsed count and rate for one group."""
    from sklearn.metrics import accuracy_score, f1_score

    n = len(gold)
    if n == 0:
        return {
            "n": 0,
            "accuracy": None,
            "micro_f1": None,
            "macro_f1": None,
            "unparsed": 0,
            "unparsed_rate": None,
        }
    y_pred = [p if p else UNPARSED for p in pred]
    # Options that are neither a gold answer nor predicted say nothing about the model (scikit-learn's
    # own macro average leaves them out too); an unparsed answer is a miss, not a class.
    labels = sorted(set(gold) | {p for p in y_pred if p != UNPARSED})
    return {
        "n": n,
        "accuracy": float(accuracy_score(gold, y_pred)),
        # Over every label, unparsed included, micro-F1 equals accuracy for single-label answers.
        "micro_f1": float(f1_score(gold, y_pred, average="micro")),
        "macro_f1": float(f1_score(gold, y_pred, labels=labels, average="macro", zero_division=0)),
        "unparsed": sum(1 for p in y_pred if p == UNPARSED),
        "unparsed_rate": sum(1 for p in y_pred if p == UNPARSED) / n,
    }


def summarize(rows: list[dict[str, Any]], subsets: list[str], letters: Iterable[str]) -> dict[str, Any]:
    """Scores per sub-category, the pooled `average` over all questions, and `mean` over sub-categories.

    `rows` are prediction rows with "subset", "gold" and "pred" (None when unparsed).
    """
    letters = list(letters)
    per_subset = {}
    for subset in subsets:
        group = [row for row in rows if row["subset"] == subset]
        if group:
            per_subset[subset] = score([r["gold"] for r in group], [r["pred"] for r in group], letters)
    pooled = score([r["gold"] for r in rows], [r["pred"] for r in rows], letters)
    mean = {"n": pooled["n"], "subsets": len(per_subset)}
    for key in ("accuracy", "micro_f1", "macro_f1", "unparsed_rate"):
        values = [s[key] for s in per_subset.values() if s[key] is not None]
        mean[key] = sum(values) / len(values) if values else None
    return {"subsets": per_subset, "average": pooled, "mean": mean}


def confusion(
    rows: list[dict[str, Any]], letters: Iterable[str], subset: str | None = None
) -> tuple[list[str], list[str], list[list[int]]]:
    """(gold labels, predicted labels incl. "unparsed", counts[gold][pred]) for the confusion heatmap."""
    from sklearn.metrics import confusion_matrix

    letters = list(letters)
    chosen = [r for r in rows if subset in (None, "", "all") or r["subset"] == subset]
    labels = letters + [UNPARSED]
    if not chosen:
        return letters, labels, [[0] * len(labels) for _ in letters]
    matrix = confusion_matrix(
        [r["gold"] for r in chosen], [r["pred"] or UNPARSED for r in chosen], labels=labels
    )
    return letters, labels, [list(map(int, row)) for row in matrix[: len(letters)]]


def read_by_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many generated answers each reading rule read (or left unparsed, and why), most first.

    Empty for log-likelihood rows, which are not read from text."""
    counts: dict[str, int] = {}
    for row in rows:
        if row.get("read_by"):
            counts[row["read_by"]] = counts.get(row["read_by"], 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
