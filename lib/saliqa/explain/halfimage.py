"""HalfImage: patch-combination explanations of an IQA model (You, Lin & Korhonen 2023).

You et al. ("Half of an image is enough for quality assessment") divide each image into 12
patches and compare the model's predictions when various combinations of patches are masked;
seed 002 (Sec. II-C, III-B, Fig. 2 "HalfImage") uses the resulting regions as one more
explanation for MoRF / LeRF masking. Their exact importance rule is not given in seed 002 (and
could not be consulted here), so this module uses the following documented estimator.

Procedure (:func:`halfimage_explanation`)
-----------------------------------------
1. Grid: ``rows x cols`` patches (default ``"auto"``: 3 x 4 for landscape / square pictures,
   4 x 3 for portrait ones, i.e. 12 square-ish patches); patch edges at
   ``round(linspace(0, H, rows + 1))`` and likewise for columns.
2. Combinations: ``n_combinations`` distinct subsets of ``keep`` patches (default 6 of 12: half
   of the image) drawn uniformly without replacement from all ``C(P, keep)`` subsets with
   ``numpy.random.default_rng(seed)``; all subsets when ``n_combinations >= C(P, keep)``.
   Patches outside the subset are filled with ``fill`` (as :mod:`saliqa.explain.masking`).
3. One ``predict`` call scores the unmasked image and every masked version; each combination's
   closeness is ``d_c = -|pred_c - pred_full|`` (0 = the kept half suffices).
4. The importance of patch ``p`` is ``mean(d_c | p kept) - mean(d_c | p masked)``: a patch whose
   presence keeps the prediction close to the full-image one is important (a difference of
   means, i.e. the patch's main effect on closeness over the random design).
5. The map is piecewise constant on the patches and shifted by its minimum, so it is
   non-negative with its least important patch at 0; equal importances give an all-zero map.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from saliqa.checks import check_int, check_seed
from saliqa.explain.masking import Fill, check_image, fill_value

__all__ = ["patch_labels", "sample_combinations", "halfimage_explanation"]

MAX_ENUMERATED = 200_000
"""Above this many subsets, combinations are drawn as independent random subsets (may repeat)."""


def _grid(shape: tuple[int, int], grid: tuple[int, int] | Literal["auto"]) -> tuple[int, int]:
    height, width = shape
    if isinstance(grid, str):
        if grid != "auto":
            raise ValueError(f"grid must be 'auto' or (rows, cols), got {grid!r}")
        return (3, 4) if width >= height else (4, 3)
    try:
        rows, cols = grid
    except (TypeError, ValueError):
        raise ValueError(f"grid must be 'auto' or (rows, cols), got {grid!r}") from None
    rows, cols = check_int(rows, "grid rows", low=1, high=height), check_int(cols, "grid cols", low=1, high=width)
    if rows * cols < 2:
        raise ValueError(f"grid must have at least 2 patches, got {rows} x {cols}")
    return rows, cols


def patch_labels(shape: tuple[int, int], grid: tuple[int, int]) -> np.ndarray:
    """Row-major patch index of every pixel for a ``rows x cols`` grid.

    Parameters
    ----------
    shape
        Image ``(H, W)``.
    grid
        ``(rows, cols)``, each at most the image's size along that axis.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` int64 labels in ``0 .. rows * cols - 1``; edges at
        ``round(linspace(0, H, rows + 1))`` (and likewise for the columns).
    """
    height, width = shape
    rows, cols = grid
    r_edges = np.round(np.linspace(0, height, rows + 1)).astype(np.int64)
    c_edges = np.round(np.linspace(0, width, cols + 1)).astype(np.int64)
    r = np.searchsorted(r_edges, np.arange(height), side="right") - 1
    c = np.searchsorted(c_edges, np.arange(width), side="right") - 1
    return r[:, None] * cols + c[None, :]


def sample_combinations(n_patches: int, keep: int, n_combinations: int, seed: int = 0) -> np.ndarray:
    """Random distinct subsets of ``keep`` of ``n_patches`` patches (step 2 of the module docstring).

    Parameters
    ----------
    n_patches
        Number of patches ``P >= 2``.
    keep
        Patches kept per subset, ``1 <= keep <= P - 1``.
    n_combinations
        Number of subsets (all ``C(P, keep)`` when at least that many).
    seed
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    numpy.ndarray
        ``(K, P)`` bool, True = kept.

    Raises
    ------
    ValueError
        On bad counts or seed.
    """
    n_patches = check_int(n_patches, "n_patches", low=2)
    keep = check_int(keep, "keep", low=1, high=n_patches - 1)
    n_combinations = check_int(n_combinations, "n_combinations", low=1)
    rng = np.random.default_rng(check_seed(seed))
    total = math.comb(n_patches, keep)
    if total <= MAX_ENUMERATED:
        subsets = np.array(list(itertools.combinations(range(n_patches), keep)), dtype=np.int64)
        if n_combinations < total:
            subsets = subsets[rng.choice(total, size=n_combinations, replace=False)]
    else:
        subsets = np.argsort(rng.random((n_combinations, n_patches)), axis=1)[:, :keep]
    kept = np.zeros((subsets.shape[0], n_patches), dtype=bool)
    np.put_along_axis(kept, subsets, True, axis=1)
    return kept


def halfimage_explanation(
    predict: Callable[[np.ndarray], ArrayLike],
    image: ArrayLike,
    grid: tuple[int, int] | Literal["auto"] = "auto",
    n_combinations: int = 64,
    keep: int = 6,
    fill: Fill = "black",
    seed: int = 0,
) -> np.ndarray:
    """Patch-importance map of an IQA model from random half-image maskings (You et al. 2023).

    Parameters
    ----------
    predict
        Called once with a ``(1 + K, H, W, 3)`` array (the unmasked image first, then the ``K``
        masked versions; the image's dtype); returns ``1 + K`` scores.
    image
        ``(H, W, 3)`` uint8 or float image in [0, 1].
    grid
        ``(rows, cols)`` or ``"auto"`` (3 x 4 landscape, 4 x 3 portrait).
    n_combinations
        Number of random subsets of kept patches (default 64).
    keep
        Patches kept per subset (default 6, half of 12).
    fill
        Fill of the masked patches, ``"black"`` or ``"imagenet_mean"``.
    seed
        Seed of the subset draw; the result is deterministic for a seed (and a deterministic
        ``predict``).

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` float64 map, constant on each patch, minimum 0 (module docstring, steps 3-5).

    Raises
    ------
    ValueError
        On a bad image, grid, counts, fill or seed, or a ``predict`` that does not return one
        finite score per image.
    """
    img = check_image(image)
    shape = (img.shape[0], img.shape[1])
    rows, cols = _grid(shape, grid)
    labels = patch_labels(shape, (rows, cols))
    kept = sample_combinations(rows * cols, keep, n_combinations, seed)
    masked = ~kept[:, labels]  # (K, H, W)
    batch = np.concatenate([img[None], np.where(masked[..., None], fill_value(img, fill), img[None])], axis=0)
    scores = np.asarray(predict(batch), dtype=np.float64)
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if scores.shape != (batch.shape[0],) or not np.all(np.isfinite(scores)):
        raise ValueError(
            f"predict must return {batch.shape[0]} finite scores (the full image, then each masked version), "
            f"got shape {scores.shape}"
        )
    closeness = -np.abs(scores[1:] - scores[0])
    k = kept.astype(np.float64)
    n_kept, n_masked = k.sum(axis=0), (1.0 - k).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        importance = closeness @ k / n_kept - closeness @ (1.0 - k) / n_masked
    missing = ~np.isfinite(importance)
    if missing.any():
        warnings.warn(
            f"halfimage_explanation: patches {np.flatnonzero(missing).tolist()} were never kept or never masked "
            f"in {kept.shape[0]} combinations; their importance is set to the minimum",
            RuntimeWarning,
            stacklevel=2,
        )
        importance[missing] = np.min(importance[~missing]) if (~missing).any() else 0.0
    importance = importance - importance.min()
    return importance[labels]
