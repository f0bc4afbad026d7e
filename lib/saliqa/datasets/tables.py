"""The canonical tables every loader returns (DESIGN.md, "Data: three tiers").

- ``images``: image_id, path, width, height, content_id, distortion, level, (mos, std, split)
- ``fixations``: image_id, observer_id, x, y, (duration_ms), source (eye|click|mouse),
  task (free|iqa)
- ``ratings``: image_id, rater_id, score, (is_gold, is_repeat)
- ``patches``: image_id, patch_id, left, top, right, bottom, (mos)

Coordinates in ``fixations`` are 0-based pixel positions in the image as stored in ``images``
(x = column, y = row; a point at the centre of the top-left pixel is (0, 0)).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "REQUIRED",
    "OPTIONAL",
    "SOURCES",
    "TASKS",
    "validate",
    "empty",
]

REQUIRED: dict[str, tuple[str, ...]] = {
    "images": ("image_id", "path", "width", "height", "content_id", "distortion", "level"),
    "fixations": ("image_id", "observer_id", "x", "y", "source", "task"),
    "ratings": ("image_id", "rater_id", "score"),
    "patches": ("image_id", "patch_id", "left", "top", "right", "bottom"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "images": ("mos", "std", "split"),
    "fixations": ("duration_ms",),
    "ratings": ("is_gold", "is_repeat"),
    "patches": ("mos",),
}
SOURCES = ("eye", "click", "mouse")
TASKS = ("free", "iqa")

_NUMERIC: dict[str, tuple[str, ...]] = {
    "images": ("width", "height"),
    "fixations": ("x", "y"),
    "ratings": ("score",),
    "patches": ("left", "top", "right", "bottom"),
}


def empty(kind: str) -> pd.DataFrame:
    """An empty canonical table of ``kind`` with its required columns."""
    if kind not in REQUIRED:
        raise ValueError(f"unknown table kind {kind!r}; expected one of {sorted(REQUIRED)}")
    return pd.DataFrame({c: pd.Series(dtype=object) for c in REQUIRED[kind]})


def validate(table: pd.DataFrame, kind: str, origin: str = "table") -> pd.DataFrame:
    """Check that ``table`` is a canonical ``kind`` table; return it unchanged.

    Parameters
    ----------
    table : DataFrame
        The table to check.
    kind : {"images", "fixations", "ratings", "patches"}
        Which canonical table it should be.
    origin : str
        Name of the file / source, used in error messages.

    Raises
    ------
    ValueError
        Naming ``origin``, the missing columns, or the first offending row and field:
        non-finite numeric values, unknown ``source`` / ``task`` values in fixations.
    """
    if kind not in REQUIRED:
        raise ValueError(f"unknown table kind {kind!r}; expected one of {sorted(REQUIRED)}")
    missing = [c for c in REQUIRED[kind] if c not in table.columns]
    if missing:
        raise ValueError(
            f"{origin}: missing column(s) {missing} for a '{kind}' table; "
            f"expected columns {list(REQUIRED[kind])} (optional {list(OPTIONAL[kind])})"
        )
    for col in _NUMERIC[kind]:
        values = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{origin}: row {row} field {col!r} = {_show(table[col].iloc[row])} is not a finite "
                f"number ({int(bad.sum())} such rows)"
            )
    if kind == "fixations":
        _check_categories(table, "source", SOURCES, origin)
        _check_categories(table, "task", TASKS, origin)
    return table


def _check_categories(table: pd.DataFrame, col: str, allowed: Iterable[str], origin: str) -> None:
    allowed = tuple(allowed)
    bad = ~table[col].isin(allowed)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"{origin}: row {row} field {col!r} = {_show(table[col].iloc[row])}; expected one of {allowed}"
        )


def _show(value: object) -> str:
    """A value as it should read in an error message (strings quoted, numbers plain)."""
    return repr(value) if isinstance(value, str) else str(value)
