"""CAT2000 (Borji & Itti, "CAT2000: A Large Scale Fixation Dataset for Boosting Saliency Research", 2015).

Layout expected under ``root`` (the ``CAT2000/`` folder of a data root, ``trainSet.zip`` and
``testSet.zip`` of the MIT saliency benchmark unpacked into it)::

    CAT2000/
      trainSet/Stimuli/<Category>/<NNN>.jpg        1920 x 1080, 20 categories x 100
      trainSet/FIXATIONMAPS/<Category>/<NNN>.jpg   official continuous fixation maps
      trainSet/FIXATIONLOCS/<Category>/<NNN>.mat   binary fixation-location matrix ``fixLocs``
      testSet/Stimuli/<Category>/<NNN>.jpg         (no fixations released)

Only ``<Category>/*.jpg`` one level below ``Stimuli`` are stimuli (the release's deeper
``Output`` folders are ignored). ``fixLocs`` (the variable the benchmark's own evaluation code
reads, ``imgBinRef.fixLocs``) is a matrix of the image's size, non-zero at the fixated pixels
of all 18 (train) observers pooled: the observer of a fixation and the fixation order are
*not* recoverable from it, and two fixations on one pixel count once. The fixations table
therefore has one row per non-zero pixel, ``observer_id = "cat2000:pooled"``, ``x`` the column
and ``y`` the row (0-based pixel centres: MATLAB's ``(row, col)`` minus 1), ``source="eye"``,
``task="free"``; a ``count`` column holds the matrix value (1 for a binary matrix).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from saliqa.datasets.fixation_sets import read_images
from saliqa.datasets.matfile import file_key, read_mat
from saliqa.datasets.tables import categorical, fixation_table, image_table, validate

__all__ = ["LAYOUT", "SETS", "find_root", "load_images", "load_fixations", "load_maps"]

LAYOUT = """CAT2000/
  trainSet/Stimuli/<Category>/<NNN>.jpg        1920 x 1080 stimuli
  trainSet/FIXATIONMAPS/<Category>/<NNN>.jpg   continuous fixation maps
  trainSet/FIXATIONLOCS/<Category>/<NNN>.mat   binary fixation matrix, variable fixLocs (image size)
  testSet/Stimuli/<Category>/<NNN>.jpg"""

SETS: dict[str, str] = {"train": "trainSet", "test": "testSet"}
"""Split name -> folder."""


def find_root(data_dir: str | os.PathLike[str]) -> Path:
    """The CAT2000 folder: ``data_dir/CAT2000``, ``data_dir/cat2000`` or ``data_dir`` itself.

    Parameters
    ----------
    data_dir
        A data root or the CAT2000 folder.

    Returns
    -------
    pathlib.Path
        The first candidate holding ``trainSet/Stimuli`` or ``testSet/Stimuli``.

    Raises
    ------
    FileNotFoundError
        None qualifies; the message lists what was looked for and the expected layout.
    """
    base = Path(data_dir).expanduser()
    candidates = [base / "CAT2000", base / "cat2000", base]
    for c in candidates:
        if any((c / folder / "Stimuli").is_dir() for folder in SETS.values()):
            return c
    looked = ", ".join(repr(str(c / f / "Stimuli")) for c in candidates for f in SETS.values())
    raise FileNotFoundError(f"CAT2000 not found: looked for {looked}; expected layout:\n{LAYOUT}")


def _splits(splits: Iterable[str]) -> tuple[str, ...]:
    out = tuple(splits)
    bad = [s for s in out if s not in SETS]
    if bad or not out:
        raise ValueError(f"splits={out!r}; expected a non-empty selection of {tuple(SETS)}")
    return out


def load_images(root: str | os.PathLike[str], splits: Iterable[str] = ("train",)) -> pd.DataFrame:
    """CAT2000 stimuli as a canonical ``images`` table with ``category`` and ``split``.

    Parameters
    ----------
    root
        A data root or the CAT2000 folder (:func:`find_root`).
    splits
        ``"train"`` and / or ``"test"``.

    Returns
    -------
    pandas.DataFrame
        ``image_id`` = ``"<Category>/<NNN>"`` (unique within a split; the test set reuses the
        names, so with both splits the test ids are prefixed ``"test:"``), ``path``, ``width``,
        ``height`` (read from the files), ``content_id``, ``distortion="none"``,
        ``level=NaN``, ``category``, ``split``; sorted by split, category, name.

    Raises
    ------
    FileNotFoundError
        A missing ``Stimuli`` folder or one without images (the layout is shown).
    """
    base = find_root(root)
    chosen = _splits(splits)
    parts = []
    for split in chosen:
        folder = base / SETS[split] / "Stimuli"
        if not folder.is_dir():
            raise FileNotFoundError(f"CAT2000 folder {str(folder)!r} not found; expected layout:\n{LAYOUT}")
        files = sorted(folder.glob("*/*.jpg"))
        if not files:
            raise FileNotFoundError(f"{folder}: no <Category>/<NNN>.jpg stimuli; expected layout:\n{LAYOUT}")
        prefix = "test:" if split == "test" and len(chosen) > 1 else ""
        ids = [f"{prefix}{f.parent.name}/{f.stem}" for f in files]
        t = image_table(ids, files, dataset="cat2000", origin=str(folder))
        t["category"] = [f.parent.name for f in files]
        t["split"] = split
        parts.append(t)
    table = pd.concat(parts, ignore_index=True)
    table.attrs["dataset"] = "cat2000"
    return validate(table, "images", origin=str(base))


@lru_cache(maxsize=64)
def _fix_locs(key: tuple[str, int, int]) -> np.ndarray:
    path = Path(key[0])
    data = read_mat(path, ["fixLocs"])
    if "fixLocs" not in data:
        raise ValueError(
            f"{path}: no variable 'fixLocs'; expected a CAT2000 FIXATIONLOCS file holding the binary "
            "fixation matrix fixLocs (image height x width)"
        )
    m = np.asarray(data["fixLocs"])
    if m.ndim != 2 or m.dtype.kind not in "biuf":
        raise ValueError(f"{path}: fixLocs has shape {m.shape} and dtype {m.dtype}; expected a numeric H x W matrix")
    m = m.astype(np.float64)
    if not np.all(np.isfinite(m)) or m.min() < 0:
        raise ValueError(f"{path}: fixLocs has negative or non-finite values; expected a binary / count matrix")
    m.flags.writeable = False
    return m


def load_fixations(root: str | os.PathLike[str], images: pd.DataFrame | None = None) -> pd.DataFrame:
    """Pooled CAT2000 fixations from the binary ``FIXATIONLOCS`` matrices.

    Parameters
    ----------
    root
        A data root or the CAT2000 folder.
    images
        The training images to read (a :func:`load_images` table, ``split == "train"`` rows);
        default all training images.

    Returns
    -------
    pandas.DataFrame
        One row per fixated pixel (module docstring): ``image_id``, ``observer_id``
        (``"cat2000:pooled"``), ``x``, ``y``, ``duration_ms`` (NaN), ``source="eye"``,
        ``task="free"``, ``campaign="cat2000"``, ``order`` (pixel order, row-major; not a
        temporal order), ``count``. ``attrs["dataset"] = "cat2000"``.

    Raises
    ------
    FileNotFoundError
        A missing ``.mat`` file (naming it).
    ValueError
        Unreadable MAT-file, no ``fixLocs`` variable, a matrix that is not the image's size
        (naming the file and both sizes), or an image without any fixation.
    """
    base = find_root(root)
    table = load_images(base, ("train",)) if images is None else images
    if "split" in table and (table["split"] != "train").any():
        raise ValueError("CAT2000 fixations exist for the training set only; pass rows with split == 'train'")
    xs, ys, cs, idx = [], [], [], []
    folder = base / SETS["train"] / "FIXATIONLOCS"
    ids = [str(i) for i in table["image_id"]]
    for k, (image_id, w, h) in enumerate(zip(ids, table["width"], table["height"])):
        path = folder / f"{image_id}.mat"
        if not path.is_file():
            raise FileNotFoundError(f"CAT2000 fixation file {str(path)!r} not found; expected layout:\n{LAYOUT}")
        m = _fix_locs(file_key(path))
        if m.shape != (int(h), int(w)):
            raise ValueError(
                f"{path}: fixLocs is {m.shape[0]} x {m.shape[1]} but the stimulus is {int(h)} x {int(w)} "
                "(height x width)"
            )
        r, c = np.nonzero(m)
        if r.size == 0:
            raise ValueError(f"{path}: fixLocs has no fixated pixel")
        xs.append(c.astype(float))
        ys.append(r.astype(float))
        cs.append(m[r, c])
        idx.append(np.full(r.size, k))
    n = np.concatenate(idx)
    order = np.concatenate([np.arange(len(a)) for a in xs])
    out = fixation_table(
        categorical(n, lambda i: ids[i]),
        categorical(np.zeros(n.size, dtype=np.int64), lambda _: "cat2000:pooled"),
        np.concatenate(xs),
        np.concatenate(ys),
        source="eye",
        campaign="cat2000",
        order=order,
        count=np.concatenate(cs),
    )
    out.attrs["dataset"] = "cat2000"
    return validate(out, "fixations", origin=str(folder))


def load_maps(images: pd.DataFrame, size: Sequence[int] | None = None) -> np.ndarray:
    """The official ``FIXATIONMAPS`` of training images, sum-normalised ``(N, H, W)``.

    Read as grey (mean of the channels) / 255, resized (Pillow bilinear) to ``size`` when given.

    Raises
    ------
    FileNotFoundError
        A missing map (naming it).
    ValueError
        An all-black map (naming it).
    """
    paths = [Path(p).parents[2] / "FIXATIONMAPS" / Path(p).parent.name / Path(p).name for p in images["path"]]
    maps = read_images(paths, size).astype(np.float64).mean(axis=3) / 255.0
    sums = maps.sum(axis=(1, 2))
    if np.any(sums <= 0):
        raise ValueError(f"CAT2000 map {paths[int(np.flatnonzero(sums <= 0)[0])]} is all black")
    return maps / sums[:, None, None]
