"""Visual information fidelity, VIF (Sheikh & Bovik, "Image information and visual quality", IEEE TIP 2006).

The wavelet-domain VIF of the authors' MATLAB release (``vifvec.m`` with ``vifsub_est_M.m``,
``refparams_vecgsm.m`` and ``ind2wtree.m``), which produced the official values of the TID2013
calibration set (``../shared/data/tid2013-calibration``, "rgb2gray input of the original VIF
matlab script"). Seed 002's Table III lists it as "VIF [7]".

Conventions (those of the MATLAB release)
-----------------------------------------
- **Input**: grey luma by MATLAB ``rgb2gray`` (:func:`saliqa.metrics.fidelity.convert_color`),
  rounded to integers when the inputs are ``uint8`` (``quantize=None``), on the 0..255 scale.
- **Decomposition**: steerable pyramid ``buildSpyr(im, 4, 'sp5Filters', 'reflect1')`` -- 4
  levels, 6 orientations, ``reflect1`` edges -- computed by ``pyrtools``
  (:class:`pyrtools.pyramids.SteerablePyramidSpace`, a port of matlabPyrTools). ``ind2wtree``
  lists the subbands coarsest first, so the release's subbands ``[4 7 10 13 16 19 22 25]`` are
  orientations 3 and 0 of levels 3, 2, 1, 0 (0 = finest; :data:`SUBBANDS`).
- **GSM model** (paper Sec. III, eqs. 3-8): in each subband, ``M x M = 3 x 3`` neighbourhoods.
  The reference's covariance ``C_U`` is the (biased, ``1/N``) covariance of *all* overlapping 3 x
  3 blocks of the subband cropped to a multiple of 3; the field ``s^2`` on the *non-overlapping*
  blocks is ``x^T C_U^-1 x / M^2``; ``lambda_k`` are the eigenvalues of ``C_U``.
- **Distortion channel** ``D = g C + V`` (eqs. 9-12), estimated in ``w x w`` box windows with
  ``w = 2^lev + 1``, ``lev = ceil((subband - 1) / 6)`` (3 px at the coarsest level, 17 px at the
  finest), sampled on the same non-overlapping 3 x 3 grid (``corrDn`` with step 3 from the
  second pixel, ``reflect1`` edges): with windowed sums of squares ``S_xx``, ``S_yy`` and of
  products ``S_xy`` (means removed), ``g = S_xy / (S_xx + tol)`` and
  ``sigma_v^2 = (S_yy - g S_xy) / w^2``, exactly as ``vifsub_est_M.m``, including its guards (``tol =
  1e-15``; ``g = 0`` where either variance is below ``tol``; negative ``g`` set to 0 with
  ``sigma_v^2`` set to the *windowed sum* of squares, as the release does; ``sigma_v^2 >= tol``).
- **Information** (eq. 14): with ``sigma_n^2 = 0.4`` and the borders of ``ceil(((w - 1)/2) / 3)``
  grid points removed, ``num = sum log2(1 + g^2 s^2 lambda_k / (sigma_v^2 + sigma_n^2))``,
  ``den = sum log2(1 + s^2 lambda_k / sigma_n^2)`` over positions, eigenvalues and subbands;
  ``VIF = num / den``.

All arithmetic is float64 numpy (box sums by :func:`scipy.ndimage.uniform_filter`, whose
``"mirror"`` mode is ``reflect1``). Identical images give 1 (to ~1e-15). On the five TID2013
calibration pairs the values agree with the official MATLAB ones (printed to 4 decimals) within
5e-5 (``tests/test_vif.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from saliqa.metrics.fidelity import convert_color

__all__ = ["SUBBANDS", "SIGMA_NSQ", "M", "steerable_subbands", "vif", "vif_batch", "vif_information", "vif_reference"]

SUBBANDS: tuple[int, ...] = (4, 7, 10, 13, 16, 19, 22, 25)
"""``vifvec.m``'s subbands, indices into ``ind2wtree``'s coarsest-first list of the 26 bands."""
SIGMA_NSQ: float = 0.4
"""Variance of the visual noise ``sigma_n^2`` (``vifvec.m``)."""
M: int = 3
"""Side of the GSM neighbourhoods (``vifvec.m``)."""
_TOL = 1e-15
_HEIGHT = 4


def _tree_key(subband: int) -> tuple[int, int]:
    """``ind2wtree`` index (1-based, coarsest first) -> pyrtools key ``(level, orientation)``."""
    n = 27 - subband  # position in buildSpyr's order: 1 high-pass, 2..25 bands finest first, 26 low-pass
    return (n - 2) // 6, (n - 2) % 6


def _window(subband: int) -> int:
    return 2 ** math.ceil((subband - 1) / 6) + 1


def _max_height(shape: tuple[int, ...], filter_size: int) -> int:
    """MATLAB ``maxPyrHt``: levels whose low-pass image is still at least one filter wide."""
    side, levels = min(shape[:2]), 0
    while side >= filter_size:
        levels, side = levels + 1, side // 2
    return levels


def steerable_subbands(grey: NDArray[np.float64]) -> dict[int, NDArray[np.float64]]:
    """The subbands of :data:`SUBBANDS` of ``buildSpyr(grey, 4, 'sp5Filters', 'reflect1')``.

    Only the two orientations used are filtered: the low-pass chain (``lo0filt``, then
    ``lofilt`` with step 2 per level) and the band filters ``bfilts(:, b)`` reshaped as
    ``buildSpyrLevs`` does, with ``pyrtools.corrDn`` (matlabPyrTools' ``corrDn`` port), so each
    band equals that of :class:`pyrtools.pyramids.SteerablePyramidSpace`.

    Parameters
    ----------
    grey : ndarray, shape (H, W)
        Luma, float64.

    Returns
    -------
    dict of int -> ndarray
        ``ind2wtree`` index -> subband.

    Raises
    ------
    ValueError
        If the picture is too small for a 4-level pyramid (``maxPyrHt`` < 4, naming the shape).
    """
    import pyrtools
    from pyrtools.pyramids.filters import parse_filter

    filters = parse_filter("sp5_filters", normalize=False)
    if _max_height(grey.shape, filters["lofilt"].shape[0]) < _HEIGHT:
        raise ValueError(
            f"picture of shape {grey.shape} is too small for VIF's 4-level pyramid (needs min(H, W) >= "
            f"{filters['lofilt'].shape[0] * 2 ** (_HEIGHT - 1)})"
        )
    size = int(np.sqrt(filters["bfilts"].shape[0]))
    wanted: dict[tuple[int, int], int] = {_tree_key(s): s for s in SUBBANDS}
    out: dict[int, NDArray[np.float64]] = {}
    lo = pyrtools.corrDn(grey, filters["lo0filt"], edge_type="reflect1")
    for level in range(_HEIGHT):
        for (lev, b), sub in wanted.items():
            if lev == level:
                band = filters["bfilts"][:, b].reshape(size, size).T
                out[sub] = np.asarray(pyrtools.corrDn(lo, band, edge_type="reflect1"), dtype=np.float64)
        if level < _HEIGHT - 1:
            lo = pyrtools.corrDn(lo, filters["lofilt"], edge_type="reflect1", step=(2, 2))
    return out


def _crop(y: NDArray[np.float64]) -> NDArray[np.float64]:
    h, w = (y.shape[0] // M) * M, (y.shape[1] // M) * M
    return y[:h, :w]


def _box_sums(stack: NDArray[np.float64], win: int) -> NDArray[np.float64]:
    """Windowed sums (``reflect1`` edges) of each map of ``stack`` on the ``M``-step grid from index 1."""
    sums = ndimage.uniform_filter(stack, size=(1, win, win), mode="mirror") * (win * win)
    h, w = stack.shape[1:]
    return sums[:, M // 2 : h - math.ceil(M / 2) + 1 : M, M // 2 : w - math.ceil(M / 2) + 1 : M]


def _channel(y: NDArray[np.float64], yn: NDArray[np.float64], win: int) -> tuple[NDArray, NDArray]:
    """Gain ``g`` and noise variance ``sigma_v^2`` of ``vifsub_est_M.m`` on one subband."""
    n = float(win * win)
    s_x, s_y, s_xx, s_yy, s_xy = _box_sums(np.stack([y, yn, y * y, yn * yn, y * yn]), win)
    mean_x, mean_y = s_x / n, s_y / n
    cov_xy = s_xy - n * mean_x * mean_y
    ss_x = np.maximum(s_xx - n * mean_x**2, 0.0)
    ss_y = np.maximum(s_yy - n * mean_y**2, 0.0)
    g = cov_xy / (ss_x + _TOL)
    vv = (ss_y - g * cov_xy) / n
    flat_x = ss_x < _TOL
    g = np.where(flat_x, 0.0, g)
    vv = np.where(flat_x, ss_y, vv)
    flat_y = ss_y < _TOL
    g = np.where(flat_y, 0.0, g)
    vv = np.where(flat_y, 0.0, vv)
    negative = g < 0
    vv = np.where(negative, ss_y, vv)
    g = np.maximum(g, 0.0)
    return g, np.where(vv <= _TOL, _TOL, vv)


def _blocks(y: NDArray[np.float64], step: int) -> NDArray[np.float64]:
    """``(M*M, N)`` matrix of the ``M x M`` blocks of ``y`` (all positions for step 1, the grid for M)."""
    h, w = y.shape
    rows = [y[k : h - (M - 1 - k) : step, j : w - (M - 1 - j) : step].reshape(-1) for j in range(M) for k in range(M)]
    return np.stack(rows)


def _reference_params(y: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Field ``s^2`` on the block grid and eigenvalues of ``C_U`` (``refparams_vecgsm.m``)."""
    every = _blocks(y, 1)
    centred = every - every.mean(axis=1, keepdims=True)
    cu = centred @ centred.T / every.shape[1]
    grid = _blocks(y, M)
    try:
        ss = np.sum(np.linalg.solve(cu, grid) * grid, axis=0) / (M * M)
    except np.linalg.LinAlgError as err:
        raise ValueError(
            "ref carries no information in one of VIF's subbands (singular block covariance: a flat "
            "picture?); VIF is undefined"
        ) from err
    return ss.reshape(y.shape[0] // M, y.shape[1] // M), np.linalg.eigvalsh(cu)


@dataclass(frozen=True)
class _Reference:
    """The reference side of VIF: each subband cropped to a multiple of ``M``, ``s^2``, eigenvalues."""

    grey_shape: tuple[int, ...]
    bands: dict[int, NDArray[np.float64]]
    ss: dict[int, NDArray[np.float64]]
    eigenvalues: dict[int, NDArray[np.float64]]


def _reference(x: NDArray[np.float64]) -> _Reference:
    bands = {s: _crop(b) for s, b in steerable_subbands(x).items()}
    params = {s: _reference_params(b) for s, b in bands.items()}
    return _Reference(x.shape, bands, {s: p[0] for s, p in params.items()}, {s: p[1] for s, p in params.items()})


def _information(ref: _Reference, y: NDArray[np.float64], sigma_nsq: float) -> tuple[float, float]:
    dis = steerable_subbands(y)
    num = den = 0.0
    for s in SUBBANDS:
        win = _window(s)
        g, vv = _channel(ref.bands[s], _crop(dis[s]), win)
        ss, lam = ref.ss[s], ref.eigenvalues[s]
        off = math.ceil(((win - 1) // 2) / M)
        sl = (slice(off, ss.shape[0] - off), slice(off, ss.shape[1] - off))
        g, vv, ssc = g[sl][..., None], vv[sl][..., None], ss[sl][..., None]
        num += float(np.sum(np.log2(1.0 + g * g * ssc * lam / (vv + sigma_nsq))))
        den += float(np.sum(np.log2(1.0 + ssc * lam / sigma_nsq)))
    return num, den


def _check_sigma(sigma_nsq: float) -> float:
    if not (isinstance(sigma_nsq, (int, float)) and sigma_nsq > 0 and math.isfinite(sigma_nsq)):
        raise ValueError(f"sigma_nsq must be a positive finite number, got {sigma_nsq!r}")
    return float(sigma_nsq)


def _grey(a: NDArray, quantize: bool) -> NDArray[np.float64]:
    return convert_color(a, "rgb2gray", quantize=quantize)


def vif_information(
    ref: ArrayLike, dist: ArrayLike, *, quantize: bool | None = None, sigma_nsq: float = SIGMA_NSQ
) -> tuple[float, float]:
    """Distorted and reference image information ``(num, den)`` of VIF (paper eq. 14; module docstring).

    Parameters
    ----------
    ref, dist : array_like, (H, W) or (H, W, 3)
        Pictures on 0..255 (``uint8`` or float).
    quantize : bool or None
        Round the ``rgb2gray`` luma (None: when both are ``uint8``, as MATLAB does).
    sigma_nsq : float
        Visual noise variance.

    Returns
    -------
    (float, float)
        ``sum_j I(C; F | s)`` and ``sum_j I(C; E | s)`` in bits.

    Raises
    ------
    ValueError
        Shapes that differ, NaN / inf, a picture too small for the pyramid, or a reference whose
        block covariance is singular in a subband (a flat picture).
    """
    a, b = np.asarray(ref), np.asarray(dist)
    if a.shape != b.shape:
        raise ValueError(f"ref and dist must have the same shape, got ref {a.shape} and dist {b.shape}")
    sigma_nsq = _check_sigma(sigma_nsq)
    q = (a.dtype == np.uint8 and b.dtype == np.uint8) if quantize is None else bool(quantize)
    return _information(_reference(_grey(a, q)), _grey(b, q), sigma_nsq)


def vif_reference(
    ref: ArrayLike, *, quantize: bool | None = None, sigma_nsq: float = SIGMA_NSQ
) -> Callable[[ArrayLike], float]:
    """``dist -> vif(ref, dist)`` with the reference's pyramid and GSM fit computed once (lazily).

    Parameters
    ----------
    ref : array_like, (H, W) or (H, W, 3)
        The reference.
    quantize, sigma_nsq
        As in :func:`vif` (``quantize=None`` rounds when ``ref`` and the version are ``uint8``).

    Returns
    -------
    callable
        Raises ``ValueError`` as :func:`vif` does, e.g. for a version of another shape.
    """
    a = np.asarray(ref)
    sigma_nsq = _check_sigma(sigma_nsq)
    cache: dict[bool, _Reference] = {}

    def score(dist: ArrayLike) -> float:
        b = np.asarray(dist)
        if b.shape != a.shape:
            raise ValueError(f"ref and dist must have the same shape, got ref {a.shape} and dist {b.shape}")
        q = (a.dtype == np.uint8 and b.dtype == np.uint8) if quantize is None else bool(quantize)
        if q not in cache:
            cache[q] = _reference(_grey(a, q))
        return _ratio(*_information(cache[q], _grey(b, q), sigma_nsq))

    return score


def vif_batch(
    ref: ArrayLike, dists: Sequence[ArrayLike], *, quantize: bool | None = None, sigma_nsq: float = SIGMA_NSQ
) -> NDArray[np.float64]:
    """VIF of several versions of one reference (:func:`vif_reference`: the reference side once).

    Parameters
    ----------
    ref : array_like, (H, W) or (H, W, 3)
        The reference.
    dists : sequence of array_like
        Versions, each of ``ref``'s shape.
    quantize, sigma_nsq
        As in :func:`vif`.

    Returns
    -------
    ndarray of float64, shape (len(dists),)
        ``vif(ref, d)`` for each ``d``.

    Raises
    ------
    ValueError
        As :func:`vif`, naming the index of a version of the wrong shape.
    """
    score = vif_reference(ref, quantize=quantize, sigma_nsq=sigma_nsq)
    out = np.empty(len(dists))
    for i, d in enumerate(dists):
        if np.shape(d) != np.shape(ref):
            raise ValueError(f"dists[{i}] has shape {np.shape(d)}; expected ref's shape {np.shape(ref)}")
        out[i] = score(d)
    return out


def _ratio(num: float, den: float) -> float:
    if not den > 0:
        raise ValueError("ref carries no information in VIF's subbands (a flat picture); VIF is undefined")
    return num / den


def vif(ref: ArrayLike, dist: ArrayLike, *, quantize: bool | None = None, sigma_nsq: float = SIGMA_NSQ) -> float:
    """VIF of ``dist`` against ``ref`` (Sheikh & Bovik 2006, eq. 14; ``vifvec.m``): ``num / den``.

    Parameters
    ----------
    ref, dist : array_like, (H, W) or (H, W, 3)
        Pictures on 0..255; the 4-level pyramid needs ``min(H, W) >= 72``.
    quantize : bool or None
        As in :func:`vif_information`.
    sigma_nsq : float
        Visual noise variance (0.4).

    Returns
    -------
    float
        1 for identical pictures, lower for information loss, above 1 for contrast enhancement.

    Raises
    ------
    ValueError
        See :func:`vif_information`; also a reference without information (a flat picture:
        singular block covariance, or ``den = 0``).
    """
    return _ratio(*vif_information(ref, dist, quantize=quantize, sigma_nsq=sigma_nsq))
