"""Agreement between two experiments' maps (seed 000, section 3.2 / Table 1).

For each image version seen in both experiments: Pearson correlation (PCC), Bhattacharyya
distance ``-ln sum sqrt(PQ)``, the KL divergence in both directions and their mean (Table 1's
KL), and SIM (not in the paper's table). :func:`table1` averages them over versions, with a
(cluster) bootstrap confidence interval over contents. KL convention: ``D_KL(P||Q)`` with ``P``
the posterior ("true") map (:func:`saliqa.metrics.saliency.kld`, MIT form, explicit ``eps``).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from saliqa import stats
from saliqa.checks import check_choice, require_columns
from saliqa.constants import MATLAB_EPS
from saliqa.datasets.attention_design import TABLE1_COMPARISONS
from saliqa.datasets.tables import validate
from saliqa.metrics import saliency as msal

__all__ = ["MEASURES", "compare_maps", "table1_comparisons", "table1", "format_table1"]

Missing = Literal["raise", "skip"]

MEASURES: Mapping[str, str] = {
    "DKL": "kl_sym",
    "DBhat": "bhattacharyya",
    "PCC": "pcc",
    "SIM": "sim",
}
"""Table 1 row name -> column of :func:`compare_maps` (DKL is ``(D(P||Q) + D(Q||P)) / 2``)."""


def _common_keys(
    maps_a: Mapping[Hashable, Any], maps_b: Mapping[Hashable, Any], missing: str, what: str
) -> list[Hashable]:
    check_choice(missing, "missing", ("raise", "skip"))
    a, b = set(maps_a), set(maps_b)
    only = (a - b) | (b - a)
    if only:
        msg = (
            f"{what}: {len(a - b)} image version(s) only in the first and {len(b - a)} only in the "
            f"second set of maps, e.g. {sorted(only, key=str)[:3]}"
        )
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
    eps: float = MATLAB_EPS,
    images: pd.DataFrame | None = None,
    missing: Missing = "raise",
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
        rows.append(
            {
                "image_id": k,
                "pcc": msal.cc(a, b),
                "bhattacharyya": msal.bhattacharyya(a, b),
                "kl_ab": kab,
                "kl_ba": kba,
                "kl_sym": 0.5 * (kab + kba),
                "sim": msal.sim(a, b),
            }
        )
    df = pd.DataFrame(rows)
    df.attrs["eps"] = float(eps)
    return _attach_images(df, images)


def table1_comparisons(
    maps_by_experiment: Mapping[str, Mapping[Hashable, np.ndarray]],
    *,
    comparisons: Mapping[str, tuple[str, str]] = TABLE1_COMPARISONS,
    eps: float = MATLAB_EPS,
    images: pd.DataFrame | None = None,
    missing: Missing = "raise",
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
        out[name] = compare_maps(maps_by_experiment[a], maps_by_experiment[b], eps=eps, images=images, missing=missing)
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
            raise ValueError(
                f"comparison {name!r}: no {cluster!r} column for the cluster bootstrap; pass "
                "images= to compare_maps / table1_comparisons, or cluster=None"
            )
        require_columns(df, [MEASURES[m] for m in measures], f"comparison {name!r}")
        for i, m in enumerate(measures):
            col = MEASURES[m]
            values = df[col].to_numpy(dtype=np.float64)
            if not np.all(np.isfinite(values)):
                raise ValueError(
                    f"comparison {name!r}, measure {m}: {int((~np.isfinite(values)).sum())} "
                    "non-finite values (e.g. disjoint maps); inspect the per-image table"
                )
            res = stats.bootstrap_ci(
                values,
                clusters=None if cluster is None else df[cluster].to_numpy(),
                confidence_level=ci,
                n_resamples=n_boot,
                method=method,
                seed=np.random.default_rng([int(seed), j, i]),
            )
            rows.append(
                {
                    "measure": m,
                    "comparison": name,
                    "mean": res.estimate,
                    "ci_low": res.low,
                    "ci_high": res.high,
                    "n_images": res.n,
                    "n_clusters": res.n_clusters,
                    "resampled": res.resampled,
                    "ci_method": method,
                    "confidence_level": ci,
                }
            )
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
