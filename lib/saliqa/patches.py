"""Patch boxes of pictures: geometry, crops, overlap and the seeded sampler of seed 003, Sec. 3.2.

Seed 003 (PaQ-2-PiQ, Ying et al., CVPR 2020), Sec. 3.2 "Patch cropping": three patches are cut
from every picture such that

(a) **aspect ratio**: each patch has the aspect ratio of its picture;
(b) **dimension**: the patches' linear dimensions are 40 %, 30 % and 20 % of the picture's;
(c) **location**: every patch lies entirely inside the picture, and no patch overlaps the area of
    another patch of the same picture by more than 25 %.

The paper does not say *whose* area the 25 % refers to. The released FLIVE boxes
(``labels640.csv``, 1,827 pictures x 3 pairs) settle it: the intersection never exceeds 0.25 of
the **smaller** patch's area (the maximum is exactly 0.25 for each of the three pairs; relative
to the larger patch it never exceeds 0.141, and the IoU never 0.099). Hence the default
``relative_to="smaller"`` and the inclusive bound ``<= 0.25``. Patch sizes in the released boxes
are ``floor(fraction * W) x floor(fraction * H)`` for every box (:func:`patch_size`).

Conventions
-----------
A box is ``(left, top, right, bottom)`` in integer pixels of the picture, ``right`` / ``bottom``
exclusive, so its size is ``(right - left) x (bottom - top)`` and the crop of an image array
``img`` (rows = y, columns = x) is ``img[top:bottom, left:right]`` (:func:`crop_patch`). FLIVE's
published preparation script cropped ``img[top:top + width, left:left + height]`` (axes swapped);
the patch files it distributes are the correct crops (``tests/test_patches.py`` checks both on
the three real pictures that ship with their patches).

Boxes are numpy integer arrays of shape ``(..., 4)``; every function here is vectorised over the
leading axes. Canonical ``patches`` tables (:mod:`saliqa.datasets.tables`) hold the same four
numbers in columns ``left, top, right, bottom``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from saliqa.checks import check_int, check_seed
from saliqa.datasets.tables import validate

__all__ = [
    "PATCH_FRACTIONS",
    "MAX_OVERLAP",
    "OverlapBase",
    "patch_size",
    "as_boxes",
    "box_area",
    "intersection_area",
    "box_overlap",
    "max_pairwise_overlap",
    "boxes_inside",
    "crop_patch",
    "sample_patch_boxes",
    "patch_table",
    "sample_patches",
    "PatchComparison",
    "compare_patch",
    "matches_patch",
    "PatchLocation",
    "locate_patch",
    "shift_sharpness",
    "CROP_MAX_MAD",
    "CROP_MIN_PSNR",
]

PATCH_FRACTIONS: tuple[float, float, float] = (0.4, 0.3, 0.2)
"""Linear size of the three patches relative to the picture (seed 003, Sec. 3.2 (b))."""

MAX_OVERLAP: float = 0.25
"""Largest allowed intersection of two patches of one picture, as a share of the smaller patch's
area (seed 003, Sec. 3.2 (c); the base checked on the released FLIVE boxes)."""

OverlapBase = Literal["smaller", "larger", "union"]

_ROUND_ELEMENTS = 1 << 20  # candidate patches drawn at once by the sampler (bounds its memory)

CROP_MAX_MAD: float = 2.5
"""Largest mean absolute difference (grey levels, 0-255) between a crop and a patch file that
:func:`matches_patch` accepts as "the same pixels up to JPEG re-encoding". Measured on the nine
real FLIVE patch files: 0.41 to 1.74."""

CROP_MIN_PSNR: float = 38.0
"""Smallest PSNR (dB, peak 255) :func:`matches_patch` accepts. Measured on the nine real FLIVE
patch files: 41.0 to 50.5 dB. An absolute bound cannot tell a one-pixel shift on smooth content
(``rq85`` patch 3 shifted by one pixel still gives 43.3 dB; the other eight drop to 22-39 dB):
:func:`shift_sharpness` adds the relative test that the box beats its one-pixel shifts."""


# --------------------------------------------------------------------------------- geometry


def patch_size(width: ArrayLike, height: ArrayLike, fraction: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Patch width and height for a linear ``fraction`` of a picture (seed 003, Sec. 3.2 (a), (b)).

    ``floor(fraction * width)`` and ``floor(fraction * height)``, the rule every released FLIVE
    box follows (a tolerance of 1e-9 guards against products such as ``0.3 * 540`` landing a hair
    below an integer).

    Parameters
    ----------
    width, height : array_like of int
        Picture sizes in pixels (broadcast together with ``fraction``).
    fraction : array_like of float
        Linear size of the patch relative to the picture, in (0, 1].

    Returns
    -------
    (w, h) : tuple of int64 arrays
        Broadcast shape of the inputs.

    Raises
    ------
    ValueError
        A fraction outside (0, 1], a non-positive picture size, or a patch of zero size.
    """
    f = np.asarray(fraction, dtype=float)
    if not np.all((f > 0) & (f <= 1)):
        raise ValueError(f"fraction must be in (0, 1], got {f.tolist()}")
    wd, ht = np.asarray(width, dtype=float), np.asarray(height, dtype=float)
    if not (np.all(np.isfinite(wd)) and np.all(np.isfinite(ht)) and np.all(wd > 0) and np.all(ht > 0)):
        raise ValueError("picture width and height must be finite and > 0")
    w = np.floor(f * wd + 1e-9).astype(np.int64)
    h = np.floor(f * ht + 1e-9).astype(np.int64)
    if np.any(w < 1) or np.any(h < 1):
        raise ValueError(
            f"a patch of fraction {f.tolist()} of a picture of {wd.tolist()} x {ht.tolist()} px has zero size"
        )
    return w, h


def as_boxes(boxes: ArrayLike, name: str = "boxes") -> NDArray[np.int64]:
    """``boxes`` as an int64 array of shape ``(..., 4)`` = (left, top, right, bottom), checked.

    Raises
    ------
    ValueError
        Last axis not of length 4, non-integral or non-finite values, or an empty box
        (``right <= left`` or ``bottom <= top``), naming the first offending box.
    """
    b = np.asarray(boxes, dtype=float)
    if b.ndim == 0 or b.shape[-1] != 4:
        raise ValueError(f"{name} must have shape (..., 4) = (left, top, right, bottom); got shape {b.shape}")
    bad = ~np.isfinite(b) | (b != np.round(b))
    if bad.any():
        i = tuple(int(v) for v in np.argwhere(bad)[0][:-1])
        raise ValueError(f"{name}{list(i)} = {b[i].tolist()} is not a box of integer pixel coordinates")
    b = b.astype(np.int64)
    empty = (b[..., 2] <= b[..., 0]) | (b[..., 3] <= b[..., 1])
    if empty.any():
        i = tuple(int(v) for v in np.argwhere(empty)[0])
        raise ValueError(
            f"{name}{list(i)} = {b[i].tolist()} is empty; expected left < right and top < bottom "
            "(right / bottom exclusive)"
        )
    return b


def box_area(boxes: ArrayLike) -> NDArray[np.int64]:
    """Areas ``(right - left) * (bottom - top)`` of boxes of shape ``(..., 4)``."""
    b = as_boxes(boxes)
    return (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])


def intersection_area(a: ArrayLike, b: ArrayLike) -> NDArray[np.int64]:
    """Pixel area shared by boxes ``a`` and ``b`` (shapes ``(..., 4)``, broadcast together)."""
    a, b = as_boxes(a, "a"), as_boxes(b, "b")
    return _intersection(a, b)


def _intersection(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.int64]:
    iw = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
    ih = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1])
    return np.clip(iw, 0, None) * np.clip(ih, 0, None)


def _overlap(a: NDArray[np.int64], b: NDArray[np.int64], relative_to: OverlapBase) -> NDArray[np.float64]:
    inter = _intersection(a, b).astype(float)
    area_a = ((a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])).astype(float)
    area_b = ((b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])).astype(float)
    if relative_to == "smaller":
        base = np.minimum(area_a, area_b)
    elif relative_to == "larger":
        base = np.maximum(area_a, area_b)
    elif relative_to == "union":
        base = area_a + area_b - inter
    else:
        raise ValueError(f"relative_to must be one of ('smaller', 'larger', 'union'), got {relative_to!r}")
    return inter / base


def box_overlap(a: ArrayLike, b: ArrayLike, relative_to: OverlapBase = "smaller") -> NDArray[np.float64]:
    """Intersection area of two boxes as a share of an area (seed 003, Sec. 3.2 (c)).

    Parameters
    ----------
    a, b : array_like, shape (..., 4)
        Boxes (left, top, right, bottom), broadcast together.
    relative_to : {"smaller", "larger", "union"}
        The area the intersection is divided by: the smaller box's (the reading of Sec. 3.2 that
        the released FLIVE boxes follow), the larger box's, or the union (IoU).

    Returns
    -------
    ndarray of float in [0, 1]
    """
    return _overlap(as_boxes(a, "a"), as_boxes(b, "b"), relative_to)


def max_pairwise_overlap(boxes: ArrayLike, relative_to: OverlapBase = "smaller") -> NDArray[np.float64]:
    """Largest :func:`box_overlap` among all pairs of the ``k`` boxes of each picture.

    Parameters
    ----------
    boxes : array_like, shape (..., k, 4)
        ``k >= 2`` boxes per picture.
    relative_to : {"smaller", "larger", "union"}
        See :func:`box_overlap`.

    Returns
    -------
    ndarray of float, shape (...)
    """
    b = as_boxes(boxes)
    if b.ndim < 2 or b.shape[-2] < 2:
        raise ValueError(f"boxes must have shape (..., k, 4) with k >= 2; got shape {b.shape}")
    i, j = np.triu_indices(b.shape[-2], k=1)
    return _overlap(b[..., i, :], b[..., j, :], relative_to).max(axis=-1)


def boxes_inside(boxes: ArrayLike, width: ArrayLike, height: ArrayLike) -> NDArray[np.bool_]:
    """Whether each box lies entirely inside its ``width x height`` picture (Sec. 3.2 (c)).

    ``width`` / ``height`` broadcast against the boxes' leading shape.
    """
    b = as_boxes(boxes)
    w, h = np.asarray(width), np.asarray(height)
    return (b[..., 0] >= 0) & (b[..., 1] >= 0) & (b[..., 2] <= w) & (b[..., 3] <= h)


def crop_patch(image: np.ndarray, box: ArrayLike) -> np.ndarray:
    """The pixels of ``box`` = (left, top, right, bottom): ``image[top:bottom, left:right]``.

    Rows are y and columns x, as in every canonical table; ``right`` / ``bottom`` are exclusive.
    (FLIVE's published preparation code sliced ``img[top:top + width, left:left + height]``,
    swapping the axes; see the module docstring.)

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
        The picture.
    box : array_like of 4 ints
        The patch box in the picture's pixels.

    Returns
    -------
    ndarray, shape (bottom - top, right - left[, C])
        A view into ``image``.

    Raises
    ------
    ValueError
        ``image`` not 2-D / 3-D, or a box that is empty or not entirely inside the image (numpy
        slicing would silently clip it).
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"image must have shape (H, W) or (H, W, C); got shape {image.shape}")
    left, top, right, bottom = (int(v) for v in as_boxes(box, "box").reshape(4))
    h, w = image.shape[:2]
    if left < 0 or top < 0 or right > w or bottom > h:
        raise ValueError(
            f"box (left, top, right, bottom) = {(left, top, right, bottom)} is not inside the "
            f"{w} x {h} image (W x H); expected 0 <= left < right <= {w} and 0 <= top < bottom <= {h}"
        )
    return image[top:bottom, left:right]


# ---------------------------------------------------------------------------------- sampler


def _check_fractions(fractions: Sequence[float]) -> NDArray[np.float64]:
    f = np.asarray(fractions, dtype=float)
    if f.ndim != 1 or f.size < 1 or not np.all((f > 0) & (f <= 1)):
        raise ValueError(f"fractions must be a non-empty sequence of numbers in (0, 1], got {list(fractions)}")
    return f


def sample_patch_boxes(
    sizes: ArrayLike,
    *,
    fractions: Sequence[float] = PATCH_FRACTIONS,
    max_overlap: float = MAX_OVERLAP,
    relative_to: OverlapBase = "smaller",
    seed: int = 0,
    max_tries: int = 10_000,
    batch_tries: int = 64,
) -> NDArray[np.int64]:
    """Random patch boxes for pictures by the rules of seed 003, Sec. 3.2.

    For each picture, the ``k = len(fractions)`` patches get the sizes of :func:`patch_size`
    (same aspect ratio, linear size ``fractions``) and integer positions drawn uniformly among
    those that keep the patch inside the picture; the whole set is redrawn (rejection sampling)
    until no pair overlaps by more than ``max_overlap`` of the area named by ``relative_to``.
    Accepted sets are therefore uniform over the valid placements. The rejection loop is
    batched: every round draws a block of candidate sets for every picture still pending (4 in
    the first round, doubling up to ``batch_tries``) as numpy arrays of at most about a million
    patches, and keeps each picture's first valid candidate.

    Parameters
    ----------
    sizes : array_like, shape (n, 2)
        ``(width, height)`` of each picture (a single ``(width, height)`` pair is accepted too).
    fractions : sequence of float
        Linear patch sizes relative to the picture, default (0.4, 0.3, 0.2).
    max_overlap : float
        Largest allowed pairwise overlap (inclusive), default 0.25.
    relative_to : {"smaller", "larger", "union"}
        Base of the overlap share (:func:`box_overlap`); ``"smaller"`` is what the released
        FLIVE boxes follow.
    seed : int
        Seed of the numpy ``Generator``; equal inputs and seed give equal boxes.
    max_tries : int
        Candidate sets drawn per picture before giving up.
    batch_tries : int
        Most candidate sets drawn per picture in one round.

    Returns
    -------
    ndarray of int64, shape (n, k, 4)
        ``boxes[i, j]`` = (left, top, right, bottom) of patch ``j`` (fraction ``fractions[j]``) of
        picture ``i`` (shape (k, 4) for a single size pair).

    Raises
    ------
    ValueError
        Bad sizes / fractions / overlap, or no valid placement for some picture after
        ``max_tries`` candidate sets (the error names the first such picture, its size, and how
        many pictures failed).
    """
    sz = np.asarray(sizes, dtype=float)
    single = sz.ndim == 1
    sz = sz.reshape(-1, 2) if single else sz
    if sz.ndim != 2 or sz.shape[1] != 2:
        raise ValueError(f"sizes must have shape (n, 2) = (width, height); got shape {np.shape(sizes)}")
    valid = np.isfinite(sz) & (sz == np.round(sz)) & (sz > 0)
    if not valid.all():
        row = int(np.flatnonzero(~valid.all(axis=1))[0])
        raise ValueError(f"sizes[{row}] = {sz[row].tolist()}; expected positive integer (width, height)")
    f = _check_fractions(fractions)
    if not (0 <= float(max_overlap) <= 1):
        raise ValueError(f"max_overlap must be in [0, 1], got {max_overlap!r}")
    if relative_to not in ("smaller", "larger", "union"):
        raise ValueError(f"relative_to must be one of ('smaller', 'larger', 'union'), got {relative_to!r}")
    max_tries = check_int(max_tries, "max_tries", low=1)
    batch_tries = check_int(batch_tries, "batch_tries", low=1)
    rng = np.random.default_rng(check_seed(seed))

    n, k = sz.shape[0], f.size
    width, height = sz[:, 0].astype(np.int64), sz[:, 1].astype(np.int64)
    pw, ph = patch_size(width[:, None], height[:, None], f[None, :])  # (n, k)
    span_x, span_y = width[:, None] - pw + 1, height[:, None] - ph + 1  # number of valid positions
    out = np.zeros((n, k, 4), dtype=np.int64)
    pending = np.arange(n)
    pairs = np.triu_indices(k, 1)
    tries, t = 0, min(4, batch_tries)
    while pending.size and tries < max_tries:
        t = min(t, max_tries - tries)
        step = max(1, _ROUND_ELEMENTS // (t * k))  # pictures per chunk: bounded memory per round
        still = []
        for start in range(0, pending.size, step):
            chunk = pending[start : start + step]
            u = rng.random((chunk.size, t, k, 2))
            left = np.floor(u[..., 0] * span_x[chunk, None, :]).astype(np.int64)
            top = np.floor(u[..., 1] * span_y[chunk, None, :]).astype(np.int64)
            cand = np.stack([left, top, left + pw[chunk, None, :], top + ph[chunk, None, :]], axis=-1)
            if k > 1:
                worst = _overlap(cand[..., pairs[0], :], cand[..., pairs[1], :], relative_to).max(axis=-1)
                ok = worst <= max_overlap + 1e-12
            else:
                ok = np.ones(cand.shape[:2], dtype=bool)
            found = ok.any(axis=1)
            first = ok.argmax(axis=1)
            out[chunk[found]] = cand[np.flatnonzero(found), first[found]]
            still.append(chunk[~found])
        pending = np.concatenate(still)
        tries += t
        t = min(2 * t, batch_tries)  # few candidates first (most pictures accept at once), more later
    if pending.size:
        i = int(pending[0])
        raise ValueError(
            f"no valid placement of patches of fractions {f.tolist()} in picture {i} "
            f"({int(width[i])} x {int(height[i])} px) after {max_tries} tries with max_overlap="
            f"{max_overlap} of the {relative_to} patch ({pending.size} picture(s) failed); "
            "lower the fractions or raise max_overlap / max_tries"
        )
    return out[0] if single else out


def patch_table(
    image_ids: Sequence[str],
    boxes: ArrayLike,
    *,
    fractions: Sequence[float] = PATCH_FRACTIONS,
    mos: ArrayLike | None = None,
    origin: str = "patches",
) -> pd.DataFrame:
    """A canonical ``patches`` table from boxes of shape ``(n, k, 4)``.

    Parameters
    ----------
    image_ids : sequence of str, length n
        The picture of each row of ``boxes``.
    boxes : array_like, shape (n, k, 4)
        (left, top, right, bottom) of patch ``j`` of picture ``i``.
    fractions : sequence of float, length k
        Linear size of patch ``j`` relative to its picture (column ``fraction``).
    mos : array_like, shape (n, k), optional
        Patch MOS (NaN when None).
    origin : str
        Source named in validation errors.

    Returns
    -------
    DataFrame
        ``image_id, patch_id, left, top, right, bottom, mos, patch_index, fraction``; one row per
        patch, pictures in the given order, patches in order of ``fractions``; ``patch_id`` is
        ``"<image_id>#patch_<j>"`` with ``j`` = 1..k (FLIVE numbers its patches 1..3 from the
        largest). Validated as a ``patches`` table.
    """
    b = as_boxes(boxes)
    ids = [str(i) for i in image_ids]
    f = _check_fractions(fractions)
    if b.ndim != 3 or b.shape[0] != len(ids) or b.shape[1] != f.size:
        raise ValueError(
            f"{origin}: boxes must have shape (n_images, n_fractions, 4) = ({len(ids)}, {f.size}, 4); got {b.shape}"
        )
    n, k = b.shape[:2]
    scores = np.full((n, k), np.nan) if mos is None else np.asarray(mos, dtype=float).reshape(n, k)
    index = np.tile(np.arange(1, k + 1), n)
    image = np.repeat(np.asarray(ids, dtype=object), k)
    table = pd.DataFrame(
        {
            "image_id": image,
            "patch_id": [f"{i}#patch_{j}" for i, j in zip(image, index)],
            "left": b[..., 0].ravel(),
            "top": b[..., 1].ravel(),
            "right": b[..., 2].ravel(),
            "bottom": b[..., 3].ravel(),
            "mos": scores.ravel(),
            "patch_index": index,
            "fraction": np.tile(f, n),
        }
    )
    return validate(table, "patches", origin=origin)


def sample_patches(
    images: pd.DataFrame,
    *,
    fractions: Sequence[float] = PATCH_FRACTIONS,
    max_overlap: float = MAX_OVERLAP,
    relative_to: OverlapBase = "smaller",
    seed: int = 0,
    max_tries: int = 10_000,
) -> pd.DataFrame:
    """Sample Sec. 3.2 patches for every picture of a canonical ``images`` table.

    :func:`sample_patch_boxes` on the ``width`` / ``height`` columns, returned as a
    :func:`patch_table` (``mos`` NaN). Same seed and table, same patches.

    Raises
    ------
    ValueError
        ``images`` lacks ``image_id`` / ``width`` / ``height``, a size is missing or not a positive
        integer (naming the row), or no valid placement exists (see :func:`sample_patch_boxes`).
    """
    missing = [c for c in ("image_id", "width", "height") if c not in images.columns]
    if missing:
        raise ValueError(f"images: missing column(s) {missing}; expected a canonical images table")
    sizes = images[["width", "height"]].to_numpy(dtype=float)
    bad = ~(np.isfinite(sizes) & (sizes > 0) & (sizes == np.round(sizes))).all(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"images: row {row} ({images['image_id'].iloc[row]!r}) has width x height = "
            f"{sizes[row].tolist()}; expected positive integers (sizes must be known to sample patches)"
        )
    boxes = sample_patch_boxes(
        sizes,
        fractions=fractions,
        max_overlap=max_overlap,
        relative_to=relative_to,
        seed=seed,
        max_tries=max_tries,
    )
    return patch_table(images["image_id"].astype(str).tolist(), boxes, fractions=fractions)


# ------------------------------------------------------------------- crops vs patch files


@dataclass(frozen=True)
class PatchComparison:
    """How close a crop is to a patch file's pixels.

    Attributes
    ----------
    same_shape : bool
        Equal (H, W[, C]).
    mad : float
        Mean absolute difference in grey levels (NaN when the shapes differ).
    max_abs : float
        Largest absolute difference (NaN when the shapes differ).
    psnr : float
        PSNR in dB, peak 255 (inf when identical, NaN when the shapes differ).
    crop_shape, patch_shape : tuple of int
        The two shapes.
    """

    same_shape: bool
    mad: float
    max_abs: float
    psnr: float
    crop_shape: tuple[int, ...]
    patch_shape: tuple[int, ...]


def compare_patch(crop: np.ndarray, patch: np.ndarray) -> PatchComparison:
    """Compare a crop with a patch file's decoded pixels (both 0-255 arrays).

    Parameters
    ----------
    crop, patch : ndarray, shape (H, W) or (H, W, C)
        Pixel arrays on the 0-255 scale.

    Returns
    -------
    PatchComparison
    """
    a, b = np.asarray(crop, dtype=float), np.asarray(patch, dtype=float)
    if a.shape != b.shape:
        return PatchComparison(False, np.nan, np.nan, np.nan, a.shape, b.shape)
    d = a - b
    mse = float(np.mean(d**2))
    psnr = np.inf if mse == 0 else float(10 * np.log10(255.0**2 / mse))
    return PatchComparison(True, float(np.mean(np.abs(d))), float(np.max(np.abs(d))), psnr, a.shape, b.shape)


def matches_patch(
    crop: np.ndarray, patch: np.ndarray, *, max_mad: float = CROP_MAX_MAD, min_psnr: float = CROP_MIN_PSNR
) -> bool:
    """Whether ``crop`` reproduces a patch file up to JPEG re-encoding.

    True when the shapes are equal, the mean absolute difference is at most ``max_mad`` grey
    levels and the PSNR at least ``min_psnr`` dB (defaults :data:`CROP_MAX_MAD`,
    :data:`CROP_MIN_PSNR`, set from the nine real FLIVE patch files).
    """
    c = compare_patch(crop, patch)
    return bool(c.same_shape and c.mad <= max_mad and c.psnr >= min_psnr)


@dataclass(frozen=True)
class PatchLocation:
    """Where a patch file's pixels sit in its picture (:func:`locate_patch`).

    Attributes
    ----------
    box : tuple of int
        (left, top, right, bottom) of the best match.
    mse : float
        Mean squared difference per value at the best match.
    runner_up_ratio : float
        Smallest mean squared difference at least ``exclusion`` pixels away from the best
        position, divided by the best one: how unambiguous the location is (inf when the best
        match is exact and nothing else is).
    """

    box: tuple[int, int, int, int]
    mse: float
    runner_up_ratio: float


def locate_patch(image: np.ndarray, patch: np.ndarray, *, exclusion: int = 3) -> PatchLocation:
    """Find the integer box of ``image`` whose pixels best match ``patch`` (least squares).

    For pictures whose patch files are at hand but whose boxes are not in a label file (FLIVE's
    three ``EE371R`` pictures: their rows are in the absent ``labels_patch.csv``). Exhaustive
    sum of squared differences over every position (OpenCV's ``matchTemplate``, ``TM_SQDIFF``,
    computed with FFTs), so a patch that is an exact crop up to JPEG noise is found at its
    position; the runner-up ratio tells how sharp that minimum is.

    Parameters
    ----------
    image : ndarray, shape (H, W[, C])
        The picture (0-255).
    patch : ndarray, shape (h, w[, C])
        The patch pixels, ``h <= H``, ``w <= W``, same number of channels.
    exclusion : int
        Half-width in pixels of the neighbourhood of the best position left out when looking for
        the runner-up.

    Returns
    -------
    PatchLocation
    """
    import cv2

    img, tpl = np.asarray(image, dtype=np.float32), np.asarray(patch, dtype=np.float32)
    if img.ndim != tpl.ndim or img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != tpl.shape[2]):
        raise ValueError(f"image {img.shape} and patch {tpl.shape} must both be (H, W) or (H, W, C) with equal C")
    h, w = tpl.shape[:2]
    if h > img.shape[0] or w > img.shape[1]:
        raise ValueError(f"patch of {w} x {h} px is larger than the {img.shape[1]} x {img.shape[0]} image")
    ssd = cv2.matchTemplate(img, tpl, cv2.TM_SQDIFF).astype(float)
    top, left = (int(v) for v in np.unravel_index(int(np.argmin(ssd)), ssd.shape))
    best = float(np.sum((img[top : top + h, left : left + w].astype(float) - tpl) ** 2))  # exact, not FFT
    rest = ssd.copy()
    rest[max(top - exclusion, 0) : top + exclusion + 1, max(left - exclusion, 0) : left + exclusion + 1] = np.inf
    runner = float(rest.min()) if np.isfinite(rest).any() else np.inf
    ratio = np.inf if best == 0 else runner / best
    return PatchLocation((left, top, left + w, top + h), best / tpl.size, ratio)


def shift_sharpness(image: np.ndarray, patch: np.ndarray, box: ArrayLike) -> float:
    """Least MSE of the crops at the four one-pixel shifts of ``box``, over the MSE at ``box``.

    Greater than 1 when ``box`` fits ``patch`` better than every one-pixel shift of it (a strict
    local least-squares optimum): the relative check that complements the absolute tolerance of
    :func:`matches_patch`. Shifts leaving the image are skipped; inf when the crop is exact.

    Parameters
    ----------
    image : ndarray, shape (H, W[, C])
        The picture (0-255).
    patch : ndarray
        The patch file's pixels, the shape of the crop.
    box : array_like of 4 ints
        (left, top, right, bottom).

    Returns
    -------
    float
        NaN when the crop's shape differs from the patch's or no shift fits in the image.
    """
    left, top, right, bottom = (int(v) for v in as_boxes(box, "box").reshape(4))
    img, tpl = np.asarray(image), np.asarray(patch, dtype=float)
    h, w = img.shape[:2]
    base = crop_patch(img, (left, top, right, bottom)).astype(float)
    if base.shape != tpl.shape:
        return float("nan")
    mse0 = float(np.mean((base - tpl) ** 2))
    shifted = []
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        if left + dx >= 0 and top + dy >= 0 and right + dx <= w and bottom + dy <= h:
            crop = img[top + dy : bottom + dy, left + dx : right + dx].astype(float)
            shifted.append(float(np.mean((crop - tpl) ** 2)))
    if not shifted:
        return float("nan")
    return float("inf") if mse0 == 0 else min(shifted) / mse0
