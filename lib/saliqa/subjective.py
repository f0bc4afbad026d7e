"""Subjective ratings -> MOS, rater screening and inter-subject consistency.

Follows the processing of PaQ-2-PiQ (seed 003, Sec. 3.4 "Processing subjective scores"), which
itself follows LIVE (Sheikh et al., IEEE TIP 2006, its ref. [24]) and LIVE Challenge / CLIVE
(Ghadiyaram & Bovik, IEEE TIP 2016, its ref. [17]):

- subject rejection within a HIT on two factors: "the difference of the repeated content scores
  compared with overall standard deviation" (:func:`repeat_consistency`) and "whether more than
  50% of their scores were identical" (:func:`identical_scores`); "gold" contents rated in the
  lab are used as a check (:func:`gold_accuracy`), combined by :func:`screen_raters`;
- "The labels supplied by each subject were converted into normalized Z scores, averaged (by
  content), then scaled to [0, 100]" (:func:`zscore_ratings`, :func:`mos_from_ratings`);
- inter-subject consistency: subjects split randomly into two disjoint equal sets, one MOS per
  set, LCC between them, averaged over 25 splits (:func:`split_half_consistency`).

Crowd screening by hidden test questions (seed 000, Sec. 2.2: a contributor falling below 70 %
test-question accuracy is stopped and *all* their ratings discarded) is
:func:`screen_by_test_questions`; :func:`apply_screening` drops rejected raters' ratings.

Tables
------
``ratings`` is the canonical table (``saliqa.datasets.tables``): ``image_id``, ``rater_id``,
``score`` and optionally ``is_gold`` / ``is_repeat`` (booleans). A repeated presentation is a
row with ``is_repeat=True``; the same rater's first presentation of that image has
``is_repeat=False``. Seed 003 screens "each rater's scores within a HIT": to do so, make
``rater_id`` the (worker, HIT) pair. Errors name the column, and the row by its position
(0-based) in the table given.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from saliqa.datasets import tables
from saliqa.metrics import correlation

__all__ = [
    "SplitHalfResult",
    "zscore_ratings",
    "mos_from_ratings",
    "repeat_consistency",
    "identical_scores",
    "gold_accuracy",
    "screen_raters",
    "screen_by_test_questions",
    "apply_screening",
    "split_half_consistency",
]

RULES: tuple[str, ...] = ("repeat", "identical", "gold")


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------


def _first_row(mask: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def _check_ratings(
    ratings: pd.DataFrame, name: str = "ratings", extra: Sequence[str] = ()
) -> pd.DataFrame:
    """Validate a canonical ratings table; return a copy with a clean RangeIndex and bool flags.

    Raises ``ValueError`` naming a missing column (required, or one in ``extra``), the first row
    whose ``score`` is not finite, whose ``image_id`` / ``rater_id`` is missing, or whose
    ``is_gold`` / ``is_repeat`` is not a boolean.
    """
    if not isinstance(ratings, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame; got {type(ratings).__name__}")
    tables.validate(ratings, "ratings", origin=name)
    missing = [c for c in extra if c not in ratings.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}, needed here")
    if len(ratings) == 0:
        raise ValueError(f"{name} is empty; expected at least one rating")
    df = ratings.reset_index(drop=True).copy()
    df["score"] = pd.to_numeric(df["score"]).astype(float)
    for col in ("image_id", "rater_id"):
        null = df[col].isna().to_numpy()
        if null.any():
            raise ValueError(
                f"{name}: row {_first_row(null)} field {col!r} is missing "
                f"({int(null.sum())} such rows)"
            )
    for col in ("is_gold", "is_repeat"):
        if col in df.columns:
            df[col] = _bool_column(df[col], name, col)
    return df


def _bool_column(values: pd.Series, name: str, col: str) -> pd.Series:
    """``values`` as bool; accepts True/False and 0/1, else ``ValueError`` naming the row."""
    ok = values.isin([True, False]).to_numpy() & values.notna().to_numpy()
    if not ok.all():
        row = _first_row(~ok)
        raise ValueError(
            f"{name}: row {row} field {col!r} = {values.iloc[row]!r}; "
            "expected a boolean (True/False)"
        )
    return values.astype(bool)


def _rater_order(df: pd.DataFrame) -> pd.Index:
    """Rater ids in order of first appearance."""
    return pd.Index(pd.unique(df["rater_id"]), name="rater_id")


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=3)


# --------------------------------------------------------------------------------------------
# Z-scores and MOS
# --------------------------------------------------------------------------------------------


def zscore_ratings(
    ratings: pd.DataFrame, ddof: int = 1, constant: Literal["raise", "nan"] = "raise"
) -> pd.DataFrame:
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
    if constant not in ("raise", "nan"):
        raise ValueError(f"constant must be 'raise' or 'nan'; got {constant!r}")
    df = _check_ratings(ratings)
    codes, ids = pd.factorize(df["rater_id"])
    score = df["score"].to_numpy(dtype=float)
    _, mean, std, constant_group = _group_stats(codes, score, len(ids), ddof)
    bad_rater = constant_group | ~(std > 0)
    bad = bad_rater[codes]
    if bad.any():
        raters = list(ids[bad_rater])
        what = (
            f"{len(raters)} rater(s) with zero score variance or at most ddof={ddof} ratings "
            f"(e.g. {raters[:5]})"
        )
        if constant == "raise":
            raise ValueError(
                f"ratings: {what}; their Z-scores are undefined. Screen them out first "
                "(identical_scores / screen_raters) or pass constant='nan'"
            )
        _warn(f"zscore_ratings: {what}: z set to NaN on their {int(bad.sum())} rows")
    with np.errstate(invalid="ignore", divide="ignore"):
        df["z"] = np.where(bad, np.nan, (score - mean[codes]) / std[codes])
    return df


def _group_stats(
    codes: NDArray[np.intp], values: NDArray[np.float64], n_groups: int, ddof: int
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Per-group count, mean, std (``ddof``; NaN when count <= ddof) and "all values equal".

    ``codes`` are 0..n_groups-1, each present (as from ``pandas.factorize``). Two-pass sums with
    ``numpy.bincount``; constancy is tested exactly (not through a rounded std).
    """
    count = np.bincount(codes, minlength=n_groups)
    mean = np.bincount(codes, weights=values, minlength=n_groups) / count
    dev = values - mean[codes]
    ss = np.bincount(codes, weights=dev * dev, minlength=n_groups)
    dof = count - ddof
    with np.errstate(invalid="ignore", divide="ignore"):
        std = np.where(dof > 0, np.sqrt(ss / np.where(dof > 0, dof, 1)), np.nan)
    first = np.unique(codes, return_index=True)[1]  # first row of each group
    differs = np.bincount(codes, weights=values != values[first][codes], minlength=n_groups)
    return count, mean, std, differs == 0


def _rescale(
    values: NDArray[np.float64], rescale: str, scale: tuple[float, float]
) -> tuple[float, float]:
    """Slope and offset of the linear map of mean Z-scores onto ``scale``."""
    lo, hi = float(scale[0]), float(scale[1])
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ValueError(
            f"scale must be two finite numbers (low, high) with low < high; got {scale!r}"
        )
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


def _pair_keys(
    image_codes: NDArray[np.intp], rater_codes: NDArray[np.intp], n_raters: int
) -> NDArray[np.int64]:
    """One integer per (image, rater) pair: ``image * n_raters + rater``."""
    return image_codes.astype(np.int64) * n_raters + rater_codes


def _sorted_codes(keys: NDArray[np.int64]) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """Group codes of integer ``keys`` in ascending key order, and the distinct keys.

    Sort-based: hash tables (``pandas.factorize``, ``numpy.unique``) degrade badly on the
    structured keys of :func:`_pair_keys`.
    """
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    start = np.ones(keys.size, dtype=bool)
    start[1:] = sorted_keys[1:] != sorted_keys[:-1]
    codes = np.empty(keys.size, dtype=np.intp)
    codes[order] = np.cumsum(start) - 1
    return codes, sorted_keys[start]


@dataclass(frozen=True)
class _PerRater:
    """One value per (image, rater) pair (or per row), with integer codes."""

    image_codes: NDArray[np.intp]
    image_ids: pd.Index
    rater_codes: NDArray[np.intp]
    rater_ids: pd.Index
    v: NDArray[np.float64]
    n: NDArray[np.int64]


def _per_rater_values(
    df: pd.DataFrame, value: str, drop_gold: bool, collapse_repeats: bool
) -> _PerRater:
    """Rows entering a MOS: gold rows removed (optional), each rater's repeats averaged.

    Images and raters are coded in order of first appearance among the remaining rows.
    """
    if drop_gold and "is_gold" in df.columns:
        df = df.loc[~df["is_gold"]]
    image_codes, image_ids = pd.factorize(df["image_id"])
    rater_codes, rater_ids = pd.factorize(df["rater_id"])
    v = df[value].to_numpy(dtype=float)
    n = np.ones(v.size, dtype=np.int64)
    if collapse_repeats and v.size:
        keys = _pair_keys(image_codes, rater_codes, len(rater_ids))
        pair_codes, pairs = _sorted_codes(keys)
        n, v, _, _ = _group_stats(pair_codes, v, len(pairs), ddof=0)
        image_codes = (np.asarray(pairs) // len(rater_ids)).astype(np.intp)
        rater_codes = (np.asarray(pairs) % len(rater_ids)).astype(np.intp)
    return _PerRater(image_codes, pd.Index(image_ids), rater_codes, pd.Index(rater_ids), v, n)


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
    if method not in ("zscore", "raw"):
        raise ValueError(f"method must be 'zscore' or 'raw'; got {method!r}")
    if rescale is None:
        rescale = "minmax" if method == "zscore" else "none"
    if rescale not in ("minmax", "fixed", "none"):
        raise ValueError(f"rescale must be 'minmax', 'fixed', 'none' or None; got {rescale!r}")
    if method == "raw" and rescale == "fixed":
        raise ValueError("rescale='fixed' maps Z-scores and needs method='zscore'")
    if method == "zscore":
        df, value = zscore_ratings(ratings, ddof=ddof), "z"
    else:
        df, value = _check_ratings(ratings), "score"
    pr = _per_rater_values(df, value, drop_gold, collapse_repeats)
    if pr.v.size == 0:
        raise ValueError("ratings: no non-gold ratings left to compute a MOS from")
    n_images = len(pr.image_ids)
    count, mos, std, _ = _group_stats(pr.image_codes, pr.v, n_images, ddof=1)
    n_ratings = np.bincount(pr.image_codes, weights=pr.n, minlength=n_images).astype(np.int64)
    if rescale != "none":
        slope, offset = _rescale(mos, rescale, scale)
        mos, std = offset + slope * mos, slope * std
    _, pairs = _sorted_codes(_pair_keys(pr.image_codes, pr.rater_codes, len(pr.rater_ids)))
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


# --------------------------------------------------------------------------------------------
# subject rejection (seed 003, Sec. 3.4)
# --------------------------------------------------------------------------------------------


def repeat_consistency(
    ratings: pd.DataFrame,
    threshold: float = 1.0,
    reference: Literal["overall", "image"] = "overall",
    ddof: int = 1,
) -> pd.DataFrame:
    """Repeated-content consistency of each rater against the spread of all ratings.

    Seed 003, Sec. 3.4: raters were accepted or rejected on "the difference of the repeated
    content scores compared with overall standard deviation". The paper gives no formula; this
    reading is used: for every repeated presentation (row with ``is_repeat=True``) the absolute
    difference ``|score_repeat - score_first|`` from the same rater's first presentation of that
    image is divided by a reference standard deviation, and the rater's statistic ``ratio`` is
    the mean of these over their repeats. The rater is rejected when ``ratio > threshold``
    (default 1: the repeats disagree by more than one standard deviation on average).

    ``reference="overall"``: the std of all scores in the table (every rater, every row);
    ``"image"``: the std of all ratings of the repeated image, across raters.

    Parameters
    ----------
    ratings : DataFrame
        Canonical ratings table with an ``is_repeat`` column.
    threshold : float
        Rejection threshold on ``ratio`` (> 0).
    reference : {"overall", "image"}
        Which standard deviation the differences are compared with.
    ddof : int
        Of the reference std.

    Returns
    -------
    DataFrame
        One row per rater (first-appearance order): ``rater_id``, ``n_repeats``,
        ``mean_abs_diff``, ``reference_std`` (mean over the rater's repeats), ``ratio``,
        ``rejected``. A rater without repeats has NaN statistics and ``rejected=False``; a
        ``UserWarning`` counts them.

    Raises
    ------
    ValueError
        Missing ``is_repeat`` column; a repeat row without the same rater's first presentation
        of that image, or with several (the row is named); a zero or undefined reference std.
    """
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0; got {threshold!r}")
    if reference not in ("overall", "image"):
        raise ValueError(f"reference must be 'overall' or 'image'; got {reference!r}")
    df = _check_ratings(ratings, extra=("is_repeat",))
    r_codes, r_ids = pd.factorize(df["rater_id"])
    i_codes, i_ids = pd.factorize(df["image_id"])
    pair_codes, pairs = _sorted_codes(_pair_keys(i_codes, r_codes, len(r_ids)))
    score = df["score"].to_numpy(dtype=float)
    is_rep = df["is_repeat"].to_numpy()
    firsts = np.flatnonzero(~is_rep)
    n_first = np.bincount(pair_codes[firsts], minlength=pairs.size)
    first_score = np.full(pairs.size, np.nan)
    first_score[pair_codes[firsts]] = score[firsts]
    rows = np.flatnonzero(is_rep)
    pc = pair_codes[rows]
    for problem in ("orphan", "several"):
        hit = n_first[pc] == 0 if problem == "orphan" else n_first[pc] > 1
        if hit.any():
            row = int(rows[_first_row(hit)])
            who = f"rater_id={df.at[row, 'rater_id']!r}, image_id={df.at[row, 'image_id']!r}"
            if problem == "orphan":
                raise ValueError(
                    f"ratings: row {row} ({who}) has is_repeat=True but the rater has no first "
                    "presentation (is_repeat=False) of that image"
                )
            raise ValueError(
                f"ratings: row {row} ({who}): the rater has {int(n_first[pc][hit][0])} rows with "
                "is_repeat=False for this image; mark all but the first presentation "
                "is_repeat=True"
            )
    if reference == "overall":
        ref = np.full(rows.size, float(np.std(score, ddof=ddof)) if score.size > ddof else np.nan)
    else:
        ref = _group_stats(i_codes, score, len(i_ids), ddof)[2][i_codes[rows]]
    bad_ref = ~(ref > 0)
    if bad_ref.any():
        row = int(rows[_first_row(bad_ref)])
        raise ValueError(
            f"ratings: the {reference} reference std for repeat row {row} (image_id="
            f"{df.at[row, 'image_id']!r}) is zero or undefined; expected spread in the scores"
        )
    diff = np.abs(score[rows] - first_score[pc])
    rc = r_codes[rows]
    n_rep = np.bincount(rc, minlength=len(r_ids))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "rater_id": r_ids,
                "n_repeats": n_rep.astype(np.int64),
                "mean_abs_diff": np.bincount(rc, weights=diff, minlength=len(r_ids)) / n_rep,
                "reference_std": np.bincount(rc, weights=ref, minlength=len(r_ids)) / n_rep,
                "ratio": np.bincount(rc, weights=diff / ref, minlength=len(r_ids)) / n_rep,
            }
        )
    out["rejected"] = (out["ratio"] > threshold).to_numpy()
    n_none = int((out["n_repeats"] == 0).sum())
    if n_none:
        _warn(
            f"repeat_consistency: {n_none} of {len(out)} raters have no repeated images; "
            "not judged (kept)"
        )
    return out


def identical_scores(ratings: pd.DataFrame, max_fraction: float = 0.5) -> pd.DataFrame:
    """Fraction of each rater's scores equal to their most frequent score.

    Seed 003, Sec. 3.4: raters were rejected when "more than 50% of their scores were
    identical". The statistic is ``count(mode) / n_ratings`` over all of the rater's rows (gold
    and repeats included), compared exactly (no rounding); rejected when it is
    ``> max_fraction``.

    Parameters
    ----------
    ratings : DataFrame
        Canonical ratings table.
    max_fraction : float
        Largest accepted fraction of identical scores, in (0, 1]; 0.5 in seed 003.

    Returns
    -------
    DataFrame
        One row per rater: ``rater_id``, ``n_ratings``, ``mode_score`` (the most frequent score;
        the smallest of equally frequent ones), ``identical_fraction``, ``rejected``.
    """
    if not 0 < max_fraction <= 1:
        raise ValueError(f"max_fraction must be in (0, 1]; got {max_fraction!r}")
    df = _check_ratings(ratings)
    r_codes, r_ids = pd.factorize(df["rater_id"])
    score = df["score"].to_numpy(dtype=float)
    # runs of equal (rater, score) after sorting; per rater the longest run, smallest score first
    order = np.lexsort((score, r_codes))
    sr, ss = r_codes[order], score[order]
    start = np.ones(sr.size, dtype=bool)
    start[1:] = (sr[1:] != sr[:-1]) | (ss[1:] != ss[:-1])
    run_len = np.bincount(np.cumsum(start) - 1)
    run_rater, run_score = sr[start], ss[start]
    best = np.lexsort((run_score, -run_len, run_rater))
    first_of_rater = np.ones(best.size, dtype=bool)
    first_of_rater[1:] = run_rater[best][1:] != run_rater[best][:-1]
    top = best[first_of_rater]  # one run per rater, in rater-code order
    n = np.bincount(r_codes, minlength=len(r_ids))
    out = pd.DataFrame(
        {
            "rater_id": r_ids,
            "n_ratings": n.astype(np.int64),
            "mode_score": run_score[top],
            "identical_fraction": run_len[top] / n,
        }
    )
    out["rejected"] = (out["identical_fraction"] > max_fraction).to_numpy()
    return out


def _gold_series(gold: Mapping[Hashable, float] | pd.Series) -> pd.Series:
    series = gold.copy() if isinstance(gold, pd.Series) else pd.Series(dict(gold), dtype=float)
    if len(series) == 0:
        raise ValueError("gold is empty; expected image_id -> gold score")
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        i = _first_row(bad)
        raise ValueError(f"gold[{series.index[i]!r}] = {series.iloc[i]!r} is not a finite number")
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()][0]
        raise ValueError(f"gold has image_id {dup!r} more than once")
    return pd.Series(values, index=series.index)


def gold_accuracy(
    ratings: pd.DataFrame,
    gold: Mapping[Hashable, float] | pd.Series,
    *,
    tolerance: float,
    min_accuracy: float,
) -> pd.DataFrame:
    """Accuracy of each rater on "gold" contents of known quality.

    Seed 003, Sec. 3.4: 5 of the N contents of a HIT were "gold" ones, rated beforehand in a lab
    study; "nearly all the non-rejected subjects had a positive SRCC with the golden pictures".
    A gold rating is a hit when ``|score - gold[image_id]| <= tolerance``; ``accuracy`` is the
    rater's fraction of hits, and the rater is rejected when ``accuracy < min_accuracy``. The
    rater's Spearman correlation with the gold values (``gold_srcc``) is reported too (NaN with
    fewer than 3 gold ratings or constant scores). The paper states neither the tolerance nor
    the accuracy threshold, so both are required.

    Parameters
    ----------
    ratings : DataFrame
        Canonical ratings table. Gold rows are those with ``is_gold=True`` when the column
        exists (each must have a gold value), else those whose ``image_id`` is in ``gold``.
    gold : mapping or Series
        image_id -> gold score, on the scale of ``score``.
    tolerance : float
        Largest accepted absolute deviation (>= 0), in score units.
    min_accuracy : float
        Smallest accepted fraction of hits, in [0, 1].

    Returns
    -------
    DataFrame
        One row per rater: ``rater_id``, ``n_gold``, ``accuracy``, ``mean_abs_error``,
        ``gold_srcc``, ``rejected``. Raters without gold ratings have NaN statistics and
        ``rejected=False``; a ``UserWarning`` counts them.
    """
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be >= 0; got {tolerance!r}")
    if not 0 <= min_accuracy <= 1:
        raise ValueError(f"min_accuracy must be in [0, 1]; got {min_accuracy!r}")
    df = _check_ratings(ratings)
    values = _gold_series(gold)
    if "is_gold" in df.columns:
        mask = df["is_gold"].to_numpy()
        unknown = mask & ~df["image_id"].isin(values.index).to_numpy()
        if unknown.any():
            row = _first_row(unknown)
            raise ValueError(
                f"ratings: row {row} has is_gold=True but image_id={df.at[row, 'image_id']!r} "
                "has no value in gold"
            )
    else:
        mask = df["image_id"].isin(values.index).to_numpy()
    if not mask.any():
        raise ValueError(
            "ratings: no gold ratings found (no is_gold=True rows / no image_id in gold)"
        )
    g = df.loc[mask, ["rater_id", "score"]].copy()
    g["gold"] = df.loc[mask, "image_id"].map(values).to_numpy()
    g["err"] = (g["score"] - g["gold"]).abs()
    g["hit"] = g["err"] <= tolerance
    per = g.groupby("rater_id", sort=False).agg(
        n_gold=("hit", "size"), accuracy=("hit", "mean"), mean_abs_error=("err", "mean")
    )
    per["gold_srcc"] = _grouped_spearman(g, "rater_id", "score", "gold")
    out = per.reindex(_rater_order(df))
    out["n_gold"] = out["n_gold"].fillna(0).astype(int)
    out["rejected"] = (out["accuracy"] < min_accuracy).to_numpy()
    n_none = int((out["n_gold"] == 0).sum())
    if n_none:
        _warn(
            f"gold_accuracy: {n_none} of {len(out)} raters have no gold ratings; not judged (kept)"
        )
    return out.reset_index()


def _grouped_spearman(df: pd.DataFrame, by: str, x: str, y: str) -> pd.Series:
    """Spearman correlation of ``x`` and ``y`` within each group (average ranks for ties).

    NaN for groups with fewer than 3 rows or a constant variable.
    """
    g = df.groupby(by, sort=False)
    rx = g[x].rank(method="average")
    ry = g[y].rank(method="average")
    cx = rx - rx.groupby(df[by], sort=False).transform("mean")
    cy = ry - ry.groupby(df[by], sort=False).transform("mean")
    parts = pd.DataFrame({by: df[by], "xy": cx * cy, "xx": cx * cx, "yy": cy * cy})
    sums = parts.groupby(by, sort=False).sum()
    n = g.size()
    denom = np.sqrt(sums["xx"] * sums["yy"])
    rho = sums["xy"] / denom.where(denom > 0)
    return rho.where(n >= 3)


def screen_raters(
    ratings: pd.DataFrame,
    *,
    rules: Sequence[str] = ("repeat", "identical"),
    repeat_threshold: float = 1.0,
    repeat_reference: Literal["overall", "image"] = "overall",
    max_identical: float = 0.5,
    gold: Mapping[Hashable, float] | pd.Series | None = None,
    gold_tolerance: float | None = None,
    gold_min_accuracy: float | None = None,
    ddof: int = 1,
) -> pd.DataFrame:
    """Apply the subject-rejection rules of seed 003 (Sec. 3.4) and combine them.

    Seed 003 accepts or rejects a rater's scores on two factors -- repeated-content consistency
    (:func:`repeat_consistency`) and more than 50 % identical scores (:func:`identical_scores`),
    the default ``rules``; the gold-content check (:func:`gold_accuracy`) is added with
    ``"gold"`` in ``rules``. A rater is rejected when any applied rule rejects them.

    Parameters
    ----------
    ratings : DataFrame
        Canonical ratings table (``is_repeat`` needed for ``"repeat"``).
    rules : sequence of {"repeat", "identical", "gold"}
        Rules to apply.
    repeat_threshold, repeat_reference : float, str
        ``threshold`` and ``reference`` of :func:`repeat_consistency`.
    max_identical : float
        ``max_fraction`` of :func:`identical_scores` (0.5 in seed 003).
    gold, gold_tolerance, gold_min_accuracy
        Arguments of :func:`gold_accuracy`; required with ``"gold"``.
    ddof : int
        Of the reference std of the repeat rule.

    Returns
    -------
    DataFrame
        One row per rater: ``rater_id``, ``n_ratings``, the statistics of each applied rule
        (``n_repeats``, ``repeat_ratio``; ``identical_fraction``; ``n_gold``, ``gold_accuracy``,
        ``gold_srcc``), one ``rejected_<rule>`` column per rule, and ``rejected`` (any rule).
    """
    rules = tuple(rules)
    unknown = [r for r in rules if r not in RULES]
    if unknown or not rules:
        raise ValueError(f"rules must be a non-empty subset of {RULES}; got {rules!r}")
    df = _check_ratings(ratings)
    out = pd.DataFrame(index=_rater_order(df))
    out["n_ratings"] = df.groupby("rater_id", sort=False).size().reindex(out.index).astype(int)
    if "repeat" in rules:
        r = repeat_consistency(df, repeat_threshold, repeat_reference, ddof).set_index("rater_id")
        out["n_repeats"] = r["n_repeats"]
        out["repeat_ratio"] = r["ratio"]
        out["rejected_repeat"] = r["rejected"]
    if "identical" in rules:
        r = identical_scores(df, max_identical).set_index("rater_id")
        out["identical_fraction"] = r["identical_fraction"]
        out["rejected_identical"] = r["rejected"]
    if "gold" in rules:
        if gold is None or gold_tolerance is None or gold_min_accuracy is None:
            raise ValueError("rule 'gold' needs gold, gold_tolerance and gold_min_accuracy")
        r = gold_accuracy(df, gold, tolerance=gold_tolerance, min_accuracy=gold_min_accuracy)
        r = r.set_index("rater_id")
        out["n_gold"] = r["n_gold"]
        out["gold_accuracy"] = r["accuracy"]
        out["gold_srcc"] = r["gold_srcc"]
        out["rejected_gold"] = r["rejected"]
    out["rejected"] = out[[f"rejected_{r}" for r in rules]].any(axis=1)
    return out.reset_index()


def screen_by_test_questions(
    answers: pd.DataFrame,
    threshold: float = 0.7,
    *,
    mode: Literal["running", "final"] = "running",
    min_answered: int = 1,
    worker_col: str = "worker_id",
    correct_col: str = "correct",
    order_col: str | None = None,
) -> pd.DataFrame:
    """Screen crowd workers by their accuracy on hidden test questions.

    Seed 000, Sec. 2.2: "Whenever a contributor fell below 70% accuracy in answering test
    questions he was not allowed to continue. In this case all his previous ratings were
    discarded." ``mode="running"`` follows this: the worker's cumulative accuracy after each
    test answer (in ``order_col`` order, else table order), from the ``min_answered``-th answer
    on, must never drop below ``threshold``. ``mode="final"`` judges only the accuracy over all
    of the worker's test answers. Exactly ``threshold`` passes. A rejected worker's ratings are
    all discarded with :func:`apply_screening`.

    Parameters
    ----------
    answers : DataFrame
        One row per test-question answer: ``worker_col`` and ``correct_col`` (boolean: the
        answer was among the question's allowed answers).
    threshold : float
        Smallest accepted accuracy, in [0, 1] (0.7 in seed 000).
    mode : {"running", "final"}
        Judge the running or the overall accuracy.
    min_answered : int
        Number of test answers before the accuracy is judged (e.g. the length of a qualification
        quiz). A worker with fewer answers is not judged (kept); a ``UserWarning`` counts them.
    worker_col, correct_col : str
        Column names.
    order_col : str or None
        Column giving the answering order (finite numbers); None: the table order.

    Returns
    -------
    DataFrame
        One row per worker (first-appearance order): ``worker_col``, ``n_answered``,
        ``n_correct``, ``accuracy`` (final), ``min_running_accuracy`` (lowest cumulative
        accuracy from the ``min_answered``-th answer on; NaN if never reached), ``rejected``.
    """
    if not isinstance(answers, pd.DataFrame):
        raise ValueError(f"answers must be a pandas DataFrame; got {type(answers).__name__}")
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be in [0, 1]; got {threshold!r}")
    if mode not in ("running", "final"):
        raise ValueError(f"mode must be 'running' or 'final'; got {mode!r}")
    if not (isinstance(min_answered, (int, np.integer)) and min_answered >= 1):
        raise ValueError(f"min_answered must be an integer >= 1; got {min_answered!r}")
    needed = [worker_col, correct_col] + ([order_col] if order_col is not None else [])
    missing = [c for c in needed if c not in answers.columns]
    if missing:
        raise ValueError(f"answers: missing column(s) {missing}; expected columns {needed}")
    if len(answers) == 0:
        raise ValueError("answers is empty; expected at least one test-question answer")
    df = answers.reset_index(drop=True)
    null = df[worker_col].isna().to_numpy()
    if null.any():
        raise ValueError(f"answers: row {_first_row(null)} field {worker_col!r} is missing")
    correct = _bool_column(df[correct_col], "answers", correct_col)
    work = pd.DataFrame({"worker": df[worker_col], "correct": correct.astype(int)})
    if order_col is not None:
        order = pd.to_numeric(df[order_col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(order)
        if bad.any():
            raise ValueError(
                f"answers: row {_first_row(bad)} field {order_col!r} is not a finite number"
            )
        work = work.iloc[np.argsort(order, kind="stable")]
    g = work.groupby("worker", sort=False)["correct"]
    k = g.cumcount() + 1
    running = (g.cumsum() / k).where(k >= min_answered)
    work = work.assign(running=running)
    per = work.groupby("worker", sort=False).agg(
        n_answered=("correct", "size"),
        n_correct=("correct", "sum"),
        min_running_accuracy=("running", "min"),
    )
    per = per.reindex(pd.unique(df[worker_col]))
    per["accuracy"] = per["n_correct"] / per["n_answered"]
    judged = per["n_answered"] >= min_answered
    stat = per["min_running_accuracy"] if mode == "running" else per["accuracy"]
    per["rejected"] = (judged & (stat < threshold)).to_numpy()
    n_unjudged = int((~judged).sum())
    if n_unjudged:
        _warn(
            f"screen_by_test_questions: {n_unjudged} of {len(per)} workers answered fewer than "
            f"min_answered={min_answered} test questions; not judged (kept)"
        )
    per.index.name = worker_col
    columns = [worker_col, "n_answered", "n_correct", "accuracy", "min_running_accuracy"]
    columns.append("rejected")
    return per.reset_index()[columns]


def apply_screening(
    ratings: pd.DataFrame,
    screen: pd.DataFrame,
    *,
    id_col: str = "rater_id",
    screen_id_col: str | None = None,
) -> pd.DataFrame:
    """Remove every rating of the rejected raters / workers.

    Seed 000 ("all his previous ratings were discarded") and seed 003 (a rejected rater's
    scores are not used). A ``UserWarning`` reports how many raters and ratings were dropped;
    the same counts are stored in ``result.attrs["screening"]``.

    Parameters
    ----------
    ratings : DataFrame
        Any table with an ``id_col`` column (e.g. the canonical ratings table).
    screen : DataFrame
        Output of a screening function: ``screen_id_col`` and a boolean ``rejected`` column.
    id_col : str
        Rater id column of ``ratings``.
    screen_id_col : str or None
        Id column of ``screen``; defaults to ``id_col``.

    Returns
    -------
    DataFrame
        The rows of ``ratings`` whose rater is not rejected (original index kept).

    Raises
    ------
    ValueError
        Missing columns, or raters in ``ratings`` that ``screen`` does not judge (named).
    """
    sid = id_col if screen_id_col is None else screen_id_col
    if id_col not in ratings.columns:
        raise ValueError(f"ratings: missing column {id_col!r}")
    missing = [c for c in (sid, "rejected") if c not in screen.columns]
    if missing:
        raise ValueError(f"screen: missing column(s) {missing}; expected {sid!r} and 'rejected'")
    rejected = _bool_column(screen["rejected"].reset_index(drop=True), "screen", "rejected")
    known = ratings[id_col].isin(screen[sid]).to_numpy()
    if not known.all():
        absent = list(pd.unique(ratings.loc[~known, id_col]))
        raise ValueError(
            f"ratings: {len(absent)} rater(s) in {id_col!r} are not in screen[{sid!r}] "
            f"(e.g. {absent[:5]}); screen every rater"
        )
    bad_ids = set(screen[sid].to_numpy()[rejected.to_numpy()])
    drop = ratings[id_col].isin(bad_ids).to_numpy()
    counts = {
        "raters_dropped": int(pd.Series(ratings.loc[drop, id_col]).nunique()),
        "raters_total": int(ratings[id_col].nunique()),
        "ratings_dropped": int(drop.sum()),
        "ratings_total": len(ratings),
    }
    if counts["ratings_dropped"]:
        _warn(
            f"apply_screening: dropped {counts['raters_dropped']} of {counts['raters_total']} "
            f"raters ({counts['ratings_dropped']} of {counts['ratings_total']} ratings)"
        )
    out = ratings.loc[~drop].copy()
    out.attrs["screening"] = counts
    return out


# --------------------------------------------------------------------------------------------
# inter-subject consistency
# --------------------------------------------------------------------------------------------


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
    if method not in ("plcc", "srcc"):
        raise ValueError(f"method must be 'plcc' or 'srcc'; got {method!r}")
    if mos_method not in ("zscore", "raw"):
        raise ValueError(f"mos_method must be 'zscore' or 'raw'; got {mos_method!r}")
    if not (isinstance(n_splits, (int, np.integer)) and n_splits >= 2):
        raise ValueError(f"n_splits must be an integer >= 2; got {n_splits!r}")
    if mos_method == "zscore":
        df, value = zscore_ratings(ratings, ddof=ddof), "z"
    else:
        df, value = _check_ratings(ratings), "score"
    pr = _per_rater_values(df, value, drop_gold, collapse_repeats=True)
    if pr.v.size == 0:
        raise ValueError("ratings: no non-gold ratings left to split")
    rater_codes, image_codes, v = pr.rater_codes, pr.image_codes, pr.v
    n_r, n_i = len(pr.rater_ids), len(pr.image_ids)
    if n_r < 2:
        raise ValueError(f"ratings: split halves need at least 2 raters; got {n_r}")
    corr = correlation.plcc if method == "plcc" else correlation.srcc
    rng = np.random.default_rng(seed)
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
            raise ValueError(
                f"split {s}: only {used[s]} images are rated in both halves; "
                "a correlation needs >= 3"
            )
        mos = sums[:, both] / counts[:, both]
        values[s] = corr(mos[0], mos[1])
    if (used < n_i).any():
        _warn(
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
