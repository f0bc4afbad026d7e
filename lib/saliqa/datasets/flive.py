"""FLIVE, the PaQ-2-PiQ picture + patch quality database (seed 003), in its official layout.

Seed 003 (Ying et al., "From Patches to Pictures (PaQ-2-PiQ)", CVPR 2020), Sec. 3: 39,810
pictures and 119,430 patches (three per picture, Sec. 3.2) rated on AMT; picture MOS and patch
MOS are Z-score based, on [0, 100] (Sec. 3.4). Labels come from
<https://github.com/niu-haoran/FLIVE_Database> (``database/``) and its copy in
<https://github.com/baidut/PaQ-2-PiQ> (``database/``, CC BY-NC 4.0); the pictures are fetched by
that repository's ``database_prep.ipynb`` (AVA, VOC, EMOTIC, CERTH blur).

Layout expected under ``root`` (the ``database/`` folder, or a folder holding ``database/``)::

    database/
      labels_image.csv         name,mos            all 39,810 pictures (name = <folder>/<file>)
      labels640.csv            one row per picture with its 3 patch boxes (below): the test set,
                               1,827 pictures with a side > 640 px (Sec. 4.1)
      labels=640_padded.csv    (optional) the same columns + is_valid for the <= 640 px pictures
      labels_patch.csv         (optional) name,mos  patch MOS, name = patches/<file>_patch_<k>.jpg
      voc_emotic_ava/ blur_dataset/ EE371R/ ...    (optional) the pictures, as named in the CSVs
      patches/<file>_patch_<k>.jpg                 (optional) the patch crops, k = 1, 2, 3

Box files (``labels640.csv``): ``mos_image, name_image, width_image, height_image, top_image,
left_image, bottom_image, right_image``, ``name_patch`` (``patches/<file>``) and for k = 1, 2, 3
``mos_patch_k, width_patch_k, height_patch_k, top_patch_k, left_patch_k, bottom_patch_k,
right_patch_k``. Patch k = 1, 2, 3 has 40 %, 30 %, 20 % of the picture's linear size. Checked on
the shared copy: every box is ``(left, top, right, bottom)`` in picture pixels with right /
bottom exclusive (``width = right - left``), ``width_patch_k = floor(f_k * width_image)`` (same
for heights), every box inside its picture, the picture box is ``(0, 0, W, H)``, picture MOS
equal to ``labels_image.csv``'s to 5e-9, and no two patches of a picture overlapping by more than
0.25 of the smaller one's area (:mod:`saliqa.patches`). The correct crop is
``img[top:bottom, left:right]`` (:func:`saliqa.patches.crop_patch`); the published preparation
code sliced ``img[top:top + width, left:left + height]``.

What the shared copy (``../shared/data/flive/database``) holds: both label CSVs, three real
pictures (``EE371R/rq59.jpg``, ``rq73.jpg``, ``rq85.jpg``) and their nine patch files. Those three
pictures are in ``labels_image.csv`` but not in ``labels640.csv`` (their boxes and patch MOS are
in ``labels_patch.csv`` / ``labels=640_padded.csv``, which the copy lacks); :func:`locate_patches`
recovers their boxes from the patch files. No individual ratings are released, so there is no
``ratings`` table; nor are the picture / patch MOS standard deviations (``std`` is NaN).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from saliqa.checks import check_finite_column
from saliqa.datasets.tables import read_csv_table, validate
from saliqa.patches import (
    PATCH_FRACTIONS,
    compare_patch,
    crop_patch,
    locate_patch,
    matches_patch,
    patch_size,
    shift_sharpness,
)

__all__ = [
    "LAYOUT",
    "IMAGE_LABELS",
    "TEST_LABELS",
    "PADDED_LABELS",
    "PATCH_LABELS",
    "PATCH_FOLDER",
    "CANVAS",
    "FliveDatabase",
    "database_dir",
    "read_box_file",
    "load_images",
    "load_patches",
    "load_patch_mos",
    "load_database",
    "patch_file_name",
    "locate_patches",
    "check_patch_files",
    "crop_patch",
]

IMAGE_LABELS = "labels_image.csv"
TEST_LABELS = "labels640.csv"
PADDED_LABELS = "labels=640_padded.csv"
PATCH_LABELS = "labels_patch.csv"
PATCH_FOLDER = "patches"
CANVAS = 640
"""Side of the white canvas pictures are padded to (Sec. 4.1); larger pictures form the test set."""

LAYOUT = """database/                 (FLIVE_Database/database, or baidut/PaQ-2-PiQ database/)
  labels_image.csv        name,mos                     all pictures (name = <folder>/<file>)
  labels640.csv           name_image, mos_image, {width,height,top,left,bottom,right}_image,
                          name_patch, mos_patch_k, {width,height,top,left,bottom,right}_patch_k (k = 1..3)
  labels=640_padded.csv   (optional) same columns + is_valid
  labels_patch.csv        (optional) name,mos          name = patches/<file>_patch_<k>.jpg
  <folder>/<file>         (optional) pictures, as named in labels_image.csv
  patches/<file>_patch_<k>.jpg   (optional) patch crops"""

_BOX = ("left", "top", "right", "bottom")
_PATCH_COLUMNS = (
    "image_id",
    "patch_id",
    *_BOX,
    "mos",
    "patch_index",
    "fraction",
    "follows_size_rule",
    "path",
    "box_source",
)
"""Columns of the patches table the FLIVE loaders return (canonical ones first)."""
_IMAGE_COLS = ["name_image", "mos_image", "width_image", "height_image", *(f"{s}_image" for s in _BOX)]


def _patch_cols(k: int) -> list[str]:
    return [f"mos_patch_{k}", f"width_patch_{k}", f"height_patch_{k}", *(f"{s}_patch_{k}" for s in _BOX)]


def database_dir(root: str | os.PathLike[str]) -> Path:
    """The folder holding ``labels_image.csv``: ``root`` itself or ``root/database``.

    Raises
    ------
    FileNotFoundError
        Neither holds ``labels_image.csv`` (the message shows the expected layout).
    """
    base = Path(root).expanduser()
    for folder in (base, base / "database"):
        if (folder / IMAGE_LABELS).is_file():
            return folder
    raise FileNotFoundError(
        f"FLIVE labels not found: neither {str(base / IMAGE_LABELS)!r} nor "
        f"{str(base / 'database' / IMAGE_LABELS)!r} exists; expected layout:\n{LAYOUT}"
    )


def patch_file_name(name_image: str, k: int) -> str:
    """FLIVE's name of patch ``k`` of a picture: ``patches/<file>_patch_<k>.jpg``."""
    return f"{PATCH_FOLDER}/{Path(str(name_image)).name}_patch_{int(k)}.jpg"


def _read_csv(path: Path, required: Sequence[str]) -> pd.DataFrame:
    return read_csv_table(path, required, hint=f"layout:\n{LAYOUT}")


def _cell(value: object) -> str:
    """A CSV cell as an error message shows it (empty cells as 'empty')."""
    if isinstance(value, float) and np.isnan(value):
        return "empty"
    return repr(value.item() if isinstance(value, np.generic) else value)


def _numeric(
    raw: pd.DataFrame,
    col: str,
    path: Path,
    *,
    integer: bool = False,
    low: float | None = None,
    high: float | None = None,
) -> np.ndarray:
    """A CSV column as float, every value finite (integral, within bounds), else an error naming the row."""
    return check_finite_column(raw[col], str(path), col, integer=integer, low=low, high=high, csv_header_lines=1)


def _flags(raw: pd.DataFrame, col: str, path: Path) -> np.ndarray:
    """A True / False column (bools, 0 / 1 or the strings) as 1.0 / 0.0, else an error naming the row."""
    text = raw[col].astype(str).str.strip().str.lower()
    v = text.map({"true": 1.0, "1": 1.0, "1.0": 1.0, "false": 0.0, "0": 0.0, "0.0": 0.0}).to_numpy(dtype=float)
    bad = np.isnan(v)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{path}: row {row} (CSV line {row + 2}) column {col!r} = {_cell(raw[col].iloc[row])}; "
            "expected True / False"
        )
    return v


def read_box_file(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read one FLIVE box file (``labels640.csv`` format) into ``images`` and ``patches`` rows.

    Parameters
    ----------
    path : path
        A CSV with the columns of the module docstring (``is_valid`` optional).

    Returns
    -------
    (images, patches) : tuple of DataFrame
        ``images``: ``image_id`` (= ``name_image``), ``width``, ``height`` (the picture box's
        size), ``mos``, ``is_valid`` (NaN when the column is absent). ``patches``: ``image_id``,
        ``patch_id`` (:func:`patch_file_name`), ``left, top, right, bottom`` in picture pixels
        (the picture box's ``left`` / ``top`` subtracted; zero in ``labels640.csv``), ``mos``,
        ``patch_index`` (1..3), ``fraction`` (0.4 / 0.3 / 0.2), ``follows_size_rule`` (the box
        size is ``floor(fraction * picture size)``). ``attrs``: ``file``,
        ``n_size_rule_violations``.

    Raises
    ------
    ValueError
        A missing column, a non-finite / non-integer value, a duplicated picture, a box whose
        ``width`` / ``height`` columns disagree with its corners, or a patch box not inside its
        picture: each names the file, the row (and CSV line) and the column.
    """
    path = Path(path)
    required = _IMAGE_COLS + [c for k in (1, 2, 3) for c in _patch_cols(k)]
    raw = _read_csv(path, required)
    names = raw["name_image"].astype(str)
    dup = names.duplicated().to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise ValueError(f"{path}: row {row} (CSV line {row + 2}) repeats picture {names.iloc[row]!r}")
    img = {s: _numeric(raw, f"{s}_image", path, integer=True) for s in _BOX}
    w_img = img["right"] - img["left"]
    h_img = img["bottom"] - img["top"]
    for col, size in (("width_image", w_img), ("height_image", h_img)):
        given = _numeric(raw, col, path, integer=True, low=1)
        origin = (img["left"] == 0) & (img["top"] == 0)
        bad = origin & (given != size)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{path}: row {row} (CSV line {row + 2}) column {col!r} = {int(given[row])} but the picture "
                f"box gives {int(size[row])}; expected {col} = right_image - left_image (bottom - top)"
            )
    if np.any(w_img < 1) or np.any(h_img < 1):
        row = int(np.flatnonzero((w_img < 1) | (h_img < 1))[0])
        raise ValueError(f"{path}: row {row} (CSV line {row + 2}): empty picture box")
    mos_img = _numeric(raw, "mos_image", path, low=0, high=100)
    is_valid = _flags(raw, "is_valid", path) if "is_valid" in raw.columns else np.full(len(raw), np.nan)
    images = pd.DataFrame(
        {
            "image_id": names.to_numpy(dtype=object),
            "width": w_img,
            "height": h_img,
            "mos": mos_img,
            "is_valid": is_valid,
        }
    )

    parts, n_rule = [], 0
    for k, frac in zip((1, 2, 3), PATCH_FRACTIONS):
        box = {s: _numeric(raw, f"{s}_patch_{k}", path, integer=True) for s in _BOX}
        left, top = box["left"] - img["left"], box["top"] - img["top"]
        right, bottom = box["right"] - img["left"], box["bottom"] - img["top"]
        for col, size in ((f"width_patch_{k}", right - left), (f"height_patch_{k}", bottom - top)):
            given = _numeric(raw, col, path, integer=True, low=1)
            bad = given != size
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"{path}: row {row} (CSV line {row + 2}) column {col!r} = {int(given[row])} but the box "
                    f"corners give {int(size[row])}; expected width = right - left, height = bottom - top "
                    "(right / bottom exclusive)"
                )
        outside = (left < 0) | (top < 0) | (right > w_img) | (bottom > h_img)
        if outside.any():
            row = int(np.flatnonzero(outside)[0])
            raise ValueError(
                f"{path}: row {row} (CSV line {row + 2}) patch {k} box (left, top, right, bottom) = "
                f"{(int(left[row]), int(top[row]), int(right[row]), int(bottom[row]))} is not inside the "
                f"{int(w_img[row])} x {int(h_img[row])} picture {names.iloc[row]!r}"
            )
        pw, ph = patch_size(w_img, h_img, frac)
        rule = (right - left == pw) & (bottom - top == ph)
        n_rule += int((~rule).sum())
        parts.append(
            pd.DataFrame(
                {
                    "image_id": names.to_numpy(dtype=object),
                    "patch_id": [patch_file_name(n, k) for n in names],
                    "left": left.astype(np.int64),
                    "top": top.astype(np.int64),
                    "right": right.astype(np.int64),
                    "bottom": bottom.astype(np.int64),
                    "mos": _numeric(raw, f"mos_patch_{k}", path, low=0, high=100),
                    "patch_index": k,
                    "fraction": frac,
                    "follows_size_rule": rule,
                    "_row": np.arange(len(raw)),
                }
            )
        )
    patches = (
        pd.concat(parts, ignore_index=True)
        .sort_values(["_row", "patch_index"], kind="stable")
        .drop(columns="_row")
        .reset_index(drop=True)
    )
    patches.attrs.update(file=str(path), n_size_rule_violations=n_rule)
    images.attrs.update(file=str(path))
    return images, patches


@dataclass
class FliveDatabase:
    """FLIVE's canonical tables and what of the database is at hand.

    Attributes
    ----------
    images : DataFrame
        Canonical ``images`` table of every picture of ``labels_image.csv`` (:func:`load_images`).
    patches : DataFrame
        Canonical ``patches`` table of the pictures with boxes (:func:`load_patches`).
    patch_mos : DataFrame or None
        ``labels_patch.csv`` (patch_id, image_id, patch_index, mos) when present.
    ratings : None
        FLIVE releases no individual ratings.
    root : Path
        The ``database/`` folder.
    files : dict
        Which optional files / folders were found.
    """

    images: pd.DataFrame
    patches: pd.DataFrame
    patch_mos: pd.DataFrame | None
    root: Path
    ratings: None = None
    files: dict[str, bool] = field(default_factory=dict)

    @property
    def images_present(self) -> bool:
        """True when every picture file is at hand."""
        return bool(self.images["path"].notna().all())

    @property
    def patch_files_present(self) -> bool:
        """True when every patch of :attr:`patches` has its file."""
        return bool(len(self.patches) and self.patches["path"].notna().all())


def _present(folder: Path, names: pd.Series) -> np.ndarray:
    """Absolute paths of the files that exist (missing, i.e. None / NaN in a table, where absent)."""
    out = np.empty(len(names), dtype=object)
    for i, name in enumerate(names):
        p = folder / name
        out[i] = str(p.resolve()) if p.is_file() else None
    return out


def _box_files(folder: Path) -> list[Path]:
    return [folder / f for f in (TEST_LABELS, PADDED_LABELS) if (folder / f).is_file()]


def load_patches(root: str | os.PathLike[str], files: Sequence[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pictures with patch boxes, and their patches, as canonical tables.

    Parameters
    ----------
    root : path
        The ``database/`` folder or its parent (:func:`database_dir`).
    files : sequence of str, optional
        Box files to read, default those present of ``labels640.csv`` and
        ``labels=640_padded.csv``.

    Returns
    -------
    (images, patches) : tuple of DataFrame
        ``images``: canonical columns (``path`` missing (NaN) where the picture file is absent,
        ``content_id`` = ``image_id``, ``distortion`` = ``"authentic"``, ``level`` / ``std`` NaN,
        ``split``: ``"test"`` for ``labels640.csv``, ``"val"`` / ``"train"`` from ``is_valid``),
        plus ``box_file``. ``patches``: canonical columns plus ``patch_index``, ``fraction``,
        ``follows_size_rule``, ``path`` (the patch file, NaN where absent), ``box_source``
        (``"labels"``). Both validated; ``attrs`` count what is present.

    Raises
    ------
    FileNotFoundError
        No box file (the layout is shown), or a named file missing.
    ValueError
        See :func:`read_box_file`; also a picture in two box files.
    """
    folder = database_dir(root)
    paths = [folder / f for f in files] if files is not None else _box_files(folder)
    if not paths:
        raise FileNotFoundError(
            f"no FLIVE box file ({TEST_LABELS} or {PADDED_LABELS}) in {str(folder)!r}; expected layout:\n{LAYOUT}"
        )
    for p in paths:
        if not p.is_file():
            raise FileNotFoundError(f"FLIVE box file {str(p)!r} not found; expected layout:\n{LAYOUT}")
    img_parts, patch_parts = [], []
    for p in paths:
        im, pa = read_box_file(p)
        is_test = p.name == TEST_LABELS
        split = np.where(
            np.isnan(im["is_valid"]), "test" if is_test else None, np.where(im["is_valid"] == 1, "val", "train")
        ).astype(object)
        img_parts.append(im.assign(split=split, box_file=p.name))
        patch_parts.append(pa)
    im = pd.concat(img_parts, ignore_index=True)
    dup = im["image_id"].duplicated().to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise ValueError(
            f"picture {im['image_id'].iloc[row]!r} has boxes in more than one file ({[p.name for p in paths]})"
        )
    images = pd.DataFrame(
        {
            "image_id": im["image_id"],
            "path": _present(folder, im["image_id"]),
            "width": im["width"].astype(np.int64),
            "height": im["height"].astype(np.int64),
            "content_id": im["image_id"],
            "distortion": "authentic",
            "level": np.nan,
            "mos": im["mos"],
            "std": np.nan,
            "split": im["split"],
            "box_file": im["box_file"],
        }
    )
    patches = pd.concat(patch_parts, ignore_index=True)
    patches["path"] = _present(folder, patches["patch_id"])
    patches["box_source"] = "labels"
    origin = ", ".join(str(p) for p in paths)
    validate(images, "images", origin=origin)
    validate(patches, "patches", origin=origin)
    images.attrs.update(
        dataset="FLIVE", files=[str(p) for p in paths], n_images_present=int(images["path"].notna().sum())
    )
    patches.attrs.update(
        dataset="FLIVE",
        files=[str(p) for p in paths],
        n_patch_files_present=int(patches["path"].notna().sum()),
        n_size_rule_violations=int((~patches["follows_size_rule"]).sum()),
    )
    return images, patches


def load_patch_mos(root: str | os.PathLike[str]) -> pd.DataFrame | None:
    """``labels_patch.csv`` (patch MOS of every patch) as a table, or None when absent.

    Returns
    -------
    DataFrame or None
        ``patch_id`` (``patches/<file>_patch_<k>.jpg``), ``image_file`` (``<file>``),
        ``patch_index`` (k), ``mos``.

    Raises
    ------
    ValueError
        Missing ``name`` / ``mos`` column, a non-finite MOS or a name not of the form
        ``patches/<file>_patch_<k>.jpg`` (naming the row).
    """
    path = database_dir(root) / PATCH_LABELS
    if not path.is_file():
        return None
    raw = _read_csv(path, ["name", "mos"])
    names = raw["name"].astype(str)
    parts = names.str.extract(r"^(?:.*/)?(?P<file>.+)_patch_(?P<k>\d+)\.\w+$")
    bad = parts.isna().any(axis=1).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{path}: row {row} (CSV line {row + 2}) name {names.iloc[row]!r}; expected patches/<file>_patch_<k>.jpg"
        )
    return pd.DataFrame(
        {
            "patch_id": names,
            "image_file": parts["file"],
            "patch_index": parts["k"].astype(int),
            "mos": _numeric(raw, "mos", path, low=0, high=100),
        }
    )


def _image_sizes(paths: np.ndarray) -> np.ndarray:
    from PIL import Image

    sizes = np.full((len(paths), 2), np.nan)
    for i, p in enumerate(paths):
        if isinstance(p, str):
            try:
                with Image.open(p) as image:
                    sizes[i] = image.size
            except OSError as err:
                raise ValueError(f"{p}: unreadable image ({err})") from err
    return sizes


def load_images(root: str | os.PathLike[str], *, read_sizes: bool = True) -> pd.DataFrame:
    """Every picture of ``labels_image.csv`` as a canonical ``images`` table.

    Parameters
    ----------
    root : path
        The ``database/`` folder or its parent.
    read_sizes : bool
        Read ``width`` / ``height`` from the picture files present for pictures without a box
        row (header only); otherwise those stay NaN.

    Returns
    -------
    DataFrame
        ``image_id`` (``<folder>/<file>`` as in the CSV), ``path`` (absolute, NaN where the file
        is absent), ``width``, ``height`` (from the box files, else from the file, else NaN),
        ``content_id`` (= ``image_id``), ``distortion`` = ``"authentic"``, ``level`` NaN, ``mos``
        (0-100), ``std`` NaN (not released), ``split`` (``"test"`` for the pictures of
        ``labels640.csv``, ``"val"`` / ``"train"`` from ``labels=640_padded.csv`` when present,
        missing otherwise), ``source`` (the folder: ``voc_emotic_ava``, ``blur_dataset``,
        ``EE371R``), ``exceeds_canvas`` (a side > 640 px, the paper's test-set rule of Sec. 4.1;
        missing where the size is unknown; the three ``EE371R`` pictures exceed it but are in
        no box file).
        ``attrs``: ``dataset``, ``file``, ``n_images``, ``n_images_present``, ``images_present``
        (all files at hand), ``n_size_unknown``.

    Raises
    ------
    FileNotFoundError
        No ``labels_image.csv`` (the layout is shown).
    ValueError
        Missing ``name`` / ``mos`` column, a MOS not a number in [0, 100] or a repeated name
        (naming the row), a picture whose MOS differs between ``labels_image.csv`` and a box file.
    """
    folder = database_dir(root)
    path = folder / IMAGE_LABELS
    raw = _read_csv(path, ["name", "mos"])
    names = raw["name"].astype(str)
    dup = names.duplicated().to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise ValueError(f"{path}: row {row} (CSV line {row + 2}) repeats picture {names.iloc[row]!r}")
    mos = _numeric(raw, "mos", path, low=0, high=100)
    table = pd.DataFrame(
        {
            "image_id": names.to_numpy(dtype=object),
            "path": _present(folder, names),
            "width": np.nan,
            "height": np.nan,
            "content_id": names.to_numpy(dtype=object),
            "distortion": "authentic",
            "level": np.nan,
            "mos": mos,
            "std": np.nan,
            "split": np.full(len(raw), None, dtype=object),
            "source": names.str.split("/").str[0].to_numpy(dtype=object),
        }
    )
    if _box_files(folder):
        boxed, _ = load_patches(folder)
        pos = pd.Index(table["image_id"]).get_indexer(boxed["image_id"])
        if (pos < 0).any():
            raise ValueError(
                f"{boxed.attrs['files']}: picture {boxed['image_id'].iloc[int(np.flatnonzero(pos < 0)[0])]!r} "
                f"is not in {path}"
            )
        diff = np.abs(table["mos"].to_numpy()[pos] - boxed["mos"].to_numpy())
        if (diff > 1e-6).any():
            i = int(np.argmax(diff))
            raise ValueError(
                f"picture {boxed['image_id'].iloc[i]!r}: MOS {boxed['mos'].iloc[i]} in "
                f"{boxed['box_file'].iloc[i]} but {table['mos'].iloc[pos[i]]} in {path}"
            )
        table.loc[pos, "width"] = boxed["width"].to_numpy(dtype=float)
        table.loc[pos, "height"] = boxed["height"].to_numpy(dtype=float)
        table.loc[pos, "split"] = boxed["split"].to_numpy(dtype=object)
    unknown = table["width"].isna().to_numpy()
    if read_sizes and unknown.any():
        sizes = _image_sizes(table["path"].to_numpy()[unknown])
        table.loc[unknown, "width"] = sizes[:, 0]
        table.loc[unknown, "height"] = sizes[:, 1]
    sized = table["width"].notna().to_numpy()
    big = ((table["width"] > CANVAS) | (table["height"] > CANVAS)).to_numpy()
    table["exceeds_canvas"] = pd.array(np.where(sized, big, None), dtype="boolean")
    known = table.dropna(subset=["width", "height"])
    validate(table.iloc[:0], "images", origin=str(path))  # columns
    validate(known, "images", origin=str(path))  # finite sizes where known
    n_present = int(table["path"].notna().sum())
    table.attrs.update(
        dataset="FLIVE",
        file=str(path),
        n_images=len(table),
        n_images_present=n_present,
        images_present=n_present == len(table),
        n_size_unknown=int(table["width"].isna().sum()),
    )
    return table


def load_database(root: str | os.PathLike[str], *, read_sizes: bool = True) -> FliveDatabase:
    """All FLIVE tables at hand (:func:`load_images`, :func:`load_patches`, :func:`load_patch_mos`).

    When ``labels_patch.csv`` is present, patch MOS missing from the box files are taken from it.
    """
    folder = database_dir(root)
    images = load_images(folder, read_sizes=read_sizes)
    if _box_files(folder):
        _, patches = load_patches(folder)
    else:
        patches = pd.DataFrame(columns=list(_PATCH_COLUMNS))
    patch_mos = load_patch_mos(folder)
    if patch_mos is not None and len(patches):
        known = patch_mos.set_index("patch_id")["mos"]
        fill = patches["mos"].isna() & patches["patch_id"].isin(known.index)
        patches.loc[fill, "mos"] = known.loc[patches.loc[fill, "patch_id"]].to_numpy()
    files = {f: (folder / f).is_file() for f in (IMAGE_LABELS, TEST_LABELS, PADDED_LABELS, PATCH_LABELS)}
    files[PATCH_FOLDER + "/"] = (folder / PATCH_FOLDER).is_dir()
    return FliveDatabase(images=images, patches=patches, patch_mos=patch_mos, root=folder, files=files)


def _load_rgb(path: str | os.PathLike[str]) -> np.ndarray:
    from saliqa.datasets.builtin import load_image

    return load_image(path)


def locate_patches(root: str | os.PathLike[str], image_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Boxes of patch files whose picture has no box row, found by matching pixels.

    For every picture of ``labels_image.csv`` whose file is present, that is not in a box file,
    and whose ``patches/<file>_patch_<k>.jpg`` files exist (in the shared copy: the three
    ``EE371R`` pictures), each patch file is located in its picture by exhaustive least squares
    (:func:`saliqa.patches.locate_patch`).

    Parameters
    ----------
    root : path
        The ``database/`` folder or its parent.
    image_ids : sequence of str, optional
        Restrict to these pictures.

    Returns
    -------
    DataFrame
        Canonical ``patches`` columns (``mos`` from ``labels_patch.csv`` when present, else NaN)
        plus ``patch_index``, ``fraction``, ``follows_size_rule``, ``path``, ``box_source`` =
        ``"located"``, ``match_mse`` and ``runner_up_ratio`` (how unambiguous the location is).
    """
    folder = database_dir(root)
    images = load_images(folder, read_sizes=False)
    boxed = set(load_patches(folder)[0]["image_id"]) if _box_files(folder) else set()
    wanted = set(image_ids) if image_ids is not None else None
    patch_mos = load_patch_mos(folder)
    known = patch_mos.set_index("patch_id")["mos"] if patch_mos is not None else pd.Series(dtype=float)
    rows = []
    for image_id, path in zip(images["image_id"], images["path"]):
        if not isinstance(path, str) or image_id in boxed or (wanted is not None and image_id not in wanted):
            continue
        ks = [k for k in (1, 2, 3) if (folder / patch_file_name(image_id, k)).is_file()]
        if not ks:
            continue
        picture = _load_rgb(path)
        h, w = picture.shape[:2]
        for k in ks:
            pid = patch_file_name(image_id, k)
            loc = locate_patch(picture, _load_rgb(folder / pid))
            pw, ph = patch_size(w, h, PATCH_FRACTIONS[k - 1])
            left, top, right, bottom = loc.box
            rows.append(
                {
                    "image_id": image_id,
                    "patch_id": pid,
                    "left": left,
                    "top": top,
                    "right": right,
                    "bottom": bottom,
                    "mos": float(known.get(pid, np.nan)),
                    "patch_index": k,
                    "fraction": PATCH_FRACTIONS[k - 1],
                    "follows_size_rule": bool(right - left == pw and bottom - top == ph),
                    "path": str((folder / pid).resolve()),
                    "box_source": "located",
                    "match_mse": loc.mse,
                    "runner_up_ratio": loc.runner_up_ratio,
                }
            )
    if wanted is not None and (missing := wanted - {r["image_id"] for r in rows}):
        raise ValueError(
            f"no patch files to locate for {sorted(missing)[:3]} in {folder} "
            "(picture absent, already boxed, or no patches/<file>_patch_<k>.jpg)"
        )
    cols = [
        *_PATCH_COLUMNS,
        "match_mse",
        "runner_up_ratio",
    ]
    table = pd.DataFrame(rows, columns=cols)
    return validate(table, "patches", origin=f"{folder} (located patches)")


def check_patch_files(images: pd.DataFrame, patches: pd.DataFrame) -> pd.DataFrame:
    """Crop each picture by its boxes and compare with the shipped patch files.

    Parameters
    ----------
    images : DataFrame
        Canonical ``images`` table with ``path``.
    patches : DataFrame
        ``patches`` table with ``path`` (the patch file); rows whose picture or patch file is
        absent are skipped and counted (``attrs["n_skipped"]``).

    Returns
    -------
    DataFrame
        ``patch_id``, ``same_shape``, ``mad``, ``max_abs``, ``psnr`` (:func:`compare_patch` of
        ``crop_patch(picture, box)`` against the file), ``within_tolerance``
        (:func:`saliqa.patches.matches_patch` with its default tolerance), ``shift_sharpness``
        (:func:`saliqa.patches.shift_sharpness`: > 1 when the box beats its one-pixel shifts) and
        ``match`` (both).
    """
    picture_path = images.set_index("image_id")["path"]
    rows, skipped, cache = [], 0, {}
    for rec in patches.itertuples(index=False):
        pic = picture_path.get(rec.image_id)
        if not isinstance(pic, str) or not isinstance(getattr(rec, "path", None), str):
            skipped += 1
            continue
        if pic not in cache:
            cache = {pic: _load_rgb(pic)}
        crop = crop_patch(cache[pic], (rec.left, rec.top, rec.right, rec.bottom))
        shipped = _load_rgb(rec.path)
        c = compare_patch(crop, shipped)
        ok = matches_patch(crop, shipped)
        sharp = shift_sharpness(cache[pic], shipped, (rec.left, rec.top, rec.right, rec.bottom))
        rows.append(
            {
                "patch_id": rec.patch_id,
                "same_shape": c.same_shape,
                "mad": c.mad,
                "max_abs": c.max_abs,
                "psnr": c.psnr,
                "within_tolerance": ok,
                "shift_sharpness": sharp,
                "match": bool(ok and sharp > 1),
            }
        )
    out = pd.DataFrame(
        rows,
        columns=["patch_id", "same_shape", "mad", "max_abs", "psnr", "within_tolerance", "shift_sharpness", "match"],
    )
    out.attrs["n_skipped"] = skipped
    return out
