"""Full-reference fidelity metrics: PSNR, SSIM, MS-SSIM and saliency-weighted EW-PSNR / EW-SSIM.

The conventions follow the reference MATLAB implementations, so that the values agree with the
official numbers used by the IQA literature (and with ``../shared/data/tid2013-calibration``):

- **SSIM** (Wang, Bovik, Sheikh & Simoncelli 2004, eqs. 6, 12-14; ``ssim_index.m`` / ``ssim.m``):
  11 x 11 circular-symmetric Gaussian window (sigma = 1.5, normalised to unit sum, MATLAB
  ``fspecial('gaussian', 11, 1.5)``), ``K1 = 0.01``, ``K2 = 0.03``, ``L = 255``, local statistics
  computed with ``filter2(window, img, 'valid')`` (so the SSIM map is ``window_size - 1`` pixels
  smaller than the image in each dimension), mean SSIM = mean of that map (eq. 17). The public
  ``ssim.m`` first low-passes and subsamples large images by
  ``f = max(1, round(min(H, W) / 256))`` (``imfilter`` with an ``f x f`` average, ``'symmetric'``
  padding, then ``img(1:f:end, 1:f:end)``); this is the ``downsample`` parameter.
- **MS-SSIM** (Wang, Simoncelli & Bovik 2003, eq. 7; ``msssim.m``): five scales, exponents
  ``(0.0448, 0.2856, 0.3001, 0.2363, 0.1333)``, contrast-structure term ``c * s`` (mean of the
  ``cs`` map) at scales 1..4, ``l * c * s`` (mean SSIM) at scale 5; between scales a 2 x 2 average
  (``imfilter(img, ones(2)/4, 'symmetric', 'same')``) then ``img(1:2:end, 1:2:end)``. The terms
  are pooled as in ``msssim.m``'s ``method`` argument: ``"product"`` (its default, eq. 7) or
  ``"wtd_sum"`` (weights normalised to sum 1, weighted arithmetic mean of the terms), which is
  what produced the official MS-SSIM values of the TID2013 calibration set (see :func:`ms_ssim`).
- **PSNR**: ``10 log10(L^2 / MSE)``; by default the MSE is taken over all three RGB channels, as
  ``skimage.metrics.peak_signal_noise_ratio`` does on an RGB image.
- **Colour**: ``"rgb2gray"`` is MATLAB's ``rgb2gray`` (luma weights :data:`RGB2GRAY_WEIGHTS`,
  about 0.2989, 0.5870, 0.1140: the first row of the inverse NTSC YIQ matrix, more digits than
  BT.601's 0.299, 0.587, 0.114); ``"ycbcr_y"`` is the Y channel of MATLAB's ``rgb2ycbcr``
  (ITU-R BT.601 luma :data:`saliqa.constants.BT601_LUMA` scaled to the 219 studio-range levels:
  ``Y = 16 + 65.481 R + 128.553 G + 24.966 B`` with R, G, B in [0, 1], on the 0..255 scale);
  ``"rgb"`` keeps the three channels. MATLAB returns a ``uint8`` (rounded, half away from zero)
  image when its input is ``uint8`` and an unrounded double otherwise: ``quantize=None``
  reproduces that, ``True`` / ``False`` force it.

Saliency-weighted metrics (EW-PSNR, EW-SSIM; Liu & Heynderickx 2009, the "[9]" of seed 002) pool
the local error / similarity map with weights ``w = s / sum(s)`` taken from a non-negative
saliency map ``s``.

Local statistics are computed with OpenCV's separable filtering (``cv2.sepFilter2D``, float64)
and cropped to MATLAB's 'valid' region; the box downsampling uses ``scipy.ndimage``.

All images are numpy arrays, grey ``(H, W)`` or RGB ``(H, W, 3)``, ``uint8`` or float, on the
scale ``[0, data_range]``. Bad input (shape mismatch, NaN / inf, negative or all-zero saliency)
raises ``ValueError`` naming the argument.
"""

from __future__ import annotations

import math
import warnings
from typing import Literal, NamedTuple

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from saliqa.constants import BT601_LUMA, MATLAB_EPS

__all__ = [
    "MS_SSIM_WEIGHTS",
    "RGB2GRAY_WEIGHTS",
    "YCBCR_Y_OFFSET",
    "YCBCR_Y_WEIGHTS",
    "ColorConversion",
    "MSSSIMPooling",
    "auto_downsample_factor",
    "box_downsample",
    "convert_color",
    "ew_psnr",
    "ew_ssim",
    "gaussian_window",
    "ms_ssim",
    "mse",
    "psnr",
    "ssim",
    "ssim_components",
]

ColorConversion = Literal["rgb2gray", "ycbcr_y", "rgb"]
MSSSIMPooling = Literal["product", "wtd_sum"]

#: MATLAB ``rgb2gray`` weights: first row of ``inv([1 .956 .621; 1 -.272 -.647; 1 -1.106 1.703])``.
RGB2GRAY_WEIGHTS: tuple[float, float, float] = (0.298936021293775, 0.587043074451121, 0.114020904255103)
#: MATLAB ``rgb2ycbcr`` luma row ``(65.481, 128.553, 24.966)``: BT.601 luma times the 219 levels
#: of the studio range, applied to R, G, B in [0, 1], result on 0..255.
YCBCR_Y_WEIGHTS: tuple[float, float, float] = tuple(float(v) for v in 219.0 * BT601_LUMA)  # type: ignore[assignment]
#: Offset of the BT.601 studio-range Y channel, on the 0..255 scale.
YCBCR_Y_OFFSET: float = 16.0
#: MS-SSIM exponents of scales 1..5 (Wang et al. 2003, calibrated by their psychophysics).
MS_SSIM_WEIGHTS: tuple[float, ...] = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)

_COLORS = ("rgb2gray", "ycbcr_y", "rgb")
_POOLINGS = ("product", "wtd_sum")


# --------------------------------------------------------------------------- input checks


def _is_real_number_dtype(dtype: np.dtype) -> bool:
    return np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)


def _require_finite(arr: NDArray, name: str) -> None:
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")


def _as_image(image: ArrayLike, name: str) -> NDArray[np.float64]:
    """Validate one image ((H, W) or (H, W, 3), finite) and return it as float64."""
    arr = np.asarray(image)
    if arr.dtype == bool or not _is_real_number_dtype(arr.dtype):
        raise ValueError(f"{name} must be a numeric (uint8 or float) array, got dtype {arr.dtype}")
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise ValueError(f"{name} must have shape (H, W) or (H, W, 3), got {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    _require_finite(arr, name)
    return arr.astype(np.float64)


def _check_data_range(data_range: float) -> float:
    if not (np.isfinite(data_range) and data_range > 0):
        raise ValueError(f"data_range must be a positive finite number, got {data_range!r}")
    return float(data_range)


def _warn_scale(arr: NDArray[np.float64], dtype: np.dtype, data_range: float, name: str) -> None:
    """Warn when an image's values do not look like they are on ``[0, data_range]``."""
    if arr.max() > data_range or arr.min() < 0:
        warnings.warn(
            f"{name} has values in [{arr.min():g}, {arr.max():g}], outside [0, data_range={data_range:g}]",
            UserWarning,
            stacklevel=3,
        )
    elif np.issubdtype(dtype, np.floating) and data_range > 1 and arr.max() <= 1:
        warnings.warn(
            f"{name} is a float image with values <= 1 but data_range={data_range:g}: "
            "pass data_range=1 for images on [0, 1]",
            UserWarning,
            stacklevel=3,
        )


def _pair(ref: ArrayLike, dist: ArrayLike, data_range: float) -> tuple[NDArray[np.float64], NDArray[np.float64], bool]:
    """Validate a reference / distorted pair; return float64 copies and whether both were uint8."""
    data_range = _check_data_range(data_range)
    ref_dtype, dist_dtype = np.asarray(ref).dtype, np.asarray(dist).dtype
    x = _as_image(ref, "ref")
    y = _as_image(dist, "dist")
    if x.shape != y.shape:
        raise ValueError(f"ref and dist must have the same shape, got ref {x.shape} and dist {y.shape}")
    _warn_scale(x, ref_dtype, data_range, "ref")
    _warn_scale(y, dist_dtype, data_range, "dist")
    both_uint8 = ref_dtype == np.uint8 and dist_dtype == np.uint8
    return x, y, both_uint8


def _check_color(color: str) -> None:
    if color not in _COLORS:
        raise ValueError(f"color must be one of {_COLORS}, got {color!r}")


def _as_saliency(saliency: ArrayLike, shape: tuple[int, int], resize: bool) -> NDArray[np.float64]:
    """Validate a saliency map (non-negative, finite, not all zero) and bring it to ``shape``."""
    arr = np.asarray(saliency)
    if arr.dtype == bool:
        arr = arr.astype(np.float64)
    if not _is_real_number_dtype(arr.dtype):
        raise ValueError(f"saliency must be a numeric array, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"saliency must be a 2-D map (H, W), got shape {arr.shape}")
    _require_finite(arr, "saliency")
    s = arr.astype(np.float64)
    if np.any(s < 0):
        raise ValueError(f"saliency must be non-negative (minimum {s.min():g})")
    if not np.any(s > 0):
        raise ValueError("saliency is all zero: no weight to pool with")
    if s.shape != shape:
        if not resize:
            raise ValueError(
                f"saliency shape {s.shape} differs from the image's {shape}; "
                "pass resize_saliency=True to resize it bilinearly"
            )
        s = _resize_bilinear(s, shape)
    return s


def _resize_bilinear(s: NDArray[np.float64], shape: tuple[int, int]) -> NDArray[np.float64]:
    """Bilinear resize with pixel-centre alignment (``cv2.INTER_LINEAR`` convention), clipped to >= 0."""
    out = cv2.resize(s, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.clip(out.astype(np.float64), 0.0, None)


# --------------------------------------------------------------------------- building blocks


def _round_half_away(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """MATLAB ``round``: halves go away from zero (numpy's ``round`` goes to even)."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def convert_color(
    image: ArrayLike,
    color: ColorConversion = "rgb2gray",
    *,
    data_range: float = 255.0,
    quantize: bool = False,
) -> NDArray[np.float64]:
    """Convert an RGB image to the channel(s) a metric is computed on.

    Parameters
    ----------
    image : array_like, (H, W, 3) or (H, W)
        Image on ``[0, data_range]``. A grey (H, W) image is returned unchanged (as float64).
    color : {"rgb2gray", "ycbcr_y", "rgb"}
        ``"rgb2gray"``: ``Y = 0.298936 R + 0.587043 G + 0.114021 B`` (MATLAB ``rgb2gray``);
        ``"ycbcr_y"``: ``Y = (16 + 65.481 r + 128.553 g + 24.966 b) * data_range / 255`` with
        ``r, g, b = R, G, B / data_range`` (MATLAB ``rgb2ycbcr``, ITU-R BT.601 studio range);
        ``"rgb"``: the three channels unchanged.
    data_range : float
        Peak value ``L`` of the image scale (255 for 8-bit images, 1 for [0, 1] floats).
    quantize : bool
        Round the converted values to the 8-bit grid (``data_range / 255`` steps, halves away from
        zero) and clip to ``[0, data_range]``, as MATLAB does when the input is ``uint8``.

    Returns
    -------
    numpy.ndarray
        float64, (H, W) for the luma conversions, (H, W, 3) for ``"rgb"``.
    """
    _check_color(color)
    return _convert(_as_image(image, "image"), color, _check_data_range(data_range), quantize)


def _convert(arr: NDArray[np.float64], color: str, data_range: float, quantize: bool) -> NDArray[np.float64]:
    """:func:`convert_color` on an already validated float64 image."""
    if arr.ndim == 2 or color == "rgb":
        return arr
    if color == "rgb2gray":
        out = arr @ np.asarray(RGB2GRAY_WEIGHTS)
    else:
        out = (YCBCR_Y_OFFSET + (arr / data_range) @ np.asarray(YCBCR_Y_WEIGHTS)) * (data_range / 255.0)
    if quantize:
        step = data_range / 255.0
        out = np.clip(_round_half_away(out / step) * step, 0.0, data_range)
    return out


def gaussian_window(window_size: int = 11, sigma: float = 1.5) -> NDArray[np.float64]:
    """1-D factor of MATLAB's ``fspecial('gaussian', window_size, sigma)``.

    ``g(x) = exp(-x^2 / (2 sigma^2))`` for ``x = -(n-1)/2 .. (n-1)/2``, normalised so that the 2-D
    window ``outer(g, g)`` sums to one (Wang et al. 2004, Sec. III-C). ``fspecial`` also zeroes
    entries below ``eps * max`` (MATLAB ``eps``, :data:`saliqa.constants.MATLAB_EPS`); that never
    happens unless ``(n-1)/2 > 6 sigma``, and this function warns in that case (the 2-D window is
    then no longer exactly separable).

    Parameters
    ----------
    window_size : int
        Odd window width ``n`` in pixels (11 in SSIM).
    sigma : float
        Standard deviation in pixels (1.5 in SSIM).
    """
    if int(window_size) != window_size or window_size < 1 or window_size % 2 == 0:
        raise ValueError(f"window_size must be a positive odd integer, got {window_size!r}")
    if not (np.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be positive, got {sigma!r}")
    half = (window_size - 1) / 2.0
    if 2 * half**2 / (2 * sigma**2) > -math.log(MATLAB_EPS):
        warnings.warn(
            "fspecial would zero the window's corners for this window_size / sigma; "
            "the separable window used here keeps them",
            UserWarning,
            stacklevel=2,
        )
    x = np.arange(window_size, dtype=np.float64) - half
    g = np.exp(-(x**2) / (2.0 * sigma**2))
    return g / g.sum()


def _filter_valid(stack: NDArray[np.float64], g: NDArray[np.float64]) -> NDArray[np.float64]:
    """``filter2(outer(g, g), img, 'valid')`` on the last two axes of ``stack`` (separable).

    OpenCV's separable correlation (the window is symmetric, so correlation = convolution),
    then the borders touched by padding are cut off.
    """
    r = (g.size - 1) // 2
    h, w = stack.shape[-2:]
    planes = np.ascontiguousarray(stack, dtype=np.float64).reshape(-1, h, w)
    out = np.stack(
        [cv2.sepFilter2D(p, cv2.CV_64F, g, g, borderType=cv2.BORDER_CONSTANT)[r : h - r, r : w - r] for p in planes]
    )
    return out.reshape(stack.shape[:-2] + out.shape[-2:])


def auto_downsample_factor(shape: tuple[int, ...]) -> int:
    """``f = max(1, round(min(H, W) / 256))`` of the public ``ssim.m`` (MATLAB rounding)."""
    return max(1, math.floor(min(shape[0], shape[1]) / 256.0 + 0.5))


def box_downsample(image: NDArray[np.float64], factor: int) -> NDArray[np.float64]:
    """Average over ``factor x factor`` then keep every ``factor``-th pixel, as MATLAB does it.

    Implements ``img = imfilter(img, ones(f)/f^2, 'symmetric', 'same'); img = img(1:f:end, 1:f:end)``
    (``ssim.m`` with ``f`` from :func:`auto_downsample_factor`; ``msssim.m`` with ``f = 2``).
    MATLAB anchors an ``f x f`` kernel at ``floor((f + 1) / 2)``, so for even ``f`` the average
    covers pixels ``i .. i + f - 1`` (for ``f = 2``: exact 2 x 2 block means); ``'symmetric'``
    padding is scipy's ``mode="reflect"``. Works on (H, W) and (H, W, C) arrays.
    """
    if int(factor) != factor or factor < 1:
        raise ValueError(f"downsampling factor must be a positive integer, got {factor!r}")
    factor = int(factor)
    if factor == 1:
        return image
    origin = (factor - 1) // 2 - factor // 2  # MATLAB anchor relative to scipy's centre
    size = (factor, factor) + (1,) * (image.ndim - 2)
    orig = (origin, origin) + (0,) * (image.ndim - 2)
    filtered = ndimage.uniform_filter(image, size=size, mode="reflect", origin=orig)
    return filtered[::factor, ::factor]


def ssim_components(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    *,
    data_range: float = 255.0,
    window_size: int = 11,
    sigma: float = 1.5,
    K1: float = 0.01,
    K2: float = 0.03,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Luminance map ``l`` and contrast-structure map ``cs`` of two grey images ('valid' size).

    With ``C1 = (K1 L)^2``, ``C2 = (K2 L)^2`` and Gaussian-weighted local statistics (Wang et al.
    2004, eqs. 14-16; the window sums to one, ``sigma_xy`` is ``E[xy] - mu_x mu_y``)::

        l  = (2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1)                   (eq. 6)
        cs = (2 sigma_xy + C2) / (sigma_x^2 + sigma_y^2 + C2)              (eqs. 9-10, C3 = C2/2)

    so that ``SSIM = l * cs`` (eq. 13). Where a denominator is zero (only possible when ``K1`` or
    ``K2`` is zero) the term is set to 1, as the ``C1 = C2 = 0`` branch of ``ssim_index.m`` does
    for flat regions.

    Parameters
    ----------
    x, y : numpy.ndarray, (H, W)
        Grey images, float, on ``[0, data_range]``; ``H, W >= window_size``.
    data_range : float
        Dynamic range ``L`` (255 for 8-bit images).
    window_size, sigma : int, float
        Gaussian window (11, 1.5 in SSIM).
    K1, K2 : float
        Stabilising constants (0.01, 0.03 in SSIM).

    Returns
    -------
    (l_map, cs_map) : tuple of numpy.ndarray, each (H - window_size + 1, W - window_size + 1)
    """
    return _components(x, y, _SSIMConstants(data_range, window_size, sigma, K1, K2))


class _SSIMConstants(NamedTuple):
    """The window and stabilising constants shared by SSIM, MS-SSIM and EW-SSIM."""

    data_range: float
    window_size: int
    sigma: float
    K1: float
    K2: float


def _components(
    x: NDArray[np.float64], y: NDArray[np.float64], k: _SSIMConstants
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """:func:`ssim_components` with its constants bundled."""
    if min(x.shape[:2]) < k.window_size:
        raise ValueError(f"image of shape {x.shape} is smaller than the {k.window_size} x {k.window_size} window")
    if k.K1 < 0 or k.K2 < 0:
        raise ValueError(f"K1 and K2 must be non-negative, got K1={k.K1!r}, K2={k.K2!r}")
    g = gaussian_window(k.window_size, k.sigma)
    c1 = (k.K1 * k.data_range) ** 2
    c2 = (k.K2 * k.data_range) ** 2
    mu_x, mu_y, e_xx, e_yy, e_xy = _filter_valid(np.stack([x, y, x * x, y * y, x * y]), g)
    mu_xx, mu_yy, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
    var_x, var_y, cov = e_xx - mu_xx, e_yy - mu_yy, e_xy - mu_xy
    den_l = mu_xx + mu_yy + c1
    den_cs = var_x + var_y + c2
    with np.errstate(divide="ignore", invalid="ignore"):
        l_map = np.where(den_l > 0, (2 * mu_xy + c1) / den_l, 1.0)
        cs_map = np.where(den_cs > 0, (2 * cov + c2) / den_cs, 1.0)
    return l_map, cs_map


def _resolve_quantize(quantize: bool | None, both_uint8: bool) -> bool:
    return both_uint8 if quantize is None else bool(quantize)


def _prepare(
    ref: ArrayLike, dist: ArrayLike, color: ColorConversion, data_range: float, quantize: bool | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate, convert colour; return float images (H, W) or (H, W, 3)."""
    _check_color(color)
    x, y, both_uint8 = _pair(ref, dist, data_range)
    q = _resolve_quantize(quantize, both_uint8)
    return _convert(x, color, data_range, q), _convert(y, color, data_range, q)


def _channels(image: NDArray[np.float64]) -> list[NDArray[np.float64]]:
    return [image] if image.ndim == 2 else [image[..., c] for c in range(image.shape[2])]


# --------------------------------------------------------------------------- PSNR


def mse(
    ref: ArrayLike,
    dist: ArrayLike,
    data_range: float = 255.0,
    *,
    color: ColorConversion = "rgb",
    quantize: bool | None = None,
) -> float:
    """Mean squared error ``mean((ref - dist)^2)`` over pixels (and channels for ``"rgb"``).

    Parameters are those of :func:`psnr`.
    """
    return float(np.mean(_squared_error_map(ref, dist, color, data_range, quantize)))


def _squared_error_map(
    ref: ArrayLike, dist: ArrayLike, color: ColorConversion, data_range: float, quantize: bool | None
) -> NDArray[np.float64]:
    """Per-pixel squared error ``e^2(p)`` (mean over the channels for ``"rgb"``), shape (H, W)."""
    x, y = _prepare(ref, dist, color, data_range, quantize)
    err2 = (x - y) ** 2
    return err2.mean(axis=2) if err2.ndim == 3 else err2


def _psnr_from_mse(err: float, data_range: float) -> float:
    """``10 log10(L^2 / MSE)``; ``inf`` when ``MSE == 0`` (identical images)."""
    if err == 0:
        return math.inf
    return float(10.0 * math.log10(data_range**2 / err))


def psnr(
    ref: ArrayLike,
    dist: ArrayLike,
    data_range: float = 255.0,
    *,
    color: ColorConversion = "rgb",
    quantize: bool | None = None,
) -> float:
    """Peak signal-to-noise ratio ``PSNR = 10 log10(L^2 / MSE)`` in dB.

    Parameters
    ----------
    ref, dist : array_like, (H, W) or (H, W, 3)
        Reference and distorted images, ``uint8`` or float on ``[0, data_range]``.
    data_range : float
        Peak value ``L`` (255 for 8-bit images, 1 for [0, 1] floats).
    color : {"rgb", "rgb2gray", "ycbcr_y"}
        Channel(s) the MSE is taken over. ``"rgb"`` (default) averages the squared error over all
        three channels, as ``skimage.metrics.peak_signal_noise_ratio`` does on RGB images (the
        convention of the official TID2013 calibration values); ``"ycbcr_y"`` is the usual
        super-resolution convention (Y of BT.601), ``"rgb2gray"`` MATLAB's grey conversion.
    quantize : bool or None
        Round the converted luma to 8-bit levels (MATLAB on ``uint8`` input). ``None``: round
        when both images are ``uint8``. No effect for ``"rgb"`` or grey input.

    Returns
    -------
    float
        PSNR in dB; ``math.inf`` when the images are identical (MSE = 0), without warning.
    """
    data_range = _check_data_range(data_range)
    return _psnr_from_mse(mse(ref, dist, data_range=data_range, color=color, quantize=quantize), data_range)


# --------------------------------------------------------------------------- SSIM


def _downsample_factor(downsample: Literal["auto"] | bool | int, shape: tuple[int, ...]) -> int:
    if isinstance(downsample, str):
        if downsample != "auto":
            raise ValueError(f"downsample must be 'auto', False or a positive integer, got {downsample!r}")
        return auto_downsample_factor(shape)
    if downsample is False or downsample is None:
        return 1
    if downsample is True:
        raise ValueError("downsample=True is ambiguous: pass 'auto' or an integer factor")
    if int(downsample) != downsample or downsample < 1:
        raise ValueError(f"downsample must be 'auto', False or a positive integer, got {downsample!r}")
    return int(downsample)


def _ssim_map(x: NDArray[np.float64], y: NDArray[np.float64], k: _SSIMConstants) -> NDArray[np.float64]:
    """SSIM map (eq. 13) of grey or RGB images; RGB: the mean of the three channels' maps."""
    maps = [np.prod(_components(cx, cy, k), axis=0) for cx, cy in zip(_channels(x), _channels(y))]
    return np.mean(maps, axis=0)


def _downsampled_ssim_map(
    ref: ArrayLike,
    dist: ArrayLike,
    k: _SSIMConstants,
    color: ColorConversion,
    quantize: bool | None,
    downsample: Literal["auto"] | bool | int,
    saliency: ArrayLike | None = None,
    resize_saliency: bool = False,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Steps shared by :func:`ssim` and :func:`ew_ssim`.

    Validate and convert the pair (and the saliency map, when given), apply the same
    ``f x f`` box downsampling to all of them (:func:`box_downsample`), and return the SSIM map of
    the downsampled images with the downsampled saliency map (``None`` without one).
    """
    x, y = _prepare(ref, dist, color, k.data_range, quantize)
    s = None if saliency is None else _as_saliency(saliency, x.shape[:2], resize_saliency)
    f = _downsample_factor(downsample, x.shape)
    smap = _ssim_map(box_downsample(x, f), box_downsample(y, f), k)
    return smap, (None if s is None else box_downsample(s, f))


def ssim(
    ref: ArrayLike,
    dist: ArrayLike,
    data_range: float = 255.0,
    *,
    color: ColorConversion = "rgb2gray",
    quantize: bool | None = None,
    downsample: Literal["auto"] | bool | int = "auto",
    window_size: int = 11,
    sigma: float = 1.5,
    K1: float = 0.01,
    K2: float = 0.03,
    return_map: bool = False,
) -> float | tuple[float, NDArray[np.float64]]:
    """Mean structural similarity (Wang et al. 2004, eqs. 13 and 17; ``ssim.m``).

    ``MSSIM = mean over the 'valid' windows of l * c * s`` with the Gaussian-weighted statistics
    of :func:`ssim_components`.

    Parameters
    ----------
    ref, dist : array_like, (H, W) or (H, W, 3)
        Reference and distorted images, ``uint8`` or float on ``[0, data_range]``.
    data_range : float
        Dynamic range ``L`` (255 for 8-bit images).
    color : {"rgb2gray", "ycbcr_y", "rgb"}
        Conversion of RGB input (see :func:`convert_color`). ``"rgb2gray"`` (default) is what the
        official TID2013 calibration values used; ``"rgb"`` averages the per-channel SSIM maps.
    quantize : bool or None
        Round the converted luma to 8-bit levels; ``None``: when both inputs are ``uint8`` (as
        MATLAB's ``rgb2gray`` on ``uint8`` images).
    downsample : "auto", False or int
        ``"auto"``: the public ``ssim.m`` step, factor ``f = max(1, round(min(H, W) / 256))``,
        ``f x f`` average (symmetric padding) then subsampling by ``f`` (:func:`box_downsample`);
        ``False``: none (``ssim_index.m``, and the official TID2013 calibration values); an
        integer: that factor.
    window_size, sigma : int, float
        Gaussian window (11, 1.5).
    K1, K2 : float
        Constants, ``C1 = (K1 L)^2``, ``C2 = (K2 L)^2`` (0.01, 0.03).
    return_map : bool
        Also return the SSIM map.

    Returns
    -------
    float or (float, numpy.ndarray)
        Mean SSIM; with ``return_map`` also the SSIM map, of shape
        ``(H' - window_size + 1, W' - window_size + 1)`` where ``H', W'`` is the (downsampled)
        image size: entry ``[i, j]`` belongs to the window centred on pixel
        ``(i + r, j + r)``, ``r = (window_size - 1) // 2``, of the downsampled image.
    """
    k = _SSIMConstants(data_range, window_size, sigma, K1, K2)
    smap, _ = _downsampled_ssim_map(ref, dist, k, color, quantize, downsample)
    value = float(smap.mean())
    return (value, smap) if return_map else value


def _ms_ssim_terms(
    x: NDArray[np.float64], y: NDArray[np.float64], n_scales: int, k: _SSIMConstants
) -> NDArray[np.float64]:
    """Per-scale terms of ``msssim.m``: ``mean(cs_j)`` for ``j < M``, mean SSIM ``mean(l_M cs_M)`` at ``M``.

    Scale ``j + 1`` is scale ``j`` averaged over 2 x 2 and subsampled by 2 (:func:`box_downsample`).
    """
    terms = np.empty(n_scales)
    for j in range(n_scales):  # loop over scales, not pixels
        if j > 0:
            x, y = box_downsample(x, 2), box_downsample(y, 2)
        l_map, cs_map = _components(x, y, k)
        terms[j] = (l_map * cs_map).mean() if j == n_scales - 1 else cs_map.mean()
    return terms


def _pool_ms_ssim(terms: NDArray[np.float64], weights: NDArray[np.float64], pooling: MSSSIMPooling) -> float:
    """Combine the per-scale terms ``t_j`` with the weights ``w_j`` as ``msssim.m``'s ``method`` does.

    ``"product"``: ``prod_j t_j^{w_j}`` (eq. 7); NaN with a warning if a term is negative (the
    fractional power is undefined; MATLAB returns a complex number). ``"wtd_sum"``:
    ``sum_j t_j w_j / sum_j w_j``.
    """
    if pooling == "wtd_sum":
        return float(np.sum(terms * (weights / weights.sum())))
    if np.any(terms < 0):
        warnings.warn(
            f"MS-SSIM: negative contrast-structure term(s) {terms[terms < 0]}; the fractional power "
            "is undefined, returning NaN",
            RuntimeWarning,
            stacklevel=3,
        )
        return math.nan
    return float(np.prod(terms**weights))


def ms_ssim(
    ref: ArrayLike,
    dist: ArrayLike,
    data_range: float = 255.0,
    *,
    color: ColorConversion = "rgb2gray",
    quantize: bool | None = None,
    weights: tuple[float, ...] = MS_SSIM_WEIGHTS,
    window_size: int = 11,
    sigma: float = 1.5,
    K1: float = 0.01,
    K2: float = 0.03,
    pooling: MSSSIMPooling = "product",
) -> float:
    """Multi-scale SSIM (Wang, Simoncelli & Bovik 2003, eq. 7; ``msssim.m``).

    ``MS-SSIM = [l_M]^{a_M} * prod_{j=1..M} [cs_j]^{b_j}`` with ``a_M = b_M = weights[-1]``, i.e.
    ``prod_{j<M} mean(cs_j)^{w_j} * mean(l_M cs_M)^{w_M}`` as ``msssim.m`` computes it (the mean
    SSIM at the coarsest scale). Scale ``j + 1`` is scale ``j`` averaged over 2 x 2 and subsampled
    by 2 (:func:`box_downsample` with factor 2). With ``pooling="wtd_sum"`` the same terms
    ``t_j`` are averaged instead: ``sum_j w_j t_j / sum_j w_j`` (``msssim.m``, ``method='wtd_sum'``).

    Parameters
    ----------
    ref, dist : array_like, (H, W) or (H, W, 3)
        Images, ``uint8`` or float on ``[0, data_range]``; ``min(H, W) / 2^(M-1) >= window_size``.
    data_range : float
        Dynamic range ``L``.
    color : {"rgb2gray", "ycbcr_y", "rgb"}
        As in :func:`ssim` (``"rgb"``: mean of the three channels' MS-SSIM).
    quantize : bool or None
        As in :func:`ssim`: ``None`` rounds the grey conversion to ``uint8`` (halves away from
        zero) when both inputs are ``uint8``, as ``rgb2gray`` does in MATLAB.
    weights : tuple of float
        Exponents per scale, ``M = len(weights)`` scales (default the 5 of the paper).
    window_size, sigma, K1, K2 : int, float, float, float
        As in :func:`ssim`.
    pooling : {"product", "wtd_sum"}
        ``msssim.m``'s ``method``: ``"product"`` (default there and here; eq. 7 of the paper) or
        ``"wtd_sum"`` (weighted arithmetic mean, weights normalised to sum 1). The official
        TID2013 calibration values (``tid2013-calibration/ResultsCalibra``, "rgb2gray input of the
        original MS-SSIM matlab script") are reproduced by ``"wtd_sum"`` (see Notes).

    Returns
    -------
    float
        MS-SSIM. With ``pooling="product"``, if a contrast-structure mean is negative
        (anti-correlated images), the fractional power is undefined (MATLAB returns a complex
        number): a warning is issued and NaN returned.

    Notes
    -----
    Checked against MATLAB ``msssim.m`` on the five TID2013 calibration pairs (official values
    printed to 4 decimals): ``pooling="wtd_sum"`` on rounded ``rgb2gray`` input (the defaults
    ``color="rgb2gray"``, ``quantize=None`` on ``uint8`` images) matches the official MS-SSIM row
    to 3.4e-5 on all five pairs; ``"product"`` on the same input is 0.0033 (I03) and 0.0044 (I19)
    below it. ``"product"`` on the unrounded ``rgb2ycbcr`` Y channel matches the earlier
    MATLAB run of the same script on that input to 3.1e-5 (``tests/test_metrics_fidelity.py``).
    """
    if len(weights) < 1:
        raise ValueError("weights must hold at least one exponent")
    if pooling not in _POOLINGS:
        raise ValueError(f"pooling must be one of {_POOLINGS}, got {pooling!r}")
    w = np.asarray(weights, dtype=np.float64)
    if pooling == "wtd_sum" and not w.sum() > 0:
        raise ValueError(f"pooling='wtd_sum' needs weights with a positive sum, got {weights!r}")
    x, y = _prepare(ref, dist, color, data_range, quantize)
    n_scales = len(weights)
    if min(x.shape[:2]) / 2 ** (n_scales - 1) < window_size:
        raise ValueError(
            f"image of shape {x.shape} is too small for {n_scales} scales with a {window_size}-pixel window "
            f"(needs min(H, W) >= {window_size * 2 ** (n_scales - 1)})"
        )
    k = _SSIMConstants(data_range, window_size, sigma, K1, K2)
    values = [
        _pool_ms_ssim(_ms_ssim_terms(cx, cy, n_scales, k), w, pooling) for cx, cy in zip(_channels(x), _channels(y))
    ]
    return float(np.mean(values))


# --------------------------------------------------------------------------- saliency-weighted


def _weights(saliency: NDArray[np.float64], name: str = "saliency") -> NDArray[np.float64]:
    total = saliency.sum()
    if not total > 0:
        raise ValueError(f"{name} has no positive weight inside the region the metric is pooled over")
    return saliency / total


def ew_psnr(
    ref: ArrayLike,
    dist: ArrayLike,
    saliency: ArrayLike,
    data_range: float = 255.0,
    *,
    color: ColorConversion = "rgb",
    quantize: bool | None = None,
    resize_saliency: bool = False,
) -> float:
    """Saliency-weighted PSNR (EW-PSNR; Liu & Heynderickx 2009).

    With ``w = s / sum(s)`` and ``e^2(p)`` the squared error at pixel ``p`` (averaged over the
    channels for ``"rgb"``)::

        WMSE = sum_p w(p) e^2(p),        EW-PSNR = 10 log10(L^2 / WMSE)

    A uniform saliency map gives :func:`psnr`.

    Parameters
    ----------
    ref, dist : array_like, (H, W) or (H, W, 3)
        Images, ``uint8`` or float on ``[0, data_range]``.
    saliency : array_like, (H, W)
        Non-negative, finite, not all zero; its scale does not matter (it is sum-normalised).
        Pixel ``[i, j]`` weights the error at image pixel ``[i, j]``.
    data_range : float
        Peak value ``L``.
    color, quantize : see :func:`psnr`
    resize_saliency : bool
        If the saliency map's shape differs from the image's: ``False`` raises ``ValueError``;
        ``True`` resizes it bilinearly (pixel centres aligned, ``cv2.INTER_LINEAR``).

    Returns
    -------
    float
        EW-PSNR in dB; ``math.inf`` when the weighted MSE is exactly zero, i.e. every pixel with
        positive saliency is error-free (no warning: it is the limit of the definition).
    """
    data_range = _check_data_range(data_range)
    err2 = _squared_error_map(ref, dist, color, data_range, quantize)
    s = _as_saliency(saliency, err2.shape, resize_saliency)
    return _psnr_from_mse(float(np.sum(_weights(s) * err2)), data_range)


def ew_ssim(
    ref: ArrayLike,
    dist: ArrayLike,
    saliency: ArrayLike,
    data_range: float = 255.0,
    *,
    color: ColorConversion = "rgb2gray",
    quantize: bool | None = None,
    downsample: Literal["auto"] | bool | int = "auto",
    window_size: int = 11,
    sigma: float = 1.5,
    K1: float = 0.01,
    K2: float = 0.03,
    alignment: Literal["crop", "window"] = "crop",
    resize_saliency: bool = False,
) -> float:
    """Saliency-weighted SSIM (EW-SSIM; Liu & Heynderickx 2009).

    ``EW-SSIM = sum_p w(p) SSIM(p)`` with ``SSIM(p)`` the SSIM map of :func:`ssim` and
    ``w = s' / sum(s')`` where ``s'`` is the saliency map brought onto the SSIM map's grid:

    1. (if ``resize_saliency``) resized bilinearly to the image size;
    2. downsampled exactly as the images are (same ``f x f`` average and subsampling,
       :func:`box_downsample`), so it stays aligned with the downsampled image;
    3. aligned with the 'valid' SSIM map, which is ``window_size - 1`` smaller:
       ``"crop"`` (default) keeps the saliency at each window's centre pixel, i.e. crops
       ``r = (window_size - 1) // 2`` pixels from every border; ``"window"`` weights each SSIM
       value by the saliency mass its Gaussian window covers (the saliency filtered 'valid' with
       the same window).

    A uniform saliency map gives :func:`ssim` (the mean of the SSIM map) under both alignments.

    Parameters
    ----------
    ref, dist : array_like, (H, W) or (H, W, 3)
        Images, ``uint8`` or float on ``[0, data_range]``.
    saliency : array_like, (H, W)
        Non-negative, finite, not all zero (also after cropping); scale free.
    data_range, color, quantize, downsample, window_size, sigma, K1, K2 : see :func:`ssim`
    alignment : {"crop", "window"}
        How the saliency map is matched to the 'valid' SSIM map (see above).
    resize_saliency : bool
        Resize a saliency map of another shape bilinearly instead of raising ``ValueError``.

    Returns
    -------
    float
        Saliency-weighted mean SSIM.
    """
    if alignment not in ("crop", "window"):
        raise ValueError(f"alignment must be 'crop' or 'window', got {alignment!r}")
    k = _SSIMConstants(data_range, window_size, sigma, K1, K2)
    smap, s = _downsampled_ssim_map(ref, dist, k, color, quantize, downsample, saliency, resize_saliency)
    if alignment == "crop":
        r = (window_size - 1) // 2
        s_valid = s[r : s.shape[0] - r, r : s.shape[1] - r]
    else:
        s_valid = _filter_valid(s, gaussian_window(window_size, sigma))
    return float(np.sum(_weights(s_valid) * smap))
