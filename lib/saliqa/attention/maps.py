r"""Seed 000's pooled saliency maps (section 2.3): one map per image version and experiment.

Seed 000 builds one map per stimulus and experiment by pooling the points of *all*
participants and summing Gaussians of a fixed ``sigma`` of about 2 degrees of visual angle (the
fovea; :func:`sigma_px_from_geometry` converts it with the viewing geometry):

.. math:: S_i(x, y) = \sum_j \exp\left(-\frac{(x - x_j)^2 + (y - y_j)^2}{2 \sigma^2}\right)

(:func:`saliqa.saliency.saliency_map`; maps are not normalised here, the agreement measures
normalise them).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from saliqa import saliency as sal
from saliqa.checks import check_positive, require_columns
from saliqa.datasets.attention_design import EXPERIMENTS, select_experiment
from saliqa.datasets.tables import validate

if TYPE_CHECKING:
    from saliqa.datasets.attention_study import AttentionStudy

__all__ = ["sigma_px_from_geometry", "image_shapes", "pooled_saliency_maps", "experiment_maps", "study_maps"]

Kernel = Literal["2sigma2", "sigma2"]
Outside = Literal["raise", "clip", "drop"]


def sigma_px_from_geometry(
    sigma_deg: float = 2.0,
    *,
    viewing_distance: float,
    screen_width: float,
    screen_width_px: float,
    image_scale: float = 1.0,
) -> float:
    """Gaussian sigma in image pixels for ``sigma_deg`` degrees of visual angle (seed 000, 2.3).

    ``sigma_px = sigma_deg * ppd * image_scale`` with ``ppd`` from
    :func:`saliqa.saliency.pixels_per_degree` (``screen_width_px`` pixels spanning
    ``screen_width`` at ``viewing_distance``, same length unit) and ``image_scale`` the stored
    image pixels per displayed pixel (1 when the images are analysed at display size).

    Parameters
    ----------
    sigma_deg
        Seed 000: "about two degrees of visual angle" (the fovea). Default 2.0.
    viewing_distance, screen_width, screen_width_px
        Viewing geometry.
    image_scale
        Stored / displayed pixel ratio (> 0).
    """
    ppd = sal.pixels_per_degree(viewing_distance, screen_width, screen_width_px)
    return sal.sigma_from_degrees(sigma_deg, ppd) * check_positive(image_scale, "image_scale")


def image_shapes(images: pd.DataFrame) -> dict[Hashable, tuple[int, int]]:
    """``{image_id: (height, width)}`` of a canonical images table.

    Raises
    ------
    ValueError
        Not an images table, or a duplicated ``image_id``.
    """
    validate(images, "images", origin="images")
    ids = images["image_id"]
    if ids.duplicated().any():
        raise ValueError(f"images: duplicated image_id {ids[ids.duplicated()].iloc[0]!r}")
    return {i: (int(h), int(w)) for i, h, w in zip(ids, images["height"], images["width"])}


def pooled_saliency_maps(
    fixations: pd.DataFrame,
    images: pd.DataFrame,
    sigma_px: float,
    *,
    by: Sequence[str] = ("image_id", "source", "task"),
    kernel: Kernel = "2sigma2",
    outside: Outside = "raise",
) -> dict[tuple[Any, ...], np.ndarray]:
    """Seed 000's pooled saliency map per group of points (section 2.3).

    ``S_i(x, y) = sum_j exp(-((x - x_j)^2 + (y - y_j)^2) / (2 sigma^2))`` over the points of all
    participants in the group (:func:`saliqa.saliency.saliency_map`; not normalised).

    Parameters
    ----------
    fixations
        Canonical fixations table (points ``x``, ``y`` in image pixels).
    images
        Canonical images table giving each ``image_id``'s ``(height, width)``.
    sigma_px
        Gaussian sigma in pixels (see :func:`sigma_px_from_geometry`).
    by
        Grouping columns; must include ``"image_id"``. Default one map per
        (image version, source, task).
    kernel
        ``"2sigma2"`` (seed 000) or ``"sigma2"``.
    outside
        Points outside the image: ``"raise"`` (default), ``"clip"`` or ``"drop"`` (both warn
        with the count).

    Returns
    -------
    dict
        Group tuple (in ``by`` order) -> ``(H, W)`` float64 map.

    Raises
    ------
    ValueError
        Missing columns, an ``image_id`` absent from ``images``, points outside the image.
    """
    validate(fixations, "fixations", origin="fixations")
    by = tuple(by)
    if "image_id" not in by:
        raise ValueError(f"by must include 'image_id' (the map's image), got {by!r}")
    require_columns(fixations, by, "fixations", hint="the grouping columns `by`")
    sigma = check_positive(sigma_px, "sigma_px")
    shapes = image_shapes(images)
    unknown = sorted(set(fixations["image_id"]) - set(shapes), key=str)
    if unknown:
        raise ValueError(f"fixations: {len(unknown)} image_id(s) not in images, e.g. {unknown[:3]}")
    pos = by.index("image_id")
    out: dict[tuple[Any, ...], np.ndarray] = {}
    for key, grp in fixations.groupby(list(by), sort=True, dropna=False):  # loop over maps
        key = key if isinstance(key, tuple) else (key,)
        pts = grp[["x", "y"]].to_numpy(dtype=np.float64)
        out[key] = sal.saliency_map(pts, shapes[key[pos]], sigma, kernel=kernel, outside=outside)
    return out


def experiment_maps(
    fixations: pd.DataFrame,
    images: pd.DataFrame,
    sigma_px: float,
    *,
    experiments: Mapping[str, tuple[str, str]] = EXPERIMENTS,
    kernel: Kernel = "2sigma2",
    outside: Outside = "raise",
) -> dict[str, dict[Hashable, np.ndarray]]:
    """Pooled maps of each experiment: ``{experiment: {image_id: map}}``.

    An experiment (``source``, ``task``) with no points at all is left out with a warning; one
    that lacks some image versions that other experiments have gets a warning naming the count
    (the comparison functions then raise or skip them explicitly).
    """
    pooled = pooled_saliency_maps(fixations, images, sigma_px, kernel=kernel, outside=outside)
    out: dict[str, dict[Hashable, np.ndarray]] = {}
    for name, (source, task) in experiments.items():
        maps = {img: m for (img, s, t), m in pooled.items() if s == source and t == task}
        if not maps:
            warnings.warn(
                f"experiment_maps: no points for experiment {name!r} (source={source!r}, task={task!r}); left out",
                stacklevel=2,
            )
            continue
        out[name] = maps
    if out:
        every = set().union(*(set(m) for m in out.values()))
        for name, maps in out.items():
            lacking = len(every - set(maps))
            if lacking:
                warnings.warn(
                    f"experiment_maps: {name!r} has no points on {lacking} of {len(every)} image "
                    "versions that other experiments cover",
                    stacklevel=2,
                )
    return out


def study_maps(study: AttentionStudy, *, kernel: Kernel = "2sigma2") -> dict[str, dict[Hashable, np.ndarray]]:
    """Seed 000's pooled maps of every experiment of a study: ``{experiment: {image_id: map}}``.

    Each experiment of ``study.experiments`` is a column filter on ``study.fixations``
    (:func:`saliqa.datasets.attention_design.select_experiment`); its points give one map per
    image version (:func:`pooled_saliency_maps`, ``sigma = study.sigma_px``).

    Parameters
    ----------
    study
        An :class:`saliqa.datasets.attention_study.AttentionStudy`.
    kernel
        ``"2sigma2"`` (seed 000) or ``"sigma2"``.
    """
    out: dict[str, dict[Hashable, np.ndarray]] = {}
    for name, filt in study.experiments.items():
        points = select_experiment(study.fixations, filt)
        pooled = pooled_saliency_maps(points, study.images, study.sigma_px, by=("image_id",), kernel=kernel)
        out[name] = {key[0]: m for key, m in pooled.items()}
    return out
