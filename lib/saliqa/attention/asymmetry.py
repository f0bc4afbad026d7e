"""KL asymmetry between experiments (seed 000, section 3.2 / Figure 3) and its read-out rules.

For each ordered pair of experiments ``(P, Q)``: ``D_KL(P||Q)`` and ``D_KL(Q||P)`` per image
version (P the posterior / "true" map, :func:`saliqa.metrics.saliency.kld`), their means
(Figure 3's arrows), a paired test of one direction against the other, and the paper's rules
("comparable, small values: closely related"; "D(P||Q) >> D(Q||P) and D(Q||P) small: P is
broader than and overlaps Q") with explicit thresholds (:class:`AsymmetryRules`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from saliqa import stats
from saliqa.attention.agreement import Missing, compare_maps
from saliqa.checks import check_choice, check_positive, check_real
from saliqa.constants import MATLAB_EPS
from saliqa.datasets.attention_design import ASYMMETRY_PAIRS

__all__ = ["AsymmetryRules", "read_asymmetry", "KLAsymmetry", "kl_asymmetry"]


@dataclass(frozen=True)
class AsymmetryRules:
    """Explicit thresholds of seed 000's read-out rules (section 3.2 bullets).

    The paper states the rules in words only ("comparable, small values"; "D(P||Q) >> D(Q||P)
    and D(Q||P) is small"); these numbers are this project's choices.

    Attributes
    ----------
    ratio : float = 1.5
        ``D(P||Q) / D(Q||P) > ratio`` is ">>"; a ratio within ``[1/ratio, ratio]`` is
        "comparable".
    small : float = 1.0
        A divergence ``<= small`` nats is "small".
    alpha : float = 0.05
        The paired test of ``D(P||Q)`` vs ``D(Q||P)`` must have ``p < alpha`` for ">>".
    """

    ratio: float = 1.5
    small: float = 1.0
    alpha: float = 0.05

    def __post_init__(self) -> None:
        check_real(self.ratio, "AsymmetryRules.ratio", low=1.0, low_open=True)
        check_positive(self.small, "AsymmetryRules.small")
        check_real(self.alpha, "AsymmetryRules.alpha", low=0.0, high=1.0, low_open=True, high_open=True)


def read_asymmetry(
    d_pq: float, d_qp: float, p_value: float, rules: AsymmetryRules = AsymmetryRules(), p: str = "P", q: str = "Q"
) -> tuple[str, str]:
    """Seed 000's read-out of a pair of mean divergences (section 3.2).

    Rules, in order:

    1. ``closely_related``: ``max / min <= ratio`` and both ``<= small`` -- "comparable, small
       values: P and Q are closely related";
    2. ``p_broader``: ``d_pq / d_qp > ratio``, ``p_value < alpha`` and ``d_qp <= small`` --
       "P is broader than and overlaps Q" (``q_broader`` symmetrically);
    3. otherwise ``comparable_large`` (comparable but not small: the maps differ),
       ``asymmetric`` (one direction larger but the rest of rule 2 fails).

    Divergences within ``1e-9`` below zero (the MIT form's ``eps`` terms) count as 0.

    Returns
    -------
    (code, text)
    """
    tol = 1e-9  # the MIT form's eps terms can make a divergence of near-identical maps slightly negative
    if not (math.isfinite(d_pq) and math.isfinite(d_qp)) or d_pq < -tol or d_qp < -tol:
        raise ValueError(f"divergences must be finite and >= 0, got d_pq={d_pq!r}, d_qp={d_qp!r}")
    d_pq, d_qp = max(d_pq, 0.0), max(d_qp, 0.0)
    lo, hi = min(d_pq, d_qp), max(d_pq, d_qp)
    ratio = 1.0 if hi <= tol else (hi / lo if lo > 0 else math.inf)
    sig = math.isfinite(p_value) and p_value < rules.alpha
    if ratio <= rules.ratio:
        if hi <= rules.small:
            return "closely_related", f"{p} and {q} are closely related (comparable, small divergences)"
        return "comparable_large", f"{p} and {q} differ (comparable but not small divergences)"
    if d_pq > d_qp and sig and d_qp <= rules.small:
        return "p_broader", f"{p} is broader than and overlaps {q}"
    if d_qp > d_pq and sig and d_pq <= rules.small:
        return "q_broader", f"{q} is broader than and overlaps {p}"
    return "asymmetric", f"{p} vs {q}: asymmetric, but the 'broader and overlapping' rule is not met"


@dataclass(frozen=True)
class KLAsymmetry:
    """Result of :func:`kl_asymmetry` (Figure 3 data).

    Attributes
    ----------
    summary : DataFrame
        One row per pair: ``p``, ``q``, ``n_images``, ``n_units``, ``unit``, ``mean_d_pq``
        (``D(P||Q)``, P posterior), ``mean_d_qp``, ``ratio`` (``mean_d_pq / mean_d_qp``),
        ``test``, ``statistic``, ``p_value``, ``effect_size`` (rank-biserial of ``d_pq`` vs
        ``d_qp``; > 0 when ``D(P||Q)`` is larger), ``readout``, ``readout_text``.
    per_image : DataFrame
        ``p``, ``q``, ``image_id``, (``content_id``), ``d_pq``, ``d_qp``.
    rules : AsymmetryRules
    eps : float
    """

    summary: pd.DataFrame
    per_image: pd.DataFrame
    rules: AsymmetryRules
    eps: float

    def as_records(self) -> list[dict[str, Any]]:
        """The summary as JSON-friendly records (with the rules and eps)."""
        recs = self.summary.to_dict(orient="records")
        for r in recs:
            r.update({"rules": asdict(self.rules), "eps": self.eps})
        return recs


def kl_asymmetry(
    maps_by_experiment: Mapping[str, Mapping[Hashable, np.ndarray]],
    pairs: Sequence[tuple[str, str]] = ASYMMETRY_PAIRS,
    *,
    eps: float = MATLAB_EPS,
    images: pd.DataFrame | None = None,
    unit: Literal["content", "image"] = "content",
    rules: AsymmetryRules = AsymmetryRules(),
    test: Literal["wilcoxon", "ttest"] = "wilcoxon",
    missing: Missing = "raise",
) -> KLAsymmetry:
    """``D_KL`` in both directions for each compared pair of experiments (seed 000, Fig. 3).

    For each pair ``(P, Q)`` and each common image version: ``d_pq = D_KL(P||Q)`` (P the
    posterior / "true" map, the head of Figure 3's arrow from Q) and ``d_qp = D_KL(Q||P)``. The
    means over versions are Figure 3's numbers. The paired test of ``d_pq`` vs ``d_qp``
    (:func:`saliqa.stats.paired_test`, Wilcoxon signed-rank by default, with the rank-biserial
    effect size) runs over *contents* by default (``unit="content"``: the per-version
    divergences are averaged within each content first, since the JPEG versions of one
    photograph are not independent; needs ``images``) or over versions (``unit="image"``).
    :func:`read_asymmetry` then applies the paper's rules with the thresholds of ``rules``.

    Parameters
    ----------
    maps_by_experiment
        ``{experiment: {image_id: map}}`` (:func:`experiment_maps`).
    pairs
        ``(P, Q)`` pairs; default :data:`ASYMMETRY_PAIRS`. Pairs with an absent experiment are
        left out with a warning.
    eps
        KL regulariser.
    images
        Images table (for ``content_id``); required with ``unit="content"``.
    unit, rules, test, missing
        See above / :func:`compare_maps`.

    Raises
    ------
    ValueError
        ``unit="content"`` without ``images``; fewer than 2 units for the test; see
        :func:`compare_maps`.
    """
    check_choice(unit, "unit", ("content", "image"))
    if unit == "content" and images is None:
        raise ValueError("unit='content' needs images= (for content_id); pass it or use unit='image'")
    rows, per = [], []
    for p, q in pairs:
        absent = [e for e in (p, q) if e not in maps_by_experiment]
        if absent:
            warnings.warn(f"kl_asymmetry: pair ({p}, {q}) left out, experiment(s) {absent} absent", stacklevel=2)
            continue
        comp = compare_maps(maps_by_experiment[p], maps_by_experiment[q], eps=eps, images=images, missing=missing)
        d = comp.rename(columns={"kl_ab": "d_pq", "kl_ba": "d_qp"})
        cols = ["image_id"] + (["content_id"] if "content_id" in d.columns else []) + ["d_pq", "d_qp"]
        per.append(d[cols].assign(p=p, q=q))
        units = d.groupby("content_id", sort=True)[["d_pq", "d_qp"]].mean() if unit == "content" else d
        if len(units) < 2:
            raise ValueError(f"kl_asymmetry: pair ({p}, {q}) has {len(units)} {unit}(s); the paired test needs >= 2")
        res = stats.paired_test(units["d_pq"].to_numpy(), units["d_qp"].to_numpy(), test=test)
        m_pq, m_qp = float(d["d_pq"].mean()), float(d["d_qp"].mean())
        code, text = read_asymmetry(m_pq, m_qp, res.p_value, rules, p, q)
        rows.append(
            {
                "p": p,
                "q": q,
                "n_images": len(d),
                "n_units": len(units),
                "unit": unit,
                "mean_d_pq": m_pq,
                "mean_d_qp": m_qp,
                "ratio": m_pq / m_qp if m_qp > 0 else math.inf,
                "test": res.test,
                "statistic": res.statistic,
                "p_value": res.p_value,
                "effect_size": res.effect_size,
                "readout": code,
                "readout_text": text,
            }
        )
    if not rows:
        raise ValueError("kl_asymmetry: no pair could be compared")
    per_image = pd.concat(per, ignore_index=True)
    per_image = per_image[["p", "q"] + [c for c in per_image.columns if c not in ("p", "q")]]
    return KLAsymmetry(pd.DataFrame(rows), per_image, rules, float(eps))
