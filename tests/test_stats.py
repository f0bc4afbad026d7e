"""Tests of saliqa.stats: paired tests with effect sizes, (cluster) bootstrap CIs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from saliqa import stats


def test_rank_biserial_hand_computed():
    # d = [1, -2, 3]: ranks of |d| = 1, 2, 3; R+ = 4, R- = 2 -> r = 2 / 6
    assert stats.rank_biserial([2, 0, 3], [1, 2, 0]) == pytest.approx(1 / 3)
    assert stats.rank_biserial([2, 3, 4], [1, 1, 1]) == 1.0
    assert stats.rank_biserial([1, 1, 1], [2, 3, 4]) == -1.0
    assert math.isnan(stats.rank_biserial([1, 2], [1, 2]))


def test_cohens_dz_hand_computed():
    # d = [1, 2, 3]: mean 2, sd 1
    assert stats.cohens_dz([2, 4, 6], [1, 2, 3]) == pytest.approx(2.0)


def test_paired_wilcoxon_exact_on_consistent_pairs():
    x = np.arange(10, dtype=float) + 1.0
    y = x * 0.5
    res = stats.paired_test(x, y)
    # every difference positive, no ties: exact two-sided p = 2 / 2**10
    assert res.p_value == pytest.approx(2 / 1024)
    assert res.effect_size == 1.0 and res.effect_size_name == "rank_biserial"
    assert res.n == 10 and res.mean_x == pytest.approx(5.5) and res.median_diff == pytest.approx(2.75)
    assert stats.paired_test(x, y, alternative="greater").p_value == pytest.approx(1 / 1024)


def test_paired_ttest_matches_scipy():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=12), rng.normal(size=12)
    res = stats.paired_test(x, y, test="ttest")
    ref = sps.ttest_rel(x, y)
    assert res.statistic == pytest.approx(ref.statistic) and res.p_value == pytest.approx(ref.pvalue)
    assert res.effect_size == pytest.approx(stats.cohens_dz(x, y))


def test_paired_test_all_zero_differences_warns():
    with pytest.warns(UserWarning, match="zero"):
        res = stats.paired_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert res.p_value == 1.0 and math.isnan(res.effect_size)


@pytest.mark.parametrize(
    "x, y, match",
    [([1.0, np.nan], [1.0, 2.0], "non-finite"), ([1.0, 2.0], [1.0], "same length"), ([1.0], [2.0], "at least 2")],
)
def test_paired_test_bad_input(x, y, match):
    with pytest.raises(ValueError, match=match):
        stats.paired_test(x, y)


def test_paired_test_unknown_test():
    with pytest.raises(ValueError, match="wilcoxon"):
        stats.paired_test([1.0, 2.0], [2.0, 3.0], test="sign")  # type: ignore[arg-type]


def test_bootstrap_ci_contains_mean_and_is_deterministic():
    v = np.random.default_rng(1).normal(3.0, 1.0, size=40)
    a = stats.bootstrap_ci(v, n_resamples=999, seed=5)
    b = stats.bootstrap_ci(v, n_resamples=999, seed=5)
    assert a.estimate == pytest.approx(v.mean())
    assert a.low < a.estimate < a.high
    assert (a.low, a.high) == (b.low, b.high)
    assert a.resampled == "observations" and a.n == a.n_clusters == 40
    assert a.distribution.shape == (999,)


def test_cluster_bootstrap_resamples_whole_clusters():
    # content a: all 0, content b: all 1, three versions each. Resampling contents can only give
    # means 0, 1/2, 1; resampling versions would give k/6.
    v = [0, 0, 0, 1, 1, 1]
    res = stats.bootstrap_ci(v, clusters=["a", "a", "a", "b", "b", "b"], n_resamples=500, seed=0)
    assert set(np.round(np.unique(res.distribution), 12)) <= {0.0, 0.5, 1.0}
    assert res.resampled == "clusters" and res.n_clusters == 2 and res.n == 6
    plain = stats.bootstrap_ci(v, n_resamples=500, seed=0)
    assert len(np.unique(plain.distribution)) > 3


def test_cluster_bootstrap_unequal_cluster_sizes_uses_pooled_mean():
    # clusters of sizes 1 and 3: drawing (a, b) gives (0 + 3) / 4, not the mean of cluster means
    res = stats.bootstrap_ci([0, 1, 1, 1], clusters=[1, 2, 2, 2], n_resamples=400, seed=0)
    assert set(np.round(np.unique(res.distribution), 12)) <= {0.0, 0.75, 1.0}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"values": [1.0, np.nan, 2.0]}, "non-finite"),
        ({"values": [1.0, 2.0], "clusters": ["a"]}, "one label per value"),
        ({"values": [1.0, 2.0], "clusters": ["a", "a"]}, "at least 2"),
        ({"values": [1.0]}, "at least 2"),
        ({"values": [1.0, 2.0], "confidence_level": 1.5}, "confidence_level"),
        ({"values": [1.0, 2.0], "method": "normal"}, "method"),
    ],
)
def test_bootstrap_ci_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        stats.bootstrap_ci(**kwargs)
