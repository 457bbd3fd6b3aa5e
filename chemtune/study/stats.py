"""Paired comparisons over the questions of one exam: a bootstrap interval for a difference in accuracy
(scipy.stats.bootstrap, resampling questions in pairs) and McNemar's test (statsmodels); for a task
benchmark, a stratified paired bootstrap of the average over tasks of a metric computed from summed
per-record statistics."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

CONFIDENCE = 0.95
RESAMPLES = 2000
SEED = 0
EXACT_BELOW = 25  # discordant pairs below which McNemar's binomial (exact) test is used


def _difference(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def paired_bootstrap(tuned: Sequence[float], base: Sequence[float], confidence: float = CONFIDENCE,
                     resamples: int = RESAMPLES, seed: int = SEED) -> tuple[float, float]:
    """Percentile interval of mean(tuned) − mean(base), both scored on the same questions in order."""
    a, b = np.asarray(tuned, dtype=float), np.asarray(base, dtype=float)
    if a.shape != b.shape or a.size == 0:
        raise ValueError("paired scores need the same, non-empty list of questions")
    if np.all(a - b == a[0] - b[0]):  # every pair differs alike: the interval is that one value
        value = float(a[0] - b[0])
        return value, value
    from scipy.stats import bootstrap

    result = bootstrap((a, b), _difference, paired=True, vectorized=True, method="percentile",
                       confidence_level=confidence, n_resamples=resamples, rng=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def mcnemar_p(tuned: Sequence[bool], base: Sequence[bool]) -> float:
    """McNemar's p-value for paired right/wrong answers (exact binomial when few pairs disagree)."""
    from statsmodels.stats.contingency_tables import mcnemar

    a, b = np.asarray(tuned, dtype=bool), np.asarray(base, dtype=bool)
    table = [[int(np.sum(a & b)), int(np.sum(a & ~b))], [int(np.sum(~a & b)), int(np.sum(~a & ~b))]]
    discordant = table[0][1] + table[1][0]
    if discordant == 0:
        return 1.0
    return float(mcnemar(table, exact=discordant < EXACT_BELOW, correction=True).pvalue)


def accuracy_interval(correct: Sequence[float], confidence: float = CONFIDENCE, resamples: int = RESAMPLES,
                      seed: int = SEED) -> tuple[float, float]:
    """Percentile bootstrap interval of one row's accuracy over its questions (the figure's error bars)."""
    values = np.asarray(correct, dtype=float)
    if values.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, size=(resamples, values.size))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    return float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))


def task_average_interval(tuned: dict[str, np.ndarray], base: dict[str, np.ndarray] | None,
                          value: Callable[[np.ndarray], float | None], confidence: float = CONFIDENCE,
                          resamples: int = RESAMPLES, seed: int = SEED) -> tuple[float, float]:
    """Percentile interval of a task benchmark's average (or of its difference from `base`).

    Per task, `tuned[task]` holds one row of statistics per record (and `base[task]` the same records'
    rows, in the same order); `value` turns a task's summed statistics into its metric. Records are
    resampled within each task (a stratified, paired bootstrap), each task's metric recomputed from the
    resampled sums, and the metrics averaged over tasks, as the table's average is."""
    rng = np.random.default_rng(seed)
    averages = np.zeros(resamples)
    for task, rows in tuned.items():
        picks = rng.integers(0, len(rows), size=(resamples, len(rows)))
        figures = np.array([value(total) for total in rows[picks].sum(axis=1)], dtype=float)
        if base is not None:
            figures -= np.array([value(total) for total in base[task][picks].sum(axis=1)], dtype=float)
        averages += figures / len(tuned)
    tail = (1 - confidence) / 2 * 100
    return float(np.percentile(averages, tail)), float(np.percentile(averages, 100 - tail))
