"""Inter-subject consistency by random split halves of the raters (seed 003, Sec. 3.4).

"randomly divide subjects into two disjoint equal sets, compute two MOS on each picture (one
from each group), then compute the Pearson linear correlation (LCC) between the MOS values of
the two groups", averaged over 25 splits (:func:`split_half_consistency`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from saliqa.checks import check_choice, check_int, check_seed
from saliqa.metrics import correlation
from saliqa.subjective.mos import zscore_ratings
from saliqa.subjective.ratings import check_ratings, per_rater_values, warn

__all__ = ["SplitHalfResult", "split_half_consistency"]


@dataclass(frozen=True)
class SplitHalfResult:
    """Split-half inter-subject consistency.

    Attributes
    ----------
    mean, std : float
        Mean and sample std (ddof = 1) of the correlation over the splits.
    values : ndarray, shape (n_splits,)
        Correlation of each split.
    n_images : ndarray, shape (n_splits,)
        Images rated in both halves (those entering each correlation).
    method : str
        "plcc" or "srcc".
    """

    mean: float
    std: float
    values: NDArray[np.float64]
    n_images: NDArray[np.int64]
    method: str


def split_half_consistency(
    ratings: pd.DataFrame,
    n_splits: int = 25,
    seed: int = 0,
    method: Literal["plcc", "srcc"] = "plcc",
    mos_method: Literal["zscore", "raw"] = "zscore",
    ddof: int = 1,
    drop_gold: bool = True,
) -> SplitHalfResult:
    """Inter-subject consistency by random split halves of the raters.

    Seed 003, Sec. 3.4: "randomly divide subjects into two disjoint equal sets, compute two MOS
    on each picture (one from each group), then compute the Pearson linear correlation (LCC)
    between the MOS values of the two groups", repeated over 25 random splits and averaged
    (0.48 on FLIVE pictures, 0.65 on patches).

    Per split, the raters (first-appearance order) are permuted by
    ``numpy.random.default_rng(seed)``; the first ``n_raters // 2`` form half A, the rest half B
    (one more rater in B when the count is odd). Each half's MOS of an image is the mean of its
    raters' values (per-rater Z-scores for ``mos_method="zscore"``, computed once over each
    rater's full set of ratings -- a rater's Z-scores do not depend on the split; raw scores
    otherwise), each rater's repeats averaged first and gold rows left out (``drop_gold``), as in
    :func:`mos_from_ratings`. The [0, 100] rescaling is linear and leaves PLCC and SRCC
    unchanged, so it is skipped. Images rated in only one half of a split are left out of that
    split's correlation (a ``UserWarning`` counts them; ``n_images`` records what was used).

    Parameters
    ----------
    ratings : DataFrame
        Canonical ratings table; at least 2 raters.
    n_splits : int
        Number of random splits (>= 2; 25 in seed 003).
    seed : int
        Seed of the random splits (deterministic given the table and its row order).
    method : {"plcc", "srcc"}
        Correlation between the two halves' MOS.
    mos_method : {"zscore", "raw"}
        Values averaged per half.
    ddof : int
        Of the per-rater std of the Z-scores.
    drop_gold : bool
        Leave gold rows out of the MOS.

    Returns
    -------
    SplitHalfResult
        Mean, std and per-split correlations.

    Raises
    ------
    ValueError
        Bad table, fewer than 2 raters, or a split with fewer than 3 images rated by both
        halves.
    """
    check_choice(method, "method", ("plcc", "srcc"))
    check_choice(mos_method, "mos_method", ("zscore", "raw"))
    check_int(n_splits, "n_splits", low=2)
    if mos_method == "zscore":
        df, value = zscore_ratings(ratings, ddof=ddof), "z"
    else:
        df, value = check_ratings(ratings), "score"
    pr = per_rater_values(df, value, drop_gold, collapse_repeats=True)
    if pr.v.size == 0:
        raise ValueError("ratings: no non-gold ratings left to split")
    rater_codes, image_codes, v = pr.rater_codes, pr.image_codes, pr.v
    n_r, n_i = len(pr.rater_ids), len(pr.image_ids)
    if n_r < 2:
        raise ValueError(f"ratings: split halves need at least 2 raters; got {n_r}")
    corr = correlation.plcc if method == "plcc" else correlation.srcc
    rng = np.random.default_rng(check_seed(seed))
    values = np.empty(n_splits)
    used = np.empty(n_splits, dtype=np.int64)
    for s in range(n_splits):
        half = np.ones(n_r, dtype=np.intp)
        half[rng.permutation(n_r)[: n_r // 2]] = 0
        key = half[rater_codes] * n_i + image_codes
        sums = np.bincount(key, weights=v, minlength=2 * n_i).reshape(2, n_i)
        counts = np.bincount(key, minlength=2 * n_i).reshape(2, n_i)
        both = (counts > 0).all(axis=0)
        used[s] = int(both.sum())
        if used[s] < 3:
            raise ValueError(f"split {s}: only {used[s]} images are rated in both halves; a correlation needs >= 3")
        mos = sums[:, both] / counts[:, both]
        values[s] = corr(mos[0], mos[1])
    if (used < n_i).any():
        warn(
            f"split_half_consistency: in {int((used < n_i).sum())} of {n_splits} splits "
            "some images "
            f"were rated in one half only and left out (on average {float(n_i - used.mean()):.1f} "
            f"of {n_i} images)"
        )
    return SplitHalfResult(
        mean=float(values.mean()),
        std=float(values.std(ddof=1)),
        values=values,
        n_images=used,
        method=method,
    )
