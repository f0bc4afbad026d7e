"""Agreement between predicted quality scores and subjective scores (MOS).

The IQA evaluation criteria used by the seeds:

- SRCC (Spearman rank-order correlation), KRCC (Kendall rank correlation): monotonicity.
- PLCC (Pearson linear correlation) and RMSE: accuracy, either on the raw predictions or after
  the standard monotonic logistic mapping of the predictions onto the MOS scale (VQEG FR-TV
  Phase II final report, 2003; Sheikh, Sabir & Bovik, "A statistical evaluation of recent full
  reference image quality assessment algorithms", IEEE TIP 2006, its 5-parameter logistic).
- FracCP (fraction of concordant pairs), seed 002 Sec. III: per group of items (the compressed
  versions of one image), the fraction of ordered pairs on which prediction and MOS agree,
  averaged over the groups.

Conventions
-----------
``pred`` and ``mos`` are 1-D sequences of equal length with finite values; the argument name
appears in every ``ValueError``. Correlations of a constant vector are undefined and raise
``ValueError`` rather than returning NaN. Ties are handled by scipy's defaults: average ranks for
SRCC, tau-b for KRCC (``variant`` selects tau-c).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special, stats

__all__ = [
    "LogisticFit",
    "LOGISTIC_KINDS",
    "srcc",
    "krcc",
    "plcc",
    "rmse",
    "logistic4",
    "logistic5",
    "logistic_fit",
    "concordant_pairs_by_group",
    "frac_concordant_pairs",
]

FitKind = Literal["logistic4", "logistic5"]
LOGISTIC_KINDS: tuple[str, ...] = ("logistic4", "logistic5")


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------


def _as_vector(x: ArrayLike, name: str) -> NDArray[np.float64]:
    """``x`` as a 1-D float array with finite values, or ``ValueError`` naming ``name``."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a 1-D sequence of numbers; got {type(x).__name__}") from err
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name}[{i}] = {arr[i]!r} is not finite ({int(bad.sum())} non-finite values); expected finite numbers"
        )
    return arr


def _check_pair(pred: ArrayLike, mos: ArrayLike, min_n: int = 3) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate a (pred, mos) pair: 1-D, equal length, finite, at least ``min_n`` items."""
    p = _as_vector(pred, "pred")
    m = _as_vector(mos, "mos")
    if p.shape != m.shape:
        raise ValueError(f"pred and mos must have equal length; got {p.size} and {m.size}")
    if p.size < min_n:
        raise ValueError(f"pred and mos need at least {min_n} items; got {p.size}")
    return p, m


def _check_not_constant(x: NDArray[np.float64], name: str, what: str) -> None:
    if np.ptp(x) == 0:
        raise ValueError(f"{name} is constant (all values = {x[0]!r}); {what} is undefined")


# --------------------------------------------------------------------------------------------
# rank and linear correlation
# --------------------------------------------------------------------------------------------


def srcc(pred: ArrayLike, mos: ArrayLike) -> float:
    """Spearman rank-order correlation coefficient between predictions and MOS.

    Pearson correlation of the ranks; tied values get the average of their ranks
    (``scipy.stats.spearmanr``).

    Parameters
    ----------
    pred, mos : array_like, shape (n,)
        Predicted scores and subjective scores; finite, n >= 3.

    Returns
    -------
    float
        SRCC in [-1, 1].

    Raises
    ------
    ValueError
        On unequal lengths, non-finite values, n < 3, or a constant input.
    """
    p, m = _check_pair(pred, mos)
    _check_not_constant(p, "pred", "SRCC")
    _check_not_constant(m, "mos", "SRCC")
    return float(stats.spearmanr(p, m).statistic)


def krcc(pred: ArrayLike, mos: ArrayLike, variant: Literal["b", "c"] = "b") -> float:
    """Kendall rank correlation coefficient between predictions and MOS.

    Without ties, ``(C - D) / (n (n - 1) / 2)`` with C / D the concordant / discordant unordered
    pairs; with ties, tau-b (default, as ``scipy.stats.kendalltau``) or tau-c.

    Parameters
    ----------
    pred, mos : array_like, shape (n,)
        Finite, n >= 3.
    variant : {"b", "c"}
        Tie-corrected variant.

    Returns
    -------
    float
        KRCC in [-1, 1].
    """
    if variant not in ("b", "c"):
        raise ValueError(f"variant must be 'b' or 'c'; got {variant!r}")
    p, m = _check_pair(pred, mos)
    _check_not_constant(p, "pred", "KRCC")
    _check_not_constant(m, "mos", "KRCC")
    return float(stats.kendalltau(p, m, variant=variant).statistic)


# --------------------------------------------------------------------------------------------
# logistic mappings
# --------------------------------------------------------------------------------------------


def logistic4(x: ArrayLike, b1: float, b2: float, b3: float, b4: float) -> NDArray[np.float64]:
    """4-parameter logistic of the VQEG FR-TV Phase II final report (2003).

    ``f(x) = (b1 - b2) / (1 + exp(-(x - b3) / |b4|)) + b2``: from ``b2`` (x -> -inf) to ``b1``
    (x -> +inf), centre ``b3``, scale ``|b4|``. Computed with ``scipy.special.expit`` (no
    overflow).
    """
    x = np.asarray(x, dtype=float)
    return (b1 - b2) * special.expit((x - b3) / np.abs(b4)) + b2


def logistic5(x: ArrayLike, b1: float, b2: float, b3: float, b4: float, b5: float) -> NDArray[np.float64]:
    """5-parameter logistic of Sheikh, Sabir & Bovik (IEEE TIP 2006).

    ``f(x) = b1 * (1/2 - 1 / (1 + exp(b2 (x - b3)))) + b4 x + b5``, a logistic of amplitude
    ``b1`` and slope ``b2`` centred at ``b3`` plus a linear term. Written as
    ``b1 * (expit(b2 (x - b3)) - 1/2) + b4 x + b5`` (the same function, no overflow).
    """
    x = np.asarray(x, dtype=float)
    return b1 * (special.expit(b2 * (x - b3)) - 0.5) + b4 * x + b5


@dataclass(frozen=True)
class LogisticFit:
    """A fitted monotonic logistic mapping from predictions to the MOS scale.

    Attributes
    ----------
    kind : {"logistic4", "logistic5"}
        Which function (:func:`logistic4` or :func:`logistic5`).
    params : ndarray
        ``(b1, b2, b3, b4)`` or ``(b1, ..., b5)`` in the units of the original predictions.
    p0 : ndarray
        The initial guesses handed to the optimiser, same units.

    Calling the object maps predictions: ``fit(pred)``.
    """

    kind: str
    params: NDArray[np.float64]
    p0: NDArray[np.float64]

    def __call__(self, x: ArrayLike) -> NDArray[np.float64]:
        func = logistic4 if self.kind == "logistic4" else logistic5
        return func(x, *self.params)


def _initial_guess(kind: str, m: NDArray[np.float64], sign: float) -> NDArray[np.float64]:
    """Initial guesses on standardised predictions z = (pred - mean) / std (see logistic_fit)."""
    lo, hi = float(m.min()), float(m.max())
    if kind == "logistic4":
        return np.array([hi, lo, 0.0, 1.0]) if sign >= 0 else np.array([lo, hi, 0.0, 1.0])
    return np.array([sign * (hi - lo), 1.0, 0.0, 0.0, float(m.mean())])


def _to_original_units(kind: str, q: NDArray[np.float64], centre: float, scale: float) -> NDArray[np.float64]:
    """Parameters fitted on z = (x - centre) / scale, rewritten for x."""
    q = np.asarray(q, dtype=float)
    if kind == "logistic4":
        b1, b2, b3, b4 = q
        return np.array([b1, b2, centre + scale * b3, scale * abs(b4)])
    b1, b2, b3, b4, b5 = q
    return np.array([b1, b2 / scale, centre + scale * b3, b4 / scale, b5 - b4 * centre / scale])


def logistic_fit(pred: ArrayLike, mos: ArrayLike, kind: FitKind = "logistic5") -> LogisticFit:
    """Least-squares fit of a monotonic logistic mapping ``pred -> mos``.

    The nonlinear regression used before PLCC / RMSE in IQA evaluation (VQEG FR-TV Phase II;
    Sheikh, Sabir & Bovik, IEEE TIP 2006). Fitted with
    ``scipy.optimize.curve_fit`` (Levenberg-Marquardt, ``maxfev=20000``) on the standardised
    predictions ``z = (pred - mean(pred)) / std(pred)`` for conditioning; the returned parameters
    are converted back to the units of ``pred``.

    Initial guesses (``s`` = sign of the Spearman correlation of pred and mos, +1 when zero;
    ``mean``/``std`` of pred, population std):

    - ``logistic4``: ``b1 = max(mos)``, ``b2 = min(mos)`` (swapped when s < 0),
      ``b3 = mean(pred)``, ``b4 = std(pred)``.
    - ``logistic5``: ``b1 = s * (max(mos) - min(mos))``, ``b2 = 1 / std(pred)``,
      ``b3 = mean(pred)``, ``b4 = 0``, ``b5 = mean(mos)``.

    Parameters
    ----------
    pred, mos : array_like, shape (n,)
        Finite; n >= number of parameters (4 or 5); pred not constant.
    kind : {"logistic4", "logistic5"}
        The mapping.

    Returns
    -------
    LogisticFit
        Callable mapping with its parameters and initial guesses.

    Raises
    ------
    ValueError
        Bad input (see :func:`srcc`), unknown ``kind``, or fewer items than parameters.
    RuntimeError
        When the optimiser does not converge.
    """
    if kind not in LOGISTIC_KINDS:
        raise ValueError(f"kind must be one of {LOGISTIC_KINDS}; got {kind!r}")
    n_params = 4 if kind == "logistic4" else 5
    p, m = _check_pair(pred, mos, min_n=n_params)
    _check_not_constant(p, "pred", "a logistic fit")
    centre, scale = float(p.mean()), float(p.std())
    z = (p - centre) / scale
    rho = stats.spearmanr(p, m).statistic if np.ptp(m) > 0 else 1.0
    sign = -1.0 if rho < 0 else 1.0
    q0 = _initial_guess(kind, m, sign)
    func = logistic4 if kind == "logistic4" else logistic5
    with warnings.catch_warnings():
        # the parameter covariance is not used; its estimation may fail on perfect fits
        warnings.simplefilter("ignore", optimize.OptimizeWarning)
        try:
            q, _ = optimize.curve_fit(func, z, m, p0=q0, maxfev=20000)
        except RuntimeError as err:
            raise RuntimeError(f"{kind} fit of mos on pred did not converge: {err}") from err
    return LogisticFit(
        kind=kind,
        params=_to_original_units(kind, q, centre, scale),
        p0=_to_original_units(kind, q0, centre, scale),
    )


def _mapped(p: NDArray[np.float64], m: NDArray[np.float64], fit: FitKind | None) -> NDArray[np.float64]:
    if fit is None:
        return p
    if fit not in LOGISTIC_KINDS:
        raise ValueError(f"fit must be None or one of {LOGISTIC_KINDS}; got {fit!r}")
    return logistic_fit(p, m, fit)(p)


def plcc(pred: ArrayLike, mos: ArrayLike, fit: FitKind | None = None) -> float:
    """Pearson linear correlation coefficient, optionally after a logistic mapping of ``pred``.

    Parameters
    ----------
    pred, mos : array_like, shape (n,)
        Finite, n >= 3 (n >= 4 / 5 with a fit).
    fit : {None, "logistic4", "logistic5"}
        None: PLCC of the raw predictions. Otherwise PLCC of ``logistic_fit(pred, mos, fit)(pred)``
        with ``mos`` (Sheikh et al. 2006: accuracy after the nonlinear regression).

    Returns
    -------
    float
        PLCC in [-1, 1].

    Raises
    ------
    ValueError
        On bad input or a constant (mapped) prediction.
    """
    p, m = _check_pair(pred, mos)
    _check_not_constant(p, "pred", "PLCC")
    _check_not_constant(m, "mos", "PLCC")
    q = _mapped(p, m, fit)
    _check_not_constant(q, f"pred after the {fit} mapping", "PLCC")
    return float(stats.pearsonr(q, m).statistic)


def rmse(pred: ArrayLike, mos: ArrayLike, fit: FitKind | None = None) -> float:
    """Root-mean-square error ``sqrt(mean((f(pred) - mos)^2))``.

    Parameters
    ----------
    pred, mos : array_like, shape (n,)
        Finite, n >= 3 (n >= 4 / 5 with a fit).
    fit : {None, "logistic4", "logistic5"}
        ``f`` is the identity (None) or the fitted logistic mapping (see :func:`plcc`).

    Returns
    -------
    float
        RMSE in the units of ``mos``.
    """
    p, m = _check_pair(pred, mos)
    q = _mapped(p, m, fit)
    return float(np.sqrt(np.mean((q - m) ** 2)))


# --------------------------------------------------------------------------------------------
# fraction of concordant pairs (seed 002)
# --------------------------------------------------------------------------------------------


def _group_codes(groups: ArrayLike | Sequence[Hashable], n: int) -> tuple[NDArray[np.intp], pd.Index]:
    """Integer codes (order of first appearance) and labels of ``groups``; checks length / NaN."""
    if isinstance(groups, pd.Series):
        arr = groups.to_numpy(dtype=object)
    else:
        arr = np.asarray(groups, dtype=object)
    if arr.ndim != 1 or arr.size != n:
        raise ValueError(f"groups must be 1-D with the length of pred ({n}); got shape {arr.shape}")
    missing = pd.isna(arr)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise ValueError(f"groups[{i}] is missing (NaN/None); every item needs a group label")
    codes, uniques = pd.factorize(arr, sort=False)
    return codes, pd.Index(uniques)


def concordant_pairs_by_group(
    pred: ArrayLike,
    mos: ArrayLike,
    groups: ArrayLike | Sequence[Hashable],
    pred_ties: Literal["discordant", "half"] = "discordant",
) -> pd.DataFrame:
    """Per-group counts of concordant ordered pairs (seed 002, Sec. III, "FracCP").

    Within a group, every ordered pair (i, j), i != j, with ``mos_i != mos_j`` is a valid pair;
    it is concordant when ``sign(pred_i - pred_j) == sign(mos_i - mos_j)``. Pairs tied in MOS are
    not counted at all (their order is undefined). Pairs tied in ``pred`` but not in MOS count as
    not concordant (``pred_ties="discordant"``, the strict reading of the sign equality) or as
    half concordant (``"half"``, the chance level). Counting ordered pairs gives each unordered
    pair twice, so the fraction equals the unordered one. Computed per group with pairwise sign
    matrices (memory O(n_g^2) for a group of n_g items: meant for groups of versions of one
    image, not for one group of the whole set).

    Parameters
    ----------
    pred, mos : array_like, shape (n,)
        Finite, n >= 2.
    groups : array_like, shape (n,)
        Group label of each item (e.g. the source image of each compressed version); no NaN.
    pred_ties : {"discordant", "half"}
        How prediction ties between items of different MOS count.

    Returns
    -------
    DataFrame
        One row per group, in order of first appearance: ``group``, ``n_items``, ``n_pairs``
        (valid ordered pairs), ``n_concordant`` (float when ``pred_ties="half"``), ``frac``
        (NaN where ``n_pairs == 0``: a single item, or all MOS tied).
    """
    if pred_ties not in ("discordant", "half"):
        raise ValueError(f"pred_ties must be 'discordant' or 'half'; got {pred_ties!r}")
    p, m = _check_pair(pred, mos, min_n=2)
    codes, labels = _group_codes(groups, p.size)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    rows = []
    for idx in np.split(order, bounds):
        sp = np.sign(p[idx][:, None] - p[idx][None, :])
        sm = np.sign(m[idx][:, None] - m[idx][None, :])
        valid = sm != 0
        n_pairs = int(valid.sum())
        agree = float((valid & (sp == sm)).sum())
        if pred_ties == "half":
            agree += 0.5 * float((valid & (sp == 0)).sum())
        rows.append((idx.size, n_pairs, agree))
    stats_ = np.array(rows, dtype=float).reshape(-1, 3)
    n_pairs = stats_[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(n_pairs > 0, stats_[:, 2] / np.where(n_pairs > 0, n_pairs, 1), np.nan)
    return pd.DataFrame(
        {
            "group": labels,
            "n_items": stats_[:, 0].astype(int),
            "n_pairs": n_pairs.astype(int),
            "n_concordant": stats_[:, 2] if pred_ties == "half" else stats_[:, 2].astype(int),
            "frac": frac,
        }
    )


def frac_concordant_pairs(
    pred: ArrayLike,
    mos: ArrayLike,
    groups: ArrayLike | Sequence[Hashable],
    pred_ties: Literal["discordant", "half"] = "discordant",
) -> float:
    """Fraction of concordant pairs, averaged over groups (seed 002, Sec. III, "FracCP").

    Per group, the fraction of valid ordered pairs on which ``pred`` orders the items as ``mos``
    does (see :func:`concordant_pairs_by_group` for pairs and ties); the unweighted mean over
    groups is returned. Groups without a valid pair (fewer than 2 items, or all MOS tied) have no
    fraction: they are excluded from the mean with a ``UserWarning`` that counts them.

    Parameters
    ----------
    pred, mos : array_like, shape (n,)
        Finite, n >= 2.
    groups : array_like, shape (n,)
        Group label of each item.
    pred_ties : {"discordant", "half"}
        How prediction ties count (default: not concordant).

    Returns
    -------
    float
        FracCP in [0, 1].

    Raises
    ------
    ValueError
        On bad input, or when no group has a valid pair.
    """
    table = concordant_pairs_by_group(pred, mos, groups, pred_ties=pred_ties)
    usable = table["n_pairs"] > 0
    n_excluded = int((~usable).sum())
    if not usable.any():
        raise ValueError(
            f"no group has a pair of items with different mos ({len(table)} groups); "
            "FracCP needs groups of >= 2 items with distinct mos values"
        )
    if n_excluded:
        n_small = int((table["n_items"] < 2).sum())
        warnings.warn(
            f"FracCP: {n_excluded} of {len(table)} groups excluded ({n_small} with fewer than 2 "
            f"items, {n_excluded - n_small} with all mos tied)",
            UserWarning,
            stacklevel=2,
        )
    return float(table.loc[usable, "frac"].mean())
