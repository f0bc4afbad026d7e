"""Saliency-map agreement metrics (numpy), MIT saliency benchmark conventions by default.

The defaults reproduce the MIT / Tuebingen saliency benchmark's MATLAB code (``KLdiv.m``,
``CC.m``, ``similarity.m``, ``NSS.m``, ``AUC_Judd.m``, ``AUC_Borji.m``, ``InfoGain.m``; see
Bylinskii et al., "What do different evaluation metrics tell us about saliency models?",
TPAMI 2019). Every convention that differs between papers (``eps``, normalisation, ``ddof``,
jitter, splits) is an explicit parameter; a notebook reproducing a seed with a different
convention passes it explicitly (e.g. SSPNet, seed 004: ``kld(..., eps=1e-8)``).

Inputs
------
* maps (``p``, ``q``, ``a``, ``b``, ``saliency``, ``baseline``): finite, non-negative,
  not-all-zero ``(H, W)`` arrays (validated by :func:`saliqa.saliency.check_map`);
* ``fixations``: a binary or count ``(H, W)`` map of the same shape with at least one pixel > 0
  (build it from points with :func:`saliqa.saliency.fixation_map`).

Bad input raises ``ValueError`` naming the argument and the problem (shape mismatch, negative,
all-zero, non-finite, constant where a normalisation is undefined, empty fixation map).
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
from numpy.typing import ArrayLike

from saliqa.constants import MATLAB_EPS
from saliqa.saliency import check_fixations, check_map, check_same_shape

__all__ = [
    "MATLAB_EPS",
    "kld",
    "symmetric_kld",
    "cc",
    "sim",
    "bhattacharyya",
    "nss",
    "auc_judd",
    "auc_borji",
    "information_gain",
]


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _pair(a: ArrayLike, b: ArrayLike, name_a: str, name_b: str) -> tuple[np.ndarray, np.ndarray]:
    x = check_map(a, name_a)
    y = check_map(b, name_b)
    check_same_shape(x, y, name_a, name_b)
    return x, y


def _minmax(a: np.ndarray, name: str) -> np.ndarray:
    lo, hi = a.min(), a.max()
    if hi == lo:
        raise ValueError(f"{name} is constant ({lo:g}); min-max normalisation is undefined")
    return (a - lo) / (hi - lo)


def _minmax_sum(a: np.ndarray, name: str) -> tuple[float, float]:
    """``(lo, total)`` such that ``minmax(a) / sum(minmax(a)) == (a - lo) / total``.

    Min-max then sum normalisation, ``((a - lo) / (hi - lo)) / sum((a - lo) / (hi - lo))``,
    equals ``(a - lo) / sum(a - lo)`` (the ``hi - lo`` cancels); ``sum(a - lo) = sum(a) - lo * n``.
    """
    lo, hi = float(a.min()), float(a.max())
    if hi == lo:
        raise ValueError(f"{name} is constant ({lo:g}); min-max normalisation is undefined")
    return lo, float(a.sum()) - lo * a.size


def _check_eps(eps: float) -> float:
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not math.isfinite(eps) or eps < 0:
        raise ValueError(f"eps must be a non-negative finite number, got {eps!r}")
    return float(eps)


def _trapezoid(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Trapezoid rule along the last axis (MATLAB ``trapz(x, y)``)."""
    return np.sum(np.diff(x, axis=-1) * (y[..., 1:] + y[..., :-1]) / 2.0, axis=-1)


# --------------------------------------------------------------------------------------------
# distribution-based metrics
# --------------------------------------------------------------------------------------------


def kld(p: ArrayLike, q: ArrayLike, eps: float = MATLAB_EPS) -> float:
    """Kullback-Leibler divergence ``D_KL(P || Q)`` of two maps (MIT ``KLdiv.m``).

    .. math:: D_{KL}(P \\| Q) = \\sum_i P_i \\ln\\left(\\epsilon + \\frac{P_i}{Q_i + \\epsilon}\\right),
              \\quad P = p / \\textstyle\\sum p, \\; Q = q / \\textstyle\\sum q

    ``P`` is the true / posterior map (the ground truth; the head of seed 000's arrows),
    ``Q`` the prior / prediction. Natural log (nats).

    Parameters
    ----------
    p
        True (posterior) map ``(H, W)``.
    q
        Predicted (prior) map ``(H, W)``.
    eps
        Regulariser; default MATLAB ``eps`` = 2.220446049250313e-16 (MIT benchmark). SSPNet
        (seed 004) uses ``1e-8``. On sparse maps with exact zeros in ``q`` the value depends
        strongly on ``eps``: always report it.

    Returns
    -------
    float
        The divergence (>= 0 up to the ``eps`` terms; not symmetric).
    """
    e = _check_eps(eps)
    a, b = _pair(p, q, "p", "q")
    P = a / a.sum()
    t = b / b.sum()  # Q; the steps below reuse this temporary in place (a and b are untouched)
    t += e
    np.divide(P, t, out=t)
    t += e
    np.log(t, out=t)
    return float(np.dot(P.ravel(), t.ravel()))  # sum P * ln(eps + P / (Q + eps))


def symmetric_kld(p: ArrayLike, q: ArrayLike, eps: float = MATLAB_EPS) -> float:
    """Symmetrised KL divergence ``(D_KL(P||Q) + D_KL(Q||P)) / 2`` (seed 000, Table 1).

    Same conventions as :func:`kld`.
    """
    return 0.5 * (kld(p, q, eps=eps) + kld(q, p, eps=eps))


def cc(a: ArrayLike, b: ArrayLike) -> float:
    """Pearson linear correlation coefficient of two maps (MIT ``CC.m``).

    Each map is standardised, ``(m - mean) / std``, and the correlation is
    ``sum(A_c B_c) / sqrt(sum(A_c^2) sum(B_c^2))`` over all pixels (``A_c`` the centred map),
    which is MATLAB's ``corr2`` and independent of the ``ddof`` of the standardisation.

    Raises
    ------
    ValueError
        Invalid maps, or a constant map (correlation undefined).
    """
    x, y = _pair(a, b, "a", "b")
    for m, nm in ((x, "a"), (y, "b")):
        if m.max() == m.min():
            raise ValueError(f"{nm} is constant; the correlation is undefined")
    xc = (x - x.mean()).ravel()
    yc = (y - y.mean()).ravel()
    return float(np.dot(xc, yc) / math.sqrt(float(np.dot(xc, xc)) * float(np.dot(yc, yc))))


def sim(a: ArrayLike, b: ArrayLike, minmax: bool = True) -> float:
    """Similarity (histogram intersection) of two maps (MIT ``similarity.m``).

    .. math:: \\mathrm{SIM} = \\sum_i \\min(P_i, Q_i)

    where each map is min-max normalised to ``[0, 1]`` (skipped with ``minmax=False``) and then
    divided by its sum. 1 for identical maps, 0 for disjoint ones.

    Raises
    ------
    ValueError
        Invalid maps, or a constant map with ``minmax=True`` (MIT would return NaN).
    """
    x, y = _pair(a, b, "a", "b")
    if minmax:
        lo_x, tot_x = _minmax_sum(x, "a")
        lo_y, tot_y = _minmax_sum(y, "b")
    else:
        lo_x, tot_x, lo_y, tot_y = 0.0, float(x.sum()), 0.0, float(y.sum())
    P = x - lo_x
    P /= tot_x
    Q = y - lo_y
    Q /= tot_y
    np.minimum(P, Q, out=P)
    return float(P.sum())


def bhattacharyya(a: ArrayLike, b: ArrayLike) -> float:
    """Bhattacharyya distance of two maps.

    .. math:: D_B = -\\ln \\sum_i \\sqrt{P_i Q_i}, \\quad P = a / \\textstyle\\sum a, \\; Q = b / \\textstyle\\sum b

    0 for identical maps; ``inf`` (with a warning) for maps with disjoint support.
    """
    x, y = _pair(a, b, "a", "b")
    t = x * y  # sum sqrt(P Q) = sum sqrt(x y) / sqrt(sum x * sum y)
    np.sqrt(t, out=t)
    bc = float(t.sum()) / math.sqrt(float(x.sum()) * float(y.sum()))
    if bc == 0.0:
        warnings.warn("a and b have disjoint support: the Bhattacharyya distance is infinite", stacklevel=2)
        return math.inf
    return -math.log(bc) + 0.0  # + 0.0 turns -0.0 into 0.0


# --------------------------------------------------------------------------------------------
# location-based metrics
# --------------------------------------------------------------------------------------------


def nss(saliency: ArrayLike, fixations: ArrayLike, ddof: int = 1, per_fixation: bool = False) -> float:
    """Normalised scanpath saliency (MIT ``NSS.m``).

    The map is standardised, ``Z = (S - mean(S)) / std(S, ddof)``, and averaged over the fixated
    pixels: by default each pixel with ``fixations > 0`` counts once (MIT:
    ``mean(Z(logical(fixationMap)))``); ``per_fixation=True`` weights each pixel by its count,
    i.e. averages over fixations (pysaliency style).

    Parameters
    ----------
    saliency
        ``(H, W)`` map.
    fixations
        ``(H, W)`` binary / count fixation map.
    ddof
        Delta degrees of freedom of the std; 1 = MATLAB ``std`` (default).
    per_fixation
        Weight fixated pixels by their counts.

    Raises
    ------
    ValueError
        Invalid inputs, or a constant saliency map (std 0).
    """
    s = check_map(saliency, "saliency")
    f = check_fixations(fixations, "fixations", s.shape)
    if s.size <= ddof:
        raise ValueError(f"saliency has {s.size} pixels, too few for std with ddof={ddof}")
    if s.max() == s.min():
        raise ValueError("saliency is constant (std 0); NSS is undefined")
    mean = float(s.mean())
    d = (s - mean).ravel()
    sd = math.sqrt(float(np.dot(d, d)) / (d.size - ddof))
    fixed = np.flatnonzero(f.ravel() > 0)
    z = d[fixed] / sd  # the standardised map at the fixated pixels only
    if per_fixation:
        counts = f.ravel()[fixed]
        return float(np.dot(z, counts) / counts.sum())
    return float(np.mean(z))


def auc_judd(
    saliency: ArrayLike,
    fixations: ArrayLike,
    jitter: bool = True,
    seed: int | None = 0,
    *,
    jitter_scale: float = 1e-7,
) -> float:
    """Area under the ROC curve, Judd variant (MIT ``AUC_Judd.m``).

    Steps (as MIT): optionally add uniform jitter ``U[0, jitter_scale)`` per pixel to break ties
    (MIT: ``rand(size)/10000000``; here drawn from ``numpy.random.default_rng(seed)`` so the
    result is deterministic); min-max normalise to ``[0, 1]``; the thresholds are the map's
    values at the ``n_f`` fixated pixels (``fixations > 0``, each pixel once), sorted descending.
    At the ``i``-th threshold ``t_i``:

    .. math:: \\mathrm{TP}_i = i / n_f, \\qquad
              \\mathrm{FP}_i = \\frac{\\#\\{S \\ge t_i\\} - i}{n_{pix} - n_f}

    (``i`` is the number of fixated pixels at or above ``t_i`` when values are distinct; with
    ties, and ``jitter=False``, this is exactly MIT's formula). The curve is closed with
    ``(0, 0)`` and ``(1, 1)`` and integrated with the trapezoid rule. Vectorised with sorting and
    ``searchsorted``.

    Parameters
    ----------
    saliency, fixations
        ``(H, W)`` map and binary / count fixation map.
    jitter
        Add MIT's tie-breaking jitter (default True).
    seed
        Seed of the jitter's generator.
    jitter_scale
        Amplitude of the jitter (absolute, as MIT: it is added before normalisation, so maps
        with values of order ``jitter_scale`` should be rescaled first).

    Raises
    ------
    ValueError
        Invalid inputs; a constant map (after jitter); every pixel fixated (no negatives).
    """
    s = check_map(saliency, "saliency")
    f = check_fixations(fixations, "fixations", s.shape)
    if jitter:
        s = s + np.random.default_rng(seed).random(s.shape) * float(jitter_scale)
    s = _minmax(s, "saliency").ravel()
    fix = f.ravel() > 0
    n_pix = s.size
    sth = np.sort(s[fix])[::-1]
    n_fix = sth.size
    if n_fix == n_pix:
        raise ValueError("fixations covers every pixel: no non-fixated pixels, AUC-Judd is undefined")
    above = n_pix - np.searchsorted(np.sort(s), sth, side="left")  # #{S >= t_i}
    i = np.arange(1, n_fix + 1, dtype=np.float64)
    tp = np.concatenate(([0.0], i / n_fix, [1.0]))
    fp = np.concatenate(([0.0], (above - i) / (n_pix - n_fix), [1.0]))
    return float(_trapezoid(tp, fp))


def auc_borji(
    saliency: ArrayLike,
    fixations: ArrayLike,
    n_splits: int = 100,
    step: float = 0.1,
    seed: int | None = 0,
) -> float:
    """Area under the ROC curve, Borji variant (MIT ``AUC_Borji.m``).

    The map is min-max normalised to ``[0, 1]``. For each of ``n_splits`` splits, ``n_f``
    pixel indices are drawn uniformly with replacement (MIT's ``randi``; here
    ``numpy.random.default_rng(seed)``), ``n_f`` the number of fixated pixels. Thresholds run
    from ``max`` down to 0 in steps of ``step`` (``fliplr(0:step:max)``); at each,
    ``TP = #{S_fix >= t} / n_f`` and ``FP = #{S_rand >= t} / n_f``; the curve is closed with
    ``(0, 0)`` and ``(1, 1)``, integrated with the trapezoid rule, and averaged over splits.
    Vectorised over splits and thresholds (a common threshold grid up to the overall maximum is
    used; thresholds above a split's own maximum add the point ``(0, 0)`` and zero area, so the
    result equals MIT's per-split grid).

    Parameters
    ----------
    saliency, fixations
        ``(H, W)`` map and binary / count fixation map (fixated pixels counted once).
    n_splits
        Number of random negative sets (100, MIT).
    step
        Threshold step (0.1, MIT).
    seed
        Seed of the random negatives.

    Raises
    ------
    ValueError
        Invalid inputs or parameters; a constant map.
    """
    if isinstance(n_splits, bool) or not isinstance(n_splits, numbers.Integral) or n_splits <= 0:
        raise ValueError(f"n_splits must be a positive int, got {n_splits!r}")
    if isinstance(step, bool) or not isinstance(step, numbers.Real) or not math.isfinite(step) or step <= 0:
        raise ValueError(f"step must be a positive finite number, got {step!r}")
    s = check_map(saliency, "saliency")
    f = check_fixations(fixations, "fixations", s.shape)
    s = _minmax(s, "saliency").ravel()
    sth = s[f.ravel() > 0]
    n_fix, n_pix = sth.size, s.size
    rng = np.random.default_rng(seed)
    rand_vals = s[rng.integers(0, n_pix, size=(int(n_splits), n_fix))]  # (splits, n_f)
    vmax = max(float(sth.max()), float(rand_vals.max()))
    n_thr = int(math.floor(vmax / step + 1e-10)) + 1
    thr = np.minimum(np.arange(n_thr, dtype=np.float64) * step, vmax)  # ascending 0:step:max
    # number of thresholds <= v, for each value; #{v >= thr[k]} = #{values with idx > k}
    tp_ge = n_fix - np.searchsorted(np.sort(sth), thr, side="left")  # (n_thr,)
    idx = np.searchsorted(thr, rand_vals, side="right")  # (splits, n_f) in 0..n_thr
    offs = idx + (n_thr + 1) * np.arange(int(n_splits))[:, None]
    hist = np.bincount(offs.ravel(), minlength=int(n_splits) * (n_thr + 1)).reshape(int(n_splits), n_thr + 1)
    fp_ge = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:]  # (splits, n_thr)
    # descending thresholds, closed curve
    tp = np.concatenate(([0.0], tp_ge[::-1] / n_fix, [1.0]))
    fp = np.concatenate((np.zeros((int(n_splits), 1)), fp_ge[:, ::-1] / n_fix, np.ones((int(n_splits), 1))), axis=1)
    auc = _trapezoid(np.broadcast_to(tp, fp.shape), fp)
    return float(np.mean(auc))


def information_gain(
    saliency: ArrayLike,
    fixations: ArrayLike,
    baseline: ArrayLike,
    eps: float = MATLAB_EPS,
    per_fixation: bool = False,
) -> float:
    """Information gain of a saliency map over a baseline, in bits per fixation (MIT ``InfoGain.m``).

    Both maps are min-max normalised, then divided by their sums (distributions ``S``, ``B``);

    .. math:: \\mathrm{IG} = \\frac{1}{n_f} \\sum_{i \\in \\mathrm{fix}}
              \\left[\\log_2(\\epsilon + S_i) - \\log_2(\\epsilon + B_i)\\right]

    By default the average runs over the fixated pixels, each counted once (MIT:
    ``locs = logical(fixationMap(:))``); ``per_fixation=True`` weights each pixel by its
    fixation count (an average over fixations, as pysaliency).

    Parameters
    ----------
    saliency, baseline
        ``(H, W)`` maps (the baseline is typically :func:`saliqa.saliency.centre_prior`).
    fixations
        ``(H, W)`` binary / count fixation map.
    eps
        Regulariser (MATLAB ``eps`` by default).
    per_fixation
        Weight pixels by fixation counts.

    Raises
    ------
    ValueError
        Invalid inputs; a constant saliency or baseline map (min-max undefined).
    """
    e = _check_eps(eps)
    s, b = _pair(saliency, baseline, "saliency", "baseline")
    f = check_fixations(fixations, "fixations", s.shape)
    lo_s, tot_s = _minmax_sum(s, "saliency")
    lo_b, tot_b = _minmax_sum(b, "baseline")
    fixed = np.flatnonzero(f.ravel() > 0)  # only the fixated pixels are needed
    S = (s.ravel()[fixed] - lo_s) / tot_s
    B = (b.ravel()[fixed] - lo_b) / tot_b
    gain = np.log2(e + S) - np.log2(e + B)
    if per_fixation:
        counts = f.ravel()[fixed]
        return float(np.dot(gain, counts) / counts.sum())
    return float(np.mean(gain))
