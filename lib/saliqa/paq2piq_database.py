"""The database figures of seed 003 (PaQ-2-PiQ, Sec. 3): MOS, picture vs patch MOS, sizes, Table 1.

MOS distributions (Fig. 8), picture vs patch MOS (Fig. 7, 12), picture sizes (Fig. 4) and the
dataset summary (Table 1).

Each function takes canonical tables (:mod:`saliqa.datasets.tables`) from any loader -- real
label files (:mod:`saliqa.datasets.flive`, :mod:`~saliqa.datasets.koniq`,
:mod:`~saliqa.datasets.clive`, :mod:`~saliqa.datasets.iqa_meta`) or builtin / simulated data --
and returns numbers or tables; :mod:`saliqa.plots_paq2piq` draws them.

- Fig. 8 -- :func:`mos_distribution` / :func:`mos_distributions`: MOS histograms and their
  spread (the paper: FLIVE's MOS distribution is "narrower and peakier" than CLIVE's and
  KonIQ's, Sec. 3.4).
- Fig. 7 (right) and Fig. 12 -- :func:`picture_patch_pairs`, :func:`picture_patch_correlation`:
  picture MOS against the MOS of its 40 / 30 / 20 % patches, LCC (Pearson) and SRCC per patch
  size through :mod:`saliqa.metrics.correlation` (the paper, on the whole database: LCC 0.43,
  0.36, 0.28, Sec. 3.4).
- Fig. 4 -- :func:`size_counts`, :func:`size_summary`: picture width x height and how many
  pictures have each size.
- Table 1 -- :func:`dataset_counts`, :func:`dataset_summary`: unique contents, distortions,
  picture and patch contents, annotators and annotations, where the tables at hand tell them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from saliqa.checks import check_vector, require_columns
from saliqa.metrics.correlation import plcc, srcc

__all__ = [
    "PAPER_PICTURE_PATCH_LCC",
    "MosDistribution",
    "mos_distribution",
    "mos_distributions",
    "picture_patch_pairs",
    "picture_patch_correlation",
    "size_counts",
    "size_summary",
    "dataset_counts",
    "dataset_summary",
]

PAPER_PICTURE_PATCH_LCC: Mapping[float, float] = {0.4: 0.43, 0.3: 0.36, 0.2: 0.28}
"""Seed 003, Sec. 3.4: LCC of picture MOS vs patch MOS on the whole database, per patch size
(for labelling figures; the scorecard's paper values live in ``data/reference/``)."""

_NOT_DISTORTIONS = {"none", "authentic", "reference", "pristine"}


# ------------------------------------------------------------------------------------ Fig. 8


@dataclass(frozen=True)
class MosDistribution:
    """A MOS histogram and its summary (seed 003, Fig. 8).

    Attributes
    ----------
    name : str
        Dataset name.
    n : int
        Number of pictures.
    mean, std, median, q25, q75, iqr, min, max : float
        Summary of the MOS (``std`` with ddof = 1).
    skewness, excess_kurtosis : float
        Sample skewness and excess kurtosis (Fisher, 0 for a normal distribution; biased
        estimators, ``scipy.stats.skew`` / ``kurtosis``): "peakier" is a larger kurtosis.
    counts : ndarray of int
        Histogram counts.
    edges : ndarray of float
        Bin edges (``len(counts) + 1``).
    """

    name: str
    n: int
    mean: float
    std: float
    median: float
    q25: float
    q75: float
    iqr: float
    min: float
    max: float
    skewness: float
    excess_kurtosis: float
    counts: NDArray[np.int64]
    edges: NDArray[np.float64]

    def summary(self) -> dict[str, Any]:
        """The scalar fields as a dict (one row of :func:`mos_distributions`)."""
        return {
            k: getattr(self, k)
            for k in (
                "name",
                "n",
                "mean",
                "std",
                "median",
                "q25",
                "q75",
                "iqr",
                "min",
                "max",
                "skewness",
                "excess_kurtosis",
            )
        }


def mos_distribution(
    mos: ArrayLike, *, name: str = "", bins: int | ArrayLike = 50, value_range: tuple[float, float] = (0.0, 100.0)
) -> MosDistribution:
    """Histogram and summary of one dataset's MOS (seed 003, Fig. 8).

    Parameters
    ----------
    mos : array_like, shape (n,)
        Finite MOS values (n >= 4), all on one scale (0-100 for CLIVE, KonIQ and FLIVE).
    name : str
        Dataset name.
    bins : int or array_like
        Number of equal bins over ``value_range``, or the bin edges.
    value_range : (float, float)
        Range of the equal bins; values outside it raise (nothing is silently dropped).

    Returns
    -------
    MosDistribution

    Raises
    ------
    ValueError
        Non-finite values, fewer than 4, or values outside the bins.
    """
    x = check_vector(mos, "mos", min_size=4)
    edges = (
        np.linspace(value_range[0], value_range[1], int(bins) + 1)
        if np.ndim(bins) == 0
        else np.asarray(bins, dtype=float)
    )
    outside = (x < edges[0]) | (x > edges[-1])
    if outside.any():
        raise ValueError(
            f"mos of {name or 'the dataset'}: {int(outside.sum())} value(s) outside the histogram "
            f"range [{edges[0]:g}, {edges[-1]:g}] (e.g. {x[outside][0]:g}); widen value_range"
        )
    counts, _ = np.histogram(x, bins=edges)
    q25, med, q75 = np.percentile(x, [25, 50, 75])
    return MosDistribution(
        name=name,
        n=int(x.size),
        mean=float(x.mean()),
        std=float(x.std(ddof=1)),
        median=float(med),
        q25=float(q25),
        q75=float(q75),
        iqr=float(q75 - q25),
        min=float(x.min()),
        max=float(x.max()),
        skewness=float(stats.skew(x)),
        excess_kurtosis=float(stats.kurtosis(x)),
        counts=counts.astype(np.int64),
        edges=edges,
    )


def mos_distributions(
    mos_by_dataset: Mapping[str, ArrayLike | pd.DataFrame],
    *,
    bins: int | ArrayLike = 50,
    value_range: tuple[float, float] = (0.0, 100.0),
) -> pd.DataFrame:
    """:func:`mos_distribution` of several datasets, one summary row each (Fig. 8).

    Parameters
    ----------
    mos_by_dataset : mapping of str to array_like or DataFrame
        MOS values, or ``images`` tables (their ``mos`` column), by dataset name.
    bins, value_range
        As :func:`mos_distribution`, the same for all (comparable histograms).

    Returns
    -------
    DataFrame
        Index ``name``; columns of :meth:`MosDistribution.summary`. ``attrs["distributions"]``
        holds the :class:`MosDistribution` objects by name (for plotting).
    """
    dists = {}
    for name, values in mos_by_dataset.items():
        if isinstance(values, pd.DataFrame):
            require_columns(values, ["mos"], f"images of {name}")
            values = values["mos"].to_numpy(dtype=float)
        dists[name] = mos_distribution(values, name=name, bins=bins, value_range=value_range)
    table = pd.DataFrame([d.summary() for d in dists.values()]).set_index("name")
    table.attrs["distributions"] = dists
    return table


# --------------------------------------------------------------------------- Fig. 7 / 12


def picture_patch_pairs(images: pd.DataFrame, patches: pd.DataFrame, *, by: str = "fraction") -> pd.DataFrame:
    """Each patch's MOS beside its picture's MOS (the points of Fig. 7 right and Fig. 12).

    Parameters
    ----------
    images : DataFrame
        Canonical ``images`` table with ``mos``.
    patches : DataFrame
        Canonical ``patches`` table with ``mos`` and the grouping column ``by`` (``fraction``:
        0.4 / 0.3 / 0.2 for FLIVE and the Sec. 3.2 sampler).
    by : str
        Column of ``patches`` naming the patch size.

    Returns
    -------
    DataFrame
        ``image_id``, ``patch_id``, ``by``, ``mos_picture``, ``mos_patch``; patches whose
        picture or MOS is missing are left out and counted in ``attrs`` (``n_no_picture``,
        ``n_no_mos``).

    Raises
    ------
    ValueError
        Missing columns, or a picture listed twice in ``images``.
    """
    require_columns(images, ["image_id", "mos"], "images")
    require_columns(patches, ["image_id", "patch_id", "mos", by], "patches")
    if images["image_id"].duplicated().any():
        dup = images["image_id"][images["image_id"].duplicated()].iloc[0]
        raise ValueError(f"images: picture {dup!r} is listed more than once")
    pic = images.set_index("image_id")["mos"]
    has_pic = patches["image_id"].isin(pic.index).to_numpy()
    out = pd.DataFrame(
        {
            "image_id": patches["image_id"].to_numpy(),
            "patch_id": patches["patch_id"].to_numpy(),
            by: patches[by].to_numpy(),
            "mos_picture": np.nan,
            "mos_patch": patches["mos"].to_numpy(dtype=float),
        }
    )
    out.loc[has_pic, "mos_picture"] = pic.loc[patches["image_id"][has_pic]].to_numpy(dtype=float)
    no_mos = has_pic & ~(np.isfinite(out["mos_patch"].to_numpy()) & np.isfinite(out["mos_picture"].to_numpy()))
    kept = out.loc[has_pic & ~no_mos].reset_index(drop=True)
    kept.attrs.update(n_no_picture=int((~has_pic).sum()), n_no_mos=int(no_mos.sum()))
    return kept


def picture_patch_correlation(images: pd.DataFrame, patches: pd.DataFrame, *, by: str = "fraction") -> pd.DataFrame:
    """LCC and SRCC of picture MOS vs patch MOS for each patch size (seed 003, Sec. 3.4, Fig. 7, 12).

    Parameters
    ----------
    images, patches, by
        As :func:`picture_patch_pairs`.

    Returns
    -------
    DataFrame
        One row per value of ``by`` (largest first): ``n`` (pairs), ``lcc`` (:func:`plcc`,
        no fit), ``srcc``, ``mean_picture_mos``, ``mean_patch_mos``, ``std_patch_mos``, and
        ``paper_lcc`` (Sec. 3.4's whole-database value, NaN for other sizes). ``attrs`` as
        :func:`picture_patch_pairs`.
    """
    pairs = picture_patch_pairs(images, patches, by=by)
    rows = []
    for key, group in pairs.groupby(by, sort=True):
        rows.append(
            {
                by: key,
                "n": len(group),
                "lcc": plcc(group["mos_patch"], group["mos_picture"]),
                "srcc": srcc(group["mos_patch"], group["mos_picture"]),
                "mean_picture_mos": group["mos_picture"].mean(),
                "mean_patch_mos": group["mos_patch"].mean(),
                "std_patch_mos": group["mos_patch"].std(ddof=1),
                "paper_lcc": PAPER_PICTURE_PATCH_LCC.get(round(float(key), 6), np.nan)
                if isinstance(key, (int, float, np.floating))
                else np.nan,
            }
        )
    table = pd.DataFrame(rows).sort_values(by, ascending=False).reset_index(drop=True)
    table.attrs.update(pairs.attrs)
    return table


# ------------------------------------------------------------------------------------ Fig. 4


def _sizes(images: pd.DataFrame) -> tuple[NDArray[np.float64], int]:
    require_columns(images, ["width", "height"], "images")
    wh = images[["width", "height"]].to_numpy(dtype=float)
    known = np.isfinite(wh).all(axis=1)
    return wh[known], int((~known).sum())


def size_counts(images: pd.DataFrame) -> pd.DataFrame:
    """How many pictures have each width x height (the marker sizes of seed 003, Fig. 4).

    Returns
    -------
    DataFrame
        ``width``, ``height``, ``n``, most frequent first; pictures of unknown size are left out
        and counted in ``attrs["n_size_unknown"]``.
    """
    wh, unknown = _sizes(images)
    sizes, counts = (
        np.unique(wh.astype(np.int64), axis=0, return_counts=True)
        if len(wh)
        else (np.zeros((0, 2), np.int64), np.zeros(0, np.int64))
    )
    table = pd.DataFrame({"width": sizes[:, 0], "height": sizes[:, 1], "n": counts})
    table = table.sort_values(["n", "width", "height"], ascending=[False, True, True]).reset_index(drop=True)
    table.attrs["n_size_unknown"] = unknown
    return table


def size_summary(images: pd.DataFrame, *, canvas: int = 640) -> dict[str, float | int]:
    """Summary of the picture sizes (Fig. 4): how many distinct sizes and shapes.

    Parameters
    ----------
    images : DataFrame
        ``images`` table with ``width`` / ``height``.
    canvas : int
        Side of the training canvas (Sec. 4.1); pictures with a side above it are counted.

    Returns
    -------
    dict
        ``n_pictures`` (of known size), ``n_size_unknown``, ``n_sizes`` (distinct W x H),
        ``n_aspect_ratios`` (distinct W / H to 3 decimals), ``width_min`` / ``width_max`` /
        ``height_min`` / ``height_max``, ``median_megapixels``, ``share_landscape`` /
        ``share_portrait`` / ``share_square``, ``n_exceeding_canvas``.
    """
    wh, unknown = _sizes(images)
    if not len(wh):
        return {"n_pictures": 0, "n_size_unknown": unknown}
    w, h = wh[:, 0], wh[:, 1]
    return {
        "n_pictures": int(len(wh)),
        "n_size_unknown": unknown,
        "n_sizes": int(len(np.unique(wh, axis=0))),
        "n_aspect_ratios": int(len(np.unique(np.round(w / h, 3)))),
        "width_min": int(w.min()),
        "width_max": int(w.max()),
        "height_min": int(h.min()),
        "height_max": int(h.max()),
        "median_megapixels": float(np.median(w * h) / 1e6),
        "share_landscape": float(np.mean(w > h)),
        "share_portrait": float(np.mean(w < h)),
        "share_square": float(np.mean(w == h)),
        "n_exceeding_canvas": int(np.sum((w > canvas) | (h > canvas))),
    }


# ----------------------------------------------------------------------------------- Table 1


def dataset_counts(
    name: str,
    images: pd.DataFrame,
    *,
    patches: pd.DataFrame | int | None = None,
    ratings: pd.DataFrame | None = None,
    n_annotations: int | None = None,
    n_annotators: int | None = None,
    distortion_type: str = "",
    framework: str = "",
) -> dict[str, Any]:
    """One row of seed 003's Table 1 from the tables at hand.

    Parameters
    ----------
    name : str
        Database name.
    images : DataFrame
        Canonical ``images`` table (``content_id``, ``distortion``).
    patches : DataFrame or int, optional
        The ``patches`` table, or a patch count (0 when None).
    ratings : DataFrame, optional
        Canonical ``ratings`` table: annotations = rows, annotators = distinct ``rater_id``.
    n_annotations, n_annotators : int, optional
        Counts known otherwise (e.g. KonIQ's vote totals ``n_ratings``); NaN when unknown.
    distortion_type, framework : str
        Table 1's descriptive columns ("in-the-wild", "crowdsourced", ...).

    Returns
    -------
    dict
        ``database``, ``unique_contents``, ``distortions`` (distinct ``distortion`` values other
        than none / authentic; NaN when there are none), ``picture_contents``,
        ``patch_contents``, ``distortion_type``, ``framework``, ``annotators``, ``annotations``.
    """
    require_columns(images, ["content_id", "distortion"], f"images of {name}")
    kinds = set(images["distortion"].dropna().astype(str)) - _NOT_DISTORTIONS
    n_patches = len(patches) if isinstance(patches, pd.DataFrame) else int(patches or 0)
    if ratings is not None:
        require_columns(ratings, ["rater_id", "score"], f"ratings of {name}")
        n_annotations = len(ratings) if n_annotations is None else n_annotations
        n_annotators = int(ratings["rater_id"].nunique()) if n_annotators is None else n_annotators
    return {
        "database": name,
        "unique_contents": int(images["content_id"].nunique()),
        "distortions": len(kinds) if kinds else np.nan,
        "picture_contents": int(len(images)),
        "patch_contents": n_patches,
        "distortion_type": distortion_type,
        "framework": framework,
        "annotators": np.nan if n_annotators is None else int(n_annotators),
        "annotations": np.nan if n_annotations is None else int(n_annotations),
    }


def dataset_summary(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Table 1: :func:`dataset_counts` rows as a table indexed by ``database``."""
    if not rows:
        raise ValueError("dataset_summary needs at least one dataset_counts row")
    return pd.DataFrame(list(rows)).set_index("database")
