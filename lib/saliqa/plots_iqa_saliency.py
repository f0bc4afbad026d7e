"""Figures of notebook 03 (seed 002): Fig. 1 (saliency, CAM and masked pictures), Fig. 2 (masking curves).

Every function returns a bare :class:`matplotlib.figure.Figure` (no pyplot state); the notebook
saves and shows it once through :meth:`saliqa.runs.Run.figure`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from saliqa.plots import overlay_map

__all__ = ["plot_examples", "plot_masking_curves", "plot_saliency_grid", "EXPLANATION_COLOURS"]

EXPLANATION_COLOURS: dict[str, str] = {"Saliency": "tab:blue", "GradCAM": "tab:red", "HalfImage": "tab:green"}
_ORDER_STYLE = {"morf": "-", "lerf": "--"}
_FILL_LABEL = {"black": "black fill", "imagenet_mean": "ImageNet-mean fill"}


def plot_examples(
    images: np.ndarray,
    maps: Mapping[str, np.ndarray],
    masked: Mapping[str, np.ndarray],
    *,
    titles: Sequence[str] | None = None,
    cell: float = 2.1,
) -> Figure:
    """Fig. 1: rows = pictures; columns = the picture, each map over it, then masked versions.

    Parameters
    ----------
    images
        ``(N, H, W, 3)`` uint8 pictures.
    maps
        ``{column title: (N, H, W) maps}`` (e.g. ``"saliency (proxy)"``, ``"HiResCAM"``).
    masked
        ``{column title: (N, H, W, 3) masked pictures}``.
    titles
        Row labels (e.g. ``"MOS 61.2"``).
    cell
        Inches per panel.
    """
    n = len(images)
    if n == 0:
        raise ValueError("plot_examples needs at least one picture")
    for name, m in {**maps, **masked}.items():
        if len(m) != n:
            raise ValueError(f"{name!r} has {len(m)} entries for {n} pictures")
    cols = 1 + len(maps) + len(masked)
    h, w = images.shape[1:3]
    fig = Figure(figsize=(cell * cols, cell * n * h / w + 0.4), layout="constrained")
    axes = np.atleast_2d(fig.subplots(n, cols, squeeze=False))
    for i in range(n):
        axes[i, 0].imshow(images[i])
        axes[i, 0].set_axis_off()
        if titles is not None:
            axes[i, 0].set_title(titles[i], fontsize=8)
        for j, (name, m) in enumerate(maps.items(), start=1):
            overlay_map(axes[i, j], images[i], np.asarray(m[i], dtype=float), title=name if i == 0 else None)
        for j, (name, m) in enumerate(masked.items(), start=1 + len(maps)):
            axes[i, j].imshow(m[i])
            axes[i, j].set_axis_off()
            if i == 0:
                axes[i, j].set_title(name, fontsize=9)
    return fig


def plot_masking_curves(curves: pd.DataFrame, summary: pd.DataFrame | None = None, *, panel: float = 3.6) -> Figure:
    """Fig. 2: SROCC vs masked fraction, one panel per fill; colour = explanation, solid MoRF, dashed LeRF.

    Parameters
    ----------
    curves
        :func:`saliqa.iqa_saliency_study.masking_experiment` output.
    summary
        :func:`saliqa.iqa_saliency_study.masking_summary` output: the area between LeRF and MoRF
        goes into the legend.
    panel
        Inches per panel.
    """
    need = {"explanation", "order", "fill", "fraction", "srocc"}
    if not need <= set(curves.columns):
        raise ValueError(f"curves needs columns {sorted(need)}; got {list(curves.columns)}")
    fills = list(dict.fromkeys(curves["fill"]))
    fig = Figure(figsize=(panel * len(fills) + 0.6, panel), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(fills), squeeze=False)[0])
    areas: dict[tuple[str, str], float] = {}
    if summary is not None:
        areas = {(r.explanation, r.fill): float(r.area_lerf_minus_morf) for r in summary.itertuples()}
    for ax, fill in zip(axes, fills):
        sub = curves.loc[curves["fill"] == fill]
        for name in dict.fromkeys(sub["explanation"]):
            colour = EXPLANATION_COLOURS.get(name)
            for order in ("morf", "lerf"):
                g = sub.loc[(sub["explanation"] == name) & (sub["order"] == order)].sort_values("fraction")
                if g.empty:
                    continue
                label = f"{name} {order.upper()}"
                if order == "lerf" and (name, fill) in areas:
                    label += f" (area {areas[(name, fill)]:+.3f})"
                ax.plot(g["fraction"], g["srocc"], _ORDER_STYLE[order], color=colour, marker="o", ms=3, label=label)
        ax.set_title(_FILL_LABEL.get(fill, fill), fontsize=10)
        ax.set_xlabel("fraction of pixels masked")
        ax.set_ylabel("SROCC with MOS")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return fig


def plot_saliency_grid(
    images: np.ndarray,
    maps: Mapping[str, np.ndarray],
    *,
    titles: Sequence[str] | None = None,
    cell: float = 1.9,
) -> Figure:
    """Held-out fixation images with the ground truth and each method's map blended over them (Table I's inputs).

    Parameters
    ----------
    images
        ``(N, H, W, 3)`` uint8.
    maps
        ``{method: (N, H, W) maps}`` (ground truth first).
    titles
        Row labels.
    cell
        Inches per panel.
    """
    return plot_examples(images, maps, {}, titles=titles, cell=cell)
