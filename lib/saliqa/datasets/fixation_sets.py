"""Ground-truth maps of a canonical images / fixations table at a working resolution.

Shared by the saliency predictor (:mod:`saliqa.saliency_predictor`) and the OSIE, SALICON and
CAT2000 evaluations of notebook 03 (seed 002, Tables I and II): for each image of an ``images``
table, its *ground-truth density* (the MIT benchmark's Gaussian-blurred fixation map) and its
*binary fixation map*, both at one output size so that any set of predicted maps (the
predictor's, CAMs of IQA models, the centre prior) is scored on the same arrays.

Conventions
-----------
* Points are the canonical 0-based ``(x, y)`` of :mod:`saliqa.datasets.tables` (pixel centres
  on integers). A point is in the image when ``0 <= x < width`` and ``0 <= y < height`` (the
  tables' convention); points in the last half pixel (``width - 1 < x < width``) belong to the
  last column and are moved onto its centre (not an error, nothing dropped). A point outside
  raises ``ValueError`` naming the image (use the loaders' ``outside=`` policy first).
* **Density**: :func:`saliqa.saliency.saliency_map` (sum of Gaussians of standard deviation
  ``sigma_px``, ``exp(-d^2 / (2 sigma^2))``, exact, not truncated) computed at the image's own
  resolution, then resized to ``out_size`` by *area* interpolation (the mean of the source
  pixels each output pixel covers, :func:`resize_maps`), and sum-normalised. ``sigma_px`` is in
  the image's own pixels: about one degree of visual angle (the MIT benchmark). OSIE: 24 px at
  800 x 600 (``params.eye.radius = 24`` in the authors' ``config.m`` / ``computeFixationMaps.m``,
  which blurs the fixation map with that Gaussian); SALICON: the official ``maps/*.png`` were
  made with ``sigma = 19`` px at 640 x 480 (``buildFixMap`` of the SALICON API); CAT2000: use
  its official ``FIXATIONMAPS``.
* **Fixation map**: 1 at every output pixel that holds at least one fixation, after scaling the
  point to the output grid, ``x' = (x + 0.5) * W' / W - 0.5`` (pixel edges map onto pixel
  edges), and rounding to the nearest pixel (:func:`saliqa.saliency.fixation_map`); duplicates
  count once (MIT NSS).
* Duplicated ``image_id`` in ``images`` and images without any fixation raise ``ValueError``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from saliqa.checks import check_positive, check_shape, require_columns
from saliqa.saliency import fixation_map, saliency_map

__all__ = [
    "OSIE_SIGMA_PX",
    "SALICON_SIGMA_PX",
    "scale_points",
    "resize_maps",
    "read_images",
    "points_by_image",
    "ground_truth_maps",
]

OSIE_SIGMA_PX: float = 24.0
"""Gaussian sigma of OSIE's fixation maps at 800 x 600 (the authors' ``params.eye.radius``)."""

SALICON_SIGMA_PX: float = 19.0
"""Gaussian sigma of SALICON's official maps at 640 x 480 (the SALICON API's ``buildFixMap``)."""


def scale_points(points: np.ndarray, from_hw: Sequence[int], to_hw: Sequence[int]) -> np.ndarray:
    """Map ``(x, y)`` pixel coordinates from one grid to another of the same picture.

    ``x' = (x + 0.5) * W' / W - 0.5`` and likewise for ``y``: pixel edges map onto pixel edges
    (the convention of area / bilinear resizing with ``align_corners=False``).

    Parameters
    ----------
    points
        ``(N, 2)`` array of ``(x, y)``.
    from_hw, to_hw
        ``(H, W)`` of the source and target grids.

    Returns
    -------
    numpy.ndarray
        float64 ``(N, 2)``.

    Raises
    ------
    ValueError
        If ``points`` is not ``(N, 2)`` or a shape is invalid.
    """
    h0, w0 = check_shape(from_hw, "from_hw")
    h1, w1 = check_shape(to_hw, "to_hw")
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2) as (x, y), got {p.shape}")
    scale = np.array([w1 / w0, h1 / h0])
    return (p + 0.5) * scale - 0.5


def resize_maps(maps: np.ndarray, size: Sequence[int], mode: str = "area") -> np.ndarray:
    """Resize a batch of maps ``(N, h, w)`` (or one ``(h, w)``) to ``size = (H, W)``.

    Parameters
    ----------
    maps
        Finite maps.
    size
        Target ``(H, W)``.
    mode
        ``"area"``: each output pixel is the mean of the input area it covers (torch
        ``interpolate(mode="area")``, i.e. adaptive average pooling; for a size that divides
        the input this is exact block averaging; enlarging repeats pixels);
        ``"bilinear"``: bilinear with ``align_corners=False`` (for enlarging predicted maps).

    Returns
    -------
    numpy.ndarray
        float64 ``(N, H, W)`` (``(H, W)`` for a single map). Non-negative input stays
        non-negative in both modes.

    Raises
    ------
    ValueError
        Wrong dimensions, non-finite values or an unknown mode.
    """
    import torch
    from torch.nn import functional as F

    h, w = check_shape(size, "size")
    a = np.asarray(maps, dtype=np.float64)
    single = a.ndim == 2
    if single:
        a = a[None]
    if a.ndim != 3 or a.shape[0] == 0:
        raise ValueError(f"maps must be (N, h, w) or (h, w), got shape {np.shape(maps)}")
    if not np.all(np.isfinite(a)):
        raise ValueError("maps contain non-finite values (NaN or inf)")
    if mode not in ("area", "bilinear"):
        raise ValueError(f"mode must be 'area' or 'bilinear', got {mode!r}")
    if a.shape[1:] == (h, w):
        out = a.copy()
    else:
        t = torch.from_numpy(a)[:, None]
        kw = {"align_corners": False} if mode == "bilinear" else {}
        out = F.interpolate(t, size=(h, w), mode=mode, **kw)[:, 0].numpy()
    return out[0] if single else out


def read_images(paths: Sequence[str | os.PathLike[str]], size: Sequence[int] | None = None) -> np.ndarray:
    """Decode image files to a uint8 batch ``(N, H, W, 3)``, resized to ``size`` if given.

    Pillow ``convert("RGB")`` then ``resize((W, H), BILINEAR)`` (Pillow's filters are
    antialiased when reducing); the aspect ratio is not kept.

    Parameters
    ----------
    paths
        Image files.
    size
        ``(H, W)``; None keeps the files' size (they must then all agree).

    Returns
    -------
    numpy.ndarray
        uint8 ``(N, H, W, 3)``.

    Raises
    ------
    FileNotFoundError
        A file is missing (naming it).
    ValueError
        Unreadable file, no paths, or differing sizes with ``size=None``.
    """
    from PIL import Image, UnidentifiedImageError

    files = [Path(p) for p in paths]
    if not files:
        raise ValueError("paths is empty: no images to read")
    hw = None if size is None else check_shape(size, "size")
    out: list[np.ndarray] = []
    for f in files:
        if not f.is_file():
            raise FileNotFoundError(f"image file not found: {str(f)!r}")
        try:
            with Image.open(f) as img:
                rgb = img.convert("RGB")
                if hw is not None and rgb.size != (hw[1], hw[0]):
                    rgb = rgb.resize((hw[1], hw[0]), Image.Resampling.BILINEAR)
                arr = np.asarray(rgb, dtype=np.uint8)
        except (UnidentifiedImageError, OSError) as err:
            raise ValueError(f"cannot read image {str(f)!r}: {err}") from err
        if out and arr.shape != out[0].shape:
            raise ValueError(f"image {str(f)!r} has shape {arr.shape}, the first had {out[0].shape}; pass size=(H, W)")
        out.append(arr)
    return np.stack(out)


def points_by_image(images: pd.DataFrame, fixations: pd.DataFrame, *, name: str = "fixations") -> list[np.ndarray]:
    """The ``(x, y)`` points of each image of ``images``, in its row order.

    Points in ``[width - 1, width)`` (or the same for ``height``) are moved onto the last pixel
    centre (module docstring); nothing is dropped.

    Parameters
    ----------
    images
        Canonical images table (``image_id``, ``width``, ``height``), ids unique.
    fixations
        Canonical fixations table (``image_id``, ``x``, ``y``).
    name
        Name of the fixations table in messages.

    Returns
    -------
    list of numpy.ndarray
        One float64 ``(n_i, 2)`` array per image row, ``n_i >= 1``.

    Raises
    ------
    ValueError
        Missing columns, duplicated image ids, an image without fixations, or points outside
        their image (naming the image and the count).
    """
    require_columns(images, ("image_id", "width", "height"), "images")
    require_columns(fixations, ("image_id", "x", "y"), name)
    ids = images["image_id"].astype(str).to_numpy()
    if len(ids) == 0:
        raise ValueError("images is empty")
    dup = pd.Index(ids).duplicated()
    if dup.any():
        raise ValueError(f"images: duplicated image_id {ids[np.flatnonzero(dup)[0]]!r}")
    fid = fixations["image_id"].astype(str).to_numpy()
    xy = fixations[["x", "y"]].to_numpy(dtype=np.float64)
    order = np.argsort(fid, kind="stable")
    sorted_ids = fid[order]
    lo = np.searchsorted(sorted_ids, ids, side="left")
    hi = np.searchsorted(sorted_ids, ids, side="right")
    empty = np.flatnonzero(hi == lo)
    if empty.size:
        raise ValueError(
            f"{name}: {empty.size} image(s) have no fixation, e.g. image_id {ids[empty[0]]!r}; "
            "drop them from images first"
        )
    widths = images["width"].to_numpy(dtype=np.float64)
    heights = images["height"].to_numpy(dtype=np.float64)
    out: list[np.ndarray] = []
    for k in range(len(ids)):
        p = xy[order[lo[k] : hi[k]]]
        w, h = widths[k], heights[k]
        bad = ~np.isfinite(p).all(axis=1) | (p[:, 0] < 0) | (p[:, 0] >= w) | (p[:, 1] < 0) | (p[:, 1] >= h)
        if bad.any():
            first = p[np.flatnonzero(bad)[0]]
            raise ValueError(
                f"{name}: {int(bad.sum())} point(s) of image_id {ids[k]!r} lie outside its {w:g} x {h:g} "
                f"image (first (x, y) = ({first[0]:g}, {first[1]:g})); expected 0 <= x < width, "
                "0 <= y < height (load with outside='clip' or 'drop')"
            )
        out.append(np.column_stack([np.minimum(p[:, 0], w - 1.0), np.minimum(p[:, 1], h - 1.0)]))
    return out


def ground_truth_maps(
    images: pd.DataFrame,
    fixations: pd.DataFrame,
    *,
    sigma_px: float,
    out_size: Sequence[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Ground-truth densities and binary fixation maps of every image, at ``out_size``.

    Parameters
    ----------
    images
        Canonical images table; one output map per row, in order.
    fixations
        Canonical fixations table (all observers pooled).
    sigma_px
        Gaussian standard deviation in the images' own pixels (about 1 degree; see the module
        docstring: OSIE :data:`OSIE_SIGMA_PX`, SALICON :data:`SALICON_SIGMA_PX`).
    out_size
        ``(H, W)`` of the maps; None: the images' own size (they must then all agree).

    Returns
    -------
    gt_maps : numpy.ndarray
        float64 ``(N, H, W)`` densities, each summing to 1.
    fix_maps : numpy.ndarray
        float64 ``(N, H, W)`` binary (0 / 1) fixation maps.

    Raises
    ------
    ValueError
        See :func:`points_by_image`; also differing image sizes with ``out_size=None``.
    """
    check_positive(sigma_px, "sigma_px", unit="pixels")
    pts = points_by_image(images, fixations)
    sizes = images[["height", "width"]].to_numpy(dtype=np.int64)
    if out_size is None:
        if (sizes != sizes[0]).any():
            raise ValueError("images have different sizes; pass out_size=(H, W)")
        out_hw = (int(sizes[0, 0]), int(sizes[0, 1]))
    else:
        out_hw = check_shape(out_size, "out_size")
    n = len(pts)
    gt = np.empty((n, *out_hw))
    fix = np.empty((n, *out_hw))
    for k, p in enumerate(pts):  # one map per image; each map is vectorised over its points
        hw = (int(sizes[k, 0]), int(sizes[k, 1]))
        dens = saliency_map(p, hw, sigma_px)
        dens = resize_maps(dens, out_hw, "area")
        gt[k] = dens / dens.sum()
        q = scale_points(p, hw, out_hw)
        q = np.clip(q, 0.0, [out_hw[1] - 1.0, out_hw[0] - 1.0])
        fix[k] = fixation_map(q, out_hw) > 0
    return gt, fix
