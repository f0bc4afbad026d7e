"""Which image versions Figure 4 of seed 000 shows (its map grid).

For each content, the highest and / or lowest quality version; the direction of the level scale
comes from :data:`saliqa.distortions.REGISTRY` (JPEG: the quality factor, higher = better).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import pandas as pd

from saliqa.checks import check_int
from saliqa.datasets.attention_design import REFERENCE_DISTORTIONS, is_reference
from saliqa.datasets.tables import validate

__all__ = ["map_grid_selection"]


def _quality_increases(images: pd.DataFrame, quality_increases_with_level: bool | None) -> bool:
    if quality_increases_with_level is not None:
        return bool(quality_increases_with_level)
    from saliqa.distortions import REGISTRY

    kinds = set(images["distortion"].astype(str)) - set(REFERENCE_DISTORTIONS)
    if len(kinds) != 1 or next(iter(kinds)) not in REGISTRY:
        raise ValueError(
            f"cannot tell the direction of the level scale for distortion(s) {sorted(kinds)}; pass "
            "quality_increases_with_level"
        )
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
    check_int(n_contents, "n_contents", low=1)
    bad = [r for r in levels if r not in ("highest", "lowest")]
    if bad or not levels:
        raise ValueError(f"levels must be a non-empty sequence of 'highest' / 'lowest', got {levels!r}")
    validate(images, "images", origin="images")
    cand = images.loc[pd.to_numeric(images["level"], errors="coerce").notna().to_numpy() & ~is_reference(images)]
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
