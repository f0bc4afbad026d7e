"""Figure helpers (atomic saving, map overlays) and the figures of seed 000.

General helpers: :func:`save_figure` writes a figure atomically in one or more formats;
:func:`overlay_map` draws a saliency map over its image.

Seed 000 figures (each returns a :class:`matplotlib.figure.Figure`; nothing is shown here, the
notebook displays and saves):

* Figure 1 -- :func:`plot_country_distribution` (workers' countries, both campaigns);
* Figure 2 -- :func:`plot_mos_vs_jpeg` (MOS vs JPEG quality level, crowd and lab datasets);
* Figure 3 -- :func:`plot_kl_asymmetry_graph` (the four experiments as nodes, arrows from prior
  to posterior labelled with the mean ``D_KL``);
* Figure 4 -- :func:`plot_map_grid` (maps of the four experiments on the highest / lowest
  quality versions).

Artists carry ``gid`` labels (``"node:<experiment>"``, ``"arrow:<prior>-><posterior>"``,
``"label:<prior>-><posterior>"``, ``"readout:<p>|<q>"``) so tests and users can find them.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from saliqa.io import atomic_write_bytes

__all__ = [
    "EXPERIMENT_LABELS",
    "save_figure",
    "figure_bytes",
    "show_png",
    "register_figure_formatter",
    "overlay_map",
    "plot_country_distribution",
    "plot_mos_vs_jpeg",
    "plot_kl_asymmetry_graph",
    "plot_map_grid",
]

EXPERIMENT_LABELS: Mapping[str, str] = {
    "eye_free": "Eye tracking\nfree viewing",
    "eye_iqa": "Eye tracking\nIQA task",
    "crowd_free": "Crowd clicks\nfree viewing",
    "crowd_iqa": "Crowd clicks\nIQA task",
}

_NODE_POS: Mapping[str, tuple[float, float]] = {
    "eye_free": (0.2, 0.75),
    "eye_iqa": (0.8, 0.75),
    "crowd_free": (0.2, 0.25),
    "crowd_iqa": (0.8, 0.25),
}


def _new_figure(figsize: tuple[float, float]) -> Figure:
    # A bare Figure (no pyplot state): nothing is shown or kept alive by pyplot.
    return Figure(figsize=figsize, layout="constrained")


# --------------------------------------------------------------------------------------------
# general helpers
# --------------------------------------------------------------------------------------------


def save_figure(
    fig: Figure, out_dir: str | os.PathLike[str], name: str, formats: Sequence[str] = ("png",), *, dpi: int = 150
) -> list[Path]:
    """Save ``fig`` as ``out_dir/name.<fmt>`` for each format, atomically.

    Each file is written through :func:`saliqa.io.atomic_write_bytes` (temporary file, then
    rename), so a reader never sees a half-written figure. ``out_dir`` is created if needed.

    Parameters
    ----------
    fig
        The figure.
    out_dir
        Output folder.
    name
        File stem (no extension, no path separators).
    formats
        Extensions understood by matplotlib (``"png"``, ``"pdf"``, ``"svg"``, ...).
    dpi
        Resolution of raster formats.

    Returns
    -------
    list of Path
        The written files, in ``formats`` order.

    Raises
    ------
    ValueError
        Empty or path-like ``name``, no / unsupported format.
    """
    if not name or os.sep in name or (os.altsep and os.altsep in name) or name in (".", ".."):
        raise ValueError(f"name must be a plain file stem without path separators, got {name!r}")
    if isinstance(formats, str) or not formats:
        raise ValueError(f"formats must be a non-empty sequence of extensions, got {formats!r}")
    supported = fig.canvas.get_supported_filetypes()
    bad = [f for f in formats if f.lower().lstrip(".") not in supported]
    if bad:
        raise ValueError(f"unsupported format(s) {bad}; matplotlib supports {sorted(supported)}")
    written: list[Path] = []
    for fmt in formats:
        ext = fmt.lower().lstrip(".")
        written.append(atomic_write_bytes(Path(out_dir) / f"{name}.{ext}", figure_bytes(fig, ext, dpi=dpi)))
    return written


def figure_bytes(fig: Figure, fmt: str = "png", *, dpi: int = 150) -> bytes:
    """Render ``fig`` to the bytes of one file format (``"png"``, ``"pdf"``, ``"svg"``, ...)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi)
    return buffer.getvalue()


def show_png(data: bytes, *, name: str | None = None) -> None:
    """Display PNG bytes as an image output (``image/png``) in IPython; nothing outside it.

    This is the one path by which a notebook shows a figure (:meth:`saliqa.runs.Run.figure`):
    JupyterLab, papermill's executed notebooks and nbconvert's HTML all get the same
    ``image/png`` output, the bytes of the saved file. ``name`` goes into the output's metadata.
    """
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:  # pragma: no cover - IPython ships with the notebook stack
        return
    if get_ipython() is None:
        return
    display(Image(data=data, format="png"), metadata={"saliqa_figure": name} if name else None)


def register_figure_formatter(dpi: int = 150) -> bool:
    """Teach IPython to show a bare :class:`~matplotlib.figure.Figure` as a PNG.

    The figures of this module are bare ``Figure`` objects (no pyplot state), for which IPython
    has no formatter: without this, ``display(fig)`` or a cell ending in ``fig`` prints
    ``<Figure size ...>``. Called when :mod:`saliqa.plots` is imported inside IPython.

    Returns
    -------
    bool
        True when a formatter was registered (an IPython shell is running).
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    if shell is None:
        return False
    formatter = shell.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, lambda fig: figure_bytes(fig, "png", dpi=dpi))
    return True


def overlay_map(
    ax: Any,
    image: np.ndarray,
    saliency: np.ndarray,
    *,
    alpha: float = 0.55,
    cmap: str = "jet",
    normalize: bool = True,
    title: str | None = None,
) -> Any:
    """Draw ``image`` and ``saliency`` blended over it on ``ax`` (axes turned off).

    Parameters
    ----------
    ax
        Matplotlib axes.
    image
        ``(H, W)`` grey or ``(H, W, 3)`` RGB (uint8 or [0, 1] floats).
    saliency
        Non-negative ``(H, W)`` map of the image's size.
    alpha
        Opacity of the map, in [0, 1].
    cmap
        Colour map of the saliency.
    normalize
        Min-max normalise the map to [0, 1] before drawing.
    title
        Optional axes title.

    Returns
    -------
    AxesImage
        The saliency layer.

    Raises
    ------
    ValueError
        Shape mismatch, a negative / non-finite map, ``alpha`` outside [0, 1].
    """
    img = np.asarray(image)
    sal = np.asarray(saliency, dtype=np.float64)
    if img.ndim not in (2, 3) or sal.ndim != 2 or img.shape[:2] != sal.shape:
        raise ValueError(f"shape mismatch: image {img.shape} vs saliency {sal.shape}; expected (H, W[, 3]) and (H, W)")
    if not np.all(np.isfinite(sal)) or sal.min() < 0:
        raise ValueError("saliency must be finite and non-negative")
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
    if normalize:
        lo, hi = sal.min(), sal.max()
        sal = (sal - lo) / (hi - lo) if hi > lo else np.zeros_like(sal)
    ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
    layer = ax.imshow(sal, cmap=cmap, alpha=alpha, vmin=0.0 if normalize else None, vmax=1.0 if normalize else None)
    ax.set_axis_off()
    if title is not None:
        ax.set_title(title, fontsize=9)
    return layer


# --------------------------------------------------------------------------------------------
# Figure 1
# --------------------------------------------------------------------------------------------


def plot_country_distribution(
    shares: pd.DataFrame,
    *,
    campaign_labels: Mapping[str, str] | None = None,
    colors: Sequence[str] = ("#1f4e9c", "#f2c14e"),
    figsize: tuple[float, float] = (10.0, 3.5),
) -> Figure:
    """Figure 1: grouped bars of the workers' countries, one bar per campaign (seed 000).

    Parameters
    ----------
    shares
        :func:`saliqa.crowd.country_distribution` output (``campaign, country, share``).
    campaign_labels
        Legend labels (default ``free`` -> "free viewing", ``iqa`` -> "IQA task").
    colors
        Bar colours per campaign (seed: dark/blue free viewing, light/yellow IQA).

    Returns
    -------
    Figure
        One axes; its bar containers have the campaigns as labels.
    """
    for c in ("campaign", "country", "share"):
        if c not in shares.columns:
            raise ValueError(f"shares: missing column {c!r} (from saliqa.crowd.country_distribution)")
    labels = {"free": "free viewing", "iqa": "IQA task", **(campaign_labels or {})}
    wide = shares.pivot_table(
        index="country", columns="campaign", values="share", aggfunc="sum", fill_value=0.0, sort=False
    )
    countries = list(dict.fromkeys(shares["country"]))
    campaigns = list(dict.fromkeys(shares["campaign"]))
    wide = wide.reindex(index=countries, columns=campaigns, fill_value=0.0)
    fig = _new_figure(figsize)
    ax = fig.add_subplot()
    x = np.arange(len(countries))
    width = 0.8 / max(1, len(campaigns))
    for k, camp in enumerate(campaigns):
        ax.bar(
            x + (k - (len(campaigns) - 1) / 2) * width,
            100.0 * wide[camp].to_numpy(),
            width,
            label=labels.get(camp, str(camp)),
            color=colors[k % len(colors)],
            edgecolor="black",
            linewidth=0.3,
        )
    ax.set_xticks(x, countries, rotation=90, fontsize=8)
    ax.set_ylabel("participants (%)")
    ax.set_xlim(-0.6, len(countries) - 0.4)
    ax.legend(frameon=False)
    ax.set_title("Participants by country (countries below the threshold grouped into OTH)", fontsize=10)
    return fig


# --------------------------------------------------------------------------------------------
# Figure 2
# --------------------------------------------------------------------------------------------


def plot_mos_vs_jpeg(
    crowd_mos: pd.DataFrame,
    lab_tables: Mapping[str, pd.DataFrame] | None = None,
    *,
    crowd_label: str = "crowdsourcing",
    scale: tuple[float, float] = (0.0, 100.0),
    figsize: tuple[float, float] = (5.0, 4.0),
) -> Figure:
    """Figure 2: MOS against JPEG quality level, crowd (dots) and lab datasets (other markers).

    Parameters
    ----------
    crowd_mos
        :func:`saliqa.attention.mos_vs_jpeg` output (``level``, ``mos``).
    lab_tables
        ``{name: lab_mos_vs_jpeg(...) table}`` (``level``, ``mos``), drawn with squares, crosses,
        triangles, ...
    crowd_label
        Legend label of the crowd points.
    scale
        y-axis range (MOS scale).

    Returns
    -------
    Figure
        One axes with one scatter collection per series (crowd first), labelled.
    """
    markers = ["s", "x", "^", "D", "v", "+"]
    colors = ["tab:red", "tab:blue", "tab:purple", "tab:orange", "tab:brown", "tab:gray"]
    fig = _new_figure(figsize)
    ax = fig.add_subplot()
    series: list[tuple[str, pd.DataFrame]] = [(crowd_label, crowd_mos)] + list((lab_tables or {}).items())
    for k, (name, df) in enumerate(series):
        for c in ("level", "mos"):
            if c not in df.columns:
                raise ValueError(f"{name}: missing column {c!r}")
        d = df.loc[df["mos"].notna()]
        if k == 0:
            ax.scatter(d["level"], d["mos"], s=18, marker="o", color="tab:green", alpha=0.8, label=name)
        else:
            m = markers[(k - 1) % len(markers)]
            kw = (
                {"facecolors": "none", "edgecolors": colors[(k - 1) % len(colors)]}
                if m in "sD^v"
                else {"color": colors[(k - 1) % len(colors)]}
            )
            ax.scatter(d["level"], d["mos"], s=22, marker=m, label=name, **kw)
    ax.set_xlabel("JPEG quality level")
    ax.set_ylabel(f"MOS ({scale[0]:g}-{scale[1]:g})")
    ax.set_ylim(scale[0] - 0.03 * (scale[1] - scale[0]), scale[1] + 0.03 * (scale[1] - scale[0]))
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    return fig


# --------------------------------------------------------------------------------------------
# Figure 3
# --------------------------------------------------------------------------------------------


def _edge_point(
    centre: tuple[float, float], towards: tuple[float, float], half_w: float, half_h: float
) -> tuple[float, float]:
    """Where the segment centre -> towards leaves a box of half sizes (half_w, half_h)."""
    dx, dy = towards[0] - centre[0], towards[1] - centre[1]
    tx = half_w / abs(dx) if dx else math.inf
    ty = half_h / abs(dy) if dy else math.inf
    t = min(tx, ty)
    return centre[0] + dx * t, centre[1] + dy * t


def plot_kl_asymmetry_graph(
    asym: Any,
    *,
    labels: Mapping[str, str] | None = None,
    digits: int = 2,
    show_readout: bool = True,
    figsize: tuple[float, float] = (7.0, 5.5),
) -> Figure:
    """Figure 3: the experiments as nodes, arrows from prior to posterior labelled with mean ``D_KL``.

    Eye-tracking experiments are plain rectangles, crowd experiments rounded "cloud" boxes
    (seed 000's clouds). For each compared pair ``(P, Q)`` two arrows are drawn: ``Q -> P``
    labelled ``D_KL(P||Q)`` (P the posterior, the arrow head) and ``P -> Q`` labelled
    ``D_KL(Q||P)``; they are bent apart so both are visible. The read-out of the paper's rules
    per pair is written below the graph.

    Parameters
    ----------
    asym
        :class:`saliqa.attention.KLAsymmetry` or its ``summary`` DataFrame (``p``, ``q``,
        ``mean_d_pq``, ``mean_d_qp``, optional ``readout_text``, ``p_value``).
    labels
        Node labels (default :data:`EXPERIMENT_LABELS`).
    digits
        Decimals of the arrow labels.
    show_readout
        Add the read-out text.

    Returns
    -------
    Figure
        Artists with gids ``node:<name>``, ``arrow:<prior>-><posterior>``,
        ``label:<prior>-><posterior>``, ``readout:<p>|<q>``.
    """
    summary = asym.summary if hasattr(asym, "summary") else asym
    for c in ("p", "q", "mean_d_pq", "mean_d_qp"):
        if c not in summary.columns:
            raise ValueError(f"asymmetry summary: missing column {c!r} (from saliqa.attention.kl_asymmetry)")
    names = list(dict.fromkeys(list(summary["p"]) + list(summary["q"])))
    labels = {**EXPERIMENT_LABELS, **(labels or {})}
    pos = dict(_NODE_POS)
    extra = [n for n in names if n not in pos]
    for k, n in enumerate(extra):  # unknown experiments on a circle
        a = 2 * math.pi * k / max(1, len(extra))
        pos[n] = (0.5 + 0.3 * math.cos(a), 0.5 + 0.3 * math.sin(a))
    fig = _new_figure(figsize)
    ax = fig.add_subplot()
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.12 if show_readout else 0.0, 1.0)
    ax.set_axis_off()
    half_w, half_h = 0.13, 0.08
    for n in names:
        x, y = pos[n]
        crowd = n.startswith("crowd")
        style = "roundtooth,pad=0.02,tooth_size=0.025" if crowd else "square,pad=0.01"
        box = FancyBboxPatch(
            (x - half_w, y - half_h),
            2 * half_w,
            2 * half_h,
            boxstyle=style,
            facecolor="#fff4d6" if crowd else "#dde7f7",
            edgecolor="black",
            linewidth=1.2,
            gid=f"node:{n}",
        )
        ax.add_patch(box)
        ax.text(x, y, labels.get(n, n), ha="center", va="center", fontsize=9, gid=f"nodelabel:{n}")
    fmt = f"{{:.{int(digits)}f}}"
    readouts = []
    for _, r in summary.iterrows():
        p, q = r["p"], r["q"]
        for prior, post, value in ((q, p, r["mean_d_pq"]), (p, q, r["mean_d_qp"])):
            start = _edge_point(pos[prior], pos[post], half_w + 0.015, half_h + 0.015)
            end = _edge_point(pos[post], pos[prior], half_w + 0.015, half_h + 0.015)
            arrow = FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=14,
                linewidth=1.3,
                connectionstyle="arc3,rad=0.25",
                color="black",
                gid=f"arrow:{prior}->{post}",
            )
            ax.add_patch(arrow)
            # label near the arc's midpoint (the arc bends to the right of the travel direction)
            mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
            dx, dy = end[0] - start[0], end[1] - start[1]
            norm = math.hypot(dx, dy) or 1.0
            off = 0.25 * norm / 2 + 0.035
            lx, ly = mx + dy / norm * off, my - dx / norm * off
            ax.text(
                lx,
                ly,
                fmt.format(value),
                ha="center",
                va="center",
                fontsize=9,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
                gid=f"label:{prior}->{post}",
            )
        if show_readout and "readout_text" in summary.columns:
            pv = f" (p = {r['p_value']:.3g})" if "p_value" in summary.columns and np.isfinite(r["p_value"]) else ""
            readouts.append((f"readout:{p}|{q}", f"{r['readout_text']}{pv}"))
    for k, (gid, text) in enumerate(readouts):
        ax.text(0.0, -0.01 - 0.035 * k, "- " + text, ha="left", va="top", fontsize=8, gid=gid)
    ax.set_title("Mean $D_{KL}$ (posterior || prior); arrows point from prior to posterior", fontsize=10)
    return fig


# --------------------------------------------------------------------------------------------
# Figure 4
# --------------------------------------------------------------------------------------------


def plot_map_grid(
    images: pd.DataFrame | Mapping[Hashable, np.ndarray],
    maps: Mapping[str, Mapping[Hashable, np.ndarray]],
    selection: pd.DataFrame,
    *,
    experiments: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    load_image: Callable[[Any], np.ndarray] | None = None,
    alpha: float = 0.55,
    cell_size: float = 2.0,
) -> Figure:
    """Figure 4: rows = selected image versions, columns = the image and each experiment's map.

    Parameters
    ----------
    images
        ``{image_id: array}`` or an images table (paths read with ``load_image``, default
        :func:`saliqa.datasets.builtin.load_image`).
    maps
        ``{experiment: {image_id: map}}`` (:func:`saliqa.attention.experiment_maps`).
    selection
        :func:`saliqa.attention.map_grid_selection` output (``image_id``, ``role``,
        ``content_id``; one row per grid row).
    experiments
        Columns after the image column (default the keys of ``maps``).
    labels
        Column titles (default :data:`EXPERIMENT_LABELS`).
    alpha
        Map opacity.
    cell_size
        Inches per cell.

    Returns
    -------
    Figure
        ``len(selection) x (1 + len(experiments))`` axes.

    Raises
    ------
    ValueError
        A selected version missing from ``images`` or from an experiment's maps.
    """
    exps = list(maps) if experiments is None else list(experiments)
    labels = {**EXPERIMENT_LABELS, **(labels or {})}
    if "image_id" not in selection.columns or selection.empty:
        raise ValueError("selection must be a non-empty table with an 'image_id' column (map_grid_selection)")
    ids = list(selection["image_id"])
    for e in exps:
        if e not in maps:
            raise ValueError(f"maps has no experiment {e!r} (has {list(maps)})")
        lacking = [i for i in ids if i not in maps[e]]
        if lacking:
            raise ValueError(f"experiment {e!r} has no map for {lacking[:3]}")
    if isinstance(images, pd.DataFrame):
        if load_image is None:
            from saliqa.datasets.builtin import load_image as _load

            load_image = _load
        paths = images.set_index("image_id")["path"]
        lacking = [i for i in ids if i not in paths.index]
        if lacking:
            raise ValueError(f"images has no row for {lacking[:3]}")
        pixels = {i: np.asarray(load_image(paths[i])) for i in ids}
    else:
        lacking = [i for i in ids if i not in images]
        if lacking:
            raise ValueError(f"images has no array for {lacking[:3]}")
        pixels = {i: np.asarray(images[i]) for i in ids}
    n_rows, n_cols = len(ids), 1 + len(exps)
    fig = _new_figure((cell_size * n_cols * 1.3, cell_size * n_rows))
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for r, (_, row) in enumerate(selection.iterrows()):
        img = pixels[row["image_id"]]
        ax = axes[r, 0]
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        ax.set_axis_off()
        role = f"{row['role']} quality" if "role" in selection.columns else ""
        lvl = f" (level {row['level']:g})" if "level" in selection.columns and np.isfinite(row["level"]) else ""
        ax.set_title(f"{row.get('content_id', row['image_id'])}\n{role}{lvl}", fontsize=8)
        for c, e in enumerate(exps, start=1):
            overlay_map(
                axes[r, c],
                img,
                maps[e][row["image_id"]],
                alpha=alpha,
                title=labels.get(e, e).replace("\n", " ") if r == 0 else None,
            )
    return fig


def plot_image_grid(
    images: Sequence[np.ndarray], titles: Sequence[str] | None = None, *, ncols: int = 6, cell_size: float = 2.0
) -> Figure:
    """A grid of images (uint8 RGB or grey), one title each (e.g. the builtin corpus).

    Raises
    ------
    ValueError
        No images, or ``titles`` of another length.
    """
    if len(images) == 0:
        raise ValueError("images: empty sequence")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles: {len(titles)} given for {len(images)} images")
    ncols = max(1, min(int(ncols), len(images)))
    nrows = math.ceil(len(images) / ncols)
    fig = Figure(figsize=(cell_size * ncols, cell_size * nrows * 0.85))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if i < len(images):
            ax.imshow(images[i], cmap="gray" if images[i].ndim == 2 else None)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    fig.tight_layout()
    return fig


register_figure_formatter()
