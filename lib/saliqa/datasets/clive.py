"""CLIVE, the LIVE In the Wild Image Quality Challenge Database (Ghadiyaram & Bovik, IEEE TIP 2016).

Official release (``ChallengeDB_release``) from
<https://live.ece.utexas.edu/research/ChallengeDB/index.html>. Seed 003 uses CLIVE for Fig. 8
(MOS histogram), Table 1 and the cross-database Table 4.

Layout expected under ``root`` (the ``ChallengeDB_release/`` folder, or a folder holding it)::

    ChallengeDB_release/
      Images/<name>                      the pictures (500 x 500; .bmp and .JPG)
      Images/trainingImages/t1.bmp ...   the 7 training pictures shown to raters before the study
      Data/AllImages_release.mat         AllImages_release: 1169 x 1 cell of file names
      Data/AllMOS_release.mat            AllMOS_release: 1 x 1169 MOS on 0-100
      Data/AllStdDev_release.mat         (optional) AllStdDev_release: 1 x 1169 standard deviations

Files are read with ``scipy.io.loadmat``. The first 7 names (``t1.bmp`` ... ``t7.bmp``) are the
training pictures; as in IQA-PyTorch and most published CLIVE results they are left out by
default (``include_training=False``: 1,162 pictures), flagged ``is_training`` when kept. A name
is looked up in ``Images/`` and then in ``Images/trainingImages/``.

:func:`load_iqa_meta` reads CLIVE's MOS from IQA-PyTorch's derived table instead (through
:func:`saliqa.datasets.iqa_meta.load_mos_table`, which this module reuses), for when only the
labels are at hand (``../shared/data/iqa-meta``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from saliqa.datasets import iqa_meta
from saliqa.datasets.tables import validate

__all__ = ["LAYOUT", "N_TRAINING", "release_dir", "load_images", "load_iqa_meta", "is_training_name"]

N_TRAINING = 7
"""Number of training pictures (``t1.bmp`` ... ``t7.bmp``) at the head of the release's lists."""

LAYOUT = """ChallengeDB_release/
  Images/<name>                     pictures (.bmp / .JPG, 500 x 500)
  Images/trainingImages/t<k>.bmp    the 7 training pictures
  Data/AllImages_release.mat        variable AllImages_release (1169 x 1 cell of file names)
  Data/AllMOS_release.mat           variable AllMOS_release (1 x 1169, 0-100)
  Data/AllStdDev_release.mat        (optional) variable AllStdDev_release (1 x 1169)"""


def release_dir(root: str | os.PathLike[str]) -> Path:
    """The folder holding ``Data/AllImages_release.mat``: ``root`` or ``root/ChallengeDB_release``.

    Raises
    ------
    FileNotFoundError
        Neither holds it (the message shows the expected layout).
    """
    base = Path(root).expanduser()
    for folder in (base, base / "ChallengeDB_release"):
        if (folder / "Data" / "AllImages_release.mat").is_file():
            return folder
    raise FileNotFoundError(
        f"CLIVE release not found: no Data/AllImages_release.mat in {str(base)!r} or its "
        f"ChallengeDB_release/; expected layout:\n{LAYOUT}"
    )


def is_training_name(names: pd.Series) -> np.ndarray:
    """True for CLIVE's training-picture names ``t<k>.bmp`` (any folder prefix)."""
    return names.astype(str).str.fullmatch(r"(?:.*/)?t\d+\.bmp", case=False).to_numpy(dtype=bool)


def _loadmat(path: Path, variable: str) -> np.ndarray:
    from scipy.io import loadmat

    if not path.is_file():
        raise FileNotFoundError(f"CLIVE file {str(path)!r} not found; expected layout:\n{LAYOUT}")
    try:
        data = loadmat(path)
    except (OSError, ValueError, NotImplementedError) as err:
        raise ValueError(f"{path}: not a readable MAT-file ({err})") from err
    if variable not in data:
        found = sorted(k for k in data if not k.startswith("__"))
        raise ValueError(f"{path}: no variable {variable!r} (found {found}); expected layout:\n{LAYOUT}")
    return data[variable]


def _names(cell: np.ndarray, path: Path) -> list[str]:
    """File names from a MATLAB cell array of char arrays (any orientation)."""
    out = []
    for i, item in enumerate(np.asarray(cell, dtype=object).ravel()):
        value = np.asarray(item).ravel()
        if value.size != 1 or not isinstance(value[0], str):
            raise ValueError(f"{path}: entry {i} of AllImages_release is {item!r}; expected a file name string")
        out.append(str(value[0]))
    return out


def _vector(values: np.ndarray, n: int, path: Path, variable: str) -> np.ndarray:
    v = np.asarray(values, dtype=float).ravel()
    if v.size != n:
        raise ValueError(f"{path}: {variable} has {v.size} values but AllImages_release lists {n} names")
    bad = ~np.isfinite(v)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{path}: {variable}[{i}] = {v[i]!r} is not finite ({int(bad.sum())} such values)")
    return v


def load_images(
    root: str | os.PathLike[str], *, include_training: bool = False, read_sizes: bool = True
) -> pd.DataFrame:
    """CLIVE's official release as a canonical ``images`` table.

    Parameters
    ----------
    root : path
        ``ChallengeDB_release/`` or the folder holding it.
    include_training : bool
        Keep the 7 training pictures (flagged ``is_training``).
    read_sizes : bool
        Read ``width`` / ``height`` from the image headers (else the nominal 500 x 500).

    Returns
    -------
    DataFrame
        ``image_id`` (the release's file name, e.g. ``"100.bmp"``), ``path`` (absolute),
        ``width``, ``height``, ``content_id`` (= ``image_id``), ``distortion`` =
        ``"authentic"``, ``level`` NaN, ``mos`` (0-100), ``std`` (NaN without
        ``AllStdDev_release.mat``), ``split`` (None: CLIVE has no official split),
        ``is_training``. ``attrs``: ``dataset``, ``root``, ``n_training_dropped``.

    Raises
    ------
    FileNotFoundError
        Missing release folder, MAT-file or image files (counted, the first three named).
    ValueError
        Unreadable MAT-file, missing variable, lengths that disagree, non-finite or
        out-of-range MOS, a repeated name, an unreadable image.
    """
    folder = release_dir(root)
    data = folder / "Data"
    names_path = data / "AllImages_release.mat"
    names = _names(_loadmat(names_path, "AllImages_release"), names_path)
    mos_path = data / "AllMOS_release.mat"
    mos = _vector(_loadmat(mos_path, "AllMOS_release"), len(names), mos_path, "AllMOS_release")
    out_of_range = (mos < 0) | (mos > 100)
    if out_of_range.any():
        i = int(np.flatnonzero(out_of_range)[0])
        raise ValueError(f"{mos_path}: AllMOS_release[{i}] = {mos[i]} ({names[i]!r}); expected MOS in [0, 100]")
    std_path = data / "AllStdDev_release.mat"
    std = (
        _vector(_loadmat(std_path, "AllStdDev_release"), len(names), std_path, "AllStdDev_release")
        if std_path.is_file()
        else np.full(len(names), np.nan)
    )
    table = pd.DataFrame({"image_id": names, "mos": mos, "std": std})
    dup = table["image_id"].duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise ValueError(f"{names_path}: entry {i} repeats the name {names[i]!r}")
    table["is_training"] = is_training_name(table["image_id"])
    n_dropped = 0 if include_training else int(table["is_training"].sum())
    if not include_training:
        table = table.loc[~table["is_training"]].reset_index(drop=True)

    images = folder / "Images"
    found, absent = [], []
    for name in table["image_id"]:
        for candidate in (images / name, images / "trainingImages" / name):
            if candidate.is_file():
                found.append(str(candidate.resolve()))
                break
        else:
            found.append(None)
            absent.append(str(images / name))
    if absent:
        raise FileNotFoundError(
            f"{len(absent)} of {len(table)} CLIVE images not found under {str(images)!r}, "
            f"e.g. {absent[:3]}; expected layout:\n{LAYOUT}"
        )
    width, height = np.full(len(table), 500.0), np.full(len(table), 500.0)
    if read_sizes:
        from PIL import Image

        for i, p in enumerate(found):
            try:
                with Image.open(p) as image:
                    width[i], height[i] = image.size
            except OSError as err:
                raise ValueError(f"{p}: unreadable image ({err})") from err
    out = pd.DataFrame(
        {
            "image_id": table["image_id"].to_numpy(dtype=object),
            "path": np.array(found, dtype=object),
            "width": width,
            "height": height,
            "content_id": table["image_id"].to_numpy(dtype=object),
            "distortion": "authentic",
            "level": np.nan,
            "mos": table["mos"].to_numpy(),
            "std": table["std"].to_numpy(),
            "split": None,
            "is_training": table["is_training"].to_numpy(),
        }
    )
    out.attrs.update(dataset="CLIVE", root=str(folder), n_training_dropped=n_dropped)
    return validate(out, "images", origin=str(folder))


def load_iqa_meta(
    root: str | os.PathLike[str], *, include_training: bool = False, image_root: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """CLIVE's MOS from IQA-PyTorch's ``meta_info_LIVEChallengeDataset.csv`` (no images needed).

    A thin wrapper of :func:`saliqa.datasets.iqa_meta.load_mos_table` (``dataset="clive"``) that
    adds ``is_training`` and, by default, drops the 7 training pictures as :func:`load_images`
    does.

    Parameters
    ----------
    root : path
        The ``iqa-meta/`` folder.
    include_training : bool
        Keep ``t1.bmp`` ... ``t7.bmp``.
    image_root : path, optional
        Passed to ``load_mos_table`` (the folder of the images, when at hand).

    Returns
    -------
    DataFrame
        ``load_mos_table``'s canonical ``images`` table (+ ``is_training``); ``attrs`` as there,
        plus ``n_training_dropped``.
    """
    table = iqa_meta.load_mos_table(root, "clive", image_root=image_root)
    attrs = dict(table.attrs)
    table["is_training"] = is_training_name(table["image_id"])
    n_dropped = 0 if include_training else int(table["is_training"].sum())
    if not include_training:
        table = table.loc[~table["is_training"]].reset_index(drop=True)
    table.attrs = {**attrs, "n_training_dropped": n_dropped}
    return table
