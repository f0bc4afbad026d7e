"""Most / Least Relevant First (MoRF / LeRF) masking and SROCC perturbation curves (seed 002 Sec. III-B).

Seed 002 masks, for each image, the share of pixels ranked most (MoRF) or least (LeRF) relevant
by an explanation map (saliency, GradCAM), fills them with black or the ImageNet mean, and
reports the SROCC of an IQA model's predictions on the masked images against MOS as a function
of the masked share (Tomsett et al. 2019's MoRF / LeRF). "Before thresholding the explanation
maps, Gaussian blur with a large kernel (approximately 101 pixels) and a small sigma was applied
to ensure the calculation of thresholds corresponding to all quantiles."

Conventions
-----------
Images
    ``(H, W, 3)`` RGB arrays, ``uint8`` or floating with values in [0, 1]; results keep the dtype.
Explanations
    ``(H, W)`` finite, non-negative maps of the image's size (an all-zero map is allowed: it
    carries no ranking, so only the tie rule below orders the pixels).
Blur (:func:`blur_explanation`)
    ``cv2.GaussianBlur`` in float64 with a ``ksize x ksize`` kernel (default 101) and standard
    deviation ``sigma`` (default 10 px), border ``cv2.BORDER_REFLECT_101`` (OpenCV's default).
    With sigma = 10 the kernel's edge weight is ``exp(-50^2 / 200) ≈ 3.7e-6`` of its centre,
    far above float64 resolution, so every pixel of a constant region within 50 px of a
    different value gets its own blurred value, ordered by its distance to that region; smooth
    maps (CAMs, saliency) are only mildly smoothed. ``ksize=1`` disables the blur.
Order and ties
    Pixels are totally ordered by (blurred value, row-major pixel index) ascending, i.e. a stable
    ``argsort`` of the blurred map; remaining ties (constant regions farther than ``ksize // 2``
    from any change) are thus broken by position, the later pixel counting as more relevant.
    With ``k = floor(fraction * H * W + 0.5)`` (round half up), LeRF masks the first ``k``
    pixels of that order and MoRF the last ``k``: exactly ``k`` pixels are masked, and MoRF at
    ``fraction`` masks exactly the pixels LeRF keeps at ``1 - fraction`` (when the counts add
    up to ``H * W``).
Fill
    ``"black"`` = 0; ``"imagenet_mean"`` = (0.485, 0.456, 0.406) on the image's scale:
    unchanged for float images, ``round(255 * mean)`` = (124, 116, 104) for uint8.
Area between curves (:func:`area_between`)
    Trapezoid integral over the masked fraction of ``SROCC_LeRF - SROCC_MoRF``: positive when
    the LeRF curve (important pixels kept) stays above the MoRF curve.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from saliqa.checks import as_float_array, check_choice, check_int, check_positive, check_vector
from saliqa.constants import IMAGENET_MEAN
from saliqa.metrics.correlation import srcc
from saliqa.saliency import check_map

__all__ = [
    "DEFAULT_KSIZE",
    "DEFAULT_SIGMA",
    "FILLS",
    "ORDERS",
    "blur_explanation",
    "relevance_rank",
    "n_masked",
    "pixel_masks",
    "fill_value",
    "mask_image",
    "masked_batch",
    "masking_curve",
    "area_between",
]

Order = Literal["morf", "lerf"]
Fill = Literal["black", "imagenet_mean"]
DEFAULT_KSIZE: int = 101
"""Blur kernel size (px), seed 002's "approximately 101 pixels"."""
DEFAULT_SIGMA: float = 10.0
"""Blur standard deviation (px); see the module docstring for why it breaks ties."""
FILLS: tuple[str, ...] = ("black", "imagenet_mean")
ORDERS: tuple[str, ...] = ("morf", "lerf")


def check_image(image: Any, name: str = "image") -> np.ndarray:
    """Validate an ``(H, W, 3)`` RGB image, uint8 or float in [0, 1].

    Parameters
    ----------
    image
        The array.
    name
        Argument name for the messages.

    Returns
    -------
    numpy.ndarray
        ``image`` as an array (not copied).

    Raises
    ------
    ValueError
        If it is not ``(H, W, 3)``, not uint8 / floating, or a float image outside [0, 1] or
        non-finite.
    """
    a = np.asarray(image)
    if a.ndim != 3 or a.shape[2] != 3 or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"{name} must be an (H, W, 3) RGB array, got shape {a.shape}")
    if a.dtype == np.uint8:
        return a
    if not np.issubdtype(a.dtype, np.floating):
        raise ValueError(f"{name} must be uint8 or float in [0, 1], got dtype {a.dtype}")
    lo, hi = float(a.min()), float(a.max())
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo < 0 or hi > 1:
        raise ValueError(f"{name} is a float image and must hold finite values in [0, 1], got range [{lo}, {hi}]")
    return a


def _check_blur(ksize: int, sigma: float) -> tuple[int, float]:
    ksize = check_int(ksize, "ksize", low=1)
    if ksize % 2 == 0:
        raise ValueError(f"ksize must be an odd positive integer (OpenCV's GaussianBlur), got {ksize}")
    return ksize, check_positive(sigma, "sigma")


def blur_explanation(explanation: ArrayLike, ksize: int = DEFAULT_KSIZE, sigma: float = DEFAULT_SIGMA) -> np.ndarray:
    """Gaussian blur of an explanation map before thresholding (seed 002 Sec. III-B).

    Parameters
    ----------
    explanation
        ``(H, W)`` non-negative map.
    ksize
        Odd kernel size in px (default 101); 1 returns the map unchanged (as float64).
    sigma
        Kernel standard deviation in px (default 10).

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` float64 blurred map (``cv2.GaussianBlur``, border reflect-101).

    Raises
    ------
    ValueError
        On a bad map, an even or non-positive ``ksize`` or a non-positive ``sigma``.
    """
    import cv2

    e = check_map(explanation, "explanation", allow_zero=True)
    ksize, sigma = _check_blur(ksize, sigma)
    if ksize == 1:
        return np.array(e, dtype=np.float64)
    return cv2.GaussianBlur(
        np.ascontiguousarray(e, dtype=np.float64),
        (ksize, ksize),
        sigmaX=sigma,
        sigmaY=sigma,
        borderType=cv2.BORDER_REFLECT_101,
    )


def relevance_rank(explanation: ArrayLike, ksize: int = DEFAULT_KSIZE, sigma: float = DEFAULT_SIGMA) -> np.ndarray:
    """Each pixel's position in the ascending (blurred value, pixel index) order.

    Parameters
    ----------
    explanation
        ``(H, W)`` non-negative map.
    ksize, sigma
        Blur parameters (:func:`blur_explanation`).

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` int64 ranks ``0 .. H*W - 1``; 0 = least relevant.

    Raises
    ------
    ValueError
        As :func:`blur_explanation`.
    """
    blurred = blur_explanation(explanation, ksize, sigma)
    order = np.argsort(blurred.ravel(), kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size, dtype=np.int64)
    return rank.reshape(blurred.shape)


def n_masked(fraction: float, n_pixels: int) -> int:
    """Number of masked pixels: ``floor(fraction * n_pixels + 0.5)`` (round half up).

    Parameters
    ----------
    fraction
        Share of pixels masked, in [0, 1].
    n_pixels
        ``H * W``.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``fraction`` is not a finite number in [0, 1].
    """
    f = _fractions([fraction])[0]
    return int(math.floor(f * n_pixels + 0.5))


def _fractions(fractions: ArrayLike) -> np.ndarray:
    f = check_vector(
        np.atleast_1d(as_float_array(fractions, "fractions", "numbers in [0, 1]")), "fractions", min_size=1
    )
    if np.any((f < 0) | (f > 1)):
        raise ValueError(f"fractions must lie in [0, 1], got {f[(f < 0) | (f > 1)].tolist()}")
    return f


def _orders(order: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(order, str):
        if order == "both":
            return ORDERS
        return (check_choice(order, "order", (*ORDERS, "both")),)
    orders = tuple(order)
    if not orders:
        raise ValueError("order must be 'morf', 'lerf', 'both' or a non-empty sequence of them")
    for o in orders:
        check_choice(o, "order", ORDERS)
    return orders


def pixel_masks(
    explanation: ArrayLike,
    fractions: ArrayLike,
    order: Order | Literal["both"] | Sequence[str] = "morf",
    *,
    ksize: int = DEFAULT_KSIZE,
    sigma: float = DEFAULT_SIGMA,
) -> np.ndarray:
    """Boolean masks (True = masked) for all fractions and orders from one ranking.

    Parameters
    ----------
    explanation
        ``(H, W)`` non-negative map.
    fractions
        ``F`` shares of pixels to mask, each in [0, 1].
    order
        ``"morf"``, ``"lerf"``, ``"both"`` (= ``("morf", "lerf")``) or a sequence of them.
    ksize, sigma
        Blur parameters (:func:`blur_explanation`).

    Returns
    -------
    numpy.ndarray
        ``(len(orders) * F, H, W)`` bool, order-major (all fractions of the first order, then
        the next).

    Raises
    ------
    ValueError
        On a bad map, fractions outside [0, 1], or an unknown order.
    """
    orders = _orders(order)
    f = _fractions(fractions)
    rank = relevance_rank(explanation, ksize, sigma)
    n = rank.size
    k = np.floor(f * n + 0.5).astype(np.int64)[:, None, None]
    masks = [rank[None] >= n - k if o == "morf" else rank[None] < k for o in orders]
    return np.concatenate(masks, axis=0)


def fill_value(image: np.ndarray, fill: Fill = "black") -> np.ndarray:
    """The fill colour on the image's scale and in its dtype.

    Parameters
    ----------
    image
        ``(H, W, 3)`` uint8 or float image.
    fill
        ``"black"`` (0) or ``"imagenet_mean"`` ((0.485, 0.456, 0.406), times 255 and rounded for
        uint8).

    Returns
    -------
    numpy.ndarray
        ``(3,)`` array of ``image.dtype``.

    Raises
    ------
    ValueError
        On an unknown ``fill``.
    """
    check_choice(fill, "fill", FILLS)
    mean = np.zeros(3) if fill == "black" else np.asarray(IMAGENET_MEAN, dtype=np.float64)
    if image.dtype == np.uint8:
        return np.round(mean * 255.0).astype(np.uint8)
    return mean.astype(image.dtype)


def masked_batch(
    image: ArrayLike,
    explanation: ArrayLike,
    fractions: ArrayLike,
    order: Order | Literal["both"] | Sequence[str] = "morf",
    fill: Fill = "black",
    *,
    ksize: int = DEFAULT_KSIZE,
    sigma: float = DEFAULT_SIGMA,
) -> np.ndarray:
    """All masked versions of one image (every fraction, every order) from one ranking.

    Parameters
    ----------
    image
        ``(H, W, 3)`` uint8 or float image in [0, 1].
    explanation
        ``(H, W)`` non-negative map (high = relevant).
    fractions
        ``F`` shares of pixels to mask, in [0, 1].
    order
        ``"morf"``, ``"lerf"``, ``"both"`` or a sequence of them (module docstring).
    fill
        ``"black"`` or ``"imagenet_mean"``.
    ksize, sigma
        Blur parameters (:func:`blur_explanation`).

    Returns
    -------
    numpy.ndarray
        ``(len(orders) * F, H, W, 3)`` of the image's dtype, order-major.

    Raises
    ------
    ValueError
        On a bad image or map, a shape mismatch, fractions outside [0, 1], an unknown order or
        fill.
    """
    img = check_image(image)
    e = check_map(explanation, "explanation", allow_zero=True)
    if e.shape != img.shape[:2]:
        raise ValueError(f"shape mismatch: explanation has shape {e.shape}, expected the image's {img.shape[:2]}")
    masks = pixel_masks(e, fractions, order, ksize=ksize, sigma=sigma)
    return np.where(masks[..., None], fill_value(img, fill), img[None])


def mask_image(
    image: ArrayLike,
    explanation: ArrayLike,
    fraction: float,
    order: Order = "morf",
    fill: Fill = "black",
    *,
    ksize: int = DEFAULT_KSIZE,
    sigma: float = DEFAULT_SIGMA,
) -> np.ndarray:
    """Mask a share of an image's pixels, most (MoRF) or least (LeRF) relevant first (Sec. III-B).

    Parameters
    ----------
    image
        ``(H, W, 3)`` uint8 or float image in [0, 1].
    explanation
        ``(H, W)`` non-negative map (high = relevant), blurred before ranking.
    fraction
        Share of pixels masked, in [0, 1]; exactly ``floor(fraction * H * W + 0.5)`` pixels.
    order
        ``"morf"`` (mask the most relevant) or ``"lerf"`` (mask the least relevant).
    fill
        ``"black"`` or ``"imagenet_mean"`` (on the image's scale).
    ksize, sigma
        Blur parameters (:func:`blur_explanation`; defaults 101 and 10 px).

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` masked copy of the image's dtype.

    Raises
    ------
    ValueError
        On a bad image or map, a shape mismatch, ``fraction`` outside [0, 1], an unknown order
        or fill.
    """
    check_choice(order, "order", ORDERS)
    return masked_batch(image, explanation, [fraction], order, fill, ksize=ksize, sigma=sigma)[0]


def _predict(predict: Callable[[np.ndarray], ArrayLike], batch: np.ndarray, what: str) -> np.ndarray:
    scores = np.asarray(predict(batch), dtype=np.float64)
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if scores.shape != (batch.shape[0],):
        raise ValueError(
            f"predict must return one score per image ({batch.shape[0]},) for {what}, got shape {scores.shape}"
        )
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"predict returned non-finite scores for {what}")
    return scores


def masking_curve(
    predict: Callable[[np.ndarray], ArrayLike],
    images: Sequence[np.ndarray] | np.ndarray,
    explanations: Sequence[np.ndarray] | np.ndarray,
    mos: ArrayLike,
    fractions: ArrayLike,
    order: Order | Literal["both"] | Sequence[str] = "both",
    fill: Fill = "black",
    batch: int = 1,
    *,
    ksize: int = DEFAULT_KSIZE,
    sigma: float = DEFAULT_SIGMA,
) -> pd.DataFrame:
    """SROCC of an IQA model on masked images against MOS, per masked fraction (Sec. III-B, Fig. 2).

    Parameters
    ----------
    predict
        Called with a ``(M, H, W, 3)`` array of masked images (dtype of the inputs, uint8 for
        uint8 pictures); returns ``M`` scores. All fractions and orders of one picture are in
        the same call.
    images
        ``n >= 3`` pictures ``(H_i, W_i, 3)`` (a sequence, or one ``(n, H, W, 3)`` array).
    explanations
        ``n`` maps ``(H_i, W_i)`` (high = relevant).
    mos
        ``n`` subjective scores.
    fractions
        ``F`` masked shares in [0, 1].
    order
        ``"morf"``, ``"lerf"``, ``"both"`` (default) or a sequence of them.
    fill
        ``"black"`` or ``"imagenet_mean"``.
    batch
        Pictures per ``predict`` call (consecutive pictures of the same size are stacked, so a
        call holds up to ``batch * len(orders) * F`` images).
    ksize, sigma
        Blur parameters (:func:`blur_explanation`).

    Returns
    -------
    pandas.DataFrame
        One row per (order, fraction), in the given order: ``order``, ``fraction``, ``srocc``
        (:func:`saliqa.metrics.correlation.srcc` of the predictions against ``mos``; NaN with a
        warning when the predictions are constant, e.g. everything masked), ``n`` (pictures),
        ``mean_score``.

    Raises
    ------
    ValueError
        On mismatched lengths, fewer than 3 pictures, a bad picture / map (the message names its
        index), a ``predict`` that does not return one finite score per image, or bad options.
    """
    orders = _orders(order)
    f = _fractions(fractions)
    batch = check_int(batch, "batch", low=1)
    m = check_vector(mos, "mos", min_size=3)
    n = len(images)
    if len(explanations) != n or m.size != n:
        raise ValueError(
            f"images, explanations and mos must have the same length, got {n}, {len(explanations)} and {m.size}"
        )
    per_picture = len(orders) * f.size
    scores = np.empty((n, per_picture))
    pending: list[tuple[int, np.ndarray]] = []

    def flush() -> None:
        if not pending:
            return
        stacked = np.concatenate([b for _, b in pending], axis=0)
        first, last = pending[0][0], pending[-1][0]
        out = _predict(predict, stacked, f"pictures {first}..{last}")
        scores[first : last + 1] = out.reshape(len(pending), per_picture)
        pending.clear()

    for i in range(n):
        try:
            levels = masked_batch(images[i], explanations[i], f, orders, fill, ksize=ksize, sigma=sigma)
        except ValueError as error:
            raise ValueError(f"picture {i}: {error}") from error
        if pending and (len(pending) >= batch or pending[-1][1].shape[1:] != levels.shape[1:]):
            flush()
        pending.append((i, levels))
    flush()
    rows = []
    for j, (o, frac) in enumerate((o, frac) for o in orders for frac in f):
        pred = scores[:, j]
        if np.ptp(pred) == 0:
            warnings.warn(
                f"masking_curve: constant predictions for order={o!r}, fraction={frac:g}; SROCC set to NaN",
                RuntimeWarning,
                stacklevel=2,
            )
            rho = math.nan
        else:
            rho = srcc(pred, m)
        rows.append({"order": o, "fraction": float(frac), "srocc": rho, "n": n, "mean_score": float(pred.mean())})
    return pd.DataFrame(rows, columns=["order", "fraction", "srocc", "n", "mean_score"])


def _curve(curve: Any, name: str) -> pd.Series:
    if not isinstance(curve, pd.DataFrame) or not {"fraction", "srocc"} <= set(curve.columns):
        raise ValueError(f"{name} must be a DataFrame with columns 'fraction' and 'srocc' (masking_curve's output)")
    if "order" in curve.columns and curve["order"].nunique() > 1:
        raise ValueError(f"{name} holds several orders {sorted(curve['order'].unique())}; pass one order's rows")
    fr = as_float_array(curve["fraction"], f"{name}.fraction")
    if fr.size < 2 or np.unique(fr).size != fr.size:
        raise ValueError(f"{name} must have at least two distinct fractions, each once; got {fr.tolist()}")
    return pd.Series(as_float_array(curve["srocc"], f"{name}.srocc"), index=fr).sort_index()


def area_between(lerf_curve: pd.DataFrame, morf_curve: pd.DataFrame) -> float:
    """Area between the LeRF and MoRF SROCC curves: ``∫ (SROCC_LeRF - SROCC_MoRF) d fraction``.

    Trapezoid rule over the fractions; positive when LeRF (important pixels kept) stays above
    MoRF, i.e. when the explanation ranks the pixels the model relies on first.

    Parameters
    ----------
    lerf_curve, morf_curve
        Rows of :func:`masking_curve` for one order each (columns ``fraction``, ``srocc``), over
        the same fractions.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If a curve lacks the columns, mixes orders, has fewer than two distinct fractions, or
        the fractions differ; or fewer than two fractions remain after dropping NaN SROCCs
        (dropped fractions are reported with a warning).
    """
    lerf, morf = _curve(lerf_curve, "lerf_curve"), _curve(morf_curve, "morf_curve")
    if not np.array_equal(lerf.index.to_numpy(), morf.index.to_numpy()):
        raise ValueError(
            f"lerf_curve and morf_curve must share their fractions, got {lerf.index.tolist()} and {morf.index.tolist()}"
        )
    diff = lerf - morf
    bad = ~np.isfinite(diff.to_numpy())
    if bad.any():
        warnings.warn(
            f"area_between: dropped {int(bad.sum())} fraction(s) with undefined SROCC: {diff.index[bad].tolist()}",
            RuntimeWarning,
            stacklevel=2,
        )
        diff = diff[~bad]
    if diff.size < 2:
        raise ValueError("area_between needs at least two fractions with finite SROCC on both curves")
    return float(np.trapezoid(diff.to_numpy(), diff.index.to_numpy()))
