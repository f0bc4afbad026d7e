"""Deterministic image distortions for building image-quality test sets.

Every function takes a ``uint8`` image, either RGB of shape ``(H, W, 3)`` or grey of shape
``(H, W)``, and returns a new ``uint8`` array of the same shape (the input is never modified).
Intermediate arithmetic is done in floating point; the result is rounded to the nearest integer
(ties to even, as :func:`numpy.rint`) and clipped to ``[0, 255]``.

============================  =====================  ==========================================
name                          level parameter        stronger distortion when the level is ...
============================  =====================  ==========================================
``"jpeg"``                    ``quality`` (1..100)   lower
``"gaussian_blur"``           ``sigma`` (px, >= 0)   higher
``"motion_blur"``             ``length`` (px, >= 1)  higher
``"contrast_change"``         ``factor`` (>= 0)      further from 1
``"white_noise"``             ``sigma`` (grey lvls)  higher
``"exposure"``                ``stops`` (EV)         further from 0 (> 0 over-, < 0 under-exposed)
``"nonuniform_jpeg"``         ``quality`` (1..100)   lower (JPEG inside a random smooth region)
============================  =====================  ==========================================

Non-uniform (regional) distortions: :func:`random_mask` draws a smooth random region (a soft
mask in ``[0, 1]``), :func:`blend` mixes a distorted image into the original through a mask,
and :func:`regional` applies any registered distortion through a mask
(``out = (1 - m) * image + m * distorted``, rounded). ``"nonuniform_jpeg"`` is the registered
example: JPEG at ``quality`` in a random region of about ``coverage`` of the picture, the rest
untouched (the mask from ``seed``).

:func:`apply` dispatches by name through :data:`REGISTRY`, which also holds each distortion's
default levels (used by :func:`saliqa.datasets.builtin.distorted_set`).

Conventions
-----------
- JPEG: Pillow's encoder with its default settings stated explicitly: 4:2:0 chroma subsampling,
  ``optimize=False``, ``progressive=False``, the standard IJG quantisation tables scaled by
  ``quality``; decoded again with Pillow. Grey images are coded as one-channel JPEGs. Pillow
  links libjpeg(-turbo); the bytes can differ between libjpeg versions, so bit-exactness is
  guaranteed for a fixed environment only.
- Blurs filter the two spatial axes only (channels are filtered independently) with OpenCV in
  ``float32`` and border mode ``cv2.BORDER_REFLECT_101`` (``gfedcb|abcdefgh|gfedcba``, OpenCV's
  default).
- Angles are in degrees, counter-clockwise from the image's horizontal axis as displayed (rows
  grow downwards, so ``angle=90`` is a vertical line).
- Contrast change scales about the image's mean luminance (ITU-R BT.601 luma
  ``0.299 R + 0.587 G + 0.114 B``, the grey value itself for grey images) by default, so the mean
  brightness is kept; ``about="mid-grey"`` scales about 127.5 instead.
- White noise is additive, zero-mean Gaussian, drawn independently per pixel and channel from
  ``numpy.random.default_rng(seed)``; the same ``seed`` gives the same noise.
- Exposure scales linear light: the sRGB values are decoded with the IEC 61966-2-1 transfer
  function, multiplied by ``2 ** stops`` (one stop doubles the light), clipped to ``[0, 1]``
  (blown highlights, crushed shadows after rounding) and encoded again.
- Regional blending is per pixel, the same mask for every channel, rounded like the rest.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import cv2
import numpy as np
from PIL import Image

from saliqa.checks import (
    check_choice,
    check_int,
    check_positive,
    check_probability,
    check_real,
    check_seed,
    check_shape,
)
from saliqa.constants import BT601_LUMA

__all__ = [
    "Distortion",
    "REGISTRY",
    "names",
    "check_level",
    "check_options",
    "apply",
    "jpeg",
    "jpeg_bytes_size",
    "gaussian_blur",
    "motion_blur",
    "motion_blur_kernel",
    "contrast_change",
    "white_noise",
    "exposure",
    "random_mask",
    "blend",
    "regional",
    "nonuniform_jpeg",
]

_SUBSAMPLING = ("4:4:4", "4:2:2", "4:2:0")


# --------------------------------------------------------------------------- validation helpers


def _check_image(image: Any, name: str = "image") -> np.ndarray:
    """Return ``image`` if it is a non-empty uint8 (H, W) or (H, W, 3) array, else raise."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f"{name} must be a numpy uint8 array of shape (H, W) or (H, W, 3); got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(
            f"{name} must have dtype uint8 (values 0..255); got {image.dtype} "
            "(convert e.g. with skimage.util.img_as_ubyte)"
        )
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError(f"{name} must have shape (H, W) (grey) or (H, W, 3) (RGB); got shape {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"{name} must be non-empty; got shape {image.shape}")
    return image


def _to_uint8(values: np.ndarray) -> np.ndarray:
    """Round to nearest (ties to even) and clip to [0, 255]."""
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _check_quality(quality: Any) -> int:
    return check_int(quality, "quality", low=1, high=100, integral_float=True)


def _check_subsampling(subsampling: Any) -> str:
    return str(check_choice(subsampling, "subsampling", _SUBSAMPLING))


# --------------------------------------------------------------------------- JPEG


def _encode_jpeg(image: np.ndarray, quality: int, subsampling: str) -> bytes:
    """JPEG bytes of ``image`` with Pillow's default encoder settings stated explicitly."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(
        buffer,
        format="JPEG",
        quality=quality,
        subsampling=subsampling,
        optimize=False,
        progressive=False,
    )
    return buffer.getvalue()


def jpeg(image: np.ndarray, quality: int, subsampling: str = "4:2:0") -> np.ndarray:
    """JPEG-compress ``image`` in memory and decode it again.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W) or (H, W, 3)
        Grey or RGB image.
    quality : int
        IJG quality factor, 1 (worst) .. 100 (best). Integral floats (``30.0``) are accepted.
    subsampling : {"4:2:0", "4:2:2", "4:4:4"}
        Chroma subsampling for RGB images (ignored for grey). ``"4:2:0"`` is Pillow's default.

    Returns
    -------
    ndarray of uint8
        The decoded image, same shape as ``image``.

    Notes
    -----
    Encoder settings are Pillow's defaults made explicit: ``optimize=False``,
    ``progressive=False``, standard IJG tables scaled by ``quality``, no restart markers.
    """
    image = _check_image(image)
    data = _encode_jpeg(image, _check_quality(quality), _check_subsampling(subsampling))
    with Image.open(io.BytesIO(data)) as decoded:
        out = np.asarray(decoded, dtype=np.uint8)
    return out.reshape(image.shape).copy()


def jpeg_bytes_size(image: np.ndarray, quality: int, subsampling: str = "4:2:0") -> int:
    """Size in bytes of the JPEG file :func:`jpeg` would produce (same settings).

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W) or (H, W, 3)
        Grey or RGB image.
    quality : int
        IJG quality factor, 1 .. 100.
    subsampling : {"4:2:0", "4:2:2", "4:4:4"}
        Chroma subsampling for RGB images.

    Returns
    -------
    int
        Number of bytes of the complete JPEG file (headers included).
    """
    image = _check_image(image)
    return len(_encode_jpeg(image, _check_quality(quality), _check_subsampling(subsampling)))


# --------------------------------------------------------------------------- blurs


def _check_sigma(sigma: Any) -> float:
    return check_real(sigma, "sigma", low=0.0)


def gaussian_blur(image: np.ndarray, sigma: float, truncate: float = 4.0) -> np.ndarray:
    """Isotropic Gaussian blur of standard deviation ``sigma`` pixels.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W) or (H, W, 3)
        Grey or RGB image; channels are blurred independently.
    sigma : float
        Standard deviation in pixels, >= 0; 0 returns an unchanged copy.
    truncate : float
        The kernel is cut at ``truncate * sigma`` pixels from its centre (radius
        ``int(truncate * sigma + 0.5)``, as :func:`scipy.ndimage.gaussian_filter`), > 0.

    Returns
    -------
    ndarray of uint8
        Blurred image, same shape. Borders: ``cv2.BORDER_REFLECT_101``. The kernel is
        normalised to sum 1, so a constant image stays constant.
    """
    image = _check_image(image)
    sigma = _check_sigma(sigma)
    truncate = check_real(truncate, "truncate", low=0.0, low_open=True)
    radius = int(truncate * sigma + 0.5)
    if sigma == 0.0 or radius == 0:
        return image.copy()
    size = 2 * radius + 1
    blurred = cv2.GaussianBlur(
        image.astype(np.float32),
        (size, size),
        sigmaX=sigma,
        sigmaY=sigma,
        borderType=cv2.BORDER_REFLECT_101,
    )
    return _to_uint8(blurred).reshape(image.shape)


def _check_length(length: Any) -> float:
    return check_real(length, "length", low=1.0)


def _check_angle(angle: Any) -> float:
    return check_real(angle, "angle (degrees)")


def motion_blur_kernel(length: float, angle: float) -> np.ndarray:
    """The normalised line kernel used by :func:`motion_blur`.

    Parameters
    ----------
    length : float
        Length of the line in pixels, >= 1. An axis-aligned line of integer ``length`` covers
        exactly ``length`` pixels with equal weights; 1 is the identity kernel.
    angle : float
        Degrees counter-clockwise from the horizontal axis as displayed (90 = vertical).

    Returns
    -------
    ndarray of float64, shape (2r + 1, 2r + 1)
        Kernel summing to 1, symmetric about its centre. The weight of the pixel at offset
        ``p = (column, row)`` from the centre is ``max(0, 1 - d(p, S))`` where ``S`` is the
        segment from ``-h u`` to ``+h u``, ``h = (length - 1) / 2``,
        ``u = (cos angle, -sin angle)`` (a one-pixel-wide anti-aliased line).
    """
    length = _check_length(length)
    angle = _check_angle(angle)
    half = (length - 1.0) / 2.0
    radius = int(math.ceil(half)) + 1
    offsets = np.arange(-radius, radius + 1, dtype=float)
    cols, rows = np.meshgrid(offsets, offsets)  # cols varies along axis 1
    theta = math.radians(angle)
    ux, uy = math.cos(theta), -math.sin(theta)
    along = np.clip(cols * ux + rows * uy, -half, half)
    dist = np.hypot(cols - along * ux, rows - along * uy)
    kernel = np.maximum(0.0, 1.0 - dist)
    return kernel / kernel.sum()


def motion_blur(image: np.ndarray, length: float, angle: float = 0.0) -> np.ndarray:
    """Linear motion blur: the image filtered with a line of ``length`` pixels at ``angle``.

    Parameters
    ----------
    image : ndarray of uint8
        Grey ``(H, W)`` or RGB ``(H, W, 3)``; each channel is filtered on its own.
    length : float
        Blur length in pixels, >= 1 (1 returns an unchanged copy).
    angle : float
        Direction in degrees, counter-clockwise from the horizontal as displayed.

    Returns
    -------
    ndarray of uint8
        Blurred image, same shape. Filtered by ``cv2.filter2D`` with the kernel of
        :func:`motion_blur_kernel` (centrally symmetric, so correlation equals convolution) and
        border mode ``cv2.BORDER_REFLECT_101``.
    """
    image = _check_image(image)
    kernel = motion_blur_kernel(length, angle)
    if kernel.shape == (3, 3) and kernel[1, 1] == 1.0:
        return image.copy()
    filtered = cv2.filter2D(
        image.astype(np.float32),
        ddepth=-1,
        kernel=kernel.astype(np.float32),
        borderType=cv2.BORDER_REFLECT_101,
    )
    return _to_uint8(filtered).reshape(image.shape)


# --------------------------------------------------------------------------- contrast and noise


def _check_factor(factor: Any) -> float:
    return check_real(factor, "factor", low=0.0)


def contrast_change(image: np.ndarray, factor: float, about: Literal["mean", "mid-grey"] = "mean") -> np.ndarray:
    """Scale contrast: ``out = pivot + factor * (image - pivot)``, rounded and clipped.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W) or (H, W, 3)
        Grey or RGB image.
    factor : float
        Contrast factor, >= 0: 1 is the identity, < 1 lowers contrast (0 gives a flat image at
        the pivot), > 1 raises it (with clipping at 0 and 255).
    about : {"mean", "mid-grey"}
        The pivot: ``"mean"`` is the image's mean luminance (BT.601 luma for RGB, one scalar for
        all channels, so the mean brightness and, up to clipping, the hue are kept);
        ``"mid-grey"`` is 127.5.

    Returns
    -------
    ndarray of uint8
        Same shape as ``image``.
    """
    image = _check_image(image)
    factor = _check_factor(factor)
    check_choice(about, "about", ("mean", "mid-grey"))
    if about == "mean":
        values = image.astype(np.float64)
        pivot = float((values @ BT601_LUMA).mean() if image.ndim == 3 else values.mean())
    else:
        pivot = 127.5
    if factor == 1.0:
        return image.copy()
    return _to_uint8(pivot + factor * (image.astype(np.float64) - pivot))


def white_noise(image: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """Add zero-mean Gaussian white noise of standard deviation ``sigma`` grey levels.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W) or (H, W, 3)
        Grey or RGB image; RGB channels get independent noise.
    sigma : float
        Noise standard deviation on the 0..255 scale, >= 0; 0 returns an unchanged copy.
    seed : int
        Non-negative seed of ``numpy.random.default_rng``; same seed, same noise.

    Returns
    -------
    ndarray of uint8
        ``clip(rint(image + N(0, sigma^2)), 0, 255)``, same shape.
    """
    image = _check_image(image)
    sigma = _check_sigma(sigma)
    rng = np.random.default_rng(check_seed(seed))
    if sigma == 0.0:
        return image.copy()
    noise = rng.normal(0.0, sigma, size=image.shape)
    return _to_uint8(image.astype(np.float64) + noise)


# --------------------------------------------------------------------------- exposure


def _check_stops(stops: Any) -> float:
    return check_real(stops, "stops (EV)", low=-10.0, high=10.0)


def _srgb_to_linear(values: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1 decoding of sRGB values in [0, 1]."""
    return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(values: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1 encoding of linear values in [0, 1]."""
    return np.where(values <= 0.0031308, 12.92 * values, 1.055 * np.power(values, 1.0 / 2.4) - 0.055)


def exposure(image: np.ndarray, stops: float) -> np.ndarray:
    """Over- or under-expose ``image`` by ``stops`` photographic stops (EV).

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W) or (H, W, 3)
        Grey or RGB image, taken to be sRGB-encoded.
    stops : float
        Exposure change in stops, in [-10, 10]: ``+1`` doubles the linear light (over-exposed,
        highlights clip to white), ``-1`` halves it (under-exposed, shadows crushed by the 8-bit
        rounding); 0 returns an unchanged copy.

    Returns
    -------
    ndarray of uint8
        ``255 * srgb(clip(2 ** stops * linear(image / 255), 0, 1))``, rounded; same shape. The
        transfer functions are IEC 61966-2-1's (module docstring).
    """
    image = _check_image(image)
    stops = _check_stops(stops)
    if stops == 0.0:
        return image.copy()
    # a per-value mapping: computed in float64 for the 256 levels, then looked up
    linear = _srgb_to_linear(np.arange(256, dtype=np.float64) / 255.0)
    table = _to_uint8(255.0 * _linear_to_srgb(np.clip(linear * 2.0**stops, 0.0, 1.0)))
    return table[image]


# --------------------------------------------------------------------------- regional distortions


def _check_mask(mask: Any, shape: tuple[int, ...]) -> np.ndarray:
    m = np.asarray(mask, dtype=np.float64)
    if m.shape != shape[:2]:
        raise ValueError(f"mask must have the image's (H, W) = {shape[:2]}; got shape {m.shape}")
    if not np.all(np.isfinite(m)) or m.min() < 0.0 or m.max() > 1.0:
        raise ValueError("mask values must be finite and in [0, 1] (the share of the distorted image per pixel)")
    return m


def random_mask(
    shape: tuple[int, int],
    coverage: float = 0.4,
    cells: float = 4.0,
    softness: float = 0.15,
    seed: int = 0,
) -> np.ndarray:
    """A smooth random region of an image: a soft mask in ``[0, 1]`` covering about ``coverage``.

    A Gaussian random field is drawn on a coarse grid (``cells`` cells along the image's longer
    side, at least 2 along each side, plus one), interpolated bicubically to ``shape``
    (``cv2.resize``), standardised, and passed through a logistic step at its
    ``1 - coverage`` quantile: ``m = 1 / (1 + exp(-(f - t) / softness))``. Blobs are therefore
    about ``longer side / cells`` across; ``softness`` (in standard deviations of the field) sets
    the width of their soft edges. ``coverage = 1`` gives all ones, ``0`` all zeros.

    Parameters
    ----------
    shape : tuple of int
        ``(H, W)`` of the image.
    coverage : float
        Share of the image inside the region (the share of pixels above the threshold), in
        [0, 1].
    cells : float
        Spatial scale: coarse-grid cells along the longer side (> 0; larger = smaller blobs).
    softness : float
        Edge width in field standard deviations (> 0).
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    ndarray of float64, shape (H, W)
        Values in [0, 1].
    """
    h, w = check_shape(shape, "shape")
    coverage = check_probability(coverage, "coverage")
    cells = check_positive(cells, "cells")
    softness = check_positive(softness, "softness")
    rng = np.random.default_rng(check_seed(seed))
    longer = max(h, w)
    gh = max(2, round(cells * h / longer)) + 1
    gw = max(2, round(cells * w / longer)) + 1
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    field_ = cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC).astype(np.float64)
    if coverage == 0.0:
        return np.zeros((h, w))
    if coverage == 1.0:
        return np.ones((h, w))
    std = field_.std()
    field_ = (field_ - field_.mean()) / (std if std > 0 else 1.0)
    threshold = float(np.quantile(field_, 1.0 - coverage))
    return 1.0 / (1.0 + np.exp(-(field_ - threshold) / softness))


def blend(image: np.ndarray, distorted: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``image`` with ``distorted`` mixed in through ``mask``: ``rint((1 - m) image + m distorted)``.

    Parameters
    ----------
    image, distorted : ndarray of uint8
        Same shape, grey ``(H, W)`` or RGB ``(H, W, 3)``.
    mask : array_like of float, shape (H, W)
        Share of ``distorted`` per pixel, in [0, 1] (the same for every channel).

    Returns
    -------
    ndarray of uint8
        Same shape; equal to ``image`` where ``m = 0`` and to ``distorted`` where ``m = 1``.
        The mix is computed in float32 (the mask rounded to float32), then rounded.
    """
    image = _check_image(image)
    distorted = _check_image(distorted, "distorted")
    if distorted.shape != image.shape:
        raise ValueError(f"distorted has shape {distorted.shape}; expected the image's {image.shape}")
    m = _check_mask(mask, image.shape).astype(np.float32)
    if image.ndim == 3:
        m = m[:, :, None]
    a, b = image.astype(np.float32), distorted.astype(np.float32)
    return _to_uint8(a + m * (b - a))


def regional(
    image: np.ndarray,
    name: str,
    level_value: float,
    mask: np.ndarray,
    *,
    seed: int = 0,
    options: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """Apply registered distortion ``name`` only where ``mask`` says (a non-uniform distortion).

    The whole image is distorted by :func:`apply` (so a JPEG region carries the blocks of a
    whole-picture encoding at that quality, a blurred region the blur of its neighbourhood)
    and mixed into the original by :func:`blend`.

    Parameters
    ----------
    image : ndarray of uint8
        Grey ``(H, W)`` or RGB ``(H, W, 3)``.
    name : str
        One of :func:`names`.
    level_value : float
        Its level (as :func:`apply`).
    mask : array_like, shape (H, W)
        Share of the distorted image per pixel, in [0, 1] (e.g. :func:`random_mask`).
    seed : int
        For stochastic distortions.
    options : mapping, optional
        The distortion's extra keyword arguments.

    Returns
    -------
    ndarray of uint8
        Same shape as ``image``.
    """
    image = _check_image(image)
    _check_mask(mask, image.shape)
    return blend(image, apply(image, name, level_value, seed=seed, options=options), mask)


def nonuniform_jpeg(
    image: np.ndarray,
    quality: int,
    seed: int = 0,
    coverage: float = 0.4,
    cells: float = 4.0,
    softness: float = 0.15,
    subsampling: str = "4:2:0",
) -> np.ndarray:
    """Non-uniform compression: JPEG at ``quality`` inside a random smooth region only.

    ``regional(image, "jpeg", quality, random_mask(image.shape[:2], coverage, cells, softness,
    seed))``: the region holds the decoded pixels of a whole-image JPEG encoding at ``quality``,
    the rest of the picture is untouched, with soft edges between them.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W) or (H, W, 3)
        Grey or RGB image.
    quality : int
        IJG quality inside the region, 1..100.
    seed : int
        Seed of the region (:func:`random_mask`).
    coverage, cells, softness : float
        Of the region (:func:`random_mask`).
    subsampling : {"4:2:0", "4:2:2", "4:4:4"}
        Chroma subsampling of the encoding.

    Returns
    -------
    ndarray of uint8
        Same shape as ``image``.
    """
    image = _check_image(image)
    mask = random_mask(image.shape[:2], coverage, cells, softness, seed)
    return blend(image, jpeg(image, quality, subsampling), mask)


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Distortion:
    """A registered distortion.

    Attributes
    ----------
    name : str
        Registry key.
    function : callable
        ``function(image, <level_param>=level, **options)``.
    level_param : str
        Name of the keyword that :func:`apply`'s ``level_value`` is passed as.
    check : callable
        Validates a level value and returns it normalised (raises ValueError otherwise).
    default_levels : tuple of float
        Levels used when a caller gives none, mildest first.
    options : tuple of str
        Other keyword parameters :func:`apply` may pass through ``options``.
    stochastic : bool
        Whether the distortion takes a ``seed``.
    higher_is_stronger : bool
        Direction of the level scale (False for JPEG quality; contrast is neither, see docs).
    """

    name: str
    function: Callable[..., np.ndarray] = field(repr=False)
    level_param: str
    check: Callable[[Any], float] = field(repr=False)
    default_levels: tuple[float, ...]
    options: tuple[str, ...] = ()
    stochastic: bool = False
    higher_is_stronger: bool = True


REGISTRY: Mapping[str, Distortion] = MappingProxyType(
    {
        "jpeg": Distortion(
            "jpeg",
            jpeg,
            "quality",
            _check_quality,
            (90, 70, 50, 30, 10),
            options=("subsampling",),
            higher_is_stronger=False,
        ),
        "gaussian_blur": Distortion(
            "gaussian_blur",
            gaussian_blur,
            "sigma",
            _check_sigma,
            (0.5, 1.0, 2.0, 3.0, 5.0),
            options=("truncate",),
        ),
        "motion_blur": Distortion(
            "motion_blur",
            motion_blur,
            "length",
            _check_length,
            (3, 7, 11, 15, 21),
            options=("angle",),
        ),
        "contrast_change": Distortion(
            "contrast_change",
            contrast_change,
            "factor",
            _check_factor,
            (0.8, 0.6, 0.4, 0.25),
            options=("about",),
        ),
        "white_noise": Distortion(
            "white_noise",
            white_noise,
            "sigma",
            _check_sigma,
            (5.0, 10.0, 20.0, 30.0, 50.0),
            stochastic=True,
        ),
        "exposure": Distortion(
            "exposure",
            exposure,
            "stops",
            _check_stops,
            (0.5, -0.5, 1.0, -1.0, 2.0, -2.0),
        ),
        "nonuniform_jpeg": Distortion(
            "nonuniform_jpeg",
            nonuniform_jpeg,
            "quality",
            _check_quality,
            (70, 50, 30, 10),
            options=("coverage", "cells", "softness", "subsampling"),
            stochastic=True,
            higher_is_stronger=False,
        ),
    }
)


def names() -> tuple[str, ...]:
    """Names of the registered distortions, in registry order."""
    return tuple(REGISTRY)


def _lookup(name: Any, argument: str = "name") -> Distortion:
    return REGISTRY[check_choice(name, argument, names())]


def check_options(name: str, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate the extra keyword options of distortion ``name``; return them as a new dict.

    Raises
    ------
    ValueError
        Unknown ``name``, or options outside the distortion's ``options`` (named, with the
        accepted ones).
    """
    entry = _lookup(name)
    kwargs = dict(options or {})
    unknown = sorted(set(kwargs) - set(entry.options))
    if unknown:
        raise ValueError(f"options {unknown} not accepted by {name!r}; expected a subset of {list(entry.options)}")
    return kwargs


def check_level(name: str, level_value: Any) -> float:
    """Validate ``level_value`` for distortion ``name`` without an image.

    Returns
    -------
    float or int
        The normalised level (an int for JPEG quality).

    Raises
    ------
    ValueError
        Unknown ``name`` or a level outside the distortion's range (the message names the level
        parameter, e.g. ``quality``).
    """
    return _lookup(name).check(level_value)


def apply(
    image: np.ndarray,
    name: str,
    level_value: float,
    *,
    seed: int = 0,
    options: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """Apply the registered distortion ``name`` at ``level_value``.

    Parameters
    ----------
    image : ndarray of uint8
        Grey ``(H, W)`` or RGB ``(H, W, 3)`` image, as every distortion takes.
    name : str
        One of :func:`names`.
    level_value : float
        Passed as the distortion's level parameter (``quality``, ``sigma``, ``length``,
        ``factor``; see :data:`REGISTRY`).
    seed : int
        Used by stochastic distortions (``white_noise``; ``nonuniform_jpeg``: its region) only.
    options : mapping, optional
        Extra keyword arguments, limited to the distortion's ``options`` (e.g. ``{"angle": 45}``
        for ``motion_blur``).

    Returns
    -------
    ndarray of uint8
        The distorted image, same shape as ``image``.
    """
    entry = _lookup(name)
    kwargs = check_options(name, options)
    kwargs[entry.level_param] = entry.check(level_value)
    if entry.stochastic:
        kwargs["seed"] = seed
    return entry.function(image, **kwargs)
