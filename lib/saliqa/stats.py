"""Statistics shared by the notebooks: paired tests with effect sizes, (cluster) bootstrap CIs.

This module grows with the notebooks (DESIGN.md lists ANOVA, normality-gated two-sample tests and
multiple comparisons). What is here now serves seed 000 (notebook 01):

* :func:`paired_test` -- a paired comparison of two measurements on the same units (seed 000,
  section 3.2: ``D_KL(P||Q)`` vs ``D_KL(Q||P)`` over image versions), Wilcoxon signed-rank
  (default) or paired t-test, with its effect size;
* :func:`rank_biserial` -- the matched-pairs rank-biserial correlation (Kerby 2014), the effect
  size reported with the Wilcoxon test;
* :func:`bootstrap_ci` -- a bootstrap confidence interval of a mean with
  :func:`scipy.stats.bootstrap`, either over independent units or over *clusters* (seed 000,
  Table 1: the JPEG versions of one content are not independent, so whole contents are
  resampled).

Conventions: inputs are 1-D finite arrays; a NaN or a length mismatch raises ``ValueError``
naming the argument (nothing is dropped silently); randomness comes from a
``numpy.random.Generator`` seeded by the caller, so results are deterministic for a seed.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats as sps

from saliqa.checks import check_choice, check_int, check_real, check_vector

__all__ = [
    "PairedTestResult",
    "BootstrapResult",
    "paired_test",
    "rank_biserial",
    "cohens_dz",
    "bootstrap_ci",
]

PairedTestName = Literal["wilcoxon", "ttest"]
Alternative = Literal["two-sided", "greater", "less"]
CIMethod = Literal["percentile", "basic", "BCa"]


def _pair(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a, b = check_vector(x, "x"), check_vector(y, "y")
    if a.shape != b.shape:
        raise ValueError(f"x and y must be paired (same length), got {a.size} and {b.size} values")
    return a, b


# --------------------------------------------------------------------------------------------
# effect sizes
# --------------------------------------------------------------------------------------------


def rank_biserial(x: ArrayLike, y: ArrayLike) -> float:
    """Matched-pairs rank-biserial correlation of ``x - y`` (Kerby 2014).

    .. math:: r = \\frac{R^+ - R^-}{R^+ + R^-}

    with ``R+`` / ``R-`` the sums of the ranks of ``|d|`` (average ranks for ties) over the
    positive / negative differences ``d = x - y``; zero differences are discarded (Wilcoxon's
    ``zero_method="wilcox"``). ``r`` lies in ``[-1, 1]``: +1 when every ``x > y``.

    Returns
    -------
    float
        ``r``, or NaN when every difference is zero.
    """
    a, b = _pair(x, y)
    d = a - b
    d = d[d != 0]
    if d.size == 0:
        return math.nan
    ranks = sps.rankdata(np.abs(d))
    r_plus = float(ranks[d > 0].sum())
    r_minus = float(ranks[d < 0].sum())
    return (r_plus - r_minus) / (r_plus + r_minus)


def cohens_dz(x: ArrayLike, y: ArrayLike) -> float:
    """Cohen's ``d_z`` of paired data: ``mean(d) / std(d, ddof=1)`` with ``d = x - y``.

    Returns NaN when fewer than two pairs or the differences are constant.
    """
    a, b = _pair(x, y)
    d = a - b
    if d.size < 2:
        return math.nan
    sd = float(d.std(ddof=1))
    return float(d.mean()) / sd if sd > 0 else math.nan


# --------------------------------------------------------------------------------------------
# paired tests
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairedTestResult:
    """Outcome of :func:`paired_test`.

    Attributes
    ----------
    test : str
        ``"wilcoxon"`` (signed-rank) or ``"ttest"`` (paired t).
    statistic : float
        Wilcoxon ``W`` (scipy's: the smaller rank sum for two-sided, ``R+`` otherwise) or ``t``.
    p_value : float
    alternative : str
    n : int
        Number of pairs (including zero differences).
    mean_x, mean_y, median_diff : float
    effect_size : float
        Rank-biserial ``r`` (Wilcoxon) or Cohen's ``d_z`` (t-test).
    effect_size_name : str
    """

    test: str
    statistic: float
    p_value: float
    alternative: str
    n: int
    mean_x: float
    mean_y: float
    median_diff: float
    effect_size: float
    effect_size_name: str

    def as_dict(self) -> dict[str, float | int | str]:
        """The fields as a plain dict (for tables and ``metrics.json``)."""
        return dict(self.__dict__)


def paired_test(
    x: ArrayLike,
    y: ArrayLike,
    *,
    test: PairedTestName = "wilcoxon",
    alternative: Alternative = "two-sided",
) -> PairedTestResult:
    """Paired test of ``x`` vs ``y`` measured on the same units, with its effect size.

    Seed 000 (section 3.2) compares ``D_KL(P||Q)`` with ``D_KL(Q||P)`` over the same image
    versions; the paper reports means only, this adds the test.

    Parameters
    ----------
    x, y
        Paired 1-D finite arrays (same length, >= 2 pairs).
    test
        ``"wilcoxon"`` (default): :func:`scipy.stats.wilcoxon` (``zero_method="wilcox"``,
        exact distribution for small samples without ties, normal approximation otherwise;
        scipy's choice) with the matched-pairs rank-biserial correlation :func:`rank_biserial`
        as effect size. ``"ttest"``: :func:`scipy.stats.ttest_rel` with Cohen's ``d_z``.
    alternative
        ``"two-sided"``, ``"greater"`` (``x > y``) or ``"less"``.

    Returns
    -------
    PairedTestResult

    Raises
    ------
    ValueError
        Non-finite values, unequal lengths, fewer than 2 pairs, unknown ``test`` /
        ``alternative``.

    Warns
    -----
    UserWarning
        When every difference is zero (the p-value is then 1 and the effect size NaN).
    """
    a, b = _pair(x, y)
    if a.size < 2:
        raise ValueError(f"a paired test needs at least 2 pairs, got {a.size}")
    check_choice(alternative, "alternative", ("two-sided", "greater", "less"))
    d = a - b
    common = dict(
        alternative=alternative,
        n=int(a.size),
        mean_x=float(a.mean()),
        mean_y=float(b.mean()),
        median_diff=float(np.median(d)),
    )
    if test == "wilcoxon":
        if not np.any(d != 0):
            warnings.warn("paired_test: every difference x - y is zero; p-value set to 1", stacklevel=2)
            return PairedTestResult(
                "wilcoxon", 0.0, 1.0, effect_size=math.nan, effect_size_name="rank_biserial", **common
            )
        res = sps.wilcoxon(a, b, zero_method="wilcox", alternative=alternative)
        return PairedTestResult(
            "wilcoxon",
            float(res.statistic),
            float(res.pvalue),
            effect_size=rank_biserial(a, b),
            effect_size_name="rank_biserial",
            **common,
        )
    if test == "ttest":
        if float(np.ptp(d)) == 0.0:
            if d[0] == 0:
                warnings.warn("paired_test: every difference x - y is zero; p-value set to 1", stacklevel=2)
                return PairedTestResult("ttest", 0.0, 1.0, effect_size=math.nan, effect_size_name="cohens_dz", **common)
            raise ValueError("paired_test: the differences x - y are constant and non-zero; the t-test is undefined")
        res = sps.ttest_rel(a, b, alternative=alternative)
        return PairedTestResult(
            "ttest",
            float(res.statistic),
            float(res.pvalue),
            effect_size=cohens_dz(a, b),
            effect_size_name="cohens_dz",
            **common,
        )
    raise ValueError(f"test must be 'wilcoxon' or 'ttest', got {test!r}")


# --------------------------------------------------------------------------------------------
# bootstrap
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BootstrapResult:
    """Outcome of :func:`bootstrap_ci`.

    Attributes
    ----------
    estimate : float
        The statistic on the data (the mean over all units).
    low, high : float
        Confidence interval bounds.
    confidence_level : float
    method : str
        scipy's CI method (``"percentile"``, ``"basic"`` or ``"BCa"``).
    n : int
        Number of observations.
    n_clusters : int
        Number of resampled units (clusters; equals ``n`` without clusters).
    resampled : str
        ``"observations"`` or ``"clusters"``: what one bootstrap draw resamples.
    distribution : numpy.ndarray
        The bootstrap distribution of the statistic (``n_resamples`` values).
    """

    estimate: float
    low: float
    high: float
    confidence_level: float
    method: str
    n: int
    n_clusters: int
    resampled: str
    distribution: np.ndarray = field(repr=False)


def bootstrap_ci(
    values: ArrayLike,
    *,
    clusters: ArrayLike | None = None,
    confidence_level: float = 0.95,
    n_resamples: int = 9999,
    method: CIMethod = "percentile",
    seed: int | np.random.Generator | None = 0,
) -> BootstrapResult:
    """Bootstrap confidence interval of the mean, optionally resampling whole clusters.

    Without ``clusters`` the observations are resampled with replacement (the ordinary
    bootstrap). With ``clusters`` (e.g. the ``content_id`` of each image version, seed 000
    Table 1) whole clusters are resampled: a draw picks ``G`` cluster labels with replacement
    from the ``G`` clusters and the statistic is the mean over all observations of the drawn
    clusters, ``sum_g S_g / sum_g n_g`` (``S_g``, ``n_g`` the cluster's sum and size). The
    observations of one cluster are never split, which is right when they are not independent
    (the JPEG versions of one photograph). Implemented with :func:`scipy.stats.bootstrap` on the
    paired per-cluster ``(S_g, n_g)`` arrays.

    Parameters
    ----------
    values
        1-D finite observations (one per image version).
    clusters
        Optional 1-D labels of the same length (any hashable values).
    confidence_level
        In ``(0, 1)``; default 0.95.
    n_resamples
        Bootstrap draws (default 9999).
    method
        scipy's ``"percentile"`` (default: the plain percentile interval), ``"basic"`` or
        ``"BCa"`` (bias-corrected and accelerated; needs variation in the data).
    seed
        Seed or ``numpy.random.Generator`` for the draws (deterministic for a seed).

    Returns
    -------
    BootstrapResult

    Raises
    ------
    ValueError
        Non-finite values, mismatched ``clusters``, fewer than 2 units to resample, bad
        parameters.
    """
    v = check_vector(values, "values")
    check_real(confidence_level, "confidence_level", low=0.0, high=1.0, low_open=True, high_open=True)
    check_int(n_resamples, "n_resamples", low=1)
    check_choice(method, "method", ("percentile", "basic", "BCa"))
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if clusters is None:
        if v.size < 2:
            raise ValueError(f"values needs at least 2 observations to bootstrap, got {v.size}")
        data: tuple[np.ndarray, ...] = (v,)

        def statistic(x: np.ndarray, axis: int = -1) -> np.ndarray:
            return np.mean(x, axis=axis)

        n_units, resampled = int(v.size), "observations"
    else:
        labels = pd.Series(
            np.asarray(clusters, dtype=object).ravel()
            if not isinstance(clusters, pd.Series)
            else clusters.to_numpy(dtype=object)
        )
        if labels.size != v.size:
            raise ValueError(f"clusters must have one label per value: {labels.size} labels for {v.size} values")
        if labels.isna().any():
            raise ValueError(f"clusters contains {int(labels.isna().sum())} missing labels")
        codes, uniques = pd.factorize(labels, sort=True)
        sums = np.bincount(codes, weights=v, minlength=uniques.size)
        counts = np.bincount(codes, minlength=uniques.size).astype(np.float64)
        if uniques.size < 2:
            raise ValueError(f"clusters has {uniques.size} distinct label(s); at least 2 are needed to bootstrap")
        data = (sums, counts)

        def statistic(s: np.ndarray, c: np.ndarray, axis: int = -1) -> np.ndarray:
            return np.sum(s, axis=axis) / np.sum(c, axis=axis)

        n_units, resampled = int(uniques.size), "clusters"
    # a degenerate (constant) sample gives a zero-width interval; with BCa scipy then warns and
    # returns NaN, which is passed on (not hidden) to the caller.
    res = sps.bootstrap(
        data,
        statistic,
        paired=clusters is not None,
        vectorized=True,
        n_resamples=int(n_resamples),
        confidence_level=float(confidence_level),
        method=method,
        rng=rng,
    )
    estimate = float(v.mean())
    return BootstrapResult(
        estimate=estimate,
        low=float(res.confidence_interval.low),
        high=float(res.confidence_interval.high),
        confidence_level=float(confidence_level),
        method=method,
        n=int(v.size),
        n_clusters=n_units,
        resampled=resampled,
        distribution=np.asarray(res.bootstrap_distribution, dtype=np.float64),
    )
