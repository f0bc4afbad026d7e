"""A TUD-style crowd / eye-tracking study as plain CSV files (this project's format).

The TUD eye-tracking releases (e.g. Alers et al.) are not redistributable; this module defines
a documented CSV layout that holds such a study (eye fixations and / or crowd clicks recorded
under free viewing or an image-quality task, plus quality ratings and crowd-worker screening
data) so that every analysis runs on it. It is *our* format, not an official one::

    <study>/
      images.csv      image_id, path, width, height, content_id, distortion, level
                      [, mos, std, split]                     (path relative to <study>/)
      fixations.csv   image_id, observer_id, x, y, [duration_ms,] source, task
      ratings.csv     image_id, rater_id, score [, is_gold, is_repeat]
      workers.csv     (optional) worker_id, campaign, country, platform_accuracy,
                      passed_quiz, test_accuracy, n_answers

Conventions

- ``x``, ``y``: 0-based pixel coordinates in the image as listed in ``images.csv`` (x = column,
  y = row, the centre of the top-left pixel is (0, 0)); a point must satisfy
  ``0 <= x < width`` and ``0 <= y < height``. ``source`` is ``eye``, ``click`` or ``mouse``;
  ``task`` is ``free`` (free viewing) or ``iqa`` (judging quality). ``duration_ms`` may be empty.
- ``score``: one rating of one image by one rater on the study's own scale (no rescaling here).
  ``is_gold`` marks gold-standard (known-answer) questions, ``is_repeat`` repeated images used
  for consistency; both ``true`` / ``false`` (also ``1`` / ``0``), empty means false.
- ``workers.csv`` (crowd screening): ``campaign`` is ``free`` or ``iqa`` (the crowd task the
  worker took; one row per worker and campaign), ``country`` (ISO code or name),
  ``platform_accuracy`` (the platform's trust score, 0..1), ``passed_quiz`` (``true`` /
  ``false``: the qualification quiz), ``test_accuracy`` (fraction of hidden test questions
  answered correctly, 0..1, empty if none were shown), ``n_answers`` (answers given, integer
  >= 0).
- Ids are read as strings (``"007"`` stays ``"007"``).

:func:`load_study` validates every file with :func:`saliqa.datasets.tables.validate` (errors
name the file, the 0-based data row -- CSV line = row + 2 -- and the field) and checks that
every fixation and rating refers to an image of ``images.csv`` and that every fixation lies
inside its image (the offending rows are listed). :func:`write_study` writes the layout
atomically, after the same checks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from saliqa.datasets.osie import Outside, restrict_to_image
from saliqa.datasets.tables import validate
from saliqa.io import atomic_write_text

__all__ = ["FILES", "COLUMNS", "WORKER_COLUMNS", "LAYOUT", "load_study", "write_study", "check_study"]

FILES: Mapping[str, str] = {
    "images": "images.csv",
    "fixations": "fixations.csv",
    "ratings": "ratings.csv",
    "workers": "workers.csv",
}
"""Table name -> file name; all but ``workers`` are required."""

WORKER_COLUMNS: tuple[str, ...] = (
    "worker_id",
    "campaign",
    "country",
    "platform_accuracy",
    "passed_quiz",
    "test_accuracy",
    "n_answers",
)
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "images": ("image_id", "path", "width", "height", "content_id", "distortion", "level", "mos", "std", "split"),
    "fixations": ("image_id", "observer_id", "x", "y", "duration_ms", "source", "task"),
    "ratings": ("image_id", "rater_id", "score", "is_gold", "is_repeat"),
    "workers": WORKER_COLUMNS,
}
"""Column order written by :func:`write_study` (optional columns included when present)."""
_REQUIRED_FILES = ("images", "fixations", "ratings")
_TEXT_COLUMNS = (
    "image_id",
    "observer_id",
    "rater_id",
    "content_id",
    "worker_id",
    "path",
    "distortion",
    "source",
    "task",
    "campaign",
    "country",
    "split",
)
_MAX_LISTED = 10

LAYOUT = """<study>/
  images.csv      image_id, path (relative), width, height, content_id, distortion, level [, mos, std, split]
  fixations.csv   image_id, observer_id, x, y, [duration_ms,] source (eye|click|mouse), task (free|iqa)
  ratings.csv     image_id, rater_id, score [, is_gold, is_repeat]
  workers.csv     (optional) worker_id, campaign (free|iqa), country, platform_accuracy,
                  passed_quiz, test_accuracy, n_answers"""


def _rows(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)
    listed = ", ".join(str(r) for r in rows[:_MAX_LISTED])
    more = f" and {len(rows) - _MAX_LISTED} more" if len(rows) > _MAX_LISTED else ""
    return f"row(s) {listed}{more} ({len(rows)} in all)"


def _booleans(table: pd.DataFrame, col: str, origin: str) -> pd.DataFrame:
    """Parse a true/false column (empty = false); ValueError naming the first bad row."""
    if col not in table.columns:
        return table
    values = table[col]
    if values.dtype == bool:
        return table
    text = values.astype("string").str.strip().str.lower().fillna("")
    mapping = {
        "true": True,
        "1": True,
        "1.0": True,
        "yes": True,
        "false": False,
        "0": False,
        "0.0": False,
        "no": False,
        "": False,
    }
    parsed = text.map(mapping)
    bad = parsed.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{origin}: row {row} field {col!r} = {values.iloc[row]!r}; expected true or false")
    out = table.copy()
    out[col] = parsed.astype(bool).to_numpy()
    return out


def _check_images(images: pd.DataFrame, origin: str) -> None:
    validate(images, "images", origin)
    dup = images["image_id"].duplicated().to_numpy()
    if dup.any():
        raise ValueError(f"{origin}: duplicate image_id in {_rows(dup)}, e.g. {images['image_id'][dup].iloc[0]!r}")
    for col in ("width", "height"):
        bad = (pd.to_numeric(images[col]) <= 0).to_numpy()
        if bad.any():
            raise ValueError(f"{origin}: field {col!r} is not positive in {_rows(bad)}")


def _known(table: pd.DataFrame, images: pd.DataFrame, origin: str, images_origin: str) -> None:
    unknown = ~table["image_id"].isin(images["image_id"]).to_numpy()
    if unknown.any():
        first = table["image_id"][unknown].iloc[0]
        raise ValueError(f"{origin}: image_id not in {images_origin} in {_rows(unknown)}, e.g. {first!r}")


def _check_fixations(
    fixations: pd.DataFrame, images: pd.DataFrame, origin: str, images_origin: str, outside: Outside
) -> pd.DataFrame:
    validate(fixations, "fixations", origin)
    _known(fixations, images, origin, images_origin)
    if "duration_ms" in fixations.columns:
        dur = pd.to_numeric(fixations["duration_ms"], errors="coerce").to_numpy(dtype=float)
        given = fixations["duration_ms"].notna().to_numpy()
        bad = given & ~(np.isfinite(dur) & (dur >= 0))
        if bad.any():
            raise ValueError(f"{origin}: field 'duration_ms' is not a number >= 0 in {_rows(bad)}")
    size = images.set_index("image_id")[["width", "height"]].astype(float)
    width = size["width"].reindex(fixations["image_id"]).to_numpy()
    height = size["height"].reindex(fixations["image_id"]).to_numpy()
    x = pd.to_numeric(fixations["x"]).to_numpy(dtype=float)
    y = pd.to_numeric(fixations["y"]).to_numpy(dtype=float)
    out = (x < 0) | (x >= width) | (y < 0) | (y >= height)
    if out.any() and outside == "raise":
        row = int(np.flatnonzero(out)[0])
        raise ValueError(
            f"{origin}: point(s) outside their image in {_rows(out)}; first: row {row} "
            f"image_id={fixations['image_id'].iloc[row]!r} x={x[row]:g} y={y[row]:g} outside "
            f"[0, {width[row]:g}) x [0, {height[row]:g}) (width/height from {images_origin})"
        )
    return restrict_to_image(fixations, width, height, outside, origin)


def _check_ratings(ratings: pd.DataFrame, images: pd.DataFrame, origin: str, images_origin: str) -> pd.DataFrame:
    validate(ratings, "ratings", origin)
    _known(ratings, images, origin, images_origin)
    for col in ("is_gold", "is_repeat"):
        ratings = _booleans(ratings, col, origin)
    return ratings


def _check_workers(workers: pd.DataFrame, origin: str) -> pd.DataFrame:
    missing = [c for c in WORKER_COLUMNS if c not in workers.columns]
    if missing:
        raise ValueError(f"{origin}: missing column(s) {missing}; expected columns {list(WORKER_COLUMNS)}")
    bad = ~workers["campaign"].isin(("free", "iqa")).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = workers["campaign"].iloc[row]
        raise ValueError(f"{origin}: row {row} field 'campaign' = {value!r}; expected free or iqa")
    dup = workers.duplicated(["worker_id", "campaign"]).to_numpy()
    if dup.any():
        raise ValueError(f"{origin}: duplicate (worker_id, campaign) in {_rows(dup)}")
    for col, optional in (("platform_accuracy", False), ("test_accuracy", True)):
        values = pd.to_numeric(workers[col], errors="coerce").to_numpy(dtype=float)
        given = workers[col].notna().to_numpy() if optional else np.ones(len(workers), bool)
        wrong = given & ~((values >= 0) & (values <= 1))
        if wrong.any():
            raise ValueError(f"{origin}: field {col!r} is not a fraction in [0, 1] in {_rows(wrong)}")
    answers = pd.to_numeric(workers["n_answers"], errors="coerce").to_numpy(dtype=float)
    wrong = ~((answers >= 0) & (answers == np.round(answers)))
    if wrong.any():
        raise ValueError(f"{origin}: field 'n_answers' is not an integer >= 0 in {_rows(wrong)}")
    workers = _booleans(workers, "passed_quiz", origin)
    return workers.assign(n_answers=answers.astype(np.int64))


def check_study(
    tables: Mapping[str, pd.DataFrame], origin: str | os.PathLike[str] = "study", outside: Outside = "raise"
) -> dict[str, pd.DataFrame]:
    """Validate a study's tables together; return them (booleans parsed, outside policy applied).

    Parameters
    ----------
    tables : mapping
        ``images``, ``fixations``, ``ratings`` and optionally ``workers``.
    origin : path or str
        Folder named in messages (each table is named ``<origin>/<file>.csv``).
    outside : {"raise", "clip", "drop"}
        Policy for fixations outside their image; ``"raise"`` lists the rows.

    Raises
    ------
    ValueError
        A missing table, a missing column, a non-finite value, an unknown image id or a point
        outside its image, naming the file, rows and field.
    """
    missing = [k for k in _REQUIRED_FILES if k not in tables]
    unknown = [k for k in tables if k not in FILES]
    if missing or unknown:
        raise ValueError(f"study tables: missing {missing}, unknown {unknown}; expected {list(FILES)}")
    where = {k: f"{origin}/{FILES[k]}" for k in FILES}
    images = tables["images"]
    _check_images(images, where["images"])
    out = {
        "images": images,
        "fixations": _check_fixations(tables["fixations"], images, where["fixations"], where["images"], outside),
        "ratings": _check_ratings(tables["ratings"], images, where["ratings"], where["images"]),
    }
    if "workers" in tables:
        out["workers"] = _check_workers(tables["workers"], where["workers"])
    return out


def _read(path: Path) -> pd.DataFrame:
    """A study CSV with id and text columns read as strings."""
    try:
        return pd.read_csv(path, dtype={c: str for c in _TEXT_COLUMNS})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not a readable CSV ({err})") from err


def load_study(root: str | os.PathLike[str], outside: Outside = "raise") -> dict[str, pd.DataFrame]:
    """Read and validate a study folder in the layout of the module docstring.

    Parameters
    ----------
    root : path
        The study folder.
    outside : {"raise", "clip", "drop"}
        Policy for fixations outside their image. Default ``"raise"``: our own format should
        hold none, so any is an error listing the rows.

    Returns
    -------
    dict of str to DataFrame
        ``images`` (``path`` made absolute: ``root / path``), ``fixations``, ``ratings`` and,
        when ``workers.csv`` is present, ``workers``; columns as in the files, ids as strings,
        booleans parsed.

    Raises
    ------
    FileNotFoundError
        The folder or a required file is missing (the message shows the layout).
    ValueError
        As :func:`check_study`, naming the file, row(s) and field.
    """
    base = Path(root).expanduser()
    if not base.is_dir():
        raise FileNotFoundError(f"study folder {str(base)!r} not found; expected layout:\n{LAYOUT}")
    tables: dict[str, pd.DataFrame] = {}
    for key, name in FILES.items():
        path = base / name
        if not path.is_file():
            if key in _REQUIRED_FILES:
                raise FileNotFoundError(f"{str(path)!r} not found; expected layout:\n{LAYOUT}")
            continue
        tables[key] = _read(path)
    checked = check_study(tables, origin=base, outside=outside)
    images = checked["images"].copy()
    images["path"] = [
        str(base.resolve() / p) if isinstance(p, str) and not Path(p).is_absolute() else p for p in images["path"]
    ]
    checked["images"] = images
    for key, table in checked.items():
        table.attrs.update(dataset="tud", file=str(base / FILES[key]))
    return checked


def write_study(root: str | os.PathLike[str], tables: Mapping[str, pd.DataFrame], check: bool = True) -> Path:
    """Write a study in the CSV layout (atomically, one file per table); return the folder.

    Parameters
    ----------
    root : path
        Target folder (created if needed).
    tables : mapping
        ``images``, ``fixations``, ``ratings`` and optionally ``workers``. Image paths inside
        ``root`` are written relative to it.
    check : bool
        Run :func:`check_study` first (default). False writes the tables as given (to build
        deliberately broken fixtures).
    """
    base = Path(root).expanduser()
    if check:
        check_study(tables, origin=base)
    base.mkdir(parents=True, exist_ok=True)
    for key, table in tables.items():
        if key not in FILES:
            raise ValueError(f"unknown study table {key!r}; expected {list(FILES)}")
        out = table
        if key == "images" and "path" in table.columns:
            out = table.assign(path=[_relative(p, base) for p in table["path"]])
        columns = _ordered_columns(key, out)
        atomic_write_text(base / FILES[key], out[columns].to_csv(index=False))
    return base


def _relative(path: object, base: Path) -> object:
    if path is None or (isinstance(path, float) and np.isnan(path)):
        return path
    p = Path(str(path))
    try:
        return p.resolve().relative_to(base.resolve()).as_posix() if p.is_absolute() else p.as_posix()
    except ValueError:
        return str(path)


def _ordered_columns(key: str, table: pd.DataFrame) -> list[str]:
    """The documented columns first (:data:`COLUMNS` order), then any others in table order."""
    lead = [c for c in COLUMNS[key] if c in table.columns]
    return lead + [c for c in table.columns if c not in lead]
