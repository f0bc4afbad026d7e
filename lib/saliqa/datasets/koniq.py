"""KonIQ-10k (Hosu et al., IEEE TIP 2020) in its official layout.

Labels: ``koniq10k_distributions_sets.csv`` of <https://github.com/subpic/koniq> (``metadata/``);
images from <https://database.mmsp-kn.de/koniq-10k-database.html> (``koniq10k_1024x768.zip``,
``koniq10k_512x384.zip``). Seed 003 uses KonIQ-10k for Fig. 8 (MOS histogram), Table 1 and the
cross-database Table 4.

Layout expected under ``root``::

    koniq/
      koniq10k_distributions_sets.csv      (or metadata/koniq10k_distributions_sets.csv)
      1024x768/<image_name>                (optional) the 10,073 images, 1024 x 768
      512x384/<image_name>                 (optional) the same images, 512 x 384

CSV columns ``image_name, c1, c2, c3, c4, c5, c_total, MOS, SD, set``. Checked on the official
file (10,073 rows): ``c1..c5`` are the fractions of the ``c_total`` votes (93 to 157 per image,
1,078,154 in all) on the 1-5 ACR scale, each ``c_k * c_total`` an integer to 1e-10; ``SD`` is the
sample standard deviation (ddof = 1) of those votes on the **1-5 scale** to 2e-11 (not on the
MOS scale); ``MOS`` is on 0-100 (3.9 to 88.4; Z-score based, not a linear map of the vote mean:
the residual of a linear fit reaches 5.5); ``set`` is ``training`` (7,058), ``validation``
(1,000) or ``test`` (2,015).

No individual ratings (rater ids) are released, only the vote distributions, so there is no
``ratings`` table; :func:`vote_counts` gives the votes per category.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from saliqa.datasets.tables import read_csv_table, validate

__all__ = ["LAYOUT", "LABELS", "RESOLUTIONS", "SPLITS", "find_labels", "load_images", "vote_counts"]

LABELS = "koniq10k_distributions_sets.csv"
RESOLUTIONS: dict[str, tuple[int, int]] = {"1024x768": (1024, 768), "512x384": (512, 384)}
"""Image folders of the official release and their (width, height)."""
SPLITS = {"training": "train", "validation": "val", "test": "test"}
"""Official ``set`` values and the canonical ``split`` names."""

LAYOUT = """koniq/
  koniq10k_distributions_sets.csv   image_name,c1,c2,c3,c4,c5,c_total,MOS,SD,set  (or metadata/<same>)
  1024x768/<image_name>             (optional) images, 1024 x 768
  512x384/<image_name>              (optional) images, 512 x 384"""

_COLUMNS = ["image_name", "c1", "c2", "c3", "c4", "c5", "c_total", "MOS", "SD", "set"]


def find_labels(root: str | os.PathLike[str]) -> Path:
    """The official CSV: ``root/<LABELS>`` or ``root/metadata/<LABELS>``.

    Raises
    ------
    FileNotFoundError
        Neither exists (the message shows the expected layout).
    """
    base = Path(root).expanduser()
    for p in (base / LABELS, base / "metadata" / LABELS):
        if p.is_file():
            return p
    raise FileNotFoundError(
        f"KonIQ-10k labels {LABELS!r} not found in {str(base)!r} or its metadata/; expected layout:\n{LAYOUT}"
    )


def _cell(value: object) -> str:
    """A CSV cell as an error message shows it (empty cells as 'empty')."""
    if isinstance(value, float) and np.isnan(value):
        return "empty"
    return repr(value.item() if isinstance(value, np.generic) else value)


def _column(raw: pd.DataFrame, col: str, path: Path, low: float, high: float) -> np.ndarray:
    v = pd.to_numeric(raw[col], errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(v) | (v < low) | (v > high)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{path}: row {row} (CSV line {row + 2}) column {col!r} = {_cell(raw[col].iloc[row])}; "
            f"expected a number in [{low:g}, {high:g}] ({int(bad.sum())} such rows)"
        )
    return v


def load_images(root: str | os.PathLike[str], resolution: str | None = "auto") -> pd.DataFrame:
    """KonIQ-10k as a canonical ``images`` table; images optional.

    Parameters
    ----------
    root : path
        The ``koniq/`` folder.
    resolution : {"auto", "1024x768", "512x384", None}
        Which image folder to use: ``"auto"`` takes ``1024x768/`` if present, else
        ``512x384/``, else none; a named folder must exist; None ignores the images.

    Returns
    -------
    DataFrame
        ``image_id`` (``image_name``), ``path`` (absolute; NaN when no image folder is used),
        ``width`` / ``height`` (the folder's size; 1024 x 768, the originals the labels refer to,
        when label-only), ``content_id`` (= ``image_id``), ``distortion`` = ``"authentic"``,
        ``level`` NaN, ``mos`` (0-100), ``std`` (``SD``: on the 1-5 vote scale, see module
        docstring), ``split`` (train / val / test), ``c1..c5``, ``n_ratings`` (``c_total``).
        ``attrs``: ``dataset``, ``file``, ``images_present`` (bool), ``resolution`` (or None),
        ``mos_range`` (0, 100), ``std_scale`` ("1-5 ACR votes, ddof=1").

    Raises
    ------
    FileNotFoundError
        No labels CSV, a requested image folder absent, or image files missing from the folder
        used (all counted, the first three named).
    ValueError
        Missing column, a value out of range (naming row and column), vote fractions not
        summing to 1, an unknown ``set`` or a repeated image name, an unknown ``resolution``.
    """
    path = find_labels(root)
    base = path.parent if path.parent.name != "metadata" else path.parent.parent
    raw = read_csv_table(path, _COLUMNS)
    names = raw["image_name"].astype(str)
    dup = names.duplicated().to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise ValueError(f"{path}: row {row} (CSV line {row + 2}) repeats image {names.iloc[row]!r}")
    c = np.stack([_column(raw, f"c{k}", path, 0, 1) for k in range(1, 6)], axis=1)
    off = np.abs(c.sum(axis=1) - 1) > 1e-6
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"{path}: row {row} (CSV line {row + 2}): c1..c5 sum to {c[row].sum():.6f}; expected 1 "
            "(fractions of the votes)"
        )
    total = _column(raw, "c_total", path, 1, np.inf)
    if np.any(total != np.round(total)):
        row = int(np.flatnonzero(total != np.round(total))[0])
        raise ValueError(f"{path}: row {row} (CSV line {row + 2}) column 'c_total' = {total[row]}; expected an integer")
    split = raw["set"].map(SPLITS)
    if split.isna().any():
        row = int(np.flatnonzero(split.isna().to_numpy())[0])
        raise ValueError(
            f"{path}: row {row} (CSV line {row + 2}) column 'set' = {raw['set'].iloc[row]!r}; "
            f"expected one of {list(SPLITS)}"
        )

    folder = _image_folder(base, resolution)
    if folder is None:
        paths = np.full(len(raw), np.nan, dtype=object)
        size = RESOLUTIONS["1024x768"]
    else:
        files = [folder / n for n in names]
        absent = [str(p) for p in files if not p.is_file()]
        if absent:
            raise FileNotFoundError(
                f"{len(absent)} of {len(files)} KonIQ-10k images not found in {str(folder)!r}, "
                f"e.g. {absent[:3]}; expected layout:\n{LAYOUT}"
            )
        paths = np.array([str(p.resolve()) for p in files], dtype=object)
        size = RESOLUTIONS[folder.name]
    table = pd.DataFrame(
        {
            "image_id": names.to_numpy(dtype=object),
            "path": paths,
            "width": size[0],
            "height": size[1],
            "content_id": names.to_numpy(dtype=object),
            "distortion": "authentic",
            "level": np.nan,
            "mos": _column(raw, "MOS", path, 0, 100),
            "std": _column(raw, "SD", path, 0, 4),
            "split": split.to_numpy(dtype=object),
            **{f"c{k}": c[:, k - 1] for k in range(1, 6)},
            "n_ratings": total.astype(np.int64),
        }
    )
    table.attrs.update(
        dataset="KonIQ10k",
        file=str(path),
        images_present=folder is not None,
        resolution=None if folder is None else folder.name,
        mos_range=(0.0, 100.0),
        std_scale="1-5 ACR votes, ddof=1",
    )
    return validate(table, "images", origin=str(path))


def _image_folder(base: Path, resolution: str | None) -> Path | None:
    if resolution is None:
        return None
    if resolution == "auto":
        for name in RESOLUTIONS:
            if (base / name).is_dir():
                return base / name
        return None
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution must be 'auto', None or one of {list(RESOLUTIONS)}, got {resolution!r}")
    folder = base / resolution
    if not folder.is_dir():
        raise FileNotFoundError(f"KonIQ-10k image folder {str(folder)!r} not found; expected layout:\n{LAYOUT}")
    return folder


def vote_counts(table: pd.DataFrame) -> np.ndarray:
    """Votes per ACR category 1..5 of each image: ``round(c_k * n_ratings)``, shape (n, 5), int64.

    Raises
    ------
    ValueError
        ``table`` lacks ``c1..c5`` / ``n_ratings`` (a :func:`load_images` table is expected), or
        a product is not within 1e-6 of an integer (naming the row).
    """
    cols = [f"c{k}" for k in range(1, 6)]
    missing = [col for col in [*cols, "n_ratings"] if col not in table.columns]
    if missing:
        raise ValueError(f"table: missing column(s) {missing}; expected a koniq.load_images table")
    x = table[cols].to_numpy(dtype=float) * table["n_ratings"].to_numpy(dtype=float)[:, None]
    bad = np.abs(x - np.round(x)).max(axis=1) > 1e-6
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"table: row {row}: c_k * n_ratings = {x[row].round(4).tolist()} are not integers")
    return np.round(x).astype(np.int64)
