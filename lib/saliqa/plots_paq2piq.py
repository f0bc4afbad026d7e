"""Figures of seed 003's database section (PaQ-2-PiQ, Sec. 3), as bare matplotlib Figures.

Each function returns a :class:`matplotlib.figure.Figure` (no pyplot state; nothing is shown
here: the notebook saves and displays it, e.g. with :func:`saliqa.plots.save_figure`):

* Fig. 4 -- :func:`plot_size_scatter`: picture width vs height, marker area by the number of
  pictures of that size (:func:`saliqa.paq2piq_database.size_counts`);
* Fig. 5 -- :func:`plot_picture_patches`: a picture with its patch boxes, and the patches;
* Fig. 7 right / Fig. 12 -- :func:`plot_picture_vs_patch`: picture MOS vs patch MOS, one panel
  per patch size, LCC in the title (:func:`saliqa.paq2piq_database.picture_patch_pairs`);
* Fig. 8 -- :func:`plot_mos_histograms`: the MOS histograms of several databases
  (:func:`saliqa.paq2piq_database.mos_distributions`);
* Sec. 3.1 features -- :func:`plot_feature_histograms` (:func:`saliqa.ugc_features.ugc_features`).

Artists carry ``gid`` labels (``"hist:<name>"``, ``"scatter:<size>"``, ``"box:<k>"``,
``"sizes"``, ``"feature:<name>"``) so tests and users can find them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from saliqa.metrics.correlation import plcc
from saliqa.paq2piq_database import PAPER_PICTURE_PATCH_LCC, MosDistribution

__all__ = [
    "plot_mos_histograms",
    "plot_picture_vs_patch",
    "plot_size_scatter",
    "plot_picture_patches",
    "plot_feature_histograms",
    "plot_failure_cases",
]

_PATCH_COLOURS = ("#d62728", "#ff7f0e", "#2ca02c", "#1f77b4", "#9467bd")


def _figure(figsize: tuple[float, float]) -> Figure:
    return Figure(figsize=figsize, layout="constrained")


def plot_mos_histograms(
    distributions: Mapping[str, MosDistribution] | pd.DataFrame, *, density: bool = True, cell: float = 3.2
) -> Figure:
    """MOS histograms side by side (seed 003, Fig. 8), each titled with its n and std.

    Parameters
    ----------
    distributions : mapping of str to MosDistribution, or DataFrame
        :func:`~saliqa.paq2piq_database.mos_distribution` results by name, or a
        :func:`~saliqa.paq2piq_database.mos_distributions` table (its ``attrs``).
    density : bool
        Plot the share of pictures per bin (comparable across databases of different sizes)
        rather than counts.
    cell : float
        Width of one panel in inches.
    """
    if isinstance(distributions, pd.DataFrame):
        distributions = distributions.attrs.get("distributions", {})
    if not distributions:
        raise ValueError("distributions: nothing to plot (expected mos_distribution results by name)")
    fig = _figure((cell * len(distributions), 2.8))
    axes = fig.subplots(1, len(distributions), squeeze=False, sharey=density)[0]
    for ax, (name, d) in zip(axes, distributions.items()):
        heights = d.counts / d.counts.sum() if density else d.counts
        bars = ax.bar(
            d.edges[:-1],
            heights,
            width=np.diff(d.edges),
            align="edge",
            color="#4c72b0",
            edgecolor="white",
            linewidth=0.3,
        )
        for bar in bars:
            bar.set_gid(f"hist:{name}")
        ax.set_title(f"{name}\nn = {d.n:,}, std = {d.std:.1f}", fontsize=9)
        ax.set_xlabel("MOS")
        ax.set_xlim(d.edges[0], d.edges[-1])
    axes[0].set_ylabel("share of pictures" if density else "pictures")
    return fig


def plot_picture_vs_patch(
    pairs: pd.DataFrame, *, by: str = "fraction", max_points: int | None = None, seed: int = 0, cell: float = 3.2
) -> Figure:
    """Picture MOS vs patch MOS, one panel per patch size (seed 003, Fig. 7 right and Fig. 12).

    Parameters
    ----------
    pairs : DataFrame
        :func:`~saliqa.paq2piq_database.picture_patch_pairs` output (``mos_picture``,
        ``mos_patch``, ``by``).
    by : str
        The patch-size column; panels largest first.
    max_points : int, optional
        Draw at most this many points per panel (a seeded random subset); the LCC in the title is
        always on all pairs.
    seed : int
        Seed of the subset.
    cell : float
        Width of one panel in inches.
    """
    for col in ("mos_picture", "mos_patch", by):
        if col not in pairs.columns:
            raise ValueError(f"pairs: missing column {col!r}; expected a picture_patch_pairs table")
    keys = sorted(pairs[by].unique(), reverse=True)
    if not keys:
        raise ValueError("pairs: no rows to plot")
    fig = _figure((cell * len(keys), cell))
    axes = fig.subplots(1, len(keys), squeeze=False, sharex=True, sharey=True)[0]
    rng = np.random.default_rng(seed)
    for ax, key in zip(axes, keys):
        g = pairs.loc[pairs[by] == key]
        show = (
            g
            if max_points is None or len(g) <= max_points
            else g.iloc[np.sort(rng.choice(len(g), max_points, replace=False))]
        )
        pts = ax.scatter(show["mos_patch"], show["mos_picture"], s=4, alpha=0.4, color="#4c72b0", linewidths=0)
        pts.set_gid(f"scatter:{key}")
        label = f"{float(key):.0%} patches" if isinstance(key, (float, np.floating)) and key <= 1 else f"{by} = {key}"
        numeric = isinstance(key, (int, float, np.floating))
        paper = PAPER_PICTURE_PATCH_LCC.get(round(float(key), 6)) if numeric else None
        lcc = plcc(g["mos_patch"], g["mos_picture"]) if len(g) >= 3 else float("nan")
        extra = f" (paper {paper:.2f})" if paper is not None else ""
        ax.set_title(f"{label}: LCC {lcc:.2f}{extra}\nn = {len(g):,}", fontsize=9)
        ax.set_xlabel("patch MOS")
        lo = float(min(pairs["mos_patch"].min(), pairs["mos_picture"].min()))
        hi = float(max(pairs["mos_patch"].max(), pairs["mos_picture"].max()))
        ax.plot([lo, hi], [lo, hi], color="0.6", linewidth=0.8, linestyle="--")
    axes[0].set_ylabel("picture MOS")
    return fig


def plot_size_scatter(sizes: pd.DataFrame, *, max_marker: float = 200.0) -> Figure:
    """Picture width vs height, marker area by the number of pictures of that size (seed 003, Fig. 4).

    Parameters
    ----------
    sizes : DataFrame
        :func:`~saliqa.paq2piq_database.size_counts` output (``width``, ``height``, ``n``).
    max_marker : float
        Marker area (points^2) of the most frequent size; areas scale linearly with ``n``.
    """
    for col in ("width", "height", "n"):
        if col not in sizes.columns:
            raise ValueError(f"sizes: missing column {col!r}; expected a size_counts table")
    if not len(sizes):
        raise ValueError("sizes: no picture of known size to plot")
    fig = _figure((4.5, 4.0))
    ax = fig.add_subplot()
    n = sizes["n"].to_numpy(dtype=float)
    pts = ax.scatter(
        sizes["width"],
        sizes["height"],
        s=np.maximum(max_marker * n / n.max(), 2.0),
        alpha=0.5,
        color="#4c72b0",
        linewidths=0,
    )
    pts.set_gid("sizes")
    ax.set_xlabel("width (px)")
    ax.set_ylabel("height (px)")
    ax.set_title(f"{int(n.sum()):,} pictures, {len(sizes):,} sizes", fontsize=9)
    return fig


def plot_picture_patches(
    picture: np.ndarray,
    boxes: np.ndarray | Sequence[Sequence[int]],
    *,
    patches: Sequence[np.ndarray] | None = None,
    labels: Sequence[str] | None = None,
    title: str = "",
) -> Figure:
    """A picture with its patch boxes drawn, and the patches beside it (seed 003, Fig. 5).

    Parameters
    ----------
    picture : ndarray, shape (H, W[, 3])
        The picture.
    boxes : array_like, shape (k, 4)
        Patch boxes (left, top, right, bottom).
    patches : sequence of ndarray, optional
        The patch images to show beside the picture (e.g. the shipped patch files); when None,
        the crops ``picture[top:bottom, left:right]`` are shown.
    labels : sequence of str, optional
        One label per patch (default ``"40%"``, ``"30%"``, ``"20%"`` for three boxes).
    title : str
        Title of the picture panel.
    """
    b = np.asarray(boxes, dtype=np.int64).reshape(-1, 4)
    k = len(b)
    if labels is None:
        labels = ["40%", "30%", "20%"][:k] if k <= 3 else [str(i + 1) for i in range(k)]
    if len(labels) != k:
        raise ValueError(f"labels: {len(labels)} given for {k} boxes")
    if patches is None:
        patches = [picture[t:bm, lft:r] for lft, t, r, bm in b]
    if len(patches) != k:
        raise ValueError(f"patches: {len(patches)} given for {k} boxes")
    fig = _figure((3.2 * (1 + k * 0.6), 2.8))
    grid = fig.add_gridspec(1, k + 1, width_ratios=[2.0] + [1.0] * k)
    ax = fig.add_subplot(grid[0, 0])
    ax.imshow(picture, cmap="gray" if np.ndim(picture) == 2 else None)
    ax.set_axis_off()
    ax.set_title(title, fontsize=9)
    for i, ((lft, t, r, bm), lab) in enumerate(zip(b, labels)):
        colour = _PATCH_COLOURS[i % len(_PATCH_COLOURS)]
        rect = Rectangle((lft - 0.5, t - 0.5), r - lft, bm - t, fill=False, edgecolor=colour, linewidth=1.5)
        rect.set_gid(f"box:{i + 1}")
        ax.add_patch(rect)
        ax.text(lft + 3, t + 3, lab, color=colour, fontsize=7, va="top", ha="left")
        pax = fig.add_subplot(grid[0, i + 1])
        pax.imshow(patches[i], cmap="gray" if np.ndim(patches[i]) == 2 else None)
        pax.set_axis_off()
        pax.set_title(lab, fontsize=8, color=colour)
    return fig


def plot_feature_histograms(features: pd.DataFrame, *, bins: int = 30, ncols: int = 3, cell: float = 2.8) -> Figure:
    """Histograms of the Sec. 3.1 UGC features, one panel per column.

    Parameters
    ----------
    features : DataFrame
        :func:`saliqa.ugc_features.ugc_features` output (any numeric columns).
    bins : int
        Bins per histogram (integer columns such as ``n_faces`` get one bin per value).
    ncols : int
        Panels per row.
    cell : float
        Panel width in inches.
    """
    cols = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])]
    if not cols:
        raise ValueError("features: no numeric column to plot")
    ncols = max(1, min(ncols, len(cols)))
    nrows = math.ceil(len(cols) / ncols)
    fig = _figure((cell * ncols, cell * 0.8 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.ravel()[len(cols) :]:
        ax.set_axis_off()
    for ax, col in zip(axes.ravel(), cols):
        x = features[col].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        if pd.api.types.is_integer_dtype(features[col]) and x.size and x.max() - x.min() <= 50:
            edges = np.arange(x.min() - 0.5, x.max() + 1.5)
        else:
            edges = bins
        _, _, bars = ax.hist(x, bins=edges, color="#4c72b0", edgecolor="white", linewidth=0.3)
        for bar in bars:
            bar.set_gid(f"feature:{col}")
        ax.set_title(col.replace("_", " "), fontsize=9)
    return fig


def plot_failure_cases(pictures: Sequence[np.ndarray], cases: pd.DataFrame, *, cell: float = 3.0) -> Figure:
    """Fig. 11: the pictures a model got most wrong, with the human MOS and the prediction.

    Parameters
    ----------
    pictures : sequence of ndarray
        The pictures of ``cases``, in order.
    cases : DataFrame
        :func:`saliqa.paq2piq_study.failure_cases` rows (``image_id``, ``mos``, ``pred``,
        ``direction``).
    cell : float
        Inches per panel.

    Raises
    ------
    ValueError
        If the numbers of pictures and rows differ, or there are none.
    """
    for col in ("image_id", "mos", "pred", "direction"):
        if col not in cases.columns:
            raise ValueError(f"cases: missing column {col!r} (from saliqa.paq2piq_study.failure_cases)")
    if len(pictures) != len(cases) or len(cases) == 0:
        raise ValueError(f"{len(pictures)} pictures for {len(cases)} failure cases; expected the same, at least one")
    fig = _figure((cell * len(cases), cell * 0.95))
    axes = fig.subplots(1, len(cases), squeeze=False)[0]
    for ax, picture, row in zip(axes, pictures, cases.itertuples(index=False)):
        ax.imshow(picture)
        ax.set_axis_off()
        ax.set_title(f"{row.image_id}\nMOS {row.mos:.0f}, predicted {row.pred:.0f} ({row.direction})", fontsize=8)
    return fig
