"""Fig. 10 of seed 003: pictures beside their quality maps blended over them (section 4.3).

:func:`plot_quality_maps` returns a bare :class:`matplotlib.figure.Figure` (no pyplot state);
the notebook shows and saves it. The blends come from :func:`saliqa.quality_maps.blend_quality_map`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

__all__ = ["plot_quality_maps"]


def plot_quality_maps(
    pictures: Sequence[np.ndarray],
    blends: Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    *,
    cell_size: float = 3.0,
) -> Figure:
    """Fig. 10 layout: one row per picture, the original on the left, its blended map on the right.

    Parameters
    ----------
    pictures
        Original pictures, ``(H, W, 3)`` ``uint8`` or float on [0, 1].
    blends
        The matching :func:`~saliqa.quality_maps.blend_quality_map` outputs (same sizes).
    titles
        Optional caption per row (e.g. the predicted and the human MOS), shown over the blend.
    cell_size
        Inches per panel.

    Raises
    ------
    ValueError
        No pictures, lengths that differ, or a blend of another size than its picture.
    """
    if len(pictures) == 0:
        raise ValueError("pictures: empty sequence")
    if len(blends) != len(pictures):
        raise ValueError(f"{len(blends)} blends for {len(pictures)} pictures")
    if titles is not None and len(titles) != len(pictures):
        raise ValueError(f"{len(titles)} titles for {len(pictures)} pictures")
    for i, (p, b) in enumerate(zip(pictures, blends)):
        if np.shape(p)[:2] != np.shape(b)[:2]:
            raise ValueError(f"row {i}: blend {np.shape(b)[:2]} differs in size from its picture {np.shape(p)[:2]}")
    fig = Figure(figsize=(2 * cell_size, cell_size * len(pictures) * 0.8), layout="constrained")
    axes = fig.subplots(len(pictures), 2, squeeze=False)
    for i, (p, b) in enumerate(zip(pictures, blends)):
        axes[i, 0].imshow(p)
        axes[i, 1].imshow(np.clip(b, 0.0, 1.0))
        axes[i, 1].set_gid(f"quality_map:{i}")
        for ax in axes[i]:
            ax.set_axis_off()
        if titles is not None:
            axes[i, 1].set_title(str(titles[i]), fontsize=9)
    axes[0, 0].set_title("original", fontsize=9)
    if titles is None:
        axes[0, 1].set_title("quality map (magma, alpha = 0.8)", fontsize=9)
    return fig
