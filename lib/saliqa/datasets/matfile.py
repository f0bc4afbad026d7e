"""MATLAB MAT-files as plain Python values, for the loaders of :mod:`saliqa.datasets`.

Versions 4 to 7 (MATLAB's default ``-v7`` and older) are read with :func:`scipy.io.loadmat`
(``simplify_cells=True``); version 7.3 files (HDF5 based, ``save -v7.3``) with h5py, into the
same form:

- a struct becomes a ``dict`` (field -> value), a struct array a ``list`` of dicts (MATLAB's
  column-major order), a cell array a list or an object ndarray;
- a char array becomes a ``str``;
- a numeric array becomes an ndarray in MATLAB's shape with singleton dimensions squeezed
  (a 1 x N vector comes back with shape ``(N,)``, a 1 x 1 value as a scalar).

Because of the squeezing, code that reads the values should not rely on shapes: :func:`records`,
:func:`vector` and :func:`rows` accept every form a field can take and raise errors that name
the file, the field and the expected form.

There used to be a hand-written v5 reader here (in :mod:`saliqa.datasets.osie`) that could skip
struct fields; ``benchmarks/bench_matfile.py`` measured it against scipy on the real OSIE and
BubbleView files (scipy takes about 3 s on the largest, ``osieMM30.mat`` with ~480,000 strings,
once per process since the loaders cache what they parse), so scipy is used throughout.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["field", "file_key", "mat_version", "read_mat", "records", "rows", "vector"]

_V73_HEADER = b"MATLAB 7.3"


def mat_version(path: str | os.PathLike[str]) -> str:
    """The MAT-file format version of ``path``.

    Parameters
    ----------
    path : path
        A MAT-file.

    Returns
    -------
    {"4", "5", "7.3"}
        ``"5"`` covers the v5, v6 and v7 formats (one layout, read by scipy); ``"7.3"`` is
        the HDF5-based format (read with h5py); ``"4"`` the old Level 4 format (scipy).

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        The file is not a MAT-file (naming it).
    """
    from scipy.io.matlab import matfile_version

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MAT-file {str(path)!r} not found")
    with open(path, "rb") as handle:
        if handle.read(len(_V73_HEADER)) == _V73_HEADER:
            return "7.3"
    try:
        major, _ = matfile_version(str(path))
    except Exception as err:  # scipy raises MatReadError / ValueError on foreign files
        raise ValueError(f"{path}: not a MATLAB MAT-file ({err})") from err
    return {0: "4", 1: "5", 2: "7.3"}.get(major, str(major))


def read_mat(path: str | os.PathLike[str], variable_names: Sequence[str] | None = None) -> dict[str, Any]:
    """The variables of a MAT-file, in the plain form described in the module docstring.

    Parameters
    ----------
    path : path
        A MAT-file of any version (4 to 7 through scipy, 7.3 through h5py).
    variable_names : sequence of str, optional
        Read only these variables (all when None). Names absent from the file are left out.

    Returns
    -------
    dict
        Variable name -> value; scipy's ``__header__`` entries and HDF5's ``#refs#`` are left
        out.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        The file is not a readable MAT-file (naming it and scipy's or h5py's reason).
    """
    path = Path(path)
    version = mat_version(path)
    names = None if variable_names is None else list(variable_names)
    if version == "7.3":
        return _read_v73(path, names)
    from scipy.io import loadmat

    try:
        raw = loadmat(path, simplify_cells=True, variable_names=names)
    except Exception as err:  # MatReadError, ValueError, zlib.error, ... on damaged files
        raise ValueError(f"{path}: unreadable MAT-file version {version} ({type(err).__name__}: {err})") from err
    return {k: v for k, v in raw.items() if not k.startswith("__")}


def records(value: Any) -> list[dict[str, Any]]:
    """A struct, a struct array or a cell of structs as a flat list of dicts.

    Parameters
    ----------
    value : dict, list or ndarray
        A value from :func:`read_mat`.

    Returns
    -------
    list of dict
        ``[value]`` for a dict; the dicts found in a list or object array (nested lists are
        flattened, in order); ``[]`` for anything else (an empty value, a number, a string).
    """
    if isinstance(value, Mapping):
        return [dict(value)]
    if isinstance(value, np.ndarray) and value.dtype == object:
        value = list(value.ravel(order="F"))
    out: list[dict[str, Any]] = []
    for item in value if isinstance(value, list) else []:
        out.extend(records(item))
    return out


def field(record: Mapping[str, Any], name: str, origin: str) -> Any:
    """The value of struct field ``name``.

    Parameters
    ----------
    record : dict
        A struct from :func:`records`.
    name : str
        The field.
    origin : str
        File and struct path named in the error (``"a.mat: bubble(3)"``).

    Raises
    ------
    ValueError
        The field is missing (naming ``origin``, the field and the fields present).
    """
    if name not in record:
        raise ValueError(f"{origin}: missing field {name!r} (fields present: {sorted(record)})")
    return record[name]


def vector(value: Any, origin: str, name: str) -> np.ndarray:
    """A numeric MATLAB vector (1 x N, N x 1, a scalar or empty) as a flat float array.

    Parameters
    ----------
    value : ndarray or number
        A field value from :func:`read_mat`.
    origin, name : str
        File / struct path and field named in the error.

    Raises
    ------
    ValueError
        The value is text, a struct or a cell, or a matrix with more than one row and column.
    """
    if isinstance(value, (str, list, Mapping)) or (isinstance(value, np.ndarray) and value.dtype.kind in "OUS"):
        raise ValueError(f"{origin}: field {name!r} is not numeric; expected a numeric vector")
    array = np.asarray(value, dtype=float)
    if sum(d > 1 for d in array.shape) > 1:
        raise ValueError(f"{origin}: field {name!r} has shape {array.shape}; expected a vector (1 x N or N x 1)")
    return array.ravel()


def rows(value: Any, origin: str, name: str, columns: str = "[x, y]") -> np.ndarray:
    """A numeric N x k MATLAB matrix as a float array of shape ``(N, k)``.

    Handles the squeezed forms of :func:`read_mat`: one row comes back as a vector of length
    k, no rows as an empty array.

    Parameters
    ----------
    value : ndarray
        A field value from :func:`read_mat`.
    origin, name : str
        File / struct path and field named in the error.
    columns : str
        The expected columns, as written in the error (``"[x, y]"``); k is their number.

    Raises
    ------
    ValueError
        The value is not numeric or not N x k (naming the shape found and the expected one).
    """
    k = len([c for c in columns.strip("[]").split(",") if c.strip()])
    expected = f"expected N x {k} {columns}"
    if isinstance(value, (str, list, Mapping)) or (isinstance(value, np.ndarray) and value.dtype.kind in "OUS"):
        raise ValueError(f"{origin}: field {name!r} is not numeric; {expected}")
    array = np.asarray(value, dtype=float)
    if array.size == 0:
        return array.reshape(0, k)
    if array.ndim == 1 and array.shape[0] == k:
        return array.reshape(1, k)
    if array.ndim != 2 or array.shape[1] != k:
        raise ValueError(f"{origin}: field {name!r} has shape {array.shape}; {expected}")
    return array


def file_key(path: str | os.PathLike[str]) -> tuple[str, int, int]:
    """A cache key for a file's contents: ``(path, mtime in ns, size)``.

    Use it as the argument of an ``functools.lru_cache``-d parser so that a rewritten file is
    read again.
    """
    stat = Path(path).stat()
    return str(path), stat.st_mtime_ns, stat.st_size


# ---------------------------------------------------------------------------- v7.3 (HDF5)


def _read_v73(path: Path, names: list[str] | None) -> dict[str, Any]:
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            keys = [k for k in handle if not k.startswith("#") and (names is None or k in names)]
            return {k: _h5_value(handle, handle[k]) for k in keys}
    except OSError as err:
        raise ValueError(f"{path}: unreadable MAT-file version 7.3 ({err})") from err


def _h5_class(obj: Any) -> str:
    value = obj.attrs.get("MATLAB_class", b"")
    return value.decode() if isinstance(value, bytes) else str(value)


def _h5_value(handle: Any, obj: Any) -> Any:
    """A v7.3 value in the plain form (HDF5 stores MATLAB's dimensions reversed)."""
    import h5py

    if isinstance(obj, h5py.Group):
        if _h5_class(obj) != "struct":
            raise ValueError(f"{handle.filename}: unsupported MATLAB class {_h5_class(obj)!r} at {obj.name}")
        fields = dict(obj.items())
        is_array = bool(fields) and all(
            isinstance(f, h5py.Dataset) and f.dtype == h5py.ref_dtype and "MATLAB_class" not in f.attrs
            for f in fields.values()
        )
        if not is_array:
            return {n: _h5_value(handle, f) for n, f in fields.items()}
        refs = {n: f[()].ravel() for n, f in fields.items()}  # C order of reversed dims = F order
        count = len(next(iter(refs.values())))
        items = [{n: _h5_value(handle, handle[refs[n][i]]) for n in fields} for i in range(count)]
        return items[0] if count == 1 else items
    cls = _h5_class(obj)
    if obj.attrs.get("MATLAB_empty", 0):
        return "" if cls == "char" else np.empty(0)
    data = np.asarray(obj[()])
    if cls == "cell":
        return [_h5_value(handle, handle[r]) for r in data.ravel()]
    if cls == "char":
        text = ["".join(map(chr, r)) for r in np.atleast_2d(data.T)]
        return text[0] if len(text) == 1 else np.array(text, dtype=object)
    squeezed = np.squeeze(data.T)
    return squeezed.item() if squeezed.ndim == 0 else squeezed
