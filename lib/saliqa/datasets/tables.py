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

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from saliqa.checks import check_finite_column

__all__ = [
    "REQUIRED",
    "OPTIONAL",
    "SOURCES",
    "TASKS",
    "validate",
    "empty",
    "image_table",
    "categorical",
    "fixation_table",
    "concat_tables",
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
        non-finite numeric values, unknown ``source`` / ``task`` values in fixations, patch boxes
        that are empty or start left of / above the image (``0 <= left < right``,
        ``0 <= top < bottom``).
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
        check_finite_column(table[col], origin, col)
    if kind == "fixations":
        _check_categories(table, "source", SOURCES, origin)
        _check_categories(table, "task", TASKS, origin)
    if kind == "patches":
        _check_boxes(table, origin)
    return table


def _check_categories(table: pd.DataFrame, col: str, allowed: Iterable[str], origin: str) -> None:
    allowed = tuple(allowed)
    bad = ~table[col].isin(allowed)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"{origin}: row {row} field {col!r} = {_show(table[col].iloc[row])}; expected one of {allowed}"
        )


def _check_boxes(table: pd.DataFrame, origin: str) -> None:
    """Patch boxes: (left, top, right, bottom) pixels, right / bottom exclusive, non-empty, from 0."""
    b = table[["left", "top", "right", "bottom"]].to_numpy(dtype=float)
    bad = (b[:, 0] < 0) | (b[:, 1] < 0) | (b[:, 2] <= b[:, 0]) | (b[:, 3] <= b[:, 1])
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{origin}: row {row} box (left, top, right, bottom) = {tuple(b[row].tolist())} is not a box of "
            f"pixels; expected 0 <= left < right and 0 <= top < bottom (right / bottom exclusive) "
            f"({int(bad.sum())} such rows)"
        )


def _show(value: object) -> str:
    """A value as it should read in an error message (strings quoted, numbers plain)."""
    return repr(value) if isinstance(value, str) else str(value)


# ---------------------------------------------------------------------------- building tables


def image_table(
    ids: Sequence[str],
    paths: Sequence[str | os.PathLike[str]],
    *,
    dataset: str,
    origin: str = "images",
    what: str = "image file",
    hint: str = "",
    **attrs: object,
) -> pd.DataFrame:
    """A canonical ``images`` table of undistorted originals, sizes read from the files.

    Parameters
    ----------
    ids : sequence of str
        ``image_id`` of each row (also its ``content_id``).
    paths : sequence of path
        The image files, one per id.
    dataset : str
        ``attrs["dataset"]``.
    origin : str
        Folder or source named in validation errors.
    what : str
        What the files are, for the missing-file error (``"OSIE stimulus file"``).
    hint : str
        Appended to the missing-file error (e.g. the expected layout).
    **attrs
        Further ``attrs`` of the table (e.g. ``grid="640x480"``).

    Returns
    -------
    DataFrame
        ``image_id``, ``path`` (absolute), ``width``, ``height`` (read from the files),
        ``content_id`` = ``image_id``, ``distortion`` = ``"none"``, ``level`` = NaN, in the
        order given; validated as an ``images`` table.

    Raises
    ------
    FileNotFoundError
        Files missing (all counted, the first three named, then ``hint``).
    ValueError
        ``ids`` and ``paths`` differ in length, or a file is not a readable image (naming it).
    """
    ids, files = [str(i) for i in ids], [Path(p) for p in paths]
    if len(ids) != len(files):
        raise ValueError(f"{origin}: {len(ids)} image ids but {len(files)} paths")
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} {what}(s) not found, e.g. {missing[:3]}" + (f"; {hint}" if hint else "")
        )
    sizes = np.array([_image_size(p) for p in files], dtype=float).reshape(-1, 2)
    table = pd.DataFrame(
        {
            "image_id": ids,
            "path": [str(p.resolve()) for p in files],
            "width": sizes[:, 0],
            "height": sizes[:, 1],
            "content_id": ids,
            "distortion": "none",
            "level": np.nan,
        }
    )
    table.attrs.update(dataset=dataset, **attrs)
    return validate(table, "images", origin=origin)


def _image_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.size
    except OSError as err:
        raise ValueError(f"{path}: unreadable image ({err})") from err


def categorical(index: np.ndarray, name: Callable[[int], str]) -> pd.Categorical:
    """A Categorical of ``name(index[i])`` whose categories are only the values used.

    Linear time (``bincount``, no sort) and no per-row strings: ``index`` holds small
    non-negative integers (file, subject or participant numbers); categories are in
    increasing ``index`` order.

    Parameters
    ----------
    index : array of int
        Non-negative integers, one per row.
    name : callable
        ``name(i)`` is the label of integer ``i``.
    """
    index = np.asarray(index, dtype=np.int64)
    if index.size and index.min() < 0:
        raise ValueError(f"categorical: negative index {int(index.min())}; expected integers >= 0")
    used = np.flatnonzero(np.bincount(index)) if index.size else np.empty(0, np.int64)
    remap = np.zeros(int(used[-1]) + 1 if used.size else 0, dtype=np.int32)
    remap[used] = np.arange(len(used), dtype=np.int32)
    return pd.Categorical.from_codes(remap[index], categories=[name(int(i)) for i in used])


def _constant(value: str, n: int) -> pd.Categorical:
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[value])


def fixation_table(
    image_id: pd.Categorical | Sequence[str],
    observer_id: pd.Categorical | Sequence[str],
    x: np.ndarray,
    y: np.ndarray,
    *,
    source: str,
    campaign: str,
    order: np.ndarray,
    duration_ms: np.ndarray | None = None,
    task: str = "free",
    **extra: np.ndarray,
) -> pd.DataFrame:
    """A ``fixations`` table from per-point arrays and one source, task and campaign.

    Parameters
    ----------
    image_id, observer_id : Categorical or sequence of str
        One per point (Categoricals from :func:`categorical` keep large tables small).
    x, y : array
        Canonical 0-based pixel coordinates.
    source : {"eye", "click", "mouse"}
        The ``source`` of every point.
    campaign : str
        The data collection, the ``campaign`` column.
    order : array of int
        0-based position of each point in its observer's sequence on that image.
    duration_ms : array, optional
        Fixation durations; NaN when None.
    task : {"free", "iqa"}
        The ``task`` of every point.
    **extra : array
        Further columns, one value per point, after ``order``.

    Returns
    -------
    DataFrame
        Columns ``image_id, observer_id, x, y, duration_ms, source, task, campaign, order``
        and ``extra``; ``source``, ``task`` and ``campaign`` as one-category Categoricals.
    """
    n = len(x)
    columns = {
        "image_id": image_id,
        "observer_id": observer_id,
        "x": np.asarray(x, dtype=float),
        "y": np.asarray(y, dtype=float),
        "duration_ms": np.full(n, np.nan) if duration_ms is None else np.asarray(duration_ms, dtype=float),
        "source": _constant(source, n),
        "task": _constant(task, n),
        "campaign": _constant(campaign, n),
        "order": np.asarray(order, dtype=np.int32),
    }
    columns.update(extra)
    return pd.DataFrame(columns, columns=list(columns))


def concat_tables(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate tables, keeping categorical columns categorical (categories unified first).

    ``pd.concat`` turns a categorical column into ``object`` when the parts' categories
    differ; here the categories are merged in order of appearance. Rows are renumbered.
    """
    parts = list(parts)
    if len(parts) == 1:
        return parts[0]
    for col in parts[0].columns:
        if all(col in p and isinstance(p[col].dtype, pd.CategoricalDtype) for p in parts):
            cats = list(dict.fromkeys(c for p in parts for c in p[col].cat.categories))
            parts = [p.assign(**{col: p[col].cat.set_categories(cats)}) for p in parts]
    return pd.concat(parts, ignore_index=True)


def read_csv_table(path: str | os.PathLike[str], required: Sequence[str], *, hint: str = "") -> pd.DataFrame:
    """Read a label CSV and check that it has the ``required`` columns.

    Empty cells become NaN; any other text (``"n/a"``, ``"-"``) stays as it is, so a later
    numeric check names it instead of silently reading it as missing.

    Parameters
    ----------
    path
        The CSV file.
    required
        Columns it must have.
    hint
        Appended to the missing-column message (e.g. the expected folder layout).

    Raises
    ------
    ValueError
        An unreadable file, or missing columns (naming them, what was expected and what was found).
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, keep_default_na=False, na_values=[""])
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not a readable CSV ({err})") from err
    missing = [c for c in required if c not in raw.columns]
    if missing:
        found = f"{list(raw.columns)[:12]}{' ...' if raw.shape[1] > 12 else ''}"
        raise ValueError(
            f"{path}: missing column(s) {missing}; expected columns {list(required)} (found {found})"
            + (f"; {hint}" if hint else "")
        )
    return raw
