"""Input checks shared by the library: scalars, 1-D arrays, table columns.

Every public function of ``saliqa`` validates its arguments with these, so the same bad input
gets the same message everywhere (DESIGN.md, "Reliability": a clear error naming the field and
the expected form). Each check returns the value normalised (a Python ``int`` / ``float``, a
float64 array) or raises ``ValueError``; none of them modifies its input.

Conventions of the messages: ``"<name> must be <expected form>, got <value!r>"``; for tables
``"<table>: row <i> field '<column>' ..."`` with ``i`` the 0-based position in the table given,
and ``"<table>: missing column(s) [...]"``. Booleans are never accepted as numbers.

This module imports nothing from ``saliqa`` (any layer may use it).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "is_real",
    "check_real",
    "check_positive",
    "check_probability",
    "check_int",
    "check_seed",
    "check_choice",
    "check_shape",
    "check_interval",
    "as_float_array",
    "check_vector",
    "check_dataframe",
    "require_columns",
    "first_row",
    "check_bool_column",
    "check_finite_column",
]


def _show(value: Any) -> str:
    """``repr`` of a cell value, numpy scalars shown as plain Python values."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def is_real(value: Any) -> bool:
    """True for a real number that is not a bool (Python or numpy; NaN and inf included)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f" {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f" {'<' if high_open else '<='} {high:g}"
    return ""


def check_real(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number, optionally within bounds.

    Parameters
    ----------
    value
        The value to check (bools are rejected).
    name
        Argument name used in the message.
    low, high
        Optional bounds.
    low_open, high_open
        Exclude the bound itself (``value > low`` instead of ``>=``).

    Returns
    -------
    float
        ``float(value)``.

    Raises
    ------
    ValueError
        ``"<name> must be a finite number[ in [low, high]], got <value>"``.
    """
    ok = is_real(value) and math.isfinite(float(value))
    if ok:
        v = float(value)
        ok = (low is None or (v > low if low_open else v >= low)) and (
            high is None or (v < high if high_open else v <= high)
        )
    if not ok:
        raise ValueError(f"{name} must be a finite number{_interval(low, high, low_open, high_open)}, got {value!r}")
    return float(value)


def check_positive(value: Any, name: str, *, allow_zero: bool = False, unit: str = "") -> float:
    """A positive (or, with ``allow_zero``, non-negative) finite real number.

    ``value`` and ``name`` are those of :func:`check_real`.

    Parameters
    ----------
    allow_zero
        Accept 0.
    unit
        Optional unit for the message (``"pixels"``: "... a positive finite number of pixels").

    Returns
    -------
    float

    Raises
    ------
    ValueError
        ``"<name> must be a positive finite number[ of <unit>], got <value>"``.
    """
    ok = is_real(value) and math.isfinite(float(value)) and (float(value) >= 0 if allow_zero else float(value) > 0)
    if not ok:
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a {kind} finite number{' of ' + unit if unit else ''}, got {value!r}")
    return float(value)


def check_probability(value: Any, name: str) -> float:
    """A probability / fraction in ``[0, 1]`` (bools rejected).

    Raises
    ------
    ValueError
        ``"<name> must be a finite number in [0, 1], got <value>"``.
    """
    return check_real(value, name, low=0.0, high=1.0)


def check_int(
    value: Any, name: str, *, low: int | None = None, high: int | None = None, integral_float: bool = False
) -> int:
    """An integer (Python or numpy; bools rejected), optionally within ``[low, high]``.

    Parameters
    ----------
    value
        The value to check.
    name
        Argument name used in the message.
    low, high
        Optional inclusive bounds.
    csv_header_lines
        When the table was read from a CSV file with this many lines before the first data row
        (1 for a plain header), the message also gives the file's line number.
    row_names
        Names of the rows (e.g. the image file column) for the message.
    integral_float
        Also accept a float with an integral value (``30.0``), e.g. a level read from YAML.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        ``"<name> must be an integer[ in low..high | >= low], got <value>"``.
    """
    v = value
    if integral_float and isinstance(v, (float, np.floating)) and math.isfinite(v) and float(v).is_integer():
        v = int(v)
    ok = isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))
    ok = ok and (low is None or int(v) >= low) and (high is None or int(v) <= high)
    if not ok:
        if low is not None and high is not None:
            bounds = f" in {low}..{high}"
        elif low is not None:
            bounds = f" >= {low}"
        elif high is not None:
            bounds = f" <= {high}"
        else:
            bounds = ""
        raise ValueError(f"{name} must be an integer{bounds}, got {value!r}")
    return int(v)


def check_seed(seed: Any, name: str = "seed") -> int:
    """A random seed: a non-negative integer (``numpy.random.default_rng`` / ``SeedSequence``).

    Raises
    ------
    ValueError
        ``"<name> must be a non-negative integer, got <value>"``.
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {seed!r}")
    return int(seed)


def check_choice(value: Any, name: str, choices: Sequence[Any]) -> Any:
    """One of ``choices`` (compared with ``==``).

    Raises
    ------
    ValueError
        ``"<name> must be one of (...), got <value>"``.
    """
    try:
        ok = value in tuple(choices)
    except (TypeError, ValueError):  # unhashable / array-like values
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


def check_shape(shape: Any, name: str = "shape", *, allow_scalar: bool = False) -> tuple[int, int]:
    """An image shape ``(H, W)``: two positive integers (Python or numpy; bools rejected).

    Parameters
    ----------
    shape
        The pair (or, with ``allow_scalar``, one int meaning ``(n, n)``).
    name
        Name for the message.
    allow_scalar
        Accept a single positive int for a square shape (canvas sizes, grids, RoI outputs).

    Returns
    -------
    tuple of int
        ``(H, W)`` as Python ints.

    Raises
    ------
    ValueError
        ``"<name> must be a pair (H, W) of positive ints, got <value>"``.
    """
    if allow_scalar and isinstance(shape, numbers.Integral) and not isinstance(shape, (bool, np.bool_)):
        shape = (int(shape), int(shape))
    try:
        items = tuple(shape)
    except TypeError:
        items = ()
    ok = len(items) == 2 and all(
        isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) and int(v) > 0 for v in items
    )
    if not ok:
        form = "a positive int or a pair (H, W) of positive ints" if allow_scalar else "a pair (H, W) of positive ints"
        raise ValueError(f"{name} must be {form}, got {shape!r}")
    return int(items[0]), int(items[1])


def check_interval(pair: Any, name: str, *, increasing: bool = True) -> tuple[float, float]:
    """Two finite numbers ``(low, high)``, distinct (and with ``increasing``, ``low < high``).

    Raises
    ------
    ValueError
        ``"<name> must be two finite numbers (low, high) with low < high, got <value>"``.
    """
    try:
        a, b = (float(v) for v in pair)
        ok = math.isfinite(a) and math.isfinite(b) and (a < b if increasing else a != b)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        order = "low < high" if increasing else "low != high"
        raise ValueError(f"{name} must be two finite numbers (low, high) with {order}, got {pair!r}")
    return a, b


def as_float_array(x: ArrayLike, name: str, expected: str = "a numeric array") -> NDArray[np.float64]:
    """``x`` as a float64 array (a view when it already is one).

    Raises
    ------
    ValueError
        ``"<name> must be <expected>: <numpy's reason>"`` when ``x`` is not numeric.
    """
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be {expected}: {exc}") from None


def check_vector(x: ArrayLike, name: str, *, min_size: int = 0) -> NDArray[np.float64]:
    """A finite 1-D float64 array.

    Parameters
    ----------
    x
        Array-like of numbers.
    name
        Argument name used in the message.
    min_size
        Smallest accepted length.

    Raises
    ------
    ValueError
        Not numeric, not 1-D, non-finite values (counted, first position named), too short.
    """
    a = as_float_array(x, name, "a 1-D numeric array")
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    bad = ~np.isfinite(a)
    if bad.any():
        raise ValueError(
            f"{name} contains {int(bad.sum())} non-finite values (first at position "
            f"{first_row(bad)}); remove or impute them explicitly"
        )
    if a.size < min_size:
        raise ValueError(f"{name} needs at least {min_size} values, got {a.size}")
    return a


def check_dataframe(table: Any, name: str) -> pd.DataFrame:
    """``table`` itself if it is a pandas DataFrame.

    Raises
    ------
    ValueError
        ``"<name> must be a pandas DataFrame, got <type>"``.
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(table).__name__}")
    return table


def require_columns(table: pd.DataFrame, columns: Iterable[str], name: str, *, hint: str = "") -> pd.DataFrame:
    """``table`` itself if it is a DataFrame holding every one of ``columns``.

    Parameters
    ----------
    table
        The table.
    columns
        Required column names.
    name
        The table's name in the message (``"workers"``, ``"answers"``, a file name).
    hint
        Appended to the message (e.g. how to build the table).

    Raises
    ------
    ValueError
        ``"<name>: missing column(s) [...]; expected columns [...]"`` (plus ``hint``).
    """
    check_dataframe(table, name)
    columns = list(columns)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        tail = f"; {hint}" if hint else ""
        raise ValueError(f"{name}: missing column(s) {missing}; expected columns {columns}{tail}")
    return table


def first_row(mask: ArrayLike) -> int:
    """Position of the first True of a boolean mask (the row an error message names)."""
    return int(np.flatnonzero(np.asarray(mask))[0])


def check_bool_column(values: pd.Series, table: str, column: str) -> pd.Series:
    """A column of booleans (True/False or 0/1, no missing values) as ``bool``.

    Raises
    ------
    ValueError
        ``"<table>: row <i> field '<column>' = <value>; expected a boolean (True/False)"``.
    """
    ok = values.isin([True, False]).to_numpy() & values.notna().to_numpy()
    if not ok.all():
        row = first_row(~ok)
        raise ValueError(
            f"{table}: row {row} field {column!r} = {_show(values.iloc[row])}; expected a boolean (True/False)"
        )
    return values.astype(bool)


def check_finite_column(
    values: pd.Series,
    table: str,
    column: str,
    *,
    allow_nan: bool = False,
    integer: bool = False,
    low: float | None = None,
    high: float | None = None,
    csv_header_lines: int | None = None,
    row_names: pd.Series | None = None,
) -> NDArray[np.float64]:
    """A numeric column as float64, every value finite (integral, within ``[low, high]``).

    Parameters
    ----------
    values
        The column.
    table, column
        Names for the message.
    allow_nan
        Let missing values (NaN / NA) through as NaN ("not applicable"); infinities and
        non-numbers still raise.
    integer
        Require integral values (counts, ids).
    low, high
        Optional inclusive bounds.

    Raises
    ------
    ValueError
        ``"<table>: row <i> field '<column>' = <value> is not a finite number[ in [low, high]]
        (<n> such rows)"``.
    """
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(v)
    if allow_nan:
        bad &= ~(values.isna().to_numpy() & np.isnan(v))
    if integer:
        bad |= np.isfinite(v) & (v != np.round(v))
    with np.errstate(invalid="ignore"):
        if low is not None:
            bad |= v < low
        if high is not None:
            bad |= v > high
    if bad.any():
        row = first_row(bad)
        expected = ("an integer" if integer else "a finite number") + _interval(low, high, False, False)
        expected += " (or NaN when not applicable)" if allow_nan else ""
        line = f" (CSV line {row + 1 + csv_header_lines})" if csv_header_lines is not None else ""
        line += f" ({_show(row_names.iloc[row])})" if row_names is not None else ""
        raise ValueError(
            f"{table}: row {row}{line} field {column!r} = {_show(values.iloc[row])} is not {expected} "
            f"({int(bad.sum())} such rows)"
        )
    return v
