"""Densities of where simulated observers look: bottom-up saliency, distortion visibility, tasks.

Steps 1-3 of the generative model of :mod:`saliqa.simulate.attention` (lengths in degrees of
visual angle, converted with ``ppd`` pixels per degree):

1. **Bottom-up density** ``F`` per content, on the *reference* image (:func:`feature_saliency`,
   :func:`free_viewing_density`): local RMS contrast, colour-opponency distinctiveness and edge
   energy, each max-normalised, averaged, blurred, raised to ``feature_gamma`` and mixed with a
   Gaussian centre bias: ``F = (1 - centre_weight) * feat + centre_weight * centre``.
2. **Distortion visibility** ``V`` per version (:func:`distortion_visibility`): the pooled
   absolute luminance difference from the reference divided by ``masking_constant + local
   contrast`` (contrast masking), plus ``visibility_floor``.
3. **Task densities**: free viewing ``F``; IQA ``(1 - w) F + w V`` (:func:`iqa_density`), and the
   sharpened click densities ``S_g(D) = D**g / sum`` (:func:`sharpen`).

Luminance is ITU-R BT.601 luma (:data:`saliqa.constants.BT601_LUMA`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from saliqa.checks import check_positive, check_probability
from saliqa.constants import BT601_LUMA
from saliqa.saliency import centre_prior
from saliqa.simulate.config import SimulationConfig

__all__ = [
    "as_rgb01",
    "luminance",
    "local_std",
    "feature_saliency",
    "free_viewing_density",
    "distortion_visibility",
    "visibility_density",
    "iqa_density",
    "sharpen",
]


def as_rgb01(image: np.ndarray, name: str = "image") -> np.ndarray:
    """An RGB float64 image in ``[0, 1]``: uint8 divided by 255, grey replicated, alpha dropped.

    Raises
    ------
    ValueError
        Not (H, W) / (H, W, 3|4) of at least 2x2, or a float image outside [0, 1].
    """
    a = np.asarray(image)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4) or a.shape[0] < 2 or a.shape[1] < 2:
        raise ValueError(f"{name} must be an (H, W, 3) RGB or (H, W) grey array, got shape {a.shape}")
    a = a[:, :, :3]
    if a.dtype == np.uint8:
        return a.astype(np.float64) / 255.0
    f = a.astype(np.float64)
    if not np.all(np.isfinite(f)) or f.min() < 0 or f.max() > 1:
        raise ValueError(
            f"{name}: a float image must have finite values in [0, 1] (got range "
            f"{np.nanmin(f):.3g}..{np.nanmax(f):.3g}); uint8 images are divided by 255"
        )
    return f


def luminance(image: np.ndarray) -> np.ndarray:
    """Rec. 601 luma ``0.299 R + 0.587 G + 0.114 B`` in ``[0, 1]`` of a uint8 / [0, 1] image."""
    return as_rgb01(image) @ BT601_LUMA


def local_std(lum: np.ndarray, sigma: float) -> np.ndarray:
    """Local standard deviation (RMS contrast) of ``lum`` in a Gaussian window of ``sigma`` px."""
    mean = ndimage.gaussian_filter(lum, sigma, mode="reflect", truncate=3.0)
    sq = ndimage.gaussian_filter(lum * lum, sigma, mode="reflect", truncate=3.0)
    return np.sqrt(np.maximum(sq - mean * mean, 0.0))


def _unit_max(m: np.ndarray) -> np.ndarray:
    top = float(m.max())
    return m / top if top > 0 else np.zeros_like(m)


def _sum_normalise(m: np.ndarray, what: str) -> np.ndarray:
    total = float(m.sum())
    if not math.isfinite(total) or total <= 0:
        raise ValueError(f"{what} has no positive mass; cannot normalise it to a density")
    return m / total


def feature_saliency(image: np.ndarray, ppd: float, config: SimulationConfig | None = None) -> np.ndarray:
    """Image-feature saliency (step 1 of the module docstring), sum-normalised ``(H, W)``.

    Contrast, colour-opponency and edge-energy maps, each max-normalised, averaged with
    ``config.feature_weights``, blurred at ``feature_blur_deg`` and raised to ``feature_gamma``.
    A map with no structure at all (a flat image) gives the uniform density.
    """
    cfg = config or SimulationConfig()
    check_positive(ppd, "ppd")
    rgb = as_rgb01(image)
    lum = rgb @ BT601_LUMA
    s_c = cfg.contrast_scale_deg * ppd
    contrast = local_std(lum, s_c)
    rg = rgb[:, :, 0] - rgb[:, :, 1]
    by = rgb[:, :, 2] - 0.5 * (rgb[:, :, 0] + rgb[:, :, 1])
    s_col = cfg.colour_scale_deg * ppd
    rg_b = ndimage.gaussian_filter(rg, s_col, mode="reflect", truncate=3.0)
    by_b = ndimage.gaussian_filter(by, s_col, mode="reflect", truncate=3.0)
    colour = np.hypot(rg_b - rg.mean(), by_b - by.mean())
    edges = ndimage.gaussian_filter(
        np.hypot(ndimage.sobel(lum, axis=0), ndimage.sobel(lum, axis=1)), s_c, mode="reflect", truncate=3.0
    )
    w = np.asarray(cfg.feature_weights, dtype=np.float64)
    feat = (w[0] * _unit_max(contrast) + w[1] * _unit_max(colour) + w[2] * _unit_max(edges)) / w.sum()
    feat = ndimage.gaussian_filter(feat, cfg.feature_blur_deg * ppd, mode="reflect", truncate=3.0)
    feat = np.maximum(feat, 0.0) ** cfg.feature_gamma
    if not np.any(feat > 0):
        return np.full(lum.shape, 1.0 / lum.size)
    return feat / feat.sum()


def free_viewing_density(reference: np.ndarray, ppd: float, config: SimulationConfig | None = None) -> np.ndarray:
    """Free-viewing density ``F = (1 - centre_weight) feat + centre_weight centre`` (step 1)."""
    cfg = config or SimulationConfig()
    feat = feature_saliency(reference, ppd, cfg)
    centre = centre_prior(feat.shape, cfg.centre_sigma_frac)
    dens = (1.0 - cfg.centre_weight) * feat + cfg.centre_weight * centre
    return dens / dens.sum()


def distortion_visibility(
    reference: np.ndarray,
    distorted: np.ndarray,
    ppd: float,
    config: SimulationConfig | None = None,
    *,
    reference_contrast: np.ndarray | None = None,
) -> np.ndarray:
    """Distortion-visibility density ``V`` of a version against its reference (step 2).

    ``V ∝ G(|L_d - L_r|) / (masking_constant + local_std(L_r)) + visibility_floor`` with ``G`` a
    Gaussian of ``visibility_pool_deg`` (``local_std`` uses the same window); the reference
    against itself gives the uniform density.

    Parameters
    ----------
    reference, distorted
        uint8 or [0, 1] images of the same shape.
    ppd
        Pixels per degree.
    config
        Model parameters.
    reference_contrast
        Optional precomputed ``local_std(L_r)`` at the pooling scale (reused across the
        versions of one content).

    Raises
    ------
    ValueError
        If the two images differ in shape.
    """
    cfg = config or SimulationConfig()
    check_positive(ppd, "ppd")
    lr, ld = luminance(reference), luminance(distorted)
    if lr.shape != ld.shape:
        raise ValueError(f"shape mismatch: reference {lr.shape} vs distorted {ld.shape}")
    return visibility_density(lr, ld, ppd, cfg, reference_contrast)


def visibility_density(
    lr: np.ndarray, ld: np.ndarray, ppd: float, cfg: SimulationConfig, reference_contrast: np.ndarray | None
) -> np.ndarray:
    """:func:`distortion_visibility` on luminance images ``lr`` (reference), ``ld`` (version)."""
    s = cfg.visibility_pool_deg * ppd
    if reference_contrast is None:
        reference_contrast = local_std(lr, s)
    pooled = ndimage.gaussian_filter(np.abs(ld - lr), s, mode="reflect", truncate=3.0)
    vis = pooled / (cfg.masking_constant + reference_contrast) + cfg.visibility_floor
    return vis / vis.sum()


def iqa_density(free: np.ndarray, visibility: np.ndarray, weight: float) -> np.ndarray:
    """IQA-task density ``(1 - weight) F + weight V`` (step 3), sum-normalised."""
    check_probability(weight, "weight")
    if free.shape != visibility.shape:
        raise ValueError(f"shape mismatch: free {free.shape} vs visibility {visibility.shape}")
    d = (1.0 - weight) * free / free.sum() + weight * visibility / visibility.sum()
    return d / d.sum()


def sharpen(density: np.ndarray, gamma: float) -> np.ndarray:
    """``density**gamma`` sum-normalised (step 5; gamma > 1 concentrates mass on the peaks)."""
    check_positive(gamma, "gamma")
    d = np.power(density / density.max(), gamma)
    return _sum_normalise(d, "sharpened density")
