"""Fixation / click points -> fixation maps and Gaussian saliency maps; centre prior; validation.

Conventions (stated once, followed by every function here and by :mod:`saliqa.metrics.saliency`):

* A *map* is a finite, non-negative, not-all-zero float array of shape ``(H, W)`` (row = y,
  column = x). :func:`check_map` enforces this and raises ``ValueError`` naming the argument.
* *Points* are an ``(N, 2)`` array of ``(x, y)`` coordinates in pixels, 0-based, with pixel
  centres at integer coordinates: pixel ``(row=i, col=j)`` covers ``[j-0.5, j+0.5) x
  [i-0.5, i+0.5)``. A point lies inside an image of shape ``(H, W)`` iff
  ``-0.5 <= x < W - 0.5`` and ``-0.5 <= y < H - 0.5``; it belongs to pixel
  ``(floor(y + 0.5), floor(x + 0.5))`` (round half up). Points outside raise ``ValueError``
  unless ``outside="clip"`` or ``outside="drop"`` is passed (both warn with the count).
* *Shapes* are ``(H, W)``: two positive integers.

The saliency map is seed 000's (section 2.3) pooled sum of Gaussians,

.. math:: S(x, y) = \\sum_{j=1}^{T} w_j \\exp\\left(-\\frac{(x-x_j)^2 + (y-y_j)^2}{2\\sigma^2}\\right),

computed exactly (no truncation) through the separability of the Gaussian.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from saliqa.checks import as_float_array, check_int, check_positive, check_real, check_shape

__all__ = [
    "check_shape",
    "check_points",
    "check_map",
    "check_fixations",
    "check_same_shape",
    "fixation_map",
    "saliency_map",
    "pixels_per_degree",
    "sigma_from_degrees",
    "centre_prior",
    "normalize_map",
]

OutsidePolicy = Literal["raise", "clip", "drop"]
Kernel = Literal["2sigma2", "sigma2"]
NormMethod = Literal["sum", "minmax", "std", "max"]


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def check_map(
    m: ArrayLike,
    name: str = "map",
    shape: Sequence[int] | None = None,
    *,
    allow_negative: bool = False,
    allow_zero: bool = False,
) -> np.ndarray:
    """Validate a saliency / density map and return it as a float64 ``(H, W)`` array.

    Parameters
    ----------
    m
        Array-like of shape ``(H, W)``.
    name
        Argument name used in error messages (e.g. ``"p"``, ``"saliency"``).
    shape
        If given, the required ``(H, W)``.
    allow_negative, allow_zero
        Relax the non-negativity / not-all-zero requirements (defaults: both required, the
        design's map convention).

    Returns
    -------
    numpy.ndarray
        A float64 copy-or-view of ``m``.

    Raises
    ------
    ValueError
        If ``m`` is not 2-D, is empty, has the wrong shape, contains NaN/inf, contains negative
        values, or is all zero; the message names ``name`` and the problem.
    """
    a = as_float_array(m, name, "a numeric (H, W) array")
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (H, W) array, got {a.ndim}-D with shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} is empty (shape {a.shape})")
    if shape is not None and a.shape != tuple(shape):
        raise ValueError(f"shape mismatch: {name} has shape {a.shape}, expected {tuple(shape)}")
    lo, hi = a.min(), a.max()  # min / max propagate NaN: a non-finite extreme flags NaN / inf
    if not (math.isfinite(lo) and math.isfinite(hi)):
        n_bad = int(np.count_nonzero(~np.isfinite(a)))
        raise ValueError(f"{name} contains {n_bad} non-finite values (NaN or inf)")
    if not allow_negative and lo < 0:
        n_neg = int(np.count_nonzero(a < 0))
        raise ValueError(f"{name} contains {n_neg} negative values (min {lo:.6g}); maps must be non-negative")
    if not allow_zero and lo == 0 and hi == 0:
        raise ValueError(f"{name} is all zero; a map must have positive mass")
    return a


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ``ValueError`` (a 'shape mismatch') unless ``a.shape == b.shape``."""
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: {name_a} has shape {a.shape} but {name_b} has shape {b.shape}")


def check_fixations(f: ArrayLike, name: str = "fixations", shape: Sequence[int] | None = None) -> np.ndarray:
    """Validate a binary or count fixation map ``(H, W)`` and return it as float64.

    Parameters
    ----------
    f
        Array-like ``(H, W)`` of non-negative counts (bool allowed); pixels with ``f > 0`` are
        *fixated*. Build one from points with :func:`fixation_map`.
    name
        Argument name used in error messages.
    shape
        If given, the required ``(H, W)`` (the saliency map's).

    Raises
    ------
    ValueError
        If not 2-D, shape mismatch, non-finite, negative, or with no fixation at all
        ("empty fixation map").
    """
    a = check_map(f, name, allow_zero=True)
    if shape is not None and a.shape != tuple(shape):
        raise ValueError(f"shape mismatch: {name} has shape {a.shape} but the saliency map has shape {tuple(shape)}")
    if not np.any(a > 0):
        raise ValueError(f"{name} is an empty fixation map (no pixel > 0)")
    return a


def check_points(
    points: ArrayLike,
    shape: Sequence[int],
    *,
    outside: OutsidePolicy = "raise",
    name: str = "points",
    weights: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate ``(N, 2)`` points ``(x, y)`` against an image shape.

    Parameters
    ----------
    points
        Array-like ``(N, 2)`` of finite ``(x, y)`` pixel coordinates (pixel centres at integers).
    shape
        Image shape ``(H, W)``.
    outside
        What to do with points outside ``[-0.5, W-0.5) x [-0.5, H-0.5)``:
        ``"raise"`` (default) raises ``ValueError`` with the count and the first offender;
        ``"clip"`` moves them to the nearest border pixel centre (``x`` clipped to ``[0, W-1]``,
        ``y`` to ``[0, H-1]``) and warns with the count; ``"drop"`` removes them and warns with
        the count.
    name
        Argument name used in messages.
    weights
        Optional ``(N,)`` finite non-negative per-point weights, dropped along with their points.

    Returns
    -------
    points : numpy.ndarray
        float64 ``(M, 2)`` points, all inside the image.
    weights : numpy.ndarray or None
        float64 ``(M,)`` weights, or ``None``.

    Raises
    ------
    ValueError
        Wrong shape, non-finite values, empty point set (also after dropping), points outside
        (with ``outside="raise"``), bad weights, or an unknown ``outside`` policy.
    """
    h, w = check_shape(shape)
    if outside not in ("raise", "clip", "drop"):
        raise ValueError(f"outside must be 'raise', 'clip' or 'drop', got {outside!r}")
    p = as_float_array(points, name, "a numeric (N, 2) array of (x, y)")
    if p.ndim == 1 and p.size == 0:
        p = p.reshape(0, 2)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"{name} must have shape (N, 2) as (x, y), got shape {p.shape}")
    if p.shape[0] == 0:
        raise ValueError(f"{name} is an empty point set (N = 0)")
    if not np.all(np.isfinite(p)):
        bad = np.flatnonzero(~np.all(np.isfinite(p), axis=1))
        raise ValueError(f"{name} contains {bad.size} non-finite points (NaN or inf), first at row {bad[0]}")
    wt: np.ndarray | None = None
    if weights is not None:
        wt = np.asarray(weights, dtype=np.float64)
        if wt.shape != (p.shape[0],):
            raise ValueError(f"weights must have shape ({p.shape[0]},) to match {name}, got {wt.shape}")
        if not np.all(np.isfinite(wt)):
            raise ValueError("weights contains non-finite values (NaN or inf)")
        if wt.min() < 0:
            raise ValueError(f"weights contains {int(np.count_nonzero(wt < 0))} negative values")
    x, y = p[:, 0], p[:, 1]
    out_mask = (x < -0.5) | (x >= w - 0.5) | (y < -0.5) | (y >= h - 0.5)
    n_out = int(np.count_nonzero(out_mask))
    if n_out:
        first = np.flatnonzero(out_mask)[0]
        where = (
            f"{n_out} of {p.shape[0]} {name} lie outside the image of shape (H, W) = ({h}, {w}) "
            f"(valid: -0.5 <= x < {w - 0.5}, -0.5 <= y < {h - 0.5}); "
            f"first at row {first}: (x, y) = ({p[first, 0]:g}, {p[first, 1]:g})"
        )
        if outside == "raise":
            raise ValueError(where + "; pass outside='clip' or outside='drop' to handle them")
        if outside == "clip":
            clipped = np.column_stack([np.clip(x, 0.0, w - 1.0), np.clip(y, 0.0, h - 1.0)])
            p = np.where(out_mask[:, None], clipped, p)
            warnings.warn(where + "; clipped to the nearest border pixel", stacklevel=3)
        else:
            keep = ~out_mask
            p = p[keep]
            if wt is not None:
                wt = wt[keep]
            warnings.warn(where + f"; dropped {n_out}", stacklevel=3)
            if p.shape[0] == 0:
                raise ValueError(f"{name} is an empty point set after dropping {n_out} outside points")
    return p, wt


# --------------------------------------------------------------------------------------------
# maps from points
# --------------------------------------------------------------------------------------------


def fixation_map(
    points: ArrayLike,
    shape: Sequence[int],
    *,
    outside: OutsidePolicy = "raise",
    weights: ArrayLike | None = None,
) -> np.ndarray:
    """Count the points falling in each pixel.

    Point ``(x, y)`` is assigned to pixel ``(row, col) = (floor(y + 0.5), floor(x + 0.5))``
    (pixel centres at integer coordinates, round half up). Duplicate points add up.

    Parameters
    ----------
    points
        ``(N, 2)`` array of ``(x, y)``.
    shape
        ``(H, W)`` of the output.
    outside
        ``"raise"`` | ``"clip"`` | ``"drop"``, see :func:`check_points`.
    weights
        Optional ``(N,)`` non-negative weights (e.g. durations); default 1 per point.

    Returns
    -------
    numpy.ndarray
        float64 ``(H, W)`` counts (or summed weights).
    """
    h, w = check_shape(shape)
    p, wt = check_points(points, (h, w), outside=outside, weights=weights)
    col = np.floor(p[:, 0] + 0.5).astype(np.int64)
    row = np.floor(p[:, 1] + 0.5).astype(np.int64)
    flat = np.bincount(row * w + col, weights=wt, minlength=h * w).astype(np.float64)
    return flat.reshape(h, w)


def _gauss_1d(coords: np.ndarray, n: int, denom: float) -> np.ndarray:
    """``exp(-(k - c)^2 / denom)`` for ``k = 0..n-1``; returns ``(len(coords), n)``."""
    d = np.arange(n, dtype=np.float64)[None, :] - coords[:, None]
    return np.exp(-(d * d) / denom)


def saliency_map(
    points: ArrayLike,
    shape: Sequence[int],
    sigma: float,
    *,
    kernel: Kernel = "2sigma2",
    weights: ArrayLike | None = None,
    chunk: int = 2048,
    outside: OutsidePolicy = "raise",
) -> np.ndarray:
    """Pooled sum-of-Gaussians saliency map of points (seed 000, section 2.3).

    .. math:: S(x, y) = \\sum_j w_j \\exp\\left(-\\frac{(x - x_j)^2 + (y - y_j)^2}{c\\,\\sigma^2}\\right)

    with ``c = 2`` (``kernel="2sigma2"``, seed 000's formula and the MIT benchmark's Gaussian of
    standard deviation ``sigma``) or ``c = 1`` (``kernel="sigma2"``, seed 004 / SSPNet's
    ``exp(-d^2 / sigma^2)``). ``(x, y)`` runs over pixel centres (integers). The map is **not**
    normalised (use :func:`normalize_map`) and **not** truncated: because the Gaussian is
    separable, ``S = Gy^T @ (w * Gx)`` with per-point 1-D Gaussians ``Gx`` ``(N, W)`` and
    ``Gy`` ``(N, H)``, one matrix product (accumulated over blocks of ``chunk`` points to bound
    memory). Sub-pixel point coordinates are used exactly.

    Parameters
    ----------
    points
        ``(N, 2)`` array of ``(x, y)`` (pixel centres at integer coordinates).
    shape
        ``(H, W)`` of the output.
    sigma
        Gaussian scale in pixels (> 0); see :func:`sigma_from_degrees`.
    kernel
        ``"2sigma2"`` (default) or ``"sigma2"``, see above.
    weights
        Optional ``(N,)`` non-negative weights ``w_j`` (default 1).
    chunk
        Maximum points per block (memory ``~ 8 * chunk * (H + W)`` bytes).
    outside
        ``"raise"`` | ``"clip"`` | ``"drop"``, see :func:`check_points`.

    Returns
    -------
    numpy.ndarray
        float64 ``(H, W)`` map.

    Raises
    ------
    ValueError
        Bad points, shape, sigma, kernel or chunk.

    Warns
    -----
    UserWarning
        If ``sigma`` is so small that some points' Gaussians underflow to zero on the grid.
    """
    h, w = check_shape(shape)
    check_positive(sigma, "sigma", unit="pixels")
    if kernel == "2sigma2":
        denom = 2.0 * float(sigma) ** 2
    elif kernel == "sigma2":
        denom = float(sigma) ** 2
    else:
        raise ValueError(
            f"kernel must be '2sigma2' (exp(-d^2/(2 sigma^2))) or 'sigma2' (exp(-d^2/sigma^2)), got {kernel!r}"
        )
    check_int(chunk, "chunk", low=1)
    p, wt = check_points(points, (h, w), outside=outside, weights=weights)
    out: np.ndarray | None = None
    n_lost = 0
    for start in range(0, p.shape[0], int(chunk)):  # loop over blocks of points, not points
        blk = slice(start, start + int(chunk))
        gx = _gauss_1d(p[blk, 0], w, denom)
        gy = _gauss_1d(p[blk, 1], h, denom)
        n_lost += int(np.count_nonzero((gx.max(axis=1) == 0) | (gy.max(axis=1) == 0)))
        if wt is not None:
            gx *= wt[blk, None]
        if out is None:
            out = gy.T @ gx
        else:
            out += gy.T @ gx
    if n_lost:
        warnings.warn(
            f"sigma={sigma!r} is too small: the Gaussians of {n_lost} of {p.shape[0]} points underflow to zero "
            "on the pixel grid and contribute nothing",
            stacklevel=2,
        )
    assert out is not None  # p has at least one point (check_points)
    return out


# --------------------------------------------------------------------------------------------
# viewing geometry
# --------------------------------------------------------------------------------------------


def pixels_per_degree(viewing_distance: float, screen_width: float, screen_width_px: float) -> float:
    """Mean pixels per degree of visual angle across the screen width.

    .. math:: \\mathrm{ppd} = \\frac{W_{px}}{2 \\cdot \\mathrm{degrees}\\left(\\arctan\\frac{w}{2 d}\\right)}

    i.e. the screen's horizontal pixel count divided by the full visual angle it subtends for an
    observer centred at distance ``d``. At ``d = 57.3`` cm, 1 cm subtends about 1 degree.

    Parameters
    ----------
    viewing_distance
        Eye-to-screen distance ``d`` (> 0), same length unit as ``screen_width``.
    screen_width
        Physical width ``w`` of the screen (or displayed image) (> 0).
    screen_width_px
        Width in pixels ``W_px`` (> 0) of that same extent.

    Returns
    -------
    float
        Pixels per degree.
    """
    for nm, v in (
        ("viewing_distance", viewing_distance),
        ("screen_width", screen_width),
        ("screen_width_px", screen_width_px),
    ):
        check_positive(v, nm)
    angle_deg = 2.0 * math.degrees(math.atan(float(screen_width) / (2.0 * float(viewing_distance))))
    return float(screen_width_px) / angle_deg


def sigma_from_degrees(degrees: float, ppd: float) -> float:
    """Gaussian sigma in pixels for a size in degrees of visual angle: ``sigma = degrees * ppd``.

    Seed 000 uses about 2 degrees (the fovea); the MIT benchmark about 1 degree.
    """
    check_positive(degrees, "degrees")
    check_positive(ppd, "ppd")
    return float(degrees) * float(ppd)


# --------------------------------------------------------------------------------------------
# centre prior and normalisation
# --------------------------------------------------------------------------------------------


def centre_prior(
    shape: Sequence[int],
    sigma_frac: float | tuple[float, float] = 0.25,
    *,
    centre: tuple[float, float] | None = None,
) -> np.ndarray:
    """Anisotropic Gaussian centre-bias map, sum-normalised.

    .. math:: C(x, y) \\propto
              \\exp\\left(-\\frac{(x - c_x)^2}{2 \\sigma_x^2} - \\frac{(y - c_y)^2}{2 \\sigma_y^2}\\right),
              \\quad \\sigma_y = f_y H, \\ \\sigma_x = f_x W

    Parameters
    ----------
    shape
        ``(H, W)``.
    sigma_frac
        ``f`` (same for both axes) or ``(f_y, f_x)``: the standard deviations as fractions of the
        image height and width (default 0.25, so the Gaussian is stretched to the aspect ratio).
    centre
        ``(c_x, c_y)`` in pixel coordinates; default the image centre ``((W-1)/2, (H-1)/2)``.

    Returns
    -------
    numpy.ndarray
        float64 ``(H, W)`` summing to 1.
    """
    h, w = check_shape(shape)
    fracs = sigma_frac if isinstance(sigma_frac, tuple) else (sigma_frac, sigma_frac)
    if len(fracs) != 2:
        raise ValueError(f"sigma_frac must be a float or a pair (f_y, f_x), got {sigma_frac!r}")
    fy, fx = (check_positive(v, "sigma_frac") for v in fracs)
    if centre is None:
        cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    else:
        cx, cy = check_real(centre[0], "centre x"), check_real(centre[1], "centre y")
    gx = _gauss_1d(np.array([cx]), w, 2.0 * (fx * w) ** 2)[0]
    gy = _gauss_1d(np.array([cy]), h, 2.0 * (fy * h) ** 2)[0]
    c = np.outer(gy, gx)
    total = c.sum()
    if total <= 0:
        raise ValueError("centre prior underflows to zero; centre is too far outside the image")
    return c / total


def normalize_map(m: ArrayLike, method: NormMethod = "sum", *, ddof: int = 1, name: str = "m") -> np.ndarray:
    """Normalise a map.

    Parameters
    ----------
    m
        ``(H, W)`` finite map (negatives allowed except for ``"sum"``).
    method
        ``"sum"``: ``m / sum(m)`` (a distribution; needs a non-negative, non-zero map);
        ``"minmax"``: ``(m - min) / (max - min)`` in ``[0, 1]``;
        ``"std"``: ``(m - mean) / std`` with ``ddof`` (1, MATLAB's ``std``, by default);
        ``"max"``: ``m / max(|m|)``.
    ddof
        Delta degrees of freedom for ``"std"``.
    name
        Argument name for messages.

    Raises
    ------
    ValueError
        Invalid map, unknown method, or a constant map for ``"minmax"`` / ``"std"``.
    """
    if method == "sum":
        a = check_map(m, name)
        return a / a.sum()
    a = check_map(m, name, allow_negative=True, allow_zero=method in ("minmax", "std"))
    if method == "minmax":
        lo, hi = a.min(), a.max()
        if hi == lo:
            raise ValueError(f"{name} is constant ({lo:g}); min-max normalisation is undefined")
        return (a - lo) / (hi - lo)
    if method == "std":
        if a.size <= ddof:
            raise ValueError(f"{name} has {a.size} pixels, too few for std with ddof={ddof}")
        sd = a.std(ddof=ddof)
        if sd == 0:
            raise ValueError(f"{name} is constant ({a.flat[0]:g}); standardisation is undefined")
        return (a - a.mean()) / sd
    if method == "max":
        return a / np.abs(a).max()
    raise ValueError(f"method must be 'sum', 'minmax', 'std' or 'max', got {method!r}")
