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
  milliseconds as uint16). Files saved as v7.3 (HDF5) are read with h5py.
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

Counts on the shared copy: 100 stimuli (all 800 x 600); eye: 700 images, 15 observers each,
98,321 fixations (13,975 on the 100-image subset); mouse AMT: 100 images, 1,255,451 samples from
755 distinct ``subj`` numbers (about 97 per image; the numbers recur across images, so they look
like global worker indices); mouse lab: 100 images, 143,859 samples from 16 observers.

Points outside the image: none in the shared copy after conversion. ``outside="clip"`` is the
default here because it mirrors the authors' own map code (which clamps to the image); any
clipped or dropped point is counted in a warning (:class:`OutsideImageWarning`) and in
``table.attrs``. ``outside="raise"`` makes any such point an error.

This module also holds the MAT-file reading shared with :mod:`saliqa.datasets.bubbleview`: a
small MATLAB v5 reader (numeric, char, cell and struct arrays, compressed or not) that can skip
named struct fields without decoding them (the BubbleView mouse file stores ~480,000 timestamp
strings that nothing here needs), falling back to :func:`scipy.io.loadmat` for anything else;
v7.3 files go through h5py.
"""

from __future__ import annotations

import math
import os
import struct
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from PIL import Image

from saliqa.datasets.tables import validate

__all__ = [
    "IMAGE_SIZE",
    "CAMPAIGNS",
    "LAYOUT",
    "OutsideImageWarning",
    "subset_ids",
    "load_images",
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
_FIX_COLUMNS = (
    "image_id", "observer_id", "x", "y", "duration_ms", "source", "task", "campaign", "order",
)


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
        who = ", ".join(
            f"{c}={table[c].iloc[row]!r}" for c in ("image_id", "observer_id") if c in table
        )
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


# ----------------------------------------------------------------------------------------------
# MAT-file reading (MATLAB v5 native reader, scipy fallback, v7.3 through h5py)
# ----------------------------------------------------------------------------------------------
#
# Values come back as plain Python: numeric arrays as ndarrays in MATLAB's shape, char arrays as
# str (a list of str for a multi-row char matrix), cell arrays as lists (column-major order),
# struct arrays as lists of dicts (column-major order; a scalar struct is a one-element list).
# ``_records`` flattens struct values (or cells of structs) into a list of dicts.

_MI_DTYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8", 12: "i8", 13: "u8"}
_MX_DTYPES = {6: "f8", 7: "f4", 8: "i1", 9: "u1", 10: "i2", 11: "u2", 12: "i4", 13: "u4", 14: "i8", 15: "u8"}
_MI_MATRIX, _MI_COMPRESSED = 14, 15
_MX_CELL, _MX_STRUCT, _MX_CHAR = 1, 2, 4
_CHAR_CODECS = {1: "latin-1", 2: "latin-1", 4: "utf-16", 16: "utf-8"}


class _Unsupported(Exception):
    """An element the native v5 reader does not decode (the scipy reader takes over)."""


def _mat_version(path: Path) -> str:
    """``"7.3"`` for HDF5-based MAT-files, ``"5"`` for v5/v6/v7, ``"4"`` otherwise."""
    with open(path, "rb") as handle:
        header = handle.read(128)
    if header.startswith(b"MATLAB 7.3"):
        return "7.3"
    if header.startswith(b"MATLAB") and len(header) == 128:
        return "5"
    return "4"


def _tag(buf: bytes, pos: int, end: str) -> tuple[int, int, int, int]:
    """Data element tag at ``pos``: (type, nbytes, data start, next element)."""
    word, nbytes = struct.unpack_from(end + "II", buf, pos)
    if word >> 16:  # small data element: type and size packed in one word, data in the next 4 bytes
        return word & 0xFFFF, word >> 16, pos + 4, pos + 8
    return word, nbytes, pos + 8, pos + 8 + ((nbytes + 7) // 8) * 8


@lru_cache(maxsize=64)
def _np_dtype(code: str, end: str) -> np.dtype:
    return np.dtype(end + code)


def _numeric(buf: bytes, pos: int, end: str) -> tuple[np.ndarray, int]:
    dtype, nbytes, start, nxt = _tag(buf, pos, end)
    if dtype not in _MI_DTYPES:
        raise _Unsupported(f"data type {dtype}")
    kind = _np_dtype(_MI_DTYPES[dtype], end)
    return np.frombuffer(buf, dtype=kind, count=nbytes // kind.itemsize, offset=start), nxt


def _char(buf: bytes, pos: int, end: str, shape: tuple[int, ...]) -> str | list[str]:
    dtype, nbytes, start, _ = _tag(buf, pos, end)
    if dtype not in _CHAR_CODECS:
        raise _Unsupported(f"char data type {dtype}")
    codec = _CHAR_CODECS[dtype]
    if codec == "utf-16":
        codec = "utf-16-le" if end == "<" else "utf-16-be"
    text = bytes(buf[start:start + nbytes]).decode(codec)
    if len(shape) == 2 and shape[0] > 1:  # char matrix, stored column-major
        rows = shape[0]
        return ["".join(text[r::rows]) for r in range(rows)]
    return text


def _matrix(buf: bytes, pos: int, stop: int, end: str, skip: frozenset[str]) -> Any:
    """Decode the miMATRIX element whose sub-elements span ``buf[pos:stop]``."""
    if pos == stop:  # MATLAB writes empty values as an element with no sub-elements
        return np.empty((0, 0))
    _, _, flags_at, pos = _tag(buf, pos, end)
    flags = struct.unpack_from(end + "I", buf, flags_at)[0]
    mx_class = flags & 0xFF
    _, dims_bytes, dims_at, pos = _tag(buf, pos, end)
    shape = struct.unpack_from(f"{end}{dims_bytes // 4}i", buf, dims_at)
    _, _, _, pos = _tag(buf, pos, end)  # array name (empty inside structs and cells)
    count = math.prod(shape)
    if mx_class in _MX_DTYPES:
        if flags & 0x0800:
            raise _Unsupported("complex array")
        real, _ = _numeric(buf, pos, end)
        return real.astype(_np_dtype(_MX_DTYPES[mx_class], "="), copy=True).reshape(shape, order="F")
    if mx_class == _MX_CHAR:
        return _char(buf, pos, end, shape)
    if mx_class == _MX_CELL:
        items = []
        for _ in range(count):
            _, nbytes, start, pos = _tag(buf, pos, end)
            items.append(_matrix(buf, start, start + nbytes, end, skip))
        return items
    if mx_class == _MX_STRUCT:
        name_len, pos = _numeric(buf, pos, end)
        raw_names, pos = _numeric(buf, pos, end)
        width = int(name_len[0])
        blob = raw_names.tobytes()
        names = [blob[i:i + width].split(b"\0", 1)[0].decode("ascii") for i in range(0, len(blob), width)]
        records = []
        for _ in range(count):
            record = {}
            for name in names:
                _, nbytes, start, pos = _tag(buf, pos, end)
                if name not in skip:
                    record[name] = _matrix(buf, start, start + nbytes, end, skip)
            records.append(record)
        return records
    raise _Unsupported(f"MATLAB class {mx_class}")


def _read_v5(path: Path, skip: frozenset[str]) -> dict[str, Any]:
    data = path.read_bytes()
    end = "<" if data[126:128] == b"IM" else ">"
    out: dict[str, Any] = {}
    pos = 128
    while pos + 8 <= len(data):
        dtype, nbytes, start, nxt = _tag(data, pos, end)
        buf = data
        if dtype == _MI_COMPRESSED:
            buf = zlib.decompress(data[start:start + nbytes])
            nxt = start + nbytes  # compressed elements are not padded
            dtype, nbytes, start, _ = _tag(buf, 0, end)
        if dtype == _MI_MATRIX and nbytes:
            _, _, _, name_at = _tag(buf, _tag(buf, start, end)[3], end)
            _, name_len, name_start, _ = _tag(buf, name_at, end)
            name = bytes(buf[name_start:name_start + name_len]).decode("ascii")
            out[name] = _matrix(buf, start, start + nbytes, end, skip)
        pos = nxt
    return out


def _from_scipy(value: Any) -> Any:
    """scipy.io.loadmat (``struct_as_record=False``, ``squeeze_me=False``) -> the plain form."""
    from scipy.io.matlab import mat_struct

    if isinstance(value, mat_struct):
        return [{k: _from_scipy(getattr(value, k)) for k in value._fieldnames}]
    if isinstance(value, np.ndarray) and value.dtype.kind == "U":  # one str per char-matrix row
        rows = [str(r) for r in value.ravel()]
        return rows[0] if len(rows) == 1 else (rows or "")
    if isinstance(value, np.ndarray) and value.dtype == object:
        items = [_from_scipy(v) for v in value.ravel(order="F")]
        if items and all(isinstance(v, list) and len(v) == 1 and isinstance(v[0], dict) for v in items):
            return [v[0] for v in items]  # a struct array
        return items
    return value


def _read_scipy(path: Path, skip: frozenset[str]) -> dict[str, Any]:
    from scipy.io import loadmat

    raw = loadmat(path, squeeze_me=False, struct_as_record=False)
    return {k: _strip(_from_scipy(v), skip) for k, v in raw.items() if not k.startswith("__")}


def _strip(value: Any, skip: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v, skip) for k, v in value.items() if k not in skip}
    if isinstance(value, list):
        return [_strip(v, skip) for v in value]
    return value


def _h5_class(obj: Any) -> str:
    value = obj.attrs.get("MATLAB_class", b"")
    return value.decode() if isinstance(value, bytes) else str(value)


def _h5_value(handle: Any, obj: Any, skip: frozenset[str]) -> Any:
    """A v7.3 (HDF5) MATLAB value in the plain form (HDF5 stores MATLAB dims reversed)."""
    import h5py

    if isinstance(obj, h5py.Group):
        if _h5_class(obj) != "struct":
            raise ValueError(f"{handle.filename}: unsupported MATLAB class {_h5_class(obj)!r} at {obj.name}")
        names = [n for n in obj.keys() if n not in skip]
        fields = [obj[n] for n in names]
        is_array = bool(fields) and all(
            isinstance(f, h5py.Dataset) and f.dtype == h5py.ref_dtype and "MATLAB_class" not in f.attrs
            for f in fields
        )
        if not is_array:
            return [{n: _h5_value(handle, f, skip) for n, f in zip(names, fields)}]
        refs = {n: f[()].ravel() for n, f in zip(names, fields)}  # C order of reversed dims = F order
        count = len(next(iter(refs.values())))
        return [{n: _h5_value(handle, handle[refs[n][i]], skip) for n in names} for i in range(count)]
    cls = _h5_class(obj)
    if obj.attrs.get("MATLAB_empty", 0):
        return "" if cls == "char" else np.empty((0, 0))
    data = obj[()]
    if cls == "cell":
        return [_h5_value(handle, handle[r], skip) for r in np.asarray(data).ravel()]
    if cls == "char":
        codes = np.asarray(data).T
        rows = ["".join(map(chr, r)) for r in np.atleast_2d(codes)]
        return rows[0] if len(rows) == 1 else rows
    return np.asarray(data).T


def _read_v73(path: Path, skip: frozenset[str]) -> dict[str, Any]:
    import h5py

    with h5py.File(path, "r") as handle:
        return {k: _h5_value(handle, handle[k], skip) for k in handle.keys() if not k.startswith("#")}


def _read_mat(path: Path, skip: Iterable[str] = (), engine: str = "auto") -> dict[str, Any]:
    """Variables of a MAT-file in the plain form (see above), struct fields in ``skip`` left out.

    ``engine``: ``"auto"`` (v7.3 -> h5py; v5 -> native reader, scipy for what it does not
    decode), ``"native"``, ``"scipy"`` or ``"h5py"``.
    """
    skip = frozenset(skip)
    if engine == "auto":
        version = _mat_version(path)
        if version == "7.3":
            return _read_v73(path, skip)
        if version == "5":
            try:
                return _read_v5(path, skip)
            except _Unsupported:
                pass
        return _read_scipy(path, skip)
    readers = {"native": _read_v5, "scipy": _read_scipy, "h5py": _read_v73}
    if engine not in readers:
        raise ValueError(f"engine={engine!r}; expected 'auto' or one of {sorted(readers)}")
    return readers[engine](path, skip)


def _records(value: Any) -> list[dict[str, Any]]:
    """Struct value(s) -> list of dicts (accepts a dict, a struct array, or a cell of structs)."""
    if isinstance(value, dict):
        return [value]
    out: list[dict[str, Any]] = []
    for item in value if isinstance(value, list) else []:
        out.extend(_records(item))
    return out


def _field(record: Mapping[str, Any], name: str, origin: str) -> Any:
    if name not in record:
        raise ValueError(f"{origin}: missing field {name!r} (fields present: {sorted(record)})")
    return record[name]


def _vector(value: Any, origin: str, name: str) -> np.ndarray:
    """A numeric MATLAB vector (1 x N, N x 1 or empty) as a flat float array."""
    if isinstance(value, (str, list)):
        raise ValueError(f"{origin}: field {name!r} is not numeric")
    return np.asarray(value, dtype=float).ravel()


def _file_key(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path), stat.st_mtime_ns, stat.st_size


def _frozen(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
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


def load_images(root: str | os.PathLike[str]) -> pd.DataFrame:
    """The OSIE stimuli at hand as a canonical ``images`` table.

    Parameters
    ----------
    root : path
        The ``osie/`` folder (layout in the module docstring).

    Returns
    -------
    DataFrame
        One row per id of ``SUBSET_IDS.txt`` (100 in the shared copy), in that order:
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
    ids = subset_ids(base)
    files = [base / "data" / "stimuli" / f"{i}.jpg" for i in ids]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} OSIE stimulus file(s) listed in SUBSET_IDS.txt not found, e.g. "
            f"{missing[:3]}; expected layout:\n{LAYOUT}"
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
    table.attrs["dataset"] = "osie"
    return validate(table, "images", origin=str(base / "data" / "stimuli"))


def _image_size(path: Path) -> tuple[int, int]:
    try:
        with Image.open(path) as image:
            return image.size
    except OSError as err:
        raise ValueError(f"{path}: unreadable image ({err})") from err


@lru_cache(maxsize=4)
def _eye_raw(key: tuple[str, int, int]) -> tuple[np.ndarray, ...]:
    """Parsed ``fixations.mat``: image names, then per fixation: image index, subject number
    (1-based position in ``subjects``), x, y (raw, 1-based), duration, order."""
    path = Path(key[0])
    variables = _read_mat(path)
    origin = str(path)
    images = _records(_field(variables, "fixations", origin))
    if not images:
        raise ValueError(f"{origin}: variable 'fixations' holds no image records")
    names, xs, ys, durs, counts = [], [], [], [], []
    for i, record in enumerate(images):
        name = _field(record, "img", f"{origin}: fixations({i + 1})")
        names.append(Path(str(name)).stem)
        subjects = _records(_field(record, "subjects", f"{origin}: fixations({i + 1})"))
        for j, sub in enumerate(subjects):
            where = f"{origin}: fixations({i + 1}).subjects{{{j + 1}}}"
            x = _vector(_field(sub, "fix_x", where), where, "fix_x")
            y = _vector(_field(sub, "fix_y", where), where, "fix_y")
            d = _vector(_field(sub, "fix_duration", where), where, "fix_duration")
            if not (len(x) == len(y) == len(d)):
                raise ValueError(
                    f"{where}: fix_x, fix_y, fix_duration lengths differ ({len(x)}, {len(y)}, {len(d)})"
                )
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
    variables = _read_mat(path)
    records = _records(_field(variables, "fixations", origin))
    if len(records) != 1:
        raise ValueError(f"{origin}: expected a scalar struct 'fixations', got {len(records)} records")
    record = records[0]
    coord = np.asarray(_field(record, "coord", origin), dtype=float)
    subj = _vector(_field(record, "subj", origin), origin, "subj").astype(np.int64)
    seq = _vector(_field(record, "order", origin), origin, "order").astype(np.int64)
    if coord.size == 0:
        coord = coord.reshape(0, 2)
    if coord.ndim != 2 or coord.shape[1] != 2:
        raise ValueError(f"{origin}: field 'coord' has shape {coord.shape}; expected N x 2 [row, col]")
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
    names, img_idx, subj, x, y, dur, order = _eye_raw(_file_key(path))
    if ids is not None:
        position = {n: k for k, n in enumerate(names)}
        unknown = [i for i in ids if i not in position]
        if unknown:
            raise ValueError(f"{path}: image id(s) {unknown[:5]} not in the file ({len(names)} images)")
        keep = np.isin(img_idx, [position[i] for i in ids])
        img_idx, subj, x, y, dur, order = (a[keep] for a in (img_idx, subj, x, y, dur, order))
    return _fixation_frame(
        _categorical(img_idx, lambda i: str(names[i])), _categorical(subj, lambda j: f"eye:{j}"),
        x - 1.0, y - 1.0, dur, "eye", "eye", order,
    )


def _mouse_table(root: Path, campaign: str, ids: list[str] | None) -> pd.DataFrame:
    folder = _require(root / "data" / campaign, f"OSIE {campaign} folder")
    files = sorted(folder.glob("*.mat")) if ids is None else [folder / f"{i}.mat" for i in ids]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} {campaign} file(s) not found, e.g. {missing[:3]}; expected layout:\n{LAYOUT}"
        )
    parts = [_mouse_raw(_file_key(p)) for p in files]
    lengths = np.array([len(p[0]) for p in parts], dtype=np.int64)
    subj = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, np.int64)
    if subj.size and subj.min() < 0:
        raise ValueError(f"{folder}: negative subject numbers in field 'subj'")
    observers = _categorical(subj, lambda s: f"{campaign}:{s}")
    images = _categorical(np.repeat(np.arange(len(files)), lengths), lambda i: files[i].stem)
    x, y, order = (np.concatenate([p[k] for p in parts]) if parts else np.empty(0) for k in (1, 2, 3))
    return _fixation_frame(
        images, observers, x - 1.0, y - 1.0, np.full(len(subj), np.nan), CAMPAIGNS[campaign], campaign, order
    )


def _categorical(index: np.ndarray, name: Callable[[int], str]) -> pd.Categorical:
    """Categorical of ``name(index)`` with only the used values as categories.

    Linear time (``bincount``, no sort) and no per-row strings: ``index`` holds small
    non-negative integers (file, subject or participant numbers).
    """
    index = np.asarray(index, dtype=np.int64)
    used = np.flatnonzero(np.bincount(index)) if index.size else np.empty(0, np.int64)
    remap = np.zeros(int(used[-1]) + 1 if used.size else 0, dtype=np.int32)
    remap[used] = np.arange(len(used), dtype=np.int32)
    return pd.Categorical.from_codes(remap[index], categories=[name(int(i)) for i in used])


def _constant(value: str, n: int) -> pd.Categorical:
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[value])


def _fixation_frame(
    image_id: pd.Categorical,
    observer_id: pd.Categorical,
    x: np.ndarray,
    y: np.ndarray,
    duration_ms: np.ndarray,
    source: str,
    campaign: str,
    order: np.ndarray,
) -> pd.DataFrame:
    """A free-viewing fixations table from per-point arrays and one source / campaign."""
    n = len(x)
    return pd.DataFrame(
        {
            "image_id": image_id,
            "observer_id": observer_id,
            "x": np.asarray(x, dtype=float),
            "y": np.asarray(y, dtype=float),
            "duration_ms": np.asarray(duration_ms, dtype=float),
            "source": _constant(source, n),
            "task": _constant("free", n),
            "campaign": _constant(campaign, n),
            "order": np.asarray(order, dtype=np.int32),
        },
        columns=list(_FIX_COLUMNS),
    )


def _concat(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate tables keeping categorical columns categorical (categories unified first)."""
    if len(parts) == 1:
        return parts[0]
    parts = list(parts)
    for col in parts[0].columns:
        if all(isinstance(p[col].dtype, pd.CategoricalDtype) for p in parts):
            cats: list[str] = []
            seen: set[str] = set()
            for p in parts:
                new = [c for c in p[col].cat.categories if c not in seen]
                cats.extend(new)
                seen.update(new)
            parts = [p.assign(**{col: p[col].cat.set_categories(cats)}) for p in parts]
    return pd.concat(parts, ignore_index=True)


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
    table = _concat(parts)
    validate(table, "fixations", origin=str(base))
    origin = f"OSIE {'+'.join(sources)} in {base}"
    table = restrict_to_image(table, IMAGE_SIZE[0], IMAGE_SIZE[1], outside, origin=origin)
    table.attrs.update(dataset="osie", image_size=IMAGE_SIZE)
    return table
