"""The ratings table as the subjective analyses read it: checks and per-rater / per-image grouping.

``ratings`` is the canonical table (:mod:`saliqa.datasets.tables`): ``image_id``, ``rater_id``,
``score`` and optionally ``is_gold`` / ``is_repeat`` (booleans). A repeated presentation is a
row with ``is_repeat=True``; the same rater's first presentation of that image has
``is_repeat=False``. Errors name the column, and the row by its position (0-based) in the table
given. The grouping helpers are vectorised (``numpy.bincount`` over integer codes, no per-rater
Python loops).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from saliqa.checks import check_bool_column, check_dataframe, first_row, require_columns
from saliqa.datasets import tables

__all__ = [
    "check_ratings",
    "rater_order",
    "group_stats",
    "pair_keys",
    "sorted_codes",
    "PerRater",
    "per_rater_values",
    "warn",
]


def check_ratings(ratings: pd.DataFrame, name: str = "ratings", extra: Sequence[str] = ()) -> pd.DataFrame:
    """Validate a canonical ratings table; return a copy with a clean RangeIndex and bool flags.

    Raises ``ValueError`` naming a missing column (required, or one in ``extra``), the first row
    whose ``score`` is not finite, whose ``image_id`` / ``rater_id`` is missing, or whose
    ``is_gold`` / ``is_repeat`` is not a boolean.
    """
    check_dataframe(ratings, name)
    tables.validate(ratings, "ratings", origin=name)
    require_columns(ratings, extra, name)
    if len(ratings) == 0:
        raise ValueError(f"{name} is empty; expected at least one rating")
    df = ratings.reset_index(drop=True).copy()
    df["score"] = pd.to_numeric(df["score"]).astype(float)
    for col in ("image_id", "rater_id"):
        null = df[col].isna().to_numpy()
        if null.any():
            raise ValueError(f"{name}: row {first_row(null)} field {col!r} is missing ({int(null.sum())} such rows)")
    for col in ("is_gold", "is_repeat"):
        if col in df.columns:
            df[col] = check_bool_column(df[col], name, col)
    return df


def rater_order(df: pd.DataFrame) -> pd.Index:
    """Rater ids in order of first appearance."""
    return pd.Index(pd.unique(df["rater_id"]), name="rater_id")


def warn(message: str) -> None:
    """A ``UserWarning`` attributed to the caller of the public function that calls this."""
    warnings.warn(message, UserWarning, stacklevel=3)


def group_stats(
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


def pair_keys(image_codes: NDArray[np.intp], rater_codes: NDArray[np.intp], n_raters: int) -> NDArray[np.int64]:
    """One integer per (image, rater) pair: ``image * n_raters + rater``."""
    return image_codes.astype(np.int64) * n_raters + rater_codes


def sorted_codes(keys: NDArray[np.int64]) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """Group codes of integer ``keys`` in ascending key order, and the distinct keys.

    Sort-based: hash tables (``pandas.factorize``, ``numpy.unique``) degrade badly on the
    structured keys of :func:`pair_keys`.
    """
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    start = np.ones(keys.size, dtype=bool)
    start[1:] = sorted_keys[1:] != sorted_keys[:-1]
    codes = np.empty(keys.size, dtype=np.intp)
    codes[order] = np.cumsum(start) - 1
    return codes, sorted_keys[start]


@dataclass(frozen=True)
class PerRater:
    """One value per (image, rater) pair (or per row), with integer codes."""

    image_codes: NDArray[np.intp]
    image_ids: pd.Index
    rater_codes: NDArray[np.intp]
    rater_ids: pd.Index
    v: NDArray[np.float64]
    n: NDArray[np.int64]


def per_rater_values(df: pd.DataFrame, value: str, drop_gold: bool, collapse_repeats: bool) -> PerRater:
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
        keys = pair_keys(image_codes, rater_codes, len(rater_ids))
        pair_codes, pairs = sorted_codes(keys)
        n, v, _, _ = group_stats(pair_codes, v, len(pairs), ddof=0)
        image_codes = (np.asarray(pairs) // len(rater_ids)).astype(np.intp)
        rater_codes = (np.asarray(pairs) % len(rater_ids)).astype(np.intp)
    return PerRater(image_codes, pd.Index(image_ids), rater_codes, pd.Index(rater_ids), v, n)
