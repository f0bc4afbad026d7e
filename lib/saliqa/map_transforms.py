r"""Saliency-map post-processing before the metrics ("map transforms [37]", seed 002 Sec. III-A).

Seed 002 applies the map transforms of Lyudvichenko et al. 2017 ([37], "A semiautomatic
saliency model and its application to video compression") to every map before computing NSS,
SIM, CC and KLD. The MSU group's evaluation (Gitman et al. 2014, the same authors' earlier
"semiautomatic visual-attention modeling") makes a comparison invariant to the *brightness
transforms* of a map and to *mixing with the centre prior*, by fitting both to the ground truth.
The exact parametrisation of [37] could not be checked here (the paper's text is not at hand),
so this module implements those two families explicitly, each documented, optional, and fit on
a *training* set (never on the maps being scored):

* :func:`gamma` -- a brightness (tone) curve: ``(m / max m) ** g``;
* :func:`blend_centre_prior` -- ``(1 - w) m / sum m + w C`` with ``C``
  :func:`saliqa.saliency.centre_prior` (``sigma_frac``), sum-normalised;
* :func:`histogram_match` -- the most general monotone brightness transform: the map's values
  are replaced, rank by rank, by the quantiles of a reference value distribution (e.g. the
  average ground-truth quantile function of the training set, :func:`fit_transform` with
  ``kind="histogram"``).

:func:`fit_transform` chooses the parameter by maximising the mean CC with the training
ground-truth maps (grid search); :func:`apply_transform` applies a named transform with its
parameters. Deviation from [37]: a parameter is fit once per dataset (not per map) so that the
post-processing is a fixed, reproducible function; the notebook states that it is optional.

Conventions: maps are finite, non-negative ``(H, W)`` arrays or ``(N, H, W)`` batches
(:func:`saliqa.saliency.check_map`); outputs are float64 of the same shape. Ties in
:func:`histogram_match` are deterministic: pixels of equal value get the same output, the mean
of the reference quantiles over their rank block.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from saliqa.checks import check_positive, check_probability
from saliqa.saliency import centre_prior, check_map

__all__ = [
    "TRANSFORMS",
    "histogram_match",
    "gamma",
    "blend_centre_prior",
    "apply_transform",
    "fit_transform",
    "mean_quantiles",
]

TRANSFORMS: tuple[str, ...] = ("none", "gamma", "centre_prior", "histogram")
"""Names accepted by :func:`apply_transform` and :func:`fit_transform`."""


def _batch(maps: Any, name: str) -> tuple[np.ndarray, bool]:
    a = np.asarray(maps, dtype=np.float64)
    single = a.ndim == 2
    if single:
        a = a[None]
    if a.ndim != 3 or a.shape[0] == 0:
        raise ValueError(f"{name} must be an (H, W) map or an (N, H, W) batch, got shape {np.shape(maps)}")
    for k in range(a.shape[0]):
        check_map(a[k], f"{name}[{k}]" if not single else name, allow_zero=True)
    return a, single


def _out(a: np.ndarray, single: bool) -> np.ndarray:
    return a[0] if single else a


def histogram_match(m: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Monotone remapping of a map's values onto a reference value distribution (rank based).

    The ``n`` pixels of ``m`` are ranked; the pixel of rank ``r`` (0-based, ascending) gets the
    reference's quantile at probability ``(r + 0.5) / n`` (linear interpolation between the
    sorted reference values placed at ``(j + 0.5) / n_ref``; for ``n_ref == n`` exactly the
    ``r``-th smallest reference value). Pixels with equal values form one rank block and all get
    the mean of the block's quantiles, so ties are deterministic and order-free.

    Parameters
    ----------
    m
        ``(H, W)`` map.
    reference
        Any array of reference values (a ground-truth map, or a quantile function from
        :func:`mean_quantiles`); only its value distribution is used.

    Returns
    -------
    numpy.ndarray
        float64 ``(H, W)``: the values of the reference distribution in the order of ``m``.

    Raises
    ------
    ValueError
        Invalid map, or an empty / non-finite reference.
    """
    a = check_map(m, "m", allow_zero=True)
    ref = np.sort(np.asarray(reference, dtype=np.float64).ravel())
    if ref.size == 0 or not np.all(np.isfinite(ref)):
        raise ValueError("reference must be a non-empty array of finite values")
    flat = a.ravel()
    n = flat.size
    order = np.argsort(flat, kind="stable")
    if ref.size == n:
        q = ref
    else:
        q = np.interp((np.arange(n) + 0.5) / n, (np.arange(ref.size) + 0.5) / ref.size, ref)
    sorted_vals = flat[order]
    starts = np.flatnonzero(np.r_[True, sorted_vals[1:] != sorted_vals[:-1]])
    counts = np.diff(np.r_[starts, n])
    block_mean = np.add.reduceat(q, starts) / counts
    out = np.empty(n)
    out[order] = np.repeat(block_mean, counts)
    return out.reshape(a.shape)


def mean_quantiles(maps: np.ndarray, n_quantiles: int | None = None) -> np.ndarray:
    """The average quantile function of a set of maps, each sum-normalised first.

    ``mean_k sort(m_k / sum m_k)`` over the ``N`` maps (all of one size), optionally resampled to
    ``n_quantiles`` points; the reference of :func:`histogram_match` for ``kind="histogram"``.

    Parameters
    ----------
    maps
        ``(N, H, W)`` maps (e.g. training ground truth).
    n_quantiles
        Resample to this many quantiles (None: ``H * W``).

    Returns
    -------
    numpy.ndarray
        float64 ascending ``(q,)``.
    """
    a, _ = _batch(maps, "maps")
    flat = a.reshape(a.shape[0], -1)
    sums = flat.sum(axis=1, keepdims=True)
    if np.any(sums <= 0):
        raise ValueError("maps: a map is all zero; cannot sum-normalise it")
    q = np.sort(flat / sums, axis=1).mean(axis=0)
    if n_quantiles is None or n_quantiles == q.size:
        return q
    n = int(n_quantiles)
    if n < 1:
        raise ValueError(f"n_quantiles must be >= 1, got {n_quantiles!r}")
    return np.interp((np.arange(n) + 0.5) / n, (np.arange(q.size) + 0.5) / q.size, q)


def gamma(maps: np.ndarray, g: float) -> np.ndarray:
    """Brightness curve ``(m / max m) ** g`` of a map or a batch (each map by its own max).

    ``g < 1`` brightens (flattens) a map, ``g > 1`` sharpens it. All-zero maps stay zero.

    Parameters
    ----------
    maps
        ``(H, W)`` or ``(N, H, W)``.
    g
        Exponent (> 0).

    Returns
    -------
    numpy.ndarray
        float64, same shape, values in ``[0, 1]``.
    """
    check_positive(g, "g")
    a, single = _batch(maps, "maps")
    top = a.max(axis=(1, 2), keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.where(top > 0, a / np.where(top > 0, top, 1.0), 0.0)
    return _out(u ** float(g), single)


def blend_centre_prior(maps: np.ndarray, weight: float, sigma_frac: float | tuple[float, float] = 0.25) -> np.ndarray:
    """Mix each map with the centre prior: ``(1 - w) m / sum m + w C``.

    Parameters
    ----------
    maps
        ``(H, W)`` or ``(N, H, W)``; an all-zero map counts as zero mass (result ``w C``; with
        ``w = 0`` it stays all zero).
    weight
        ``w`` in ``[0, 1]``.
    sigma_frac
        Centre prior std as a fraction of the height / width (:func:`saliqa.saliency.centre_prior`).

    Returns
    -------
    numpy.ndarray
        float64, same shape; each map sums to 1 (unless all zero with ``w = 0``).
    """
    w = check_probability(weight, "weight")
    a, single = _batch(maps, "maps")
    c = centre_prior(a.shape[1:], sigma_frac)
    s = a.sum(axis=(1, 2), keepdims=True)
    p = np.where(s > 0, a / np.where(s > 0, s, 1.0), 0.0)
    return _out((1.0 - w) * p + w * c, single)


def apply_transform(name: str, maps: np.ndarray, **params: Any) -> np.ndarray:
    """Apply a named transform of :data:`TRANSFORMS`.

    Parameters
    ----------
    name
        ``"none"`` (copy), ``"gamma"`` (``g=``), ``"centre_prior"`` (``weight=``,
        optional ``sigma_frac=``), ``"histogram"`` (``reference=``, applied per map).
    maps
        ``(H, W)`` or ``(N, H, W)``.
    **params
        The transform's parameters.

    Returns
    -------
    numpy.ndarray
        float64, same shape.

    Raises
    ------
    ValueError
        Unknown name or missing / unexpected parameters (naming them).
    """
    allowed = {"none": set(), "gamma": {"g"}, "centre_prior": {"weight", "sigma_frac"}, "histogram": {"reference"}}
    if name not in allowed:
        raise ValueError(f"unknown transform {name!r}; expected one of {TRANSFORMS}")
    extra = set(params) - allowed[name]
    if extra:
        raise ValueError(f"transform {name!r} takes parameters {sorted(allowed[name])}, got {sorted(extra)}")
    required = {"gamma": {"g"}, "centre_prior": {"weight"}, "histogram": {"reference"}}.get(name, set())
    missing = required - set(params)
    if missing:
        raise ValueError(f"transform {name!r} needs parameter(s) {sorted(missing)}")
    if name == "none":
        a, single = _batch(maps, "maps")
        return _out(a.copy(), single)
    if name == "gamma":
        return gamma(maps, params["g"])
    if name == "centre_prior":
        return blend_centre_prior(maps, params["weight"], params.get("sigma_frac", 0.25))
    a, single = _batch(maps, "maps")
    out = np.stack([histogram_match(a[k], params["reference"]) for k in range(a.shape[0])])
    return _out(out, single)


def _mean_cc(maps: np.ndarray, gt: np.ndarray) -> float:
    x = maps.reshape(maps.shape[0], -1)
    y = gt.reshape(gt.shape[0], -1)
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    den = np.sqrt((xc * xc).sum(axis=1) * (yc * yc).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den > 0, (xc * yc).sum(axis=1) / np.where(den > 0, den, 1.0), np.nan)
    return float(np.nanmean(r)) if np.isfinite(r).any() else float("nan")


def fit_transform(
    maps: np.ndarray,
    gt_maps: np.ndarray,
    kind: str = "centre_prior",
    *,
    grid: Sequence[float] | None = None,
    sigma_frac: float | tuple[float, float] = 0.25,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Choose a transform's parameter on a training set by maximising mean CC with the ground truth.

    Parameters
    ----------
    maps
        ``(N, H, W)`` predicted maps of the *training* images.
    gt_maps
        ``(N, H, W)`` their ground-truth maps.
    kind
        ``"centre_prior"`` (the weight, grid default 0, 0.05, ..., 1), ``"gamma"`` (the
        exponent, default grid ``2 ** linspace(-3, 3, 25)``) or ``"histogram"`` (no search: the
        reference is :func:`mean_quantiles` of ``gt_maps``, at the maps' pixel count).
    grid
        Candidate parameter values.
    sigma_frac
        Centre prior width for ``kind="centre_prior"``.

    Returns
    -------
    params : dict
        ``{"name": kind, ...parameters}``, ready for ``apply_transform(**params)`` after
        popping ``"name"`` (or ``apply_transform(params.pop("name"), maps, **params)``).
    table : pandas.DataFrame
        ``value``, ``mean_cc`` per candidate (one row for ``"histogram"``); the untransformed
        mean CC is ``attrs["mean_cc_none"]``.

    Raises
    ------
    ValueError
        Shape mismatch, unknown kind or an empty grid.
    """
    a, _ = _batch(maps, "maps")
    g, _ = _batch(gt_maps, "gt_maps")
    if a.shape != g.shape:
        raise ValueError(f"shape mismatch: maps {a.shape} vs gt_maps {g.shape}")
    base = _mean_cc(a, g)
    if kind == "histogram":
        ref = mean_quantiles(g)
        score = _mean_cc(apply_transform("histogram", a, reference=ref), g)
        table = pd.DataFrame({"value": [np.nan], "mean_cc": [score]})
        table.attrs["mean_cc_none"] = base
        return {"name": "histogram", "reference": ref}, table
    if kind == "centre_prior":
        values = list(grid) if grid is not None else list(np.round(np.linspace(0.0, 1.0, 21), 3))
        scores = [_mean_cc(blend_centre_prior(a, float(v), sigma_frac), g) for v in values]
        key = "weight"
    elif kind == "gamma":
        values = list(grid) if grid is not None else list(2.0 ** np.linspace(-3, 3, 25))
        scores = [_mean_cc(gamma(a, float(v)), g) for v in values]
        key = "g"
    else:
        raise ValueError(f"kind must be 'centre_prior', 'gamma' or 'histogram', got {kind!r}")
    if not values:
        raise ValueError("grid is empty")
    table = pd.DataFrame({"value": values, "mean_cc": scores})
    table.attrs["mean_cc_none"] = base
    best = float(values[int(np.nanargmax(scores))])
    params: dict[str, Any] = {"name": kind, key: best}
    if kind == "centre_prior":
        params["sigma_frac"] = sigma_frac
    return params, table
