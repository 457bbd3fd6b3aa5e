"""The paired bootstrap interval and McNemar's test on cases whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.contingency_tables import mcnemar

from chemtune.study.stats import accuracy_interval, mcnemar_p, paired_bootstrap


def pairs(both: int, tuned_only: int, base_only: int, neither: int) -> tuple[list[bool], list[bool]]:
    tuned = [True] * both + [True] * tuned_only + [False] * base_only + [False] * neither
    base = [True] * both + [False] * tuned_only + [True] * base_only + [False] * neither
    return tuned, base


def test_bootstrap_interval_is_scipys_paired_percentile_interval() -> None:
    rng = np.random.default_rng(3)
    tuned, base = rng.random(303) < 0.45, rng.random(303) < 0.41
    low, high = paired_bootstrap(tuned, base, resamples=999, seed=5)
    expected = scipy_stats.bootstrap(
        (tuned.astype(float), base.astype(float)), lambda a, b, axis: a.mean(axis) - b.mean(axis),
        paired=True, vectorized=True, method="percentile", n_resamples=999, rng=np.random.default_rng(5))
    assert (low, high) == pytest.approx((expected.confidence_interval.low, expected.confidence_interval.high))
    assert low < tuned.mean() - base.mean() < high


def test_bootstrap_interval_resamples_questions_in_pairs() -> None:
    # Every question the base model got right the tuned one also got right, plus 30 more out of 300:
    # resampled in pairs the difference can never drop below 0; unpaired it would.
    tuned, base = pairs(both=90, tuned_only=30, base_only=0, neither=180)
    low, high = paired_bootstrap(tuned, base)
    assert 0 < low < 0.1 < high < 0.2
    # The same answers give a zero-width interval at 0.
    assert paired_bootstrap(base, base) == (0.0, 0.0)
    with pytest.raises(ValueError):
        paired_bootstrap([1.0, 0.0], [1.0])


def test_a_difference_of_002_on_303_questions_is_within_the_noise() -> None:
    # The paper's MMLU gain (0.4093 → 0.4317 is about 7 questions of 303), spread over 40 changed answers.
    tuned, base = pairs(both=110, tuned_only=23, base_only=17, neither=153)
    low, high = paired_bootstrap(tuned, base)
    assert low < 0 < high
    assert mcnemar_p(tuned, base) > 0.05


def test_mcnemar_is_the_exact_binomial_test_when_few_answers_differ() -> None:
    tuned, base = pairs(both=40, tuned_only=10, base_only=2, neither=20)
    assert mcnemar_p(tuned, base) == pytest.approx(scipy_stats.binomtest(2, 12, 0.5).pvalue)
    assert mcnemar_p(tuned, base) == pytest.approx(mcnemar([[40, 10], [2, 20]], exact=True).pvalue)
    assert mcnemar_p(tuned, base) == pytest.approx(0.03857, abs=1e-5)


def test_mcnemar_is_the_corrected_chi_square_test_when_many_differ() -> None:
    tuned, base = pairs(both=100, tuned_only=40, base_only=20, neither=140)
    statistic = (abs(40 - 20) - 1) ** 2 / (40 + 20)
    assert mcnemar_p(tuned, base) == pytest.approx(scipy_stats.chi2.sf(statistic, 1))
    assert mcnemar_p(tuned, base) == pytest.approx(mcnemar([[100, 40], [20, 140]], exact=False).pvalue)
    assert mcnemar_p(base, base) == 1.0


def test_accuracy_interval_holds_the_accuracy_and_narrows_with_more_questions() -> None:
    few = accuracy_interval([1.0, 0.0] * 20)
    many = accuracy_interval([1.0, 0.0] * 500)
    assert few[0] < 0.5 < few[1] and many[0] < 0.5 < many[1]
    assert many[1] - many[0] < few[1] - few[0]
