"""Seed 000's analysis: pooled saliency maps, map agreement (Table 1), KL asymmetry (Fig. 3), MOS (Fig. 2).

Seed 000 (crowdsourced self-reported attention vs eye tracking, free viewing vs an IQA task):

* section 2.3 -- one saliency map per stimulus and experiment, pooling the points of *all*
  participants and summing Gaussians of a fixed ``sigma`` of about 2 degrees of visual angle
  (the fovea): :func:`sigma_px_from_geometry`, :func:`pooled_saliency_maps`,
  :func:`experiment_maps`;
* section 3.2 / Table 1 -- PCC, Bhattacharyya distance and KL divergence between the maps of the
  same image version from two experiments, averaged over versions: :func:`compare_maps`,
  :func:`table1_comparisons`, :func:`table1` (adds SIM and bootstrap confidence intervals);
* section 3.2 / Figure 3 -- ``D_KL`` in both directions and the asymmetry rules:
  :func:`kl_asymmetry`, :class:`AsymmetryRules`;
* section 3.1 / Figure 2 -- MOS per image version against the JPEG quality level:
  :func:`mos_vs_jpeg`, :func:`lab_mos_vs_jpeg`;
* Figure 4 -- which versions the map grid shows: :func:`map_grid_selection`.

The four experiments are named as in :data:`EXPERIMENTS`: ``eye_free``, ``eye_iqa``,
``crowd_free``, ``crowd_iqa`` (``source`` eye|click x ``task`` free|iqa of the canonical
``fixations`` table). KL convention: ``D_KL(P||Q)`` with ``P`` the posterior ("true") map and
``Q`` the prior (:func:`saliqa.metrics.saliency.kld`, MIT form, explicit ``eps``).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from saliqa import saliency as sal
from saliqa import stats
from saliqa.datasets.tables import validate
from saliqa.metrics import saliency as msal

__all__ = [
    "EXPERIMENTS",
    "TABLE1_COMPARISONS",
    "ASYMMETRY_PAIRS",
    "MEASURES",
    "sigma_px_from_geometry",
    "pooled_saliency_maps",
    "experiment_maps",
    "compare_maps",
    "table1_comparisons",
    "table1",
    "format_table1",
    "AsymmetryRules",
    "KLAsymmetry",
    "read_asymmetry",
    "kl_asymmetry",
    "mos_vs_jpeg",
    "lab_mos_vs_jpeg",
    "map_grid_selection",
]

EXPERIMENTS: Mapping[str, tuple[str, str]] = {
    "eye_free": ("eye", "free"),
    "eye_iqa": ("eye", "iqa"),
    "crowd_free": ("click", "free"),
    "crowd_iqa": ("click", "iqa"),
}
"""Experiment name -> (``source``, ``task``) in the canonical fixations table."""

TABLE1_COMPARISONS: Mapping[str, tuple[str, str]] = {
    "P_Free": ("eye_free", "crowd_free"),
    "P_IQA": ("eye_iqa", "crowd_iqa"),
    "P_Eye": ("eye_free", "eye_iqa"),
    "P_Crowd": ("crowd_free", "crowd_iqa"),
}
"""Seed 000 Table 1 columns: 'Free' / 'IQA' compare eye tracking with crowd in one task; 'Eye' /
'Crowd' compare free viewing with the IQA task within one data source."""

ASYMMETRY_PAIRS: tuple[tuple[str, str], ...] = (
    ("eye_iqa", "eye_free"),
    ("crowd_iqa", "crowd_free"),
    ("eye_free", "crowd_free"),
    ("eye_iqa", "crowd_iqa"),
)
"""Figure 3's compared pairs ``(P, Q)``; both ``D(P||Q)`` and ``D(Q||P)`` are computed. The order
only fixes which direction is called ``d_pq``."""

_REFERENCE_DISTORTIONS = ("none", "reference", "original", "pristine")

MEASURES: Mapping[str, str] = {
    "DKL": "kl_sym",
    "DBhat": "bhattacharyya",
    "PCC": "pcc",
    "SIM": "sim",
}
"""Table 1 row name -> column of :func:`compare_maps` (DKL is ``(D(P||Q) + D(Q||P)) / 2``)."""


def _real(name: str, v: Any, *, positive: bool = True) -> float:
    ok = isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(float(v))
    if not ok or (positive and float(v) <= 0):
        raise ValueError(f"{name} must be a {'positive ' if positive else ''}finite number, got {v!r}")
    return float(v)


# --------------------------------------------------------------------------------------------
# maps (section 2.3)
# --------------------------------------------------------------------------------------------


def sigma_px_from_geometry(
    sigma_deg: float = 2.0,
    *,
    viewing_distance: float,
    screen_width: float,
    screen_width_px: float,
    image_scale: float = 1.0,
) -> float:
    """Gaussian sigma in image pixels for ``sigma_deg`` degrees of visual angle (seed 000, 2.3).

    ``sigma_px = sigma_deg * ppd * image_scale`` with ``ppd`` from
    :func:`saliqa.saliency.pixels_per_degree` (``screen_width_px`` pixels spanning
    ``screen_width`` at ``viewing_distance``, same length unit) and ``image_scale`` the stored
    image pixels per displayed pixel (1 when the images are analysed at display size).

    Parameters
    ----------
    sigma_deg
        Seed 000: "about two degrees of visual angle" (the fovea). Default 2.0.
    viewing_distance, screen_width, screen_width_px
        Viewing geometry.
    image_scale
        Stored / displayed pixel ratio (> 0).
    """
    ppd = sal.pixels_per_degree(viewing_distance, screen_width, screen_width_px)
    return sal.sigma_from_degrees(sigma_deg, ppd) * _real("image_scale", image_scale)


def _shapes(images: pd.DataFrame) -> dict[Hashable, tuple[int, int]]:
    validate(images, "images", origin="images")
    ids = images["image_id"]
    if ids.duplicated().any():
        raise ValueError(f"images: duplicated image_id {ids[ids.duplicated()].iloc[0]!r}")
    return {i: (int(h), int(w)) for i, h, w in zip(ids, images["height"], images["width"])}


def pooled_saliency_maps(
    fixations: pd.DataFrame,
    images: pd.DataFrame,
    sigma_px: float,
    *,
    by: Sequence[str] = ("image_id", "source", "task"),
    kernel: Literal["2sigma2", "sigma2"] = "2sigma2",
    outside: Literal["raise", "clip", "drop"] = "raise",
) -> dict[tuple[Any, ...], np.ndarray]:
    """Seed 000's pooled saliency map per group of points (section 2.3).

    ``S_i(x, y) = sum_j exp(-((x - x_j)^2 + (y - y_j)^2) / (2 sigma^2))`` over the points of all
    participants in the group (:func:`saliqa.saliency.saliency_map`; not normalised).

    Parameters
    ----------
    fixations
        Canonical fixations table (points ``x``, ``y`` in image pixels).
    images
        Canonical images table giving each ``image_id``'s ``(height, width)``.
    sigma_px
        Gaussian sigma in pixels (see :func:`sigma_px_from_geometry`).
    by
        Grouping columns; must include ``"image_id"``. Default one map per
        (image version, source, task).
    kernel
        ``"2sigma2"`` (seed 000) or ``"sigma2"``.
    outside
        Points outside the image: ``"raise"`` (default), ``"clip"`` or ``"drop"`` (both warn
        with the count).

    Returns
    -------
    dict
        Group tuple (in ``by`` order) -> ``(H, W)`` float64 map.

    Raises
    ------
    ValueError
        Missing columns, an ``image_id`` absent from ``images``, points outside the image.
    """
    validate(fixations, "fixations", origin="fixations")
    by = tuple(by)
    if "image_id" not in by:
        raise ValueError(f"by must include 'image_id' (the map's image), got {by!r}")
    missing_cols = [c for c in by if c not in fixations.columns]
    if missing_cols:
        raise ValueError(f"fixations: missing grouping column(s) {missing_cols}")
    sigma = _real("sigma_px", sigma_px)
    shapes = _shapes(images)
    unknown = sorted(set(fixations["image_id"]) - set(shapes), key=str)
    if unknown:
        raise ValueError(f"fixations: {len(unknown)} image_id(s) not in images, e.g. {unknown[:3]}")
    pos = by.index("image_id")
    out: dict[tuple[Any, ...], np.ndarray] = {}
    for key, grp in fixations.groupby(list(by), sort=True, dropna=False):  # loop over maps
        key = key if isinstance(key, tuple) else (key,)
        pts = grp[["x", "y"]].to_numpy(dtype=np.float64)
        out[key] = sal.saliency_map(pts, shapes[key[pos]], sigma, kernel=kernel, outside=outside)
    return out


def experiment_maps(
    fixations: pd.DataFrame,
    images: pd.DataFrame,
    sigma_px: float,
    *,
    experiments: Mapping[str, tuple[str, str]] = EXPERIMENTS,
    kernel: Literal["2sigma2", "sigma2"] = "2sigma2",
    outside: Literal["raise", "clip", "drop"] = "raise",
) -> dict[str, dict[Hashable, np.ndarray]]:
    """Pooled maps of each experiment: ``{experiment: {image_id: map}}``.

    An experiment (``source``, ``task``) with no points at all is left out with a warning; one
    that lacks some image versions that other experiments have gets a warning naming the count
    (the comparison functions then raise or skip them explicitly).
    """
    pooled = pooled_saliency_maps(fixations, images, sigma_px, kernel=kernel, outside=outside)
    out: dict[str, dict[Hashable, np.ndarray]] = {}
    for name, (source, task) in experiments.items():
        maps = {img: m for (img, s, t), m in pooled.items() if s == source and t == task}
        if not maps:
            warnings.warn(f"experiment_maps: no points for experiment {name!r} (source={source!r}, "
                          f"task={task!r}); left out", stacklevel=2)
            continue
        out[name] = maps
    if out:
        every = set().union(*(set(m) for m in out.values()))
        for name, maps in out.items():
            lacking = len(every - set(maps))
            if lacking:
                warnings.warn(f"experiment_maps: {name!r} has no points on {lacking} of {len(every)} image "
                              "versions that other experiments cover", stacklevel=2)
    return out


# --------------------------------------------------------------------------------------------
# agreement between maps (Table 1)
# --------------------------------------------------------------------------------------------


def _common_keys(maps_a: Mapping[Hashable, Any], maps_b: Mapping[Hashable, Any], missing: str,
                 what: str) -> list[Hashable]:
    if missing not in ("raise", "skip"):
        raise ValueError(f"missing must be 'raise' or 'skip', got {missing!r}")
    a, b = set(maps_a), set(maps_b)
    only = (a - b) | (b - a)
    if only:
        msg = (f"{what}: {len(a - b)} image version(s) only in the first and {len(b - a)} only in the "
               f"second set of maps, e.g. {sorted(only, key=str)[:3]}")
        if missing == "raise":
            raise ValueError(msg + "; pass missing='skip' to compare the common ones")
        warnings.warn(msg + f"; skipped, {len(a & b)} compared", stacklevel=3)
    keys = [k for k in maps_a if k in b]
    if not keys:
        raise ValueError(f"{what}: no image version in common")
    return keys


def _attach_images(df: pd.DataFrame, images: pd.DataFrame | None) -> pd.DataFrame:
    if images is None:
        return df
    validate(images, "images", origin="images")
    info = images.set_index("image_id")[["content_id", "distortion", "level"]]
    unknown = [k for k in df["image_id"] if k not in info.index]
    if unknown:
        raise ValueError(f"images: {len(unknown)} compared image_id(s) not in the images table, e.g. {unknown[:3]}")
    return df.join(info, on="image_id")


def compare_maps(
    maps_a: Mapping[Hashable, np.ndarray],
    maps_b: Mapping[Hashable, np.ndarray],
    *,
    eps: float = msal.MATLAB_EPS,
    images: pd.DataFrame | None = None,
    missing: Literal["raise", "skip"] = "raise",
) -> pd.DataFrame:
    """Agreement of two experiments' maps on each common image version (seed 000, Table 1).

    Parameters
    ----------
    maps_a, maps_b
        ``{image_id: (H, W) map}`` (e.g. two entries of :func:`experiment_maps`).
    eps
        KL regulariser (:func:`saliqa.metrics.saliency.kld`; MATLAB eps by default).
    images
        Optional images table; adds ``content_id``, ``distortion``, ``level`` (needed by the
        cluster bootstrap of :func:`table1`).
    missing
        Versions present in only one set: ``"raise"`` (default) or ``"skip"`` (warns with the
        counts).

    Returns
    -------
    DataFrame
        One row per version: ``image_id``, ``pcc`` (:func:`~saliqa.metrics.saliency.cc`),
        ``bhattacharyya`` (``-ln sum sqrt(PQ)``), ``kl_ab`` = ``D_KL(A||B)`` (A posterior),
        ``kl_ba`` = ``D_KL(B||A)``, ``kl_sym`` = their mean (Table 1's KL), ``sim``; plus the
        image columns when ``images`` is given.
    """
    keys = _common_keys(maps_a, maps_b, missing, "compare_maps")
    rows = []
    for k in keys:  # loop over image versions
        a, b = maps_a[k], maps_b[k]
        kab = msal.kld(a, b, eps=eps)
        kba = msal.kld(b, a, eps=eps)
        rows.append({"image_id": k, "pcc": msal.cc(a, b), "bhattacharyya": msal.bhattacharyya(a, b),
                     "kl_ab": kab, "kl_ba": kba, "kl_sym": 0.5 * (kab + kba), "sim": msal.sim(a, b)})
    df = pd.DataFrame(rows)
    df.attrs["eps"] = float(eps)
    return _attach_images(df, images)


def table1_comparisons(
    maps_by_experiment: Mapping[str, Mapping[Hashable, np.ndarray]],
    *,
    comparisons: Mapping[str, tuple[str, str]] = TABLE1_COMPARISONS,
    eps: float = msal.MATLAB_EPS,
    images: pd.DataFrame | None = None,
    missing: Literal["raise", "skip"] = "raise",
) -> dict[str, pd.DataFrame]:
    """:func:`compare_maps` for each Table 1 column whose two experiments are present.

    Columns whose experiments are absent are left out with a warning.
    """
    out: dict[str, pd.DataFrame] = {}
    for name, (a, b) in comparisons.items():
        absent = [e for e in (a, b) if e not in maps_by_experiment]
        if absent:
            warnings.warn(f"table1_comparisons: {name} left out, experiment(s) {absent} absent", stacklevel=2)
            continue
        out[name] = compare_maps(maps_by_experiment[a], maps_by_experiment[b], eps=eps, images=images,
                                 missing=missing)
    return out


def table1(
    comparisons: Mapping[str, pd.DataFrame],
    *,
    measures: Sequence[str] = ("DKL", "DBhat", "PCC", "SIM"),
    n_boot: int = 9999,
    ci: float = 0.95,
    method: Literal["percentile", "basic", "BCa"] = "percentile",
    cluster: str | None = "content_id",
    seed: int = 0,
) -> pd.DataFrame:
    """Seed 000's Table 1: mean of each measure per comparison, with a bootstrap CI over images.

    The paper reports means over image versions only. Here each mean gets a bootstrap confidence
    interval from :func:`saliqa.stats.bootstrap_ci` (scipy.stats.bootstrap, ``method``; percentile
    by default). Images are resampled, not pixels. With ``cluster="content_id"`` (default) the
    bootstrap resamples *contents*: the JPEG versions of one photograph are not independent, so a
    draw takes whole contents with all their versions (a cluster bootstrap). ``cluster=None``
    resamples versions as if independent. The point estimate is the plain mean over versions
    either way.

    Parameters
    ----------
    comparisons
        ``{column name: compare_maps(...) table}``, e.g. :func:`table1_comparisons`.
    measures
        Rows, from :data:`MEASURES` (``DKL`` symmetric KL, ``DBhat``, ``PCC``, ``SIM``).
    n_boot
        Bootstrap resamples.
    ci
        Confidence level.
    method
        scipy's CI method.
    cluster
        Column of the comparison tables holding the cluster label, or None.
    seed
        Seed of the bootstrap (each cell uses ``seed`` offset by its position; deterministic).

    Returns
    -------
    DataFrame
        Long form, one row per (measure, comparison): ``measure``, ``comparison``, ``mean``,
        ``ci_low``, ``ci_high``, ``n_images``, ``n_clusters``, ``resampled``, ``ci_method``,
        ``confidence_level``. See :func:`format_table1` for the paper's layout.

    Raises
    ------
    ValueError
        Unknown measure, empty comparisons, missing cluster column, non-finite values.
    """
    if not comparisons:
        raise ValueError("comparisons is empty; expected {name: compare_maps table}")
    bad = [m for m in measures if m not in MEASURES]
    if bad:
        raise ValueError(f"unknown measure(s) {bad}; expected a subset of {list(MEASURES)}")
    rows = []
    for j, (name, df) in enumerate(comparisons.items()):
        if cluster is not None and cluster not in df.columns:
            raise ValueError(f"comparison {name!r}: no {cluster!r} column for the cluster bootstrap; pass "
                             "images= to compare_maps / table1_comparisons, or cluster=None")
        for i, m in enumerate(measures):
            col = MEASURES[m]
            if col not in df.columns:
                raise ValueError(f"comparison {name!r}: missing column {col!r} (measure {m})")
            values = df[col].to_numpy(dtype=np.float64)
            if not np.all(np.isfinite(values)):
                raise ValueError(f"comparison {name!r}, measure {m}: {int((~np.isfinite(values)).sum())} "
                                 "non-finite values (e.g. disjoint maps); inspect the per-image table")
            res = stats.bootstrap_ci(values, clusters=None if cluster is None else df[cluster].to_numpy(),
                                     confidence_level=ci, n_resamples=n_boot, method=method,
                                     seed=np.random.default_rng([int(seed), j, i]))
            rows.append({"measure": m, "comparison": name, "mean": res.estimate, "ci_low": res.low,
                         "ci_high": res.high, "n_images": res.n, "n_clusters": res.n_clusters,
                         "resampled": res.resampled, "ci_method": method, "confidence_level": ci})
    return pd.DataFrame(rows)


def format_table1(table: pd.DataFrame, digits: int = 2, *, with_ci: bool = True) -> pd.DataFrame:
    """Paper layout of :func:`table1`: rows = measures, columns = comparisons, ``"m [lo, hi]"``."""
    fmt = f"{{:.{int(digits)}f}}"

    def cell(r: pd.Series) -> str:
        s = fmt.format(r["mean"])
        return f"{s} [{fmt.format(r['ci_low'])}, {fmt.format(r['ci_high'])}]" if with_ci else s

    t = table.assign(cell=table.apply(cell, axis=1))
    wide = t.pivot(index="measure", columns="comparison", values="cell")
    return wide.reindex(index=list(dict.fromkeys(table["measure"])), columns=list(dict.fromkeys(table["comparison"])))


# --------------------------------------------------------------------------------------------
# KL asymmetry (Figure 3)
# --------------------------------------------------------------------------------------------


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
        if not (isinstance(self.ratio, numbers.Real) and self.ratio > 1 and math.isfinite(self.ratio)):
            raise ValueError(f"AsymmetryRules.ratio must be a finite number > 1, got {self.ratio!r}")
        _real("AsymmetryRules.small", self.small)
        if not (isinstance(self.alpha, numbers.Real) and 0 < self.alpha < 1):
            raise ValueError(f"AsymmetryRules.alpha must be in (0, 1), got {self.alpha!r}")


def read_asymmetry(d_pq: float, d_qp: float, p_value: float, rules: AsymmetryRules = AsymmetryRules(),
                   p: str = "P", q: str = "Q") -> tuple[str, str]:
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
    eps: float = msal.MATLAB_EPS,
    images: pd.DataFrame | None = None,
    unit: Literal["content", "image"] = "content",
    rules: AsymmetryRules = AsymmetryRules(),
    test: Literal["wilcoxon", "ttest"] = "wilcoxon",
    missing: Literal["raise", "skip"] = "raise",
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
    if unit not in ("content", "image"):
        raise ValueError(f"unit must be 'content' or 'image', got {unit!r}")
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
        rows.append({"p": p, "q": q, "n_images": len(d), "n_units": len(units), "unit": unit,
                     "mean_d_pq": m_pq, "mean_d_qp": m_qp, "ratio": m_pq / m_qp if m_qp > 0 else math.inf,
                     "test": res.test, "statistic": res.statistic, "p_value": res.p_value,
                     "effect_size": res.effect_size, "readout": code, "readout_text": text})
    if not rows:
        raise ValueError("kl_asymmetry: no pair could be compared")
    per_image = pd.concat(per, ignore_index=True)
    per_image = per_image[["p", "q"] + [c for c in per_image.columns if c not in ("p", "q")]]
    return KLAsymmetry(pd.DataFrame(rows), per_image, rules, float(eps))


# --------------------------------------------------------------------------------------------
# MOS vs JPEG level (Figure 2)
# --------------------------------------------------------------------------------------------


def _rescale_linear(values: np.ndarray, source: tuple[float, float], target: tuple[float, float]) -> np.ndarray:
    (a, b), (c, d) = source, target
    if not (math.isfinite(a) and math.isfinite(b) and a != b and math.isfinite(c) and math.isfinite(d)):
        raise ValueError(f"bad ranges for rescaling: source {source!r}, target {target!r}")
    return c + (values - a) * (d - c) / (b - a)


def mos_vs_jpeg(
    ratings: pd.DataFrame,
    images: pd.DataFrame,
    *,
    method: Literal["raw", "zscore"] = "raw",
    rating_scale: tuple[float, float] = (1.0, 5.0),
    scale: tuple[float, float] = (0.0, 100.0),
    drop_gold: bool = True,
) -> pd.DataFrame:
    """Figure 2 data: MOS per image version with its JPEG quality level (seed 000, 3.1).

    The MOS comes from :func:`saliqa.subjective.mos_from_ratings`. ``method="raw"`` (default):
    mean of the 5-point ratings mapped linearly from ``rating_scale`` (1..5) onto ``scale``
    (0..100; the paper does not say how its MOS were scaled, a linear map keeps the ACR
    spacing); ``method="zscore"``: per-rater Z-scores averaged and min-max rescaled onto
    ``scale`` by :func:`~saliqa.subjective.mos_from_ratings`. Gold (test-question) rows are left
    out of the MOS when ``drop_gold``.

    Parameters
    ----------
    ratings
        Canonical ratings (``image_id, rater_id, score``, optional ``is_gold``); screen it first
        (:func:`saliqa.crowd.apply_screening`).
    images
        Canonical images table (``content_id``, ``distortion``, ``level``).

    Returns
    -------
    DataFrame
        ``image_id, content_id, distortion, level, mos, std, n_ratings, n_raters`` for every
        image that has ratings. Distorted images of the table without ratings are listed with
        NaN MOS and ``n_ratings = 0`` and a warning with their count; unrated reference rows
        (``distortion`` "none" / "reference" / "original" / "pristine": not stimuli in the TUD
        design) are not listed.

    Raises
    ------
    ValueError
        Ratings of an ``image_id`` not in ``images``; see ``mos_from_ratings``.
    """
    from saliqa.subjective import mos_from_ratings

    info = images.set_index("image_id")
    validate(images, "images", origin="images")
    unknown = sorted(set(ratings["image_id"]) - set(info.index), key=str)
    if unknown:
        raise ValueError(f"ratings: {len(unknown)} image_id(s) not in images, e.g. {unknown[:3]}")
    if method == "raw":
        mos = mos_from_ratings(ratings, method="raw", drop_gold=drop_gold)
        mos["mos"] = _rescale_linear(mos["mos"].to_numpy(dtype=float), rating_scale, scale)
        slope = (scale[1] - scale[0]) / (rating_scale[1] - rating_scale[0])
        mos["std"] = mos["std"] * abs(slope)
    elif method == "zscore":
        mos = mos_from_ratings(ratings, method="zscore", scale=scale, drop_gold=drop_gold)
    else:
        raise ValueError(f"method must be 'raw' or 'zscore', got {method!r}")
    out = mos.join(info[["content_id", "distortion", "level"]], on="image_id")
    rated = set(mos["image_id"])
    is_ref = info["distortion"].astype(str).str.lower().isin(_REFERENCE_DISTORTIONS)
    unrated = [i for i, ref in zip(info.index, is_ref) if i not in rated and not ref]
    if unrated:
        warnings.warn(f"mos_vs_jpeg: {len(unrated)} image(s) of the table have no (non-gold) ratings, e.g. "
                      f"{unrated[:3]}; listed with NaN MOS", stacklevel=2)
        extra = info.loc[unrated, ["content_id", "distortion", "level"]].reset_index()
        extra = extra.assign(mos=np.nan, std=np.nan, n_ratings=0, n_raters=0)
        out = pd.concat([out, extra], ignore_index=True)
    cols = ["image_id", "content_id", "distortion", "level", "mos", "std", "n_ratings", "n_raters"]
    return out[cols].reset_index(drop=True)


def lab_mos_vs_jpeg(
    table: pd.DataFrame,
    *,
    dataset: str,
    level_col: str = "level",
    mos_col: str = "mos",
    mos_range: tuple[float, float] | None = None,
    higher_is_better: bool = True,
    scale: tuple[float, float] = (0.0, 100.0),
) -> pd.DataFrame:
    """A lab dataset's JPEG subset on Figure 2's axes (MOS on ``scale`` vs JPEG level).

    Takes a table already loaded (e.g. ``saliqa.datasets.iqa_meta.jpeg_subset(...)``); reads no
    file. ``mos_col`` is mapped linearly from ``mos_range`` onto ``scale`` (``mos_range=None``:
    the column is taken as already on ``scale``); ``higher_is_better=False`` (a DMOS) flips it
    so that higher is better, as the crowd MOS.

    Returns
    -------
    DataFrame
        ``dataset``, ``level``, ``mos`` (+ ``image_id`` / ``content_id`` when present).

    Raises
    ------
    ValueError
        Missing columns, non-finite values, values outside ``mos_range``.
    """
    for c in (level_col, mos_col):
        if c not in table.columns:
            raise ValueError(f"lab table {dataset!r}: missing column {c!r} (columns: {list(table.columns)})")
    level = pd.to_numeric(table[level_col], errors="coerce").to_numpy(dtype=float)
    mos = pd.to_numeric(table[mos_col], errors="coerce").to_numpy(dtype=float)
    for name, v in ((level_col, level), (mos_col, mos)):
        bad = ~np.isfinite(v)
        if bad.any():
            raise ValueError(f"lab table {dataset!r}: row {int(np.flatnonzero(bad)[0])} field {name!r} is not a "
                             f"finite number ({int(bad.sum())} such rows)")
    src = tuple(scale) if mos_range is None else tuple(float(v) for v in mos_range)
    lo, hi = min(src), max(src)
    out_of = (mos < lo - 1e-9) | (mos > hi + 1e-9)
    if out_of.any():
        raise ValueError(f"lab table {dataset!r}: {int(out_of.sum())} {mos_col} values outside {src}, first at row "
                         f"{int(np.flatnonzero(out_of)[0])} ({mos[out_of][0]!r}); pass the right mos_range")
    m = _rescale_linear(mos, src, tuple(scale))
    if not higher_is_better:
        m = scale[0] + scale[1] - m
    out = pd.DataFrame({"dataset": dataset, "level": level, "mos": m})
    for c in ("image_id", "content_id"):
        if c in table.columns:
            out[c] = table[c].to_numpy()
    return out


# --------------------------------------------------------------------------------------------
# Figure 4 selection
# --------------------------------------------------------------------------------------------


def _quality_increases(images: pd.DataFrame, quality_increases_with_level: bool | None) -> bool:
    if quality_increases_with_level is not None:
        return bool(quality_increases_with_level)
    from saliqa.distortions import REGISTRY

    kinds = set(images["distortion"].astype(str)) - set(_REFERENCE_DISTORTIONS)
    if len(kinds) != 1 or next(iter(kinds)) not in REGISTRY:
        raise ValueError(f"cannot tell the direction of the level scale for distortion(s) {sorted(kinds)}; pass "
                         "quality_increases_with_level")
    return not REGISTRY[next(iter(kinds))].higher_is_stronger


def map_grid_selection(
    images: pd.DataFrame,
    n_contents: int,
    levels: Sequence[str] = ("highest", "lowest"),
    *,
    contents: Sequence[Hashable] | None = None,
    quality_increases_with_level: bool | None = None,
) -> pd.DataFrame:
    """Which image versions Figure 4 shows: for each content its highest / lowest quality version.

    Parameters
    ----------
    images
        Images table; reference rows (``distortion`` "none", NaN level) are not candidates.
    n_contents
        Number of contents (the first ``n_contents`` in table order, or of ``contents``).
    levels
        Roles, in row order, from ``"highest"`` (best quality version) and ``"lowest"``.
    contents
        Explicit content ids (default: table order).
    quality_increases_with_level
        Direction of ``level``; None reads it from :data:`saliqa.distortions.REGISTRY` (JPEG:
        the quality factor, higher = better).

    Returns
    -------
    DataFrame
        ``content_id``, ``role``, ``image_id``, ``level``, one row per (content, role), contents
        in order, roles in ``levels`` order.
    """
    if isinstance(n_contents, bool) or not isinstance(n_contents, numbers.Integral) or n_contents < 1:
        raise ValueError(f"n_contents must be a positive int, got {n_contents!r}")
    bad = [r for r in levels if r not in ("highest", "lowest")]
    if bad or not levels:
        raise ValueError(f"levels must be a non-empty sequence of 'highest' / 'lowest', got {levels!r}")
    validate(images, "images", origin="images")
    cand = images.loc[pd.to_numeric(images["level"], errors="coerce").notna()
                      & ~images["distortion"].astype(str).str.lower().isin(_REFERENCE_DISTORTIONS)]
    up = _quality_increases(cand, quality_increases_with_level)
    order = list(dict.fromkeys(cand["content_id"])) if contents is None else list(contents)
    unknown = [c for c in order if c not in set(cand["content_id"])]
    if unknown:
        raise ValueError(f"contents {unknown[:3]} have no distorted version in images")
    if n_contents > len(order):
        raise ValueError(f"n_contents={n_contents} but only {len(order)} contents available")
    rows = []
    for cid in order[:n_contents]:
        g = cand.loc[cand["content_id"] == cid].sort_values("level", kind="stable")
        best, worst = (g.iloc[-1], g.iloc[0]) if up else (g.iloc[0], g.iloc[-1])
        for role in levels:
            r = best if role == "highest" else worst
            rows.append({"content_id": cid, "role": role, "image_id": r["image_id"], "level": float(r["level"])})
    return pd.DataFrame(rows)
