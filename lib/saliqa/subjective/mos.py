"""Ratings -> MOS: per-rater Z-scores and the mean opinion score per image (seed 003, Sec. 3.4).

Seed 003 follows LIVE (Sheikh et al., IEEE TIP 2006, its ref. [24]) and LIVE Challenge / CLIVE
(Ghadiyaram & Bovik, IEEE TIP 2016, its ref. [17]): "The labels supplied by each subject were
converted into normalized Z scores, averaged (by content), then scaled to [0, 100]"
(:func:`zscore_ratings`, :func:`mos_from_ratings`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from saliqa.checks import check_choice, check_interval
from saliqa.subjective.ratings import (
    check_ratings,
    group_stats,
    pair_keys,
    per_rater_values,
    sorted_codes,
    warn,
)

__all__ = ["zscore_ratings", "mos_from_ratings"]


def zscore_ratings(ratings: pd.DataFrame, ddof: int = 1, constant: Literal["raise", "nan"] = "raise") -> pd.DataFrame:
    """Per-rater Z-scores ``z = (score - mean_rater) / std_rater``.

    The normalisation of seed 003 Sec. 3.4 ("converted into normalized Z scores"), as defined in
    LIVE (Sheikh, Sabir & Bovik, IEEE TIP 2006): each subject's scores minus that subject's mean,
    divided by that subject's standard deviation, over all of the subject's rows (gold and
    repeated presentations included).

    Parameters
    ----------
    ratings : DataFrame
        Canonical ratings table (``image_id``, ``rater_id``, ``score``, ...).
    ddof : int
        Delta degrees of freedom of the per-rater std; 1 (sample std, MATLAB's ``std``) by
        default.
    constant : {"raise", "nan"}
        A rater whose std is zero or undefined (all scores identical, or at most ``ddof``
        ratings) has no Z-scores. ``"raise"``: ``ValueError`` naming those raters.
        ``"nan"``: their ``z`` is NaN, with a ``UserWarning`` counting them.

    Returns
    -------
    DataFrame
        A copy of ``ratings`` (index reset to 0..n-1, flags as bool) with a float column ``z``.
    """
    check_choice(constant, "constant", ("raise", "nan"))
    df = check_ratings(ratings)
    codes, ids = pd.factorize(df["rater_id"])
    score = df["score"].to_numpy(dtype=float)
    _, mean, std, constant_group = group_stats(codes, score, len(ids), ddof)
    bad_rater = constant_group | ~(std > 0)
    bad = bad_rater[codes]
    if bad.any():
        raters = list(ids[bad_rater])
        what = f"{len(raters)} rater(s) with zero score variance or at most ddof={ddof} ratings (e.g. {raters[:5]})"
        if constant == "raise":
            raise ValueError(
                f"ratings: {what}; their Z-scores are undefined. Screen them out first "
                "(identical_scores / screen_raters) or pass constant='nan'"
            )
        warn(f"zscore_ratings: {what}: z set to NaN on their {int(bad.sum())} rows")
    with np.errstate(invalid="ignore", divide="ignore"):
        df["z"] = np.where(bad, np.nan, (score - mean[codes]) / std[codes])
    return df


def _rescale(values: NDArray[np.float64], rescale: str, scale: tuple[float, float]) -> tuple[float, float]:
    """Slope and offset of the linear map of mean Z-scores onto ``scale``."""
    lo, hi = check_interval(scale, "scale")
    if rescale == "minmax":
        vmin, vmax = float(values.min()), float(values.max())
        if vmax == vmin:
            raise ValueError(
                "cannot min-max rescale: all per-image mean Z-scores are equal "
                f"({vmin!r} over {values.size} images); use rescale='fixed' or 'none'"
            )
        slope = (hi - lo) / (vmax - vmin)
        return slope, lo - slope * vmin
    # "fixed": z in [-3, 3] -> [lo, hi]
    slope = (hi - lo) / 6.0
    return slope, lo + 3.0 * slope


def mos_from_ratings(
    ratings: pd.DataFrame,
    method: Literal["zscore", "raw"] = "zscore",
    scale: tuple[float, float] = (0.0, 100.0),
    rescale: Literal["minmax", "fixed", "none"] | None = None,
    ddof: int = 1,
    drop_gold: bool = True,
    collapse_repeats: bool = True,
) -> pd.DataFrame:
    """Mean opinion score per image from individual ratings.

    Seed 003, Sec. 3.4: "The labels supplied by each subject were converted into normalized Z
    scores, averaged (by content), then scaled to [0, 100] yielding Mean Opinion Scores".

    1. ``method="zscore"``: per-rater Z-scores (:func:`zscore_ratings`, over all of a rater's
       rows); ``"raw"``: the scores themselves.
    2. Gold rows (``is_gold``) are left out of the output when ``drop_gold`` (seed 003: the gold
       contents "are not part of the new database"); they still count in each rater's Z
       normalisation.
    3. ``collapse_repeats``: a rater's ratings of the same image (repeated presentations) are
       averaged first, so every rater counts once per image.
    4. Per image: mean and sample std (ddof = 1; NaN with a single rater) over raters.
    5. Linear rescaling of the per-image means (``rescale``):

       - ``"minmax"`` (default for ``"zscore"``): the lowest per-image mean over the images of
         the table maps to ``scale[0]``, the highest to ``scale[1]`` -- "scaled to [0, 100]".
         The released FLIVE labels fit this reading: the lowest picture MOS is exactly 0 and
         the highest patch MOS close to 100, i.e. the min-max ran over pictures and patches
         together; pass all contents in one table to reproduce it.
       - ``"fixed"``: LIVE's mapping assuming Z ~ N(0, 1) with 99 % of the mass in [-3, 3]:
         ``scale[0] + (scale[1] - scale[0]) * (z + 3) / 6``, independent of the image set
         (no clipping; values outside [-3, 3] fall outside ``scale``).
       - ``"none"`` (default for ``"raw"``): no rescaling.

       ``std`` is multiplied by the same slope (MOS units).

    Parameters
    ----------
    ratings : DataFrame
        Canonical ratings table.
    method : {"zscore", "raw"}
        Average Z-scores or raw scores.
    scale : (float, float)
        Target range of ``"minmax"`` / ``"fixed"``.
    rescale : {"minmax", "fixed", "none"} or None
        None: ``"minmax"`` for ``"zscore"``, ``"none"`` for ``"raw"``.
    ddof : int
        Of the per-rater std in the Z-scores.
    drop_gold, collapse_repeats : bool
        See above.

    Returns
    -------
    DataFrame
        ``image_id``, ``mos``, ``std``, ``n_ratings`` (ratings used), ``n_raters`` (distinct
        raters); one row per image, in order of first appearance.

    Raises
    ------
    ValueError
        Bad table (missing column, non-finite score, ...), a rater with zero variance under
        ``"zscore"``, no ratings left after dropping gold rows, equal means under ``"minmax"``.
    """
    check_choice(method, "method", ("zscore", "raw"))
    if rescale is None:
        rescale = "minmax" if method == "zscore" else "none"
    check_choice(rescale, "rescale", ("minmax", "fixed", "none"))
    if method == "raw" and rescale == "fixed":
        raise ValueError("rescale='fixed' maps Z-scores and needs method='zscore'")
    if method == "zscore":
        df, value = zscore_ratings(ratings, ddof=ddof), "z"
    else:
        df, value = check_ratings(ratings), "score"
    pr = per_rater_values(df, value, drop_gold, collapse_repeats)
    if pr.v.size == 0:
        raise ValueError("ratings: no non-gold ratings left to compute a MOS from")
    n_images = len(pr.image_ids)
    count, mos, std, _ = group_stats(pr.image_codes, pr.v, n_images, ddof=1)
    n_ratings = np.bincount(pr.image_codes, weights=pr.n, minlength=n_images).astype(np.int64)
    if rescale != "none":
        slope, offset = _rescale(mos, rescale, scale)
        mos, std = offset + slope * mos, slope * std
    _, pairs = sorted_codes(pair_keys(pr.image_codes, pr.rater_codes, len(pr.rater_ids)))
    n_raters = np.bincount(pairs // len(pr.rater_ids), minlength=n_images)
    return pd.DataFrame(
        {
            "image_id": pr.image_ids,
            "mos": mos,
            "std": std,
            "n_ratings": n_ratings,
            "n_raters": n_raters.astype(np.int64),
        }
    )
