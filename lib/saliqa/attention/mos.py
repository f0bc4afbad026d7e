"""Crowd MOS against the JPEG level (seed 000, section 3.1 / Figure 2).

:func:`mos_vs_jpeg` turns the (screened) crowd ratings into one MOS per image version on a
0..100 scale, :func:`lab_mos_vs_jpeg` puts a lab dataset's JPEG subset on the same axes, and
:func:`ordinal_levels` maps the levels of both onto Figure 2's shared ordinal axis.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd

from saliqa.checks import check_choice, check_finite_column, check_interval, require_columns
from saliqa.datasets.attention_design import is_reference
from saliqa.datasets.tables import validate
from saliqa.subjective import mos_from_ratings

__all__ = ["mos_vs_jpeg", "lab_mos_vs_jpeg", "ordinal_levels"]


def _rescale_linear(values: np.ndarray, source: tuple[float, float], target: tuple[float, float]) -> np.ndarray:
    """Map ``source[0] -> target[0]`` and ``source[1] -> target[1]`` linearly."""
    a, b = check_interval(source, "source range", increasing=False)
    c, d = check_interval(target, "target range", increasing=False)
    return c + (values - a) * (d - c) / (b - a)


def mos_vs_jpeg(
    ratings: pd.DataFrame,
    images: pd.DataFrame,
    *,
    method: Literal["raw", "zscore"] = "raw",
    rating_scale: tuple[float, float] = (1.0, 5.0),
    scale: tuple[float, float] = (0.0, 100.0),
    drop_gold: bool = True,
) -> pd.DataFrame:
    """Figure 2 data: MOS per image version with its JPEG quality level (seed 000, 3.1).

    The MOS comes from :func:`saliqa.subjective.mos_from_ratings`. ``method="raw"`` (default):
    mean of the 5-point ratings mapped linearly from ``rating_scale`` (1..5) onto ``scale``
    (0..100; the paper does not say how its MOS were scaled, a linear map keeps the ACR
    spacing); ``method="zscore"``: per-rater Z-scores averaged and min-max rescaled onto
    ``scale`` by :func:`~saliqa.subjective.mos_from_ratings`. Gold (test-question) rows are left
    out of the MOS when ``drop_gold``.

    Parameters
    ----------
    ratings
        Canonical ratings (``image_id, rater_id, score``, optional ``is_gold``); screen it first
        (:func:`saliqa.crowd.screen_workers`).
    images
        Canonical images table (``content_id``, ``distortion``, ``level``).

    Returns
    -------
    DataFrame
        ``image_id, content_id, distortion, level, mos, std, n_ratings, n_raters`` for every
        image that has ratings. Distorted images of the table without ratings are listed with
        NaN MOS and ``n_ratings = 0`` and a warning with their count; unrated reference rows
        (``distortion`` "none" / "reference" / "original" / "pristine": not stimuli in the TUD
        design) are not listed.

    Raises
    ------
    ValueError
        Ratings of an ``image_id`` not in ``images``; see ``mos_from_ratings``.
    """
    check_choice(method, "method", ("raw", "zscore"))
    validate(images, "images", origin="images")
    info = images.set_index("image_id")
    unknown = sorted(set(ratings["image_id"]) - set(info.index), key=str)
    if unknown:
        raise ValueError(f"ratings: {len(unknown)} image_id(s) not in images, e.g. {unknown[:3]}")
    if method == "raw":
        mos = mos_from_ratings(ratings, method="raw", drop_gold=drop_gold)
        mos["mos"] = _rescale_linear(mos["mos"].to_numpy(dtype=float), rating_scale, scale)
        slope = (scale[1] - scale[0]) / (rating_scale[1] - rating_scale[0])
        mos["std"] = mos["std"] * abs(slope)
    else:
        mos = mos_from_ratings(ratings, method="zscore", scale=scale, drop_gold=drop_gold)
    out = mos.join(info[["content_id", "distortion", "level"]], on="image_id")
    rated = set(mos["image_id"])
    is_ref = is_reference(images)
    unrated = [i for i, ref in zip(info.index, is_ref) if i not in rated and not ref]
    if unrated:
        warnings.warn(
            f"mos_vs_jpeg: {len(unrated)} image(s) of the table have no (non-gold) ratings, e.g. "
            f"{unrated[:3]}; listed with NaN MOS",
            stacklevel=2,
        )
        extra = info.loc[unrated, ["content_id", "distortion", "level"]].reset_index()
        extra = extra.assign(mos=np.nan, std=np.nan, n_ratings=0, n_raters=0)
        out = pd.concat([out, extra], ignore_index=True)
    cols = ["image_id", "content_id", "distortion", "level", "mos", "std", "n_ratings", "n_raters"]
    return out[cols].reset_index(drop=True)


def lab_mos_vs_jpeg(
    table: pd.DataFrame,
    *,
    dataset: str,
    level_col: str = "level",
    mos_col: str = "mos",
    mos_range: tuple[float, float] | None = None,
    higher_is_better: bool = True,
    scale: tuple[float, float] = (0.0, 100.0),
) -> pd.DataFrame:
    """A lab dataset's JPEG subset on Figure 2's axes (MOS on ``scale`` vs JPEG level).

    Takes a table already loaded (e.g. ``saliqa.datasets.iqa_meta.jpeg_subset(...)``); reads no
    file. ``mos_col`` is mapped linearly from ``mos_range`` onto ``scale`` (``mos_range=None``:
    the column is taken as already on ``scale``); ``higher_is_better=False`` (a DMOS) flips it
    so that higher is better, as the crowd MOS.

    Returns
    -------
    DataFrame
        ``dataset``, ``level``, ``mos`` (+ ``image_id`` / ``content_id`` when present).

    Raises
    ------
    ValueError
        Missing columns, non-finite values, values outside ``mos_range``.
    """
    origin = f"lab table {dataset!r}"
    require_columns(table, [level_col, mos_col], origin)
    level = check_finite_column(table[level_col], origin, level_col)
    mos = check_finite_column(table[mos_col], origin, mos_col)
    src = tuple(scale) if mos_range is None else tuple(float(v) for v in mos_range)
    lo, hi = min(src), max(src)
    out_of = (mos < lo - 1e-9) | (mos > hi + 1e-9)
    if out_of.any():
        raise ValueError(
            f"lab table {dataset!r}: {int(out_of.sum())} {mos_col} values outside {src}, first at row "
            f"{int(np.flatnonzero(out_of)[0])} ({mos[out_of][0]!r}); pass the right mos_range"
        )
    m = _rescale_linear(mos, src, tuple(scale))
    if not higher_is_better:
        m = scale[0] + scale[1] - m
    out = pd.DataFrame({"dataset": dataset, "level": level, "mos": m})
    for c in ("image_id", "content_id"):
        if c in table.columns:
            out[c] = table[c].to_numpy()
    return out


def ordinal_levels(table: pd.DataFrame, *, level_col: str = "level", higher_is_milder: bool = True) -> pd.DataFrame:
    """Replace ``level`` by its ordinal rank, 1 = mildest distortion (Figure 2's shared axis).

    The crowd's levels are JPEG quality factors (higher = milder); TID2013 / KADID levels are
    already ordinal with 1 the mildest (``higher_is_milder=False`` keeps their order).
    """
    require_columns(table, [level_col], "table")
    levels = pd.to_numeric(table[level_col], errors="coerce")
    if levels.isna().any():
        raise ValueError(f"table: {int(levels.isna().sum())} row(s) with a non-numeric {level_col!r}")
    order = sorted(levels.unique(), reverse=higher_is_milder)
    rank = {v: i + 1 for i, v in enumerate(order)}
    return table.assign(**{level_col: levels.map(rank).astype(int)})
