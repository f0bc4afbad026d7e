"""Classic no-reference picture quality baselines of seed 003 (Tables 2-7): BRISQUE and NIQE.

Both are built on the statistics of mean-subtracted contrast-normalised (MSCN) luminance
coefficients (:func:`mscn`; Mittal et al. 2012, eqs. 1-3; Mittal et al. 2013, eqs. 1-3):
``I_hat = (I - mu) / (sigma + C)`` with ``mu`` and ``sigma`` the local mean and standard
deviation under a 7 x 7 Gaussian window (sigma = 7/6, unit sum). The distributions of the MSCN
coefficients and of the products of adjacent coefficients (horizontal, vertical, main and
secondary diagonal; BRISQUE eqs. 6-9) are summarised by moment-matching fits of a generalised
Gaussian (:func:`ggd_fit`, BRISQUE eqs. 4-5) or an asymmetric generalised Gaussian
(:func:`aggd_fit`, BRISQUE eqs. 10-12, NIQE eqs. 7-8), on two scales (the picture and its half-size
version): 18 numbers per scale, 36 per picture (BRISQUE) or per block (NIQE).

**BRISQUE** (Mittal, Moorthy and Bovik, "No-reference image quality assessment in the spatial
domain", IEEE TIP 21(12), 2012). The reference implementation this module matches is the
``brisque`` package on PyPI (0.2.0, Apache-2.0, a port of the LIVE release that ships an
epsilon-SVR trained on LIVE IQA; the same model files as ``image-quality`` 1.2.7). Its
conventions, which :func:`brisque_features` reproduces (tested equal on the TID2013 calibration
pictures):

- grey = ``skimage.color.rgb2gray`` (Rec. 709 luma ``0.2125 R + 0.7154 G + 0.0721 B``) of the
  picture on ``[0, 1]``, not rounded; ``C = 1 / 255``;
- local mean / variance by ``scipy.signal.convolve2d(..., 'same')``: zero padding;
  ``sigma = sqrt(|mu^2 - E[I^2]|)``;
- the MSCN coefficients are fitted with the AGGD too (not the GGD of the paper): features
  ``alpha`` and ``(sigma_l^2 + sigma_r^2) / 2``; the four products are taken without wrap-around
  (slices); each AGGD gives ``alpha, eta, sigma_l^2, sigma_r^2``; zeros count on the right side;
- ``alpha`` is the exact root of the moment equation (``scipy.optimize.root`` there, Newton
  here), not a 0.001 grid;
- the second scale is ``cv2.resize(grey, fx=0.5, fy=0.5, interpolation=INTER_CUBIC)`` (no
  antialiasing);
- the score: features min-max scaled to ``[-1, 1]`` with the shipped ranges, then the shipped RBF
  epsilon-SVR (``gamma = 0.05``, 770 support vectors, ``C = 1024``): lower is better.

The official MATLAB values differ (see the README, "BRISQUE and NIQE vs MATLAB"): the LIVE release
``brisquescore.m`` uses MATLAB ``rgb2gray`` (rounded), the GGD fit of the MSCN coefficients,
``circshift`` products, a 0.001 grid for ``alpha``, ``imresize`` (bicubic, antialiased) and its
own SVR ``allmodel`` / ranges ``allrange`` (not shipped by any package); MATLAB's own ``brisque``
(Image Processing Toolbox) uses yet another model. The test records those gaps and asserts the
rank agreement only.

:func:`fit_brisque` trains the SVR of the paper's protocol on one's own training split
(seed 003, section 4.1: "we also trained and tested BRISQUE"): scikit-learn ``SVR`` with an RBF
kernel on standardised features and a standardised target (hyper-parameters in its docstring),
optionally a seeded grid search.

**NIQE** (Mittal, Soundararajan and Bovik, "Making a 'completely blind' image quality analyzer",
IEEE SPL 20(3), 2013), as the LIVE release ``niqe.m`` / ``computequality.m`` /
``estimatemodelparam.m`` computes it (:func:`niqe`, :func:`niqe_features`, :func:`fit_niqe_model`):
MATLAB ``rgb2gray`` of the picture (rounded on ``uint8`` input) on ``[0, 255]``, cropped to whole
96 x 96 blocks; MSCN with ``imfilter(..., 'replicate')`` and ``C = 1``; per block the AGGD of the
MSCN coefficients (``alpha, (beta_l + beta_r) / 2``) and of the four ``circshift`` products inside
the block (``alpha, eta, beta_l, beta_r``), ``alpha`` on MATLAB's grid ``0.2:0.001:10``, zeros
excluded from both sides; the second scale is MATLAB ``imresize(im, 0.5)`` (bicubic, antialiased:
:func:`imresize_half_matlab`) with 48 x 48 blocks. The picture's blocks give a multivariate
Gaussian (``nanmean``, ``nancov``) and the quality is the distance of eq. 10,
``D = sqrt((nu_1 - nu_2)^T ((Sigma_1 + Sigma_2) / 2)^+ (nu_1 - nu_2))`` (pseudo-inverse).
Pristine models are fitted on the sharpest blocks of pristine pictures: blocks whose mean local
standard deviation ``sigma`` exceeds ``0.75`` times the picture's maximum (the paper's patch
selection, ``estimatemodelparam.m``'s ``sh_th``).

:func:`load_niqe_model` returns the LIVE release's pristine model (``modelparameters.mat``: 125
pristine pictures), as shipped by BasicSR 1.4.2 (Apache-2.0) in
``basicsr/metrics/niqe_pris_params.npz``; that file is copied unchanged into
``saliqa/models/data/`` with its notices (``NOTICE-niqe.md``, ``LICENSE-basicsr.txt``). With it
:func:`niqe` reproduces the LIVE MATLAB values of the TID2013 calibration set (the ``niqe`` row
of ``results_official.csv``). MATLAB's own ``niqe`` (Image Processing Toolbox, the
``niqe_matlab`` row) uses a different default model that no package ships.

Input conventions (every public function): an image is a numpy array, grey ``(H, W)`` or RGB
``(H, W, 3)``; ``uint8`` images are on ``[0, 255]``; float images need an explicit
``data_range`` (``1.0`` or ``255.0``: no guessing). Bad input raises ``ValueError`` naming the
problem (shape, dtype, NaN, constant picture, picture too small for one block).
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import signal, special

from saliqa.metrics.fidelity import convert_color

__all__ = [
    "AGGDParams",
    "BRISQUE_FEATURE_NAMES",
    "BrisqueModel",
    "BrisqueSVR",
    "NIQEFeatures",
    "NIQEModel",
    "NIQE_PRISTINE_SHA256",
    "REC709_LUMA",
    "aggd_fit",
    "brisque_features",
    "brisque_score",
    "fit_brisque",
    "fit_niqe_model",
    "ggd_fit",
    "gaussian_kernel_1d",
    "imresize_half_matlab",
    "imresize_matlab",
    "load_brisque_model",
    "load_niqe_model",
    "mscn",
    "niqe",
    "niqe_features",
    "to_grey",
]

#: ``skimage.color.rgb2gray`` weights (ITU-R BT.709 luma), used by the ``brisque`` package.
REC709_LUMA: tuple[float, float, float] = (0.2125, 0.7154, 0.0721)

#: The 36 BRISQUE features in order: per scale (1 = picture, 2 = half size) the MSCN shape and
#: variance, then shape, mean (eta), left and right variance of the H, V, D1, D2 products.
BRISQUE_FEATURE_NAMES: tuple[str, ...] = tuple(
    f"s{s}_{name}"
    for s in (1, 2)
    for name in (
        "mscn_alpha",
        "mscn_var",
        *(f"{o}_{p}" for o in ("h", "v", "d1", "d2") for p in ("alpha", "eta", "var_l", "var_r")),
    )
)

#: sha256 of the copied BasicSR ``niqe_pris_params.npz`` (the LIVE pristine model).
NIQE_PRISTINE_SHA256 = "2a7c182a68c9e7f1b2e2e5ec723279d6f65d912b6fcaf37eb2bf03d7367c4296"

_DATA_DIR = Path(__file__).resolve().parent / "data"
_NIQE_PARAMS = _DATA_DIR / "niqe_pris_params.npz"

Solver = Literal["grid", "root"]

# MATLAB's grid gam = 0.2:0.001:10 of estimateggdparam.m / estimateaggdparam.m (9801 values)
_GRID = 0.2 + 0.001 * np.arange(9801)


# --------------------------------------------------------------------------- input handling


def _check_image(image: ArrayLike, name: str = "image") -> NDArray:
    arr = np.asarray(image)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"{name} must be a numeric (uint8 or float) array, got dtype {arr.dtype}")
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise ValueError(f"{name} must be grey (H, W) or RGB (H, W, 3), got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _resolve_range(arr: NDArray, data_range: float | None, name: str) -> float:
    if data_range is None:
        if arr.dtype == np.uint8:
            return 255.0
        raise ValueError(
            f"{name} has dtype {arr.dtype}: pass data_range explicitly (1.0 for [0, 1] floats, 255.0 for 0..255)"
        )
    if not (np.isfinite(data_range) and data_range > 0):
        raise ValueError(f"data_range must be a positive finite number, got {data_range!r}")
    return float(data_range)


def to_grey(
    image: ArrayLike,
    *,
    luma: Literal["rec709", "rgb2gray"] = "rgb2gray",
    data_range: float | None = None,
    quantize: bool | None = None,
    out_range: float = 255.0,
) -> NDArray[np.float64]:
    """Luminance of a picture on ``[0, out_range]`` (float64), the input of BRISQUE and NIQE.

    Parameters
    ----------
    image : array_like, (H, W) or (H, W, 3)
        Grey or RGB picture on ``[0, data_range]``. A grey picture is used as it is.
    luma : {"rgb2gray", "rec709"}
        ``"rgb2gray"``: MATLAB ``rgb2gray`` (:data:`saliqa.metrics.fidelity.RGB2GRAY_WEIGHTS`,
        the LIVE MATLAB releases); ``"rec709"``: ``skimage.color.rgb2gray``
        (:data:`REC709_LUMA`, the ``brisque`` package).
    data_range : float or None
        Peak value of the input scale; ``None`` only for ``uint8`` input (255).
    quantize : bool or None
        Round the luma of an RGB picture to the 8-bit grid (halves away from zero), as MATLAB's
        ``rgb2gray`` does on ``uint8`` input. ``None``: round when the input is ``uint8`` and
        ``luma="rgb2gray"``.
    out_range : float
        Peak value of the output scale (255 for NIQE, 1 for the ``brisque`` package).

    Returns
    -------
    numpy.ndarray
        (H, W) float64.
    """
    arr = _check_image(image)
    rng = _resolve_range(arr, data_range, "image")
    if quantize is None:
        quantize = arr.dtype == np.uint8 and luma == "rgb2gray"
    if luma not in ("rgb2gray", "rec709"):
        raise ValueError(f"luma must be 'rgb2gray' or 'rec709', got {luma!r}")
    x = arr.astype(np.float64)
    if luma == "rec709":
        # skimage's order of operations (img_as_float multiplies by 1/255, then rgb @ coeffs), so
        # that the grey picture is bit-identical to the brisque package's
        x = x * (1.0 / rng)
        if x.ndim == 3:
            x = x @ np.asarray(REC709_LUMA)
            if quantize:
                x = np.clip(np.floor(x * 255.0 + 0.5) / 255.0, 0.0, 1.0)
        return x * out_range if out_range != 1.0 else x
    if x.ndim == 3:
        x = convert_color(x, "rgb2gray", data_range=rng, quantize=bool(quantize))
    return x * (out_range / rng) if out_range != rng else x


# --------------------------------------------------------------------------- MSCN


def gaussian_kernel_1d(size: int = 7, sigma: float = 7.0 / 6.0) -> NDArray[np.float64]:
    """1-D factor ``g`` of the unit-sum Gaussian window ``outer(g, g)`` (``fspecial('gaussian')``).

    Parameters
    ----------
    size : int
        Odd window width (7 in BRISQUE and NIQE).
    sigma : float
        Standard deviation in pixels (7/6).

    Returns
    -------
    numpy.ndarray
        (size,) float64 summing to one.
    """
    if size < 1 or size % 2 != 1:
        raise ValueError(f"size must be a positive odd integer, got {size}")
    x = np.arange(size) - size // 2
    g = np.exp(-(x**2) / (2.0 * sigma**2))
    return g / g.sum()


_BORDERS = {"replicate": cv2.BORDER_REPLICATE, "zero": cv2.BORDER_CONSTANT}


def _constant_windows(grey: NDArray[np.float64], size: int, padding: str) -> NDArray[np.bool_]:
    """Pixels whose whole ``size`` x ``size`` window (padding included) holds one value."""
    k = np.ones((size, size), np.uint8)
    border = _BORDERS[padding]
    hi = cv2.dilate(grey, k, borderType=border, borderValue=0.0)
    lo = cv2.erode(grey, k, borderType=border, borderValue=0.0)
    return hi == lo


def _mscn_maps(
    grey: NDArray[np.float64], kernel: NDArray[np.float64], c: float, padding: str, flat: str = "zero"
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """MSCN map and local std by separable OpenCV filtering (float64)."""
    border = _BORDERS[padding]
    mu = cv2.sepFilter2D(grey, cv2.CV_64F, kernel, kernel, borderType=border)
    ex2 = cv2.sepFilter2D(grey * grey, cv2.CV_64F, kernel, kernel, borderType=border)
    sigma = np.sqrt(np.abs(ex2 - mu * mu))
    out = (grey - mu) / (sigma + c)
    if flat == "zero":
        const = _constant_windows(grey, kernel.shape[0], padding)
        out[const] = 0.0
        sigma[const] = 0.0
    return out, sigma


def _mscn_brisque_package(grey: NDArray[np.float64], c: float = 1.0 / 255.0) -> NDArray[np.float64]:
    """MSCN exactly as the ``brisque`` package computes it (``convolve2d(..., 'same')``, its 2-D kernel).

    Same arithmetic, so the same rounding noise where a whole window is constant (there the exact
    value is 0 and the sign of the noise decides the AGGD side a coefficient counts on).
    """
    yy, xx = np.indices((7, 7)) - 3
    s = 7.0 / 6.0
    k = 1 / (2 * np.pi * s**2) * np.exp(-(xx**2 + yy**2) / (2 * s**2))
    k = k / np.sum(k)
    mu = signal.convolve2d(grey, k, "same")
    sigma = np.sqrt(np.abs(mu**2 - signal.convolve2d(grey**2, k, "same")))
    return (grey - mu) / (sigma + c)


def mscn(
    grey: ArrayLike,
    *,
    c: float = 1.0,
    padding: Literal["replicate", "zero"] = "replicate",
    kernel_size: int = 7,
    sigma: float = 7.0 / 6.0,
    flat: Literal["zero", "float"] = "zero",
    return_sigma: bool = False,
) -> NDArray[np.float64] | tuple[NDArray[np.float64], NDArray[np.float64]]:
    """MSCN coefficients ``(I - mu) / (sigma + C)`` (BRISQUE eqs. 1-3; NIQE eqs. 1-3).

    ``mu = w * I`` and ``sigma = sqrt(|w * I^2 - mu^2|)`` with ``w`` the unit-sum
    ``kernel_size`` x ``kernel_size`` Gaussian window (:func:`gaussian_kernel_1d`), 'same' size,
    by separable filtering.

    Parameters
    ----------
    grey : array_like, (H, W)
        Luminance (float); ``C`` is on its scale.
    c : float
        The stabilising constant ``C``: 1 on the 0..255 scale (LIVE MATLAB), ``1/255`` on
        ``[0, 1]`` (the ``brisque`` package): the same normalisation.
    padding : {"replicate", "zero"}
        Border handling of the local statistics: ``imfilter(..., 'replicate')`` (NIQE) or zero
        padding (``filter2`` / ``convolve2d(..., 'same')``; the ``brisque`` package).
    kernel_size, sigma : int, float
        The Gaussian window (7, 7/6).
    flat : {"zero", "float"}
        Where the whole window (padding included) is constant the exact result is
        ``mu = I``, ``sigma = 0``, MSCN = 0, but floating-point filtering leaves a rounding noise
        of about 1e-14 whose sign depends on the implementation (MATLAB's, OpenCV's, SciPy's
        differ). ``"zero"``: set those coefficients (and ``sigma``) to exactly 0 (default);
        ``"float"``: keep the floating-point result.
    return_sigma : bool
        Also return the local standard deviation map ``sigma`` (NIQE's sharpness).

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, numpy.ndarray)
        (H, W) float64 MSCN map (and ``sigma``).
    """
    arr = np.asarray(grey, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"grey must be a 2-D (H, W) array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("grey contains NaN or infinite values")
    if padding not in _BORDERS:
        raise ValueError(f"padding must be 'replicate' or 'zero', got {padding!r}")
    if flat not in ("zero", "float"):
        raise ValueError(f"flat must be 'zero' or 'float', got {flat!r}")
    if not c > 0:
        raise ValueError(f"c must be positive, got {c!r}")
    out, sig = _mscn_maps(arr, gaussian_kernel_1d(kernel_size, sigma), float(c), padding, flat)
    return (out, sig) if return_sigma else out


# --------------------------------------------------------------------------- GGD / AGGD fits


def _log_phi(alpha: NDArray[np.float64]) -> NDArray[np.float64]:
    """``log(Gamma(2/a)^2 / (Gamma(1/a) Gamma(3/a)))``: the moment ratio ``E|x|^2 / E[x^2]``."""
    return 2.0 * special.gammaln(2.0 / alpha) - special.gammaln(1.0 / alpha) - special.gammaln(3.0 / alpha)


_GRID_PHI = np.exp(_log_phi(_GRID))  # increasing in alpha
_GRID_RHO = 1.0 / _GRID_PHI  # MATLAB's GGD r_gam, decreasing


def _nearest_on_grid(table: NDArray[np.float64], target: NDArray[np.float64], increasing: bool) -> NDArray[np.float64]:
    """``gam(argmin |table - target|)`` for a monotonic table (first index on ties, as MATLAB)."""
    t = np.asarray(target, dtype=np.float64)
    tab = table if increasing else table[::-1]
    pos = np.clip(np.searchsorted(tab, t), 1, len(tab) - 1)
    lo, hi = tab[pos - 1], tab[pos]
    pick = np.where(np.abs(t - lo) <= np.abs(hi - t), pos - 1, pos)
    if not increasing:  # back to the original index; ties go to the lower original index
        idx = len(tab) - 1 - pick
        other = len(tab) - 1 - np.where(pick == pos - 1, pos, pos - 1)
        tie = np.abs(table[idx] - t) == np.abs(table[other] - t)
        idx = np.where(tie, np.minimum(idx, other), idx)
    else:
        idx = pick
    out = _GRID[idx]
    return np.where(np.isfinite(t), out, np.nan)


def _solve_alpha(ratio: NDArray[np.float64], solver: Solver, table: str) -> NDArray[np.float64]:
    """Shape ``alpha`` with ``phi(alpha) = ratio`` (Newton from the grid) or MATLAB's grid value."""
    ratio = np.asarray(ratio, dtype=np.float64)
    if solver == "grid":
        if table == "ggd":  # estimateggdparam.m: min |rho - r_gam|, r_gam = 1 / phi
            return _nearest_on_grid(_GRID_RHO, 1.0 / ratio, increasing=False)
        return _nearest_on_grid(_GRID_PHI, ratio, increasing=True)
    if solver != "root":
        raise ValueError(f"solver must be 'grid' or 'root', got {solver!r}")
    valid = np.isfinite(ratio) & (ratio > 0) & (ratio < 0.75)  # phi spans (0, 3/4)
    r = np.where(valid, ratio, 0.5)
    alpha = _nearest_on_grid(_GRID_PHI, r, increasing=True)
    target = np.log(r)
    for _ in range(60):
        g = _log_phi(alpha) - target
        inv = 1.0 / alpha
        dg = (-4.0 * special.digamma(2.0 * inv) + special.digamma(inv) + 3.0 * special.digamma(3.0 * inv)) * inv**2
        step = g / dg
        new = alpha - step
        new = np.where(new > 0, new, alpha / 2.0)
        done = np.abs(new - alpha) <= 4 * np.finfo(float).eps * alpha
        alpha = new
        if np.all(done):
            break
    return np.where(valid, alpha, np.nan)


def _flatten(samples: ArrayLike) -> NDArray[np.float64]:
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"samples must have at least one value along the last axis, got shape {x.shape}")
    return x


def ggd_fit(samples: ArrayLike, *, solver: Solver = "grid") -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Zero-mean generalised Gaussian fit by moment matching (BRISQUE eqs. 4-5).

    ``f(x; alpha, sigma^2) = alpha / (2 beta Gamma(1/alpha)) exp(-(|x| / beta)^alpha)``,
    ``beta = sigma sqrt(Gamma(1/alpha) / Gamma(3/alpha))``. With ``sigma^2 = E[x^2]`` and
    ``rho = sigma^2 / E[|x|]^2``, ``alpha`` solves ``Gamma(1/a) Gamma(3/a) / Gamma(2/a)^2 = rho``
    (Sharifi and Leon-Garcia 1995; ``estimateggdparam.m``).

    Parameters
    ----------
    samples : array_like, (..., n)
        Fitted along the last axis; leading axes are a batch.
    solver : {"grid", "root"}
        ``"grid"``: the value of MATLAB's grid ``0.2:0.001:10`` nearest in ``rho`` (the LIVE
        release); ``"root"``: the exact root (Newton's method from the grid value).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``alpha`` and ``sigma^2`` with the batch shape. All-zero samples give NaN.
    """
    x = _flatten(samples)
    sigma_sq = np.mean(x * x, axis=-1)
    e_abs = np.mean(np.abs(x), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = e_abs**2 / sigma_sq
    return _solve_alpha(ratio, solver, "ggd"), sigma_sq


class AGGDParams(NamedTuple):
    """Asymmetric generalised Gaussian parameters (arrays with the batch shape).

    ``sigma_l`` / ``sigma_r`` are the one-sided root mean squares (the LIVE code's ``leftstd`` /
    ``rightstd``); ``beta_l`` / ``beta_r = sigma sqrt(Gamma(1/alpha) / Gamma(3/alpha))`` the
    scale parameters of BRISQUE eq. 10; ``eta`` the mean (BRISQUE eq. 12, NIQE eq. 8).
    """

    alpha: NDArray[np.float64]
    sigma_l: NDArray[np.float64]
    sigma_r: NDArray[np.float64]
    beta_l: NDArray[np.float64]
    beta_r: NDArray[np.float64]
    eta: NDArray[np.float64]


def aggd_fit(
    samples: ArrayLike, *, solver: Solver = "grid", zeros: Literal["exclude", "right"] = "exclude"
) -> AGGDParams:
    """Asymmetric generalised Gaussian fit by moment matching (BRISQUE eqs. 10-12; NIQE eqs. 7-8).

    ``f(x) = alpha / ((beta_l + beta_r) Gamma(1/alpha)) exp(-(-x / beta_l)^alpha)`` for ``x < 0``
    and ``exp(-(x / beta_r)^alpha)`` for ``x >= 0``. Estimates (Lasmar et al. 2009;
    ``estimateaggdparam.m``): ``gamma_hat = sigma_l / sigma_r``, ``r_hat = E[|x|]^2 / E[x^2]``,
    ``R_hat = r_hat (gamma_hat^3 + 1)(gamma_hat + 1) / (gamma_hat^2 + 1)^2`` and ``alpha`` solves
    ``Gamma(2/a)^2 / (Gamma(1/a) Gamma(3/a)) = R_hat``; ``eta = (beta_r - beta_l)
    Gamma(2/alpha) / Gamma(1/alpha)``.

    Parameters
    ----------
    samples : array_like, (..., n)
        Fitted along the last axis; leading axes are a batch (e.g. blocks x orientations).
    solver : {"grid", "root"}
        MATLAB's grid ``0.2:0.001:10`` (nearest in ``R_hat``; LIVE releases, NIQE) or the exact
        root (the ``brisque`` package's ``scipy.optimize.root``).
    zeros : {"exclude", "right"}
        Where exact zeros go in the one-sided means: nowhere (``x > 0`` on the right, LIVE
        MATLAB) or on the right (``x >= 0``, the ``brisque`` package).

    Returns
    -------
    AGGDParams
        A side without samples gives NaN (MATLAB's 0/0), as does an all-zero batch entry.
    """
    x = _flatten(samples)
    if zeros not in ("exclude", "right"):
        raise ValueError(f"zeros must be 'exclude' or 'right', got {zeros!r}")
    sq = x * x
    left = x < 0
    right = x > 0 if zeros == "exclude" else x >= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma_l = np.sqrt(np.sum(sq * left, axis=-1) / np.sum(left, axis=-1))
        sigma_r = np.sqrt(np.sum(sq * right, axis=-1) / np.sum(right, axis=-1))
        g = sigma_l / sigma_r
        r_hat = np.mean(np.abs(x), axis=-1) ** 2 / np.mean(sq, axis=-1)
        big_r = r_hat * (g**3 + 1) * (g + 1) / (g**2 + 1) ** 2
    alpha = _solve_alpha(big_r, solver, "aggd")
    scale = np.exp(0.5 * (special.gammaln(1.0 / alpha) - special.gammaln(3.0 / alpha)))
    beta_l, beta_r = sigma_l * scale, sigma_r * scale
    eta = (beta_r - beta_l) * np.exp(special.gammaln(2.0 / alpha) - special.gammaln(1.0 / alpha))
    return AGGDParams(alpha, sigma_l, sigma_r, beta_l, beta_r, eta)


# --------------------------------------------------------------------------- MATLAB imresize


def _cubic(x: NDArray[np.float64]) -> NDArray[np.float64]:
    ax = np.abs(x)
    ax2, ax3 = ax**2, ax**3
    return (1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1) + (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2))


def _imresize_matrix(in_len: int, out_len: int, scale: float) -> NDArray[np.float64]:
    """MATLAB ``imresize`` 'bicubic' weights along one axis as an (out_len, in_len) matrix."""
    width = 4.0
    if scale < 1:  # antialiasing: the kernel stretched by 1 / scale
        width /= scale

        def kern(t: NDArray[np.float64]) -> NDArray[np.float64]:
            return scale * _cubic(scale * t)
    else:
        kern = _cubic
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - width / 2)
    taps = int(math.ceil(width)) + 2
    idx = left[:, None] + np.arange(taps)[None, :]
    w = kern(u[:, None] - idx)
    w /= w.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(in_len), np.arange(in_len - 1, -1, -1)])  # symmetric, 0-based
    cols = mirror[np.mod(idx.astype(np.int64) - 1, 2 * in_len)]
    out = np.zeros((out_len, in_len))
    np.add.at(out, (np.repeat(np.arange(out_len), taps), cols.ravel()), w.ravel())
    return out


def imresize_matlab(image: ArrayLike, scale: float) -> NDArray[np.float64]:
    """MATLAB ``imresize(image, scale)`` with its defaults: bicubic (a = -0.5), antialiased.

    Output size ``ceil(scale * (H, W))``; kernel ``scale * cubic(scale * x)`` over
    ``4 / scale`` taps when shrinking, weights normalised per output pixel, symmetric borders;
    double in, double out (no rounding).

    Parameters
    ----------
    image : array_like, (H, W) or (N, H, W)
        Float image(s); a leading axis is a batch.
    scale : float
        Positive scale factor.

    Returns
    -------
    numpy.ndarray
        float64, ``(..., ceil(scale H), ceil(scale W))``.
    """
    x = np.asarray(image, dtype=np.float64)
    if x.ndim not in (2, 3):
        raise ValueError(f"image must be (H, W) or (N, H, W), got shape {x.shape}")
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    h, w = x.shape[-2:]
    out_h, out_w = math.ceil(scale * h), math.ceil(scale * w)
    rows = _imresize_matrix(h, out_h, scale)
    cols = _imresize_matrix(w, out_w, scale)
    return np.matmul(np.matmul(rows, x), cols.T)


def imresize_half_matlab(image: ArrayLike) -> NDArray[np.float64]:
    """MATLAB ``imresize(image, 0.5)`` (bicubic, antialiased): :func:`imresize_matlab` at 0.5."""
    return imresize_matlab(image, 0.5)


# --------------------------------------------------------------------------- BRISQUE


def _as_image_list(images: ArrayLike | Sequence[ArrayLike]) -> list[NDArray]:
    """A sequence of images, or an array whose first axis is the batch ((N, H, W) or (N, H, W, 3))."""
    if isinstance(images, np.ndarray):
        if images.ndim not in (3, 4):
            raise ValueError(
                f"images as one array must be (N, H, W) or (N, H, W, 3), got shape {images.shape}; "
                "wrap a single picture in a list"
            )
        return list(images)
    seq = list(images)  # type: ignore[arg-type]
    if not seq:
        raise ValueError("images is empty")
    return [np.asarray(im) for im in seq]


def _brisque_scale_features(grey: NDArray[np.float64], filtering: str) -> NDArray[np.float64]:
    """18 features of one scale, in the ``brisque`` package's conventions."""
    if filtering == "reference":
        m = _mscn_brisque_package(grey)
    else:
        m, _ = _mscn_maps(grey, gaussian_kernel_1d(7, 7.0 / 6.0), 1.0 / 255.0, "zero", "zero")
    if not np.any(m):
        raise ValueError("the picture is constant (all MSCN coefficients are zero): BRISQUE is undefined")
    feats = []
    fit = aggd_fit(m.ravel(), solver="root", zeros="right")
    feats += [fit.alpha, (fit.sigma_l**2 + fit.sigma_r**2) / 2]
    products = (
        m[:, :-1] * m[:, 1:],  # horizontal
        m[:-1, :] * m[1:, :],  # vertical
        m[:-1, :-1] * m[1:, 1:],  # main diagonal
        m[1:, :-1] * m[:-1, 1:],  # secondary diagonal
    )
    for p in products:
        fit = aggd_fit(p.ravel(), solver="root", zeros="right")
        feats += [fit.alpha, fit.eta, fit.sigma_l**2, fit.sigma_r**2]
    return np.array(feats, dtype=np.float64)


_BRISQUE_MIN_SIDE = 8


def brisque_features(
    images: ArrayLike | Sequence[ArrayLike],
    *,
    data_range: float | None = None,
    luma: Literal["rec709", "rgb2gray"] = "rec709",
    filtering: Literal["reference", "fast"] = "reference",
) -> NDArray[np.float64]:
    """The 36 BRISQUE features of each picture (Mittal et al. 2012, Table I), ``brisque`` package conventions.

    Per scale (the picture, then ``cv2.resize`` to half size, bicubic): the AGGD shape and
    ``(sigma_l^2 + sigma_r^2) / 2`` of the MSCN coefficients (eqs. 1-3, zero padding,
    ``C = 1/255`` on ``[0, 1]``), then for the horizontal, vertical, main- and secondary-diagonal
    products (eqs. 6-9) the AGGD ``alpha, eta, sigma_l^2, sigma_r^2`` (eqs. 10-12), ``alpha`` the
    exact root. Names in :data:`BRISQUE_FEATURE_NAMES`. The fits are vectorised reductions (no
    per-pixel Python loop).

    Parameters
    ----------
    images : sequence of array_like, or ndarray (N, H, W) / (N, H, W, 3)
        Pictures, grey or RGB, any sizes (at least 8 x 8). Wrap a single picture in a list.
    data_range : float or None
        Peak value of the input scale; ``None`` only for ``uint8`` pictures (255).
    luma : {"rec709", "rgb2gray"}
        RGB to grey: ``skimage.color.rgb2gray`` (the package, default) or MATLAB ``rgb2gray``
        (unrounded). Grey pictures are used as they are (the package itself rejects them).
    filtering : {"reference", "fast"}
        ``"reference"``: the local statistics by ``scipy.signal.convolve2d`` with the package's
        2-D kernel, the package's own arithmetic (features equal to it to about 1e-12, also on
        pictures with constant 7 x 7 windows, where the MSCN value is rounding noise);
        ``"fast"``: separable OpenCV filtering with those coefficients set to exactly 0 (about 4x
        faster; equal to ``"reference"`` on pictures without constant windows, see
        :func:`mscn`'s ``flat``).

    Returns
    -------
    numpy.ndarray
        (N, 36) float64.
    """
    if filtering not in ("reference", "fast"):
        raise ValueError(f"filtering must be 'reference' or 'fast', got {filtering!r}")
    out = []
    for i, im in enumerate(_as_image_list(images)):
        arr = _check_image(im, f"images[{i}]")
        if min(arr.shape[:2]) < _BRISQUE_MIN_SIDE:
            raise ValueError(f"images[{i}] is {arr.shape[:2]}: BRISQUE needs at least {_BRISQUE_MIN_SIDE} x 8 pixels")
        grey = to_grey(arr, luma=luma, data_range=data_range, quantize=False, out_range=1.0)
        if np.ptp(grey) == 0:
            raise ValueError(f"images[{i}] is constant: BRISQUE is undefined (its MSCN statistics are the border's)")
        half = cv2.resize(grey, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_CUBIC)
        try:
            feats = [_brisque_scale_features(g, filtering) for g in (grey, half)]
        except ValueError as err:
            raise ValueError(f"images[{i}]: {err}") from None
        out.append(np.concatenate(feats))
    return np.stack(out)


@dataclass(frozen=True)
class BrisqueModel:
    """An RBF epsilon-SVR over min-max scaled BRISQUE features (the LIBSVM model format).

    ``predict(x) = sum_i coef_i exp(-gamma ||s(x) - sv_i||^2) - rho`` with
    ``s(x) = -1 + 2 (x - feature_min) / (feature_max - feature_min)``.
    """

    support_vectors: NDArray[np.float64]
    dual_coef: NDArray[np.float64]
    rho: float
    gamma: float
    feature_min: NDArray[np.float64]
    feature_max: NDArray[np.float64]
    source: str = ""

    def scale(self, features: ArrayLike) -> NDArray[np.float64]:
        """Features min-max scaled to ``[-1, 1]`` with the model's ranges."""
        x = np.atleast_2d(np.asarray(features, dtype=np.float64))
        if x.shape[1] != self.feature_min.shape[0]:
            raise ValueError(f"features must have {self.feature_min.shape[0]} columns, got {x.shape[1]}")
        return -1.0 + 2.0 * (x - self.feature_min) / (self.feature_max - self.feature_min)

    def predict(self, features: ArrayLike) -> NDArray[np.float64]:
        """Quality scores of (N, 36) features (lower is better for the shipped LIVE model)."""
        s = self.scale(features)
        d2 = (
            np.sum(s * s, axis=1)[:, None]
            + np.sum(self.support_vectors**2, axis=1)[None, :]
            - 2.0 * s @ self.support_vectors.T
        )
        return np.exp(-self.gamma * np.maximum(d2, 0.0)) @ self.dual_coef - self.rho


def _brisque_package_dir() -> Path:
    spec = importlib.util.find_spec("brisque")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the 'brisque' package (PyPI, 0.2.0) is not installed: pip install brisque==0.2.0")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def _read_libsvm_model(path: Path) -> tuple[dict[str, str], NDArray[np.float64], NDArray[np.float64]]:
    header: dict[str, str] = {}
    coefs: list[float] = []
    rows: list[dict[int, float]] = []
    lines = path.read_text().splitlines()
    it = iter(lines)
    for line in it:
        if line.strip() == "SV":
            break
        key, _, value = line.partition(" ")
        header[key] = value.strip()
    for line in it:
        parts = line.split()
        if not parts:
            continue
        coefs.append(float(parts[0]))
        rows.append({int(k): float(v) for k, v in (p.split(":") for p in parts[1:])})
    n_feat = max(max(r) for r in rows)
    sv = np.zeros((len(rows), n_feat))
    for i, r in enumerate(rows):
        for k, v in r.items():
            sv[i, k - 1] = v
    return header, sv, np.asarray(coefs)


def load_brisque_model(model_dir: str | Path | None = None) -> BrisqueModel:
    """The LIVE-trained BRISQUE SVR shipped by the ``brisque`` package (``svm.txt``, ``normalize.pickle``).

    Parameters
    ----------
    model_dir : path or None
        A folder holding ``svm.txt`` (LIBSVM epsilon-SVR, RBF) and ``normalize.pickle``
        (``{"min_": [...], "max_": [...]}``); ``None``: the installed package's ``models/``.

    Returns
    -------
    BrisqueModel
    """
    folder = Path(model_dir) if model_dir is not None else _brisque_package_dir()
    svm_path, norm_path = folder / "svm.txt", folder / "normalize.pickle"
    for p in (svm_path, norm_path):
        if not p.is_file():
            raise FileNotFoundError(f"BRISQUE model file not found: {p}")
    header, sv, coef = _read_libsvm_model(svm_path)
    if header.get("svm_type") != "epsilon_svr" or header.get("kernel_type") != "rbf":
        raise ValueError(f"{svm_path}: expected an RBF epsilon_svr, got {header}")
    with norm_path.open("rb") as fh:
        ranges = pickle.load(fh)  # the package's own model file (trusted as an installed dependency)
    return BrisqueModel(
        support_vectors=sv,
        dual_coef=coef,
        rho=float(header["rho"]),
        gamma=float(header["gamma"]),
        feature_min=np.asarray(ranges["min_"], dtype=np.float64),
        feature_max=np.asarray(ranges["max_"], dtype=np.float64),
        source=str(folder),
    )


_BRISQUE_MODEL: BrisqueModel | None = None


def brisque_score(
    image: ArrayLike,
    model: BrisqueModel | BrisqueSVR | None = None,
    *,
    data_range: float | None = None,
    luma: Literal["rec709", "rgb2gray"] = "rec709",
    filtering: Literal["reference", "fast"] = "reference",
) -> float:
    """BRISQUE score of one picture: :func:`brisque_features`, then ``model.predict``.

    Parameters
    ----------
    image : array_like, (H, W) or (H, W, 3)
        The picture (see :func:`brisque_features` for the conventions).
    model : BrisqueModel, BrisqueSVR or None
        ``None``: the ``brisque`` package's LIVE model (:func:`load_brisque_model`, cached);
        about 0 (best) to 100 (worst), occasionally outside. A :class:`BrisqueSVR` from
        :func:`fit_brisque` predicts on its training target's scale.
    data_range : float or None
        Peak value of the input scale; ``None`` only for ``uint8`` pictures.
    luma, filtering
        As in :func:`brisque_features`.

    Returns
    -------
    float
    """
    global _BRISQUE_MODEL
    if model is None:
        if _BRISQUE_MODEL is None:
            _BRISQUE_MODEL = load_brisque_model()
        model = _BRISQUE_MODEL
    feats = brisque_features([image], data_range=data_range, luma=luma, filtering=filtering)
    return float(model.predict(feats)[0])


@dataclass
class BrisqueSVR:
    """A BRISQUE regressor trained by :func:`fit_brisque`; ``predict(features)`` on the MOS scale."""

    pipeline: Any
    params: dict[str, Any]
    cv_results: dict[str, Any] | None = field(default=None, repr=False)

    def predict(self, features: ArrayLike) -> NDArray[np.float64]:
        """Predicted quality of (N, 36) features, on the training target's scale."""
        x = np.atleast_2d(np.asarray(features, dtype=np.float64))
        return np.asarray(self.pipeline.predict(x), dtype=np.float64)


#: Grid of :func:`fit_brisque` (``grid_search=True``): C and gamma in powers of two.
BRISQUE_GRID: dict[str, list[float]] = {
    "svr__C": [2.0**k for k in range(-2, 9, 2)],
    "svr__gamma": [2.0**k for k in range(-9, 0, 2)],
}


def fit_brisque(
    features: ArrayLike,
    mos: ArrayLike,
    *,
    C: float = 4.0,
    gamma: float | str = 1.0 / 36.0,
    epsilon: float = 0.1,
    grid_search: bool = False,
    cv: int = 5,
    seed: int = 0,
) -> BrisqueSVR:
    """Train BRISQUE's regressor on one's own training split (seed 003, section 4.1).

    Pipeline: ``StandardScaler`` on the 36 features -> ``SVR(kernel="rbf", C, gamma, epsilon)``,
    the target standardised too (``TransformedTargetRegressor``), so that ``C`` and ``epsilon``
    are in units of the MOS standard deviation whatever the MOS scale. Defaults ``C = 4``,
    ``gamma = 1/36`` (scikit-learn's ``"scale"`` for 36 unit-variance features), ``epsilon = 0.1``.
    The LIVE model of the ``brisque`` package is the same kind of model (RBF epsilon-SVR) on
    min-max scaled features with ``C = 1024``, ``gamma = 0.05``, on the raw DMOS scale.

    Parameters
    ----------
    features : array_like, (N, 36)
        :func:`brisque_features` of the training pictures.
    mos : array_like, (N,)
        Their MOS (any scale, any direction: the model predicts on that scale).
    C, gamma, epsilon : float
        SVR hyper-parameters (used unless ``grid_search``).
    grid_search : bool
        Choose ``C`` and ``gamma`` on :data:`BRISQUE_GRID` by ``cv``-fold cross-validation
        (``KFold(shuffle=True, random_state=seed)``, mean squared error), then refit on all.
    cv : int
        Folds of the grid search.
    seed : int
        Seed of the folds (the SVR itself is deterministic).

    Returns
    -------
    BrisqueSVR
        ``.predict(features)``; ``.params`` the hyper-parameters used.
    """
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVR

    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(mos, dtype=np.float64).ravel()
    if x.ndim != 2 or x.shape[1] != len(BRISQUE_FEATURE_NAMES):
        raise ValueError(f"features must be (N, {len(BRISQUE_FEATURE_NAMES)}), got shape {x.shape}")
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"mos has {y.shape[0]} values for {x.shape[0]} feature rows")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("features and mos must be finite (drop the pictures whose features are NaN first)")
    if x.shape[0] < 3 or np.ptp(y) == 0:
        raise ValueError("fit_brisque needs at least 3 pictures with differing MOS")
    pipe = Pipeline([("scale", StandardScaler()), ("svr", SVR(kernel="rbf", C=C, gamma=gamma, epsilon=epsilon))])
    cv_results = None
    if grid_search:
        folds = KFold(n_splits=cv, shuffle=True, random_state=seed)
        search = GridSearchCV(pipe, BRISQUE_GRID, cv=folds, scoring="neg_mean_squared_error")
        search.fit(x, (y - y.mean()) / y.std())
        pipe.set_params(**search.best_params_)
        cv_results = {"best_params": dict(search.best_params_), "best_score": float(search.best_score_)}
    model = TransformedTargetRegressor(regressor=pipe, transformer=StandardScaler())
    model.fit(x, y)
    svr = model.regressor_.named_steps["svr"]
    params = {"C": svr.C, "gamma": svr.gamma, "epsilon": svr.epsilon, "grid_search": grid_search, "seed": seed}
    return BrisqueSVR(pipeline=model, params=params, cv_results=cv_results)


# --------------------------------------------------------------------------- NIQE


@dataclass(frozen=True)
class NIQEModel:
    """A multivariate Gaussian of the 36 NIQE block features of pristine pictures (NIQE eq. 9)."""

    mu: NDArray[np.float64]
    cov: NDArray[np.float64]
    block_size: int = 96
    n_blocks: int = 0
    source: str = ""

    def __post_init__(self) -> None:
        if self.mu.shape != (36,) or self.cov.shape != (36, 36):
            raise ValueError(f"NIQE model needs mu (36,) and cov (36, 36), got {self.mu.shape}, {self.cov.shape}")
        if self.block_size < 4 or self.block_size % 2:
            raise ValueError(f"block_size must be an even number >= 4, got {self.block_size}")


class NIQEFeatures(NamedTuple):
    """Per-block NIQE features of one picture (blocks in row-major order)."""

    features: NDArray[np.float64]  #: (n_blocks, 36): 18 at scale 1, then 18 at scale 2
    sharpness: NDArray[np.float64]  #: (n_blocks,) mean local std sigma of each block at scale 1


def load_niqe_model() -> NIQEModel:
    """The LIVE release's pristine NIQE model (``modelparameters.mat``, 96 x 96 blocks).

    The file is BasicSR 1.4.2's ``basicsr/metrics/niqe_pris_params.npz`` (Apache-2.0), copied
    unchanged (sha256 :data:`NIQE_PRISTINE_SHA256`, checked); see ``data/NOTICE-niqe.md``.

    Returns
    -------
    NIQEModel
    """
    if not _NIQE_PARAMS.is_file():
        raise FileNotFoundError(f"NIQE pristine parameters not found: {_NIQE_PARAMS}")
    digest = hashlib.sha256(_NIQE_PARAMS.read_bytes()).hexdigest()
    if digest != NIQE_PRISTINE_SHA256:
        raise ValueError(f"{_NIQE_PARAMS} has sha256 {digest}, expected {NIQE_PRISTINE_SHA256}")
    with np.load(_NIQE_PARAMS) as data:
        mu = np.asarray(data["mu_pris_param"], dtype=np.float64).ravel()
        cov = np.asarray(data["cov_pris_param"], dtype=np.float64)
    return NIQEModel(mu=mu, cov=cov, block_size=96, source="LIVE niqe_release modelparameters.mat (via BasicSR 1.4.2)")


def _blocks(x: NDArray[np.float64], bs: int) -> NDArray[np.float64]:
    """(H, W) with H, W multiples of ``bs`` -> (n_blocks, bs, bs), row-major block order."""
    h, w = x.shape
    return x.reshape(h // bs, bs, w // bs, bs).swapaxes(1, 2).reshape(-1, bs, bs)


def _niqe_block_features(m: NDArray[np.float64], bs: int) -> NDArray[np.float64]:
    """18 features of every ``bs`` x ``bs`` block of an MSCN map (``computefeature.m``)."""
    b = _blocks(m, bs)
    # circshift(structdis, [dr dc]) inside each block: out(i, j) = in(i - dr, j - dc)
    shifted = [np.roll(b, shift, axis=(1, 2)) for shift in ((0, 1), (1, 0), (1, 1), (1, -1))]
    stack = np.stack([b, *(b * s for s in shifted)], axis=1).reshape(b.shape[0], 5, -1)
    fit = aggd_fit(stack, solver="grid", zeros="exclude")
    cols = [fit.alpha[:, 0], (fit.beta_l[:, 0] + fit.beta_r[:, 0]) / 2]
    for k in range(1, 5):
        cols += [fit.alpha[:, k], fit.eta[:, k], fit.beta_l[:, k], fit.beta_r[:, k]]
    return np.stack(cols, axis=1)


def niqe_features(
    image: ArrayLike,
    *,
    block_size: int = 96,
    data_range: float | None = None,
    luma: Literal["rgb2gray", "rec709"] = "rgb2gray",
    quantize: bool | None = None,
) -> NIQEFeatures:
    """Per-block NIQE features (``computequality.m`` / ``estimatemodelparam.m``), vectorised over blocks.

    The grey picture on ``[0, 255]`` is cropped to whole ``block_size`` blocks (top-left kept);
    per scale ``s = 1, 2`` the MSCN map (``C = 1``, replicate padding) is cut into blocks of
    ``block_size / s`` and each gives the AGGD ``alpha, (beta_l + beta_r) / 2`` of the MSCN
    coefficients and ``alpha, eta, beta_l, beta_r`` of the four in-block ``circshift`` products
    (NIQE eqs. 7-8; MATLAB's 0.001 grid for ``alpha``); scale 2 is ``imresize(im, 0.5)``.

    Parameters
    ----------
    image : array_like, (H, W) or (H, W, 3)
        The picture, at least ``block_size`` x ``block_size``.
    block_size : int
        Even block side at scale 1 (96, the LIVE model's).
    data_range : float or None
        Peak value of the input scale; ``None`` only for ``uint8``.
    luma : {"rgb2gray", "rec709"}
        RGB to grey: MATLAB ``rgb2gray`` (default, as the LIVE release) or Rec. 709.
    quantize : bool or None
        Round the grey picture to integers as MATLAB's ``rgb2gray`` does on ``uint8``; ``None``:
        when the input is ``uint8``.

    Returns
    -------
    NIQEFeatures
        ``features`` (n_blocks, 36), ``sharpness`` (n_blocks,).
    """
    if block_size < 4 or block_size % 2:
        raise ValueError(f"block_size must be an even number >= 4, got {block_size}")
    arr = _check_image(image)
    h, w = arr.shape[:2]
    nbh, nbw = h // block_size, w // block_size
    if nbh == 0 or nbw == 0:
        raise ValueError(f"image is {h} x {w}: NIQE needs at least one {block_size} x {block_size} block")
    grey = to_grey(arr, luma=luma, data_range=data_range, quantize=quantize, out_range=255.0)
    grey = np.ascontiguousarray(grey[: nbh * block_size, : nbw * block_size])
    kernel = gaussian_kernel_1d(7, 7.0 / 6.0)
    m1, sigma = _mscn_maps(grey, kernel, 1.0, "replicate")
    sharp = _blocks(sigma, block_size).mean(axis=(1, 2))
    f1 = _niqe_block_features(m1, block_size)
    m2, _ = _mscn_maps(imresize_half_matlab(grey), kernel, 1.0, "replicate")
    f2 = _niqe_block_features(m2, block_size // 2)
    return NIQEFeatures(np.concatenate([f1, f2], axis=1), sharp)


def _nan_mean_cov(feats: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    """MATLAB ``nanmean`` (per column) and ``nancov`` (rows with a NaN dropped), and the rows kept."""
    complete = feats[~np.isnan(feats).any(axis=1)]
    if complete.shape[0] == 0:
        raise ValueError("every block has a NaN feature (flat blocks): NIQE is undefined for this picture")
    mu = np.nanmean(feats, axis=0)
    cov = np.cov(complete, rowvar=False) if complete.shape[0] > 1 else np.zeros((feats.shape[1],) * 2)
    return mu, cov, complete.shape[0]


def niqe(
    image: ArrayLike,
    model: NIQEModel | None = None,
    *,
    data_range: float | None = None,
    luma: Literal["rgb2gray", "rec709"] = "rgb2gray",
    quantize: bool | None = None,
) -> float:
    """NIQE of one picture: distance of its block MVG to the pristine MVG (NIQE eq. 10).

    ``D = sqrt((nu_p - nu_d)^T ((Sigma_p + Sigma_d) / 2)^+ (nu_p - nu_d))``, ``nu_d`` the
    ``nanmean`` and ``Sigma_d`` the ``nancov`` of the picture's block features
    (:func:`niqe_features` at the model's block size), ``^+`` the pseudo-inverse (MATLAB
    ``pinv`` tolerance). Lower is better. A picture with a single complete block has
    ``Sigma_d = 0`` (a one-sample covariance), so its distance uses the pristine covariance only.

    Parameters
    ----------
    image : array_like, (H, W) or (H, W, 3)
        The picture, at least one block.
    model : NIQEModel or None
        Pristine model; ``None``: the LIVE release's (:func:`load_niqe_model`, cached).
    data_range : float or None
        Peak value of the input scale; ``None`` only for ``uint8``.
    luma : {"rgb2gray", "rec709"}
        RGB to grey (MATLAB ``rgb2gray`` by default).
    quantize : bool or None
        Round the grey picture (MATLAB ``rgb2gray`` on ``uint8``); ``None``: when ``uint8``.

    Returns
    -------
    float
    """
    global _NIQE_MODEL
    if model is None:
        if _NIQE_MODEL is None:
            _NIQE_MODEL = load_niqe_model()
        model = _NIQE_MODEL
    feats = niqe_features(image, block_size=model.block_size, data_range=data_range, luma=luma, quantize=quantize)
    mu, cov, _ = _nan_mean_cov(feats.features)
    mat = (model.cov + cov) / 2.0
    inv = np.linalg.pinv(mat, rcond=max(mat.shape) * np.finfo(float).eps)
    d = model.mu - mu
    return float(np.sqrt(max(float(d @ inv @ d), 0.0)))


_NIQE_MODEL: NIQEModel | None = None


def fit_niqe_model(
    pristine_images: Sequence[ArrayLike],
    *,
    block_size: int = 96,
    sharpness_threshold: float = 0.75,
    data_range: float | None = None,
    luma: Literal["rgb2gray", "rec709"] = "rgb2gray",
    quantize: bool | None = None,
    source: str = "",
) -> NIQEModel:
    """Fit a pristine NIQE model (``estimatemodelparam.m``; NIQE section "patch selection", eq. 9).

    For each pristine picture, the blocks whose sharpness (mean local standard deviation
    ``sigma`` at scale 1) exceeds ``sharpness_threshold`` times that picture's largest block
    sharpness are kept; the mean (``nanmean``) and covariance (``nancov``) of all kept block
    features form the model.

    Parameters
    ----------
    pristine_images : sequence of array_like
        Undistorted pictures, each at least one block.
    block_size : int
        Block side (96 as the LIVE model; smaller for small pictures).
    sharpness_threshold : float
        ``sh_th`` in ``[0, 1)`` (0.75 in the LIVE release).
    data_range, luma, quantize
        As in :func:`niqe_features`.
    source : str
        Free text recorded in the model (which pictures).

    Returns
    -------
    NIQEModel
        Needs at least 2 complete kept blocks in all.
    """
    if not 0 <= sharpness_threshold < 1:
        raise ValueError(f"sharpness_threshold must be in [0, 1), got {sharpness_threshold}")
    images = list(pristine_images)
    if not images:
        raise ValueError("pristine_images is empty")
    kept = []
    for i, im in enumerate(images):
        try:
            f = niqe_features(im, block_size=block_size, data_range=data_range, luma=luma, quantize=quantize)
        except ValueError as err:
            raise ValueError(f"pristine_images[{i}]: {err}") from None
        kept.append(f.features[f.sharpness > sharpness_threshold * f.sharpness.max()])
    feats = np.concatenate(kept)
    mu, cov, n = _nan_mean_cov(feats)
    if n < 2:
        raise ValueError(f"only {n} complete pristine block(s) kept: give more or larger pristine pictures")
    return NIQEModel(mu=mu, cov=cov, block_size=block_size, n_blocks=n, source=source)
