"""OSIE (Xu, Jiang, Wang, Kankanhalli & Zhao, *Predicting human gaze beyond pixels*, JoV 2014).

Layout expected under ``root`` (the ``osie/`` folder of a data root; the official repository
``NUS-VIP/predicting-human-gaze-beyond-pixels``, folder ``data/`` plus a ``SUBSET_IDS.txt``)::

    osie/
      SUBSET_IDS.txt            ids of the stimuli at hand, one per line (e.g. ``1001``)
      data/stimuli/<id>.jpg     the stimuli, 800 x 600
      data/eye/fixations.mat    eye fixations: 700 images x 15 observers (MATLAB v5)
      data/mouse_amt/<id>.mat   crowdsourced (MTurk) mouse-tracking samples, one file per image
      data/mouse_lab/<id>.mat   in-lab mouse-tracking samples, one file per image

File formats (checked on the shared copy, see the tests):

- ``fixations.mat`` is a MATLAB 5.0 MAT-file (not v7.3) holding a 700 x 1 struct array
  ``fixations(i).img`` (``'1001.jpg'``) and ``fixations(i).subjects``: a 15 x 1 *cell* of 1 x 1
  structs ``{fix_x, fix_y, fix_duration}`` (1 x N; pixels as floats with 0.1 px resolution, and
  milliseconds as uint16). Files saved as v7.3 (HDF5) are read too (see
  :mod:`saliqa.datasets.matfile`).
- Mouse files hold a scalar struct ``fixations.{subj, coord, order}``: ``coord`` is N x 2 uint16
  ``[row, col]`` = ``[y, x]``, ``subj`` the observer number of each sample, ``order`` the sample's
  1-based position in that observer's sequence.

Coordinate conventions (canonical tables: 0-based, x = column, y = row, pixel centres on integers)

- **Eye**: ``fix_x``/``fix_y`` are MATLAB 1-based pixel positions: the authors' own
  ``computeFixationMaps.m`` indexes ``map(max(1, min(round(fix_y), h)), max(1, min(round(fix_x),
  w)))``. Over all 98,321 fixations x spans [1.2, 799.2] and y [1.2, 599.2] (never below 1), so
  ``x0 = fix_x - 1``, ``y0 = fix_y - 1`` lie in [0.2, 798.2] x [0.2, 598.2]. The x range is the
  800 px axis, so ``fix_x`` is the column.
- **Mouse**: ``coord`` is ``[row, col]``, 1-based integers: column 1 spans [1, 600] (the 600 px
  height) and column 2 spans [1, 800] (the 800 px width) over all 1,399,310 samples, both ends
  reached (no 0, nothing above 600 / 800), and ``computeMouseFixationMaps.m`` feeds them to
  ``sub2ind([h w], coord(:,1), coord(:,2))``. So ``x0 = coord[:, 1] - 1``, ``y0 = coord[:, 0] - 1``.

Counts on the shared copy: 700 stimuli (all 800 x 600; ``SUBSET_IDS.txt`` names 100 of them);
eye: 700 images, 15 observers each, 98,321 fixations (13,975 on the 100-image subset); mouse AMT:
100 images, 1,255,451 samples from 755 distinct ``subj`` numbers (about 97 per image; the numbers
recur across images, so they look like global worker indices); mouse lab: 100 images, 143,859 samples from 16 observers.

Points outside the image: none in the shared copy after conversion. ``outside="clip"`` is the
default here because it mirrors the authors' own map code (which clamps to the image); any
clipped or dropped point is counted in a warning (:class:`OutsideImageWarning`) and in
``table.attrs``. ``outside="raise"`` makes any such point an error.

MAT-files are read with :func:`saliqa.datasets.matfile.read_mat` (:func:`scipy.io.loadmat`, h5py
for v7.3), the tables built with :mod:`saliqa.datasets.tables`; each parsed file is cached for
the process (keyed on its path, modification time and size).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from saliqa.datasets.matfile import field, file_key, read_mat, records, rows, vector
from saliqa.datasets.tables import categorical, concat_tables, fixation_table, image_table, validate

__all__ = [
    "IMAGE_SIZE",
    "CAMPAIGNS",
    "LAYOUT",
    "OutsideImageWarning",
    "subset_ids",
    "load_images",
    "N_IMAGES",
    "load_fixations",
    "restrict_to_image",
]

IMAGE_SIZE: tuple[int, int] = (800, 600)
"""``(width, height)`` of every OSIE stimulus."""

CAMPAIGNS: Mapping[str, str] = {"eye": "eye", "mouse_amt": "mouse", "mouse_lab": "mouse"}
"""OSIE data collections (the ``campaign`` column) and their canonical ``source``."""

LAYOUT = """osie/
  SUBSET_IDS.txt            ids of the stimuli at hand, one per line
  data/stimuli/<id>.jpg     800 x 600 stimuli
  data/eye/fixations.mat    eye fixations (struct fixations(700).{img, subjects})
  data/mouse_amt/<id>.mat   crowdsourced mouse samples (struct fixations.{subj, coord, order})
  data/mouse_lab/<id>.mat   in-lab mouse samples (same format)"""

Outside = Literal["clip", "drop", "raise"]
_OUTSIDE = ("clip", "drop", "raise")


N_IMAGES = 700
"""OSIE's stimuli: ``1001.jpg`` .. ``1700.jpg``, all 800 x 600."""


class OutsideImageWarning(UserWarning):
    """Points outside the image were clipped or dropped by a loader (the count is in the message)."""


# ----------------------------------------------------------------------------------------------
# points outside the image
# ----------------------------------------------------------------------------------------------


def restrict_to_image(
    table: pd.DataFrame,
    width: float | np.ndarray,
    height: float | np.ndarray,
    outside: Outside = "raise",
    origin: str = "table",
) -> pd.DataFrame:
    """Apply an outside-the-image policy to a fixations table.

    A point is inside when ``0 <= x < width`` and ``0 <= y < height`` (canonical 0-based
    coordinates). Nothing is dropped silently: the number of outside points is reported in an
    :class:`OutsideImageWarning` and in ``attrs`` (``outside``, ``n_outside``,
    ``n_outside_dropped``, ``n_outside_clipped``), which are set even when it is zero.

    Parameters
    ----------
    table : DataFrame
        Fixations with ``x`` and ``y`` columns.
    width, height : float or array
        Image size, a scalar or one value per row.
    outside : {"raise", "clip", "drop"}
        ``"raise"``: ValueError naming ``origin``, the count and the first offending row.
        ``"clip"``: move outside points to the nearest pixel centre inside, ``[0, width - 1]`` x
        ``[0, height - 1]`` (points inside are never moved). ``"drop"``: remove them.
    origin : str
        File or source named in messages.

    Returns
    -------
    DataFrame
        The table (a new one if points were clipped or dropped), with the ``attrs`` above.
    """
    if outside not in _OUTSIDE:
        raise ValueError(f"outside={outside!r}; expected one of {_OUTSIDE}")
    x = table["x"].to_numpy(dtype=float)
    y = table["y"].to_numpy(dtype=float)
    w = np.broadcast_to(np.asarray(width, dtype=float), x.shape)
    h = np.broadcast_to(np.asarray(height, dtype=float), y.shape)
    bad = (x < 0) | (x >= w) | (y < 0) | (y >= h)
    n_bad = int(bad.sum())
    result = table
    if n_bad and outside == "raise":
        row = int(np.flatnonzero(bad)[0])
        who = ", ".join(f"{c}={table[c].iloc[row]!r}" for c in ("image_id", "observer_id") if c in table)
        raise ValueError(
            f"{origin}: {n_bad} point(s) outside the image; first at row {row} ({who}, "
            f"x={x[row]:g}, y={y[row]:g}) outside [0, {w[row]:g}) x [0, {h[row]:g}); "
            "pass outside='clip' or outside='drop' to keep going (the count is reported)"
        )
    if n_bad and outside == "drop":
        result = table.loc[~bad].reset_index(drop=True)
    elif n_bad:
        result = table.copy()
        result["x"] = np.where(bad, np.clip(x, 0.0, w - 1.0), x)
        result["y"] = np.where(bad, np.clip(y, 0.0, h - 1.0), y)
    if n_bad:
        what = "dropped" if outside == "drop" else "clipped to the nearest pixel inside"
        warnings.warn(
            f"{origin}: {n_bad} of {len(table)} point(s) outside the image were {what}",
            OutsideImageWarning,
            stacklevel=3,
        )
    result.attrs.update(
        outside=outside,
        n_outside=n_bad,
        n_outside_dropped=n_bad if outside == "drop" else 0,
        n_outside_clipped=n_bad if outside == "clip" else 0,
    )
    return result


def _frozen(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """The arrays, made read-only (they are shared through the parse caches)."""
    for a in arrays:
        a.flags.writeable = False
    return arrays


# ----------------------------------------------------------------------------------------------
# OSIE files
# ----------------------------------------------------------------------------------------------


def _root(root: str | os.PathLike[str]) -> Path:
    path = Path(root).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"OSIE folder {str(path)!r} not found; expected layout:\n{LAYOUT}")
    return path


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"{what} {str(path)!r} not found; expected OSIE layout:\n{LAYOUT}")
    return path


def subset_ids(root: str | os.PathLike[str]) -> list[str]:
    """Ids listed in ``root/SUBSET_IDS.txt`` (the stimuli at hand), in file order, as strings."""
    path = _require(_root(root) / "SUBSET_IDS.txt", "OSIE subset list")
    ids = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if not ids:
        raise ValueError(f"{path}: no image ids")
    return ids


def load_images(root: str | os.PathLike[str], image_ids: str = "subset") -> pd.DataFrame:
    """The OSIE stimuli at hand as a canonical ``images`` table.

    Parameters
    ----------
    root : path
        The ``osie/`` folder (layout in the module docstring).
    image_ids : {"subset", "all"}
        ``"subset"`` (default): the ids of ``SUBSET_IDS.txt``, in that order; ``"all"``: the 700
        OSIE stimuli ``1001`` .. ``1700`` (every file must be present).

    Returns
    -------
    DataFrame
        One row per id (``image_ids="subset"``: those of ``SUBSET_IDS.txt``, in that order):
        ``image_id`` (the OSIE number as a string, e.g. ``"1001"``), ``path`` (absolute path of
        ``data/stimuli/<id>.jpg``), ``width``/``height`` read from the file (800 x 600),
        ``content_id`` = ``image_id``, ``distortion`` = ``"none"``, ``level`` = NaN (undistorted
        originals, as for the builtin references). ``attrs["dataset"] = "osie"``.

    Raises
    ------
    FileNotFoundError
        Missing folder, subset list or stimulus files (all missing ones are counted, the first
        few named).
    """
    base = _root(root)
    if image_ids not in ("subset", "all"):
        raise ValueError(f"image_ids must be 'subset' or 'all', got {image_ids!r}")
    ids = subset_ids(base) if image_ids == "subset" else [str(i) for i in range(1001, 1001 + N_IMAGES)]
    folder = base / "data" / "stimuli"
    return image_table(
        ids,
        [folder / f"{i}.jpg" for i in ids],
        dataset="osie",
        origin=str(folder),
        what="OSIE stimulus file listed in SUBSET_IDS.txt" if image_ids == "subset" else "OSIE stimulus file",
        hint=f"expected layout:\n{LAYOUT}",
    )


@lru_cache(maxsize=4)
def _eye_raw(key: tuple[str, int, int]) -> tuple[np.ndarray, ...]:
    """Parsed ``fixations.mat`` (read-only arrays, cached per file).

    Image names, then per fixation: image index, subject number (1-based position in
    ``subjects``), x, y (raw, 1-based), duration, order.
    """
    path = Path(key[0])
    origin = str(path)
    images = records(field(read_mat(path, ["fixations"]), "fixations", origin))
    if not images:
        raise ValueError(f"{origin}: variable 'fixations' holds no image records")
    names, xs, ys, durs, counts = [], [], [], [], []
    for i, record in enumerate(images):
        name = field(record, "img", f"{origin}: fixations({i + 1})")
        if not isinstance(name, str):
            raise ValueError(f"{origin}: fixations({i + 1}).img is not text; expected an image name ('1001.jpg')")
        names.append(Path(name).stem)
        subjects = records(field(record, "subjects", f"{origin}: fixations({i + 1})"))
        for j, sub in enumerate(subjects):
            where = f"{origin}: fixations({i + 1}).subjects{{{j + 1}}}"
            x = vector(field(sub, "fix_x", where), where, "fix_x")
            y = vector(field(sub, "fix_y", where), where, "fix_y")
            d = vector(field(sub, "fix_duration", where), where, "fix_duration")
            if not (len(x) == len(y) == len(d)):
                raise ValueError(f"{where}: fix_x, fix_y, fix_duration lengths differ ({len(x)}, {len(y)}, {len(d)})")
            xs.append(x)
            ys.append(y)
            durs.append(d)
            counts.append((i, j + 1, len(x)))
    image, subject, n = (np.array([c[k] for c in counts], dtype=np.int64).reshape(-1) for k in range(3))
    starts = np.repeat(np.cumsum(n) - n, n)
    cat = [
        np.repeat(image, n).astype(np.int32),
        np.repeat(subject, n).astype(np.int32),
        *(np.concatenate(a) if a else np.empty(0) for a in (xs, ys, durs)),
        (np.arange(int(n.sum())) - starts).astype(np.int32),
    ]
    return _frozen(np.array(names, dtype=object), *cat)


@lru_cache(maxsize=512)
def _mouse_raw(key: tuple[str, int, int]) -> tuple[np.ndarray, ...]:
    """Parsed mouse file: subject numbers, x, y (raw 1-based, x = col, y = row), order (0-based)."""
    path = Path(key[0])
    origin = str(path)
    found = records(field(read_mat(path, ["fixations"]), "fixations", origin))
    if len(found) != 1:
        raise ValueError(f"{origin}: expected a scalar struct 'fixations', got {len(found)} records")
    record = found[0]
    coord = rows(field(record, "coord", origin), origin, "coord", "[row, col]")
    subj = vector(field(record, "subj", origin), origin, "subj").astype(np.int64)
    seq = vector(field(record, "order", origin), origin, "order").astype(np.int64)
    if not (len(coord) == len(subj) == len(seq)):
        raise ValueError(
            f"{origin}: fields coord, subj, order have different lengths ({len(coord)}, {len(subj)}, {len(seq)})"
        )
    return _frozen(subj, coord[:, 1].copy(), coord[:, 0].copy(), (seq - 1).astype(np.int32))


def _resolve_ids(root: Path, image_ids: str | Iterable[str | int] | None) -> list[str] | None:
    if image_ids is None:
        return None
    if isinstance(image_ids, str):
        if image_ids != "subset":
            raise ValueError(f"image_ids={image_ids!r}; expected None, 'subset' or a list of ids")
        return subset_ids(root)
    return [Path(str(i)).stem for i in image_ids]


def _eye_table(root: Path, ids: list[str] | None) -> pd.DataFrame:
    path = _require(root / "data" / "eye" / "fixations.mat", "OSIE eye fixation file")
    names, img_idx, subj, x, y, dur, order = _eye_raw(file_key(path))
    if ids is not None:
        position = {n: k for k, n in enumerate(names)}
        unknown = [i for i in ids if i not in position]
        if unknown:
            raise ValueError(f"{path}: image id(s) {unknown[:5]} not in the file ({len(names)} images)")
        keep = np.isin(img_idx, [position[i] for i in ids])
        img_idx, subj, x, y, dur, order = (a[keep] for a in (img_idx, subj, x, y, dur, order))
    return fixation_table(
        categorical(img_idx, lambda i: str(names[i])),
        categorical(subj, lambda j: f"eye:{j}"),
        x - 1.0,
        y - 1.0,
        source="eye",
        campaign="eye",
        order=order,
        duration_ms=dur,
    )


def _mouse_table(root: Path, campaign: str, ids: list[str] | None) -> pd.DataFrame:
    folder = _require(root / "data" / campaign, f"OSIE {campaign} folder")
    files = sorted(folder.glob("*.mat")) if ids is None else [folder / f"{i}.mat" for i in ids]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} {campaign} file(s) not found, e.g. {missing[:3]}; expected layout:\n{LAYOUT}"
        )
    parts = [_mouse_raw(file_key(p)) for p in files]
    lengths = np.array([len(p[0]) for p in parts], dtype=np.int64)
    subj = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, np.int64)
    if subj.size and subj.min() < 0:
        raise ValueError(f"{folder}: negative subject numbers in field 'subj'")
    observers = categorical(subj, lambda s: f"{campaign}:{s}")
    images = categorical(np.repeat(np.arange(len(files)), lengths), lambda i: files[i].stem)
    x, y, order = (np.concatenate([p[k] for p in parts]) if parts else np.empty(0) for k in (1, 2, 3))
    return fixation_table(
        images, observers, x - 1.0, y - 1.0, source=CAMPAIGNS[campaign], campaign=campaign, order=order
    )


def load_fixations(
    root: str | os.PathLike[str],
    sources: Sequence[str] = ("eye", "mouse_amt", "mouse_lab"),
    image_ids: str | Iterable[str | int] | None = None,
    outside: Outside = "clip",
) -> pd.DataFrame:
    """OSIE eye fixations and mouse-tracking samples as one canonical ``fixations`` table.

    Parameters
    ----------
    root : path
        The ``osie/`` folder (layout in the module docstring).
    sources : sequence of {"eye", "mouse_amt", "mouse_lab"}
        Which collections to read (the ``campaign`` column), in output order.
    image_ids : None, "subset" or iterable of ids
        None: every image of each collection (eye: all 700; mouse: every file present).
        ``"subset"``: the ids of ``SUBSET_IDS.txt`` (the 100 stimuli at hand). Otherwise the
        given ids (``1001``, ``"1001"`` or ``"1001.jpg"``); an id missing from a collection is an
        error.
    outside : {"clip", "drop", "raise"}
        Policy for points outside the 800 x 600 image (see :func:`restrict_to_image`). Default
        ``"clip"``, as the authors' map code; the shared copy has none.

    Returns
    -------
    DataFrame
        Columns ``image_id`` (e.g. ``"1001"``), ``observer_id`` (``"eye:1"`` ... ``"eye:15"``:
        the position in ``subjects``, the same person on every image; ``"mouse_amt:<subj>"``,
        ``"mouse_lab:<subj>"``), ``x``, ``y`` (0-based pixels on the 800 x 600 stimulus: raw
        values minus 1, mouse ``[row, col]`` swapped to ``x = col``), ``duration_ms`` (eye; NaN
        for mouse samples), ``source`` (``"eye"`` or ``"mouse"``), ``task`` (``"free"``),
        ``campaign`` (``"eye"``, ``"mouse_amt"``, ``"mouse_lab"``), ``order`` (0-based position
        in the observer's sequence on that image). Rows by campaign, then file order. The
        text columns are pandas Categoricals (1.4 M rows stay small and fast; ``==`` / ``isin``
        work as usual; ``astype(str)`` before merging with differently-categorised tables).
        ``attrs``: ``dataset``, ``image_size`` and the outside counts.

    Raises
    ------
    FileNotFoundError
        Missing folder or files (the message shows the expected layout).
    ValueError
        Unknown source, missing struct fields (naming file and field), unknown image ids, or
        points outside the image with ``outside="raise"``.
    """
    base = _root(root)
    sources = tuple(sources)
    unknown = [s for s in sources if s not in CAMPAIGNS]
    if unknown or not sources:
        raise ValueError(f"sources={sources!r}; expected a non-empty selection of {tuple(CAMPAIGNS)}")
    if outside not in _OUTSIDE:
        raise ValueError(f"outside={outside!r}; expected one of {_OUTSIDE}")
    ids = _resolve_ids(base, image_ids)
    parts = [_eye_table(base, ids) if s == "eye" else _mouse_table(base, s, ids) for s in sources]
    table = concat_tables(parts)
    validate(table, "fixations", origin=str(base))
    origin = f"OSIE {'+'.join(sources)} in {base}"
    table = restrict_to_image(table, IMAGE_SIZE[0], IMAGE_SIZE[1], outside, origin=origin)
    table.attrs.update(dataset="osie", image_size=IMAGE_SIZE)
    return table
