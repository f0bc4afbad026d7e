"""SALICON (Jiang et al., "SALICON: Saliency in Context", CVPR 2015), 2017 release (LSUN challenge).

Layout expected under ``root`` (the ``salicon/`` folder of a data root, as unpacked from the
official downloads)::

    salicon/
      images/train/COCO_train2014_000000000009.jpg   640 x 480 stimuli (10,000)
      images/val/COCO_val2014_000000000133.jpg       (5,000)
      images/test/COCO_test2014_000000000001.jpg     (5,000; no fixations)
      maps/train/<image>.png, maps/val/<image>.png  official fixation density maps (grey)
      fixations/train/<image>.mat, fixations/val/<image>.mat

Fixation files (checked against pysaliency's SALICON reader and the SALICON API): a MAT-file
with the variables ``image`` (the name, e.g. ``'COCO_val2014_000000000133'``), ``resolution``
(``[480 640]``, i.e. ``[height width]``) and ``gaze``, a 1 x n_subjects struct array whose
elements hold ``location`` (n x 2: the raw mouse positions), ``timestamp`` (n x 1, ms) and
``fixations`` (m x 2: the fixations the release inferred from them). Both point arrays are
``[x y]`` = ``[column row]`` in MATLAB's 1-based pixel coordinates (pysaliency subtracts 1 from
column 0 for x and from column 1 for y).

SALICON's "fixations" are **mouse-contingent** (observers moved a mouse over a blurred image,
revealing a sharp fovea), not eye fixations: the tables say ``source="mouse"`` and
``task="free"``. ``observer_id`` is ``"salicon:<k>"``, the position ``k`` (1-based) in the file's
``gaze`` array: it is *not* the same person across images (the release does not identify
subjects).

Coordinates: canonical 0-based ``x = col - 1``, ``y = row - 1``. The 2017 mouse positions include
points outside the 640 x 480 image (pysaliency clips them); the ``outside`` policy of
:func:`saliqa.datasets.osie.restrict_to_image` handles them (default ``"clip"``, counted in a
warning and in ``attrs``). Official maps were made with a Gaussian of sigma 19 px at 640 x 480
(SALICON API ``buildFixMap``), see :data:`saliqa.datasets.fixation_sets.SALICON_SIGMA_PX`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from saliqa.datasets.fixation_sets import read_images
from saliqa.datasets.matfile import field, file_key, read_mat, records, rows, vector
from saliqa.datasets.osie import restrict_to_image
from saliqa.datasets.tables import categorical, fixation_table, image_table, validate

__all__ = ["LAYOUT", "SPLITS", "IMAGE_SIZE", "find_root", "load_images", "load_fixations", "load_maps"]

LAYOUT = """salicon/
  images/{train,val,test}/COCO_{train,val,test}2014_%012d.jpg   640 x 480 stimuli
  maps/{train,val}/<image>.png                                 official density maps
  fixations/{train,val}/<image>.mat                            variables image, resolution ([h w]),
                                                               gaze(1 x n).{location, timestamp, fixations}"""

SPLITS: tuple[str, ...] = ("train", "val", "test")
IMAGE_SIZE: tuple[int, int] = (640, 480)
"""``(width, height)`` of the SALICON stimuli."""

Kind = Literal["fixations", "location"]
Outside = Literal["clip", "drop", "raise"]


def find_root(data_dir: str | os.PathLike[str]) -> Path:
    """The SALICON folder: ``data_dir/salicon``, ``data_dir/SALICON`` or ``data_dir`` itself.

    Parameters
    ----------
    data_dir
        A data root or the SALICON folder.

    Returns
    -------
    pathlib.Path
        The first candidate that has an ``images/`` folder.

    Raises
    ------
    FileNotFoundError
        None qualifies; the message lists the folders looked at and the expected layout.
    """
    base = Path(data_dir).expanduser()
    candidates = [base / "salicon", base / "SALICON", base]
    for c in candidates:
        if (c / "images").is_dir():
            return c
    looked = ", ".join(repr(str(c / "images")) for c in candidates)
    raise FileNotFoundError(f"SALICON not found: looked for {looked}; expected layout:\n{LAYOUT}")


def _check_splits(splits: Iterable[str], allowed: Sequence[str]) -> tuple[str, ...]:
    out = tuple(splits)
    bad = [s for s in out if s not in allowed]
    if bad or not out:
        raise ValueError(f"splits={out!r}; expected a non-empty selection of {tuple(allowed)}")
    return out


def load_images(root: str | os.PathLike[str], splits: Iterable[str] = SPLITS) -> pd.DataFrame:
    """SALICON stimuli as a canonical ``images`` table with a ``split`` column.

    Parameters
    ----------
    root
        A data root or the SALICON folder (:func:`find_root`).
    splits
        Which of ``"train"``, ``"val"``, ``"test"`` to list (missing split folders are an error).

    Returns
    -------
    pandas.DataFrame
        ``image_id`` (file stem, e.g. ``"COCO_val2014_000000000133"``), ``path``, ``width``,
        ``height`` (read from the files), ``content_id``, ``distortion="none"``, ``level=NaN``,
        ``split``; sorted by split then name. ``attrs["dataset"] = "salicon"``.

    Raises
    ------
    FileNotFoundError
        Missing folder (the layout is shown) or an empty split folder.
    """
    base = find_root(root)
    parts = []
    for split in _check_splits(splits, SPLITS):
        folder = base / "images" / split
        if not folder.is_dir():
            raise FileNotFoundError(f"SALICON split folder {str(folder)!r} not found; expected layout:\n{LAYOUT}")
        files = sorted(folder.glob("COCO_*.jpg"))
        if not files:
            raise FileNotFoundError(f"{folder}: no COCO_*.jpg images; expected layout:\n{LAYOUT}")
        t = image_table([f.stem for f in files], files, dataset="salicon", origin=str(folder))
        t["split"] = split
        parts.append(t)
    table = pd.concat(parts, ignore_index=True)
    table.attrs["dataset"] = "salicon"
    return validate(table, "images", origin=str(base))


@lru_cache(maxsize=256)
def _parse(key: tuple[str, int, int], kind: str) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray]:
    """``(height, width, subject (1-based), x_raw, y_raw)`` of one SALICON fixation file."""
    path = Path(key[0])
    origin = str(path)
    data = read_mat(path, ["image", "resolution", "gaze"])
    for name in ("resolution", "gaze"):
        if name not in data:
            raise ValueError(
                f"{origin}: missing variable {name!r} (found {sorted(data)}); expected a SALICON fixation file "
                "with variables image, resolution ([height width]) and gaze(1 x n).{location, timestamp, fixations}"
            )
    res = vector(data["resolution"], origin, "resolution")
    if res.size != 2 or np.any(res <= 0) or np.any(res != np.round(res)):
        raise ValueError(f"{origin}: variable 'resolution' = {res.tolist()}; expected [height width] (e.g. [480 640])")
    subjects = records(data["gaze"])
    if not subjects:
        raise ValueError(f"{origin}: variable 'gaze' holds no subject structs; expected gaze(1 x n).{{{kind}, ...}}")
    pts = [rows(field(s, kind, f"{origin}: gaze({j + 1})"), f"{origin}: gaze({j + 1})", kind, "[x, y]")
           for j, s in enumerate(subjects)]  # fmt: skip
    n = np.array([len(p) for p in pts], dtype=np.int64)
    xy = np.concatenate(pts) if pts else np.empty((0, 2))
    subj = np.repeat(np.arange(1, len(pts) + 1), n)
    return int(res[0]), int(res[1]), subj, xy[:, 0].copy(), xy[:, 1].copy()


def load_fixations(
    root: str | os.PathLike[str],
    splits: Iterable[str] = ("train", "val"),
    *,
    kind: Kind = "fixations",
    image_ids: Iterable[str] | None = None,
    outside: Outside = "clip",
) -> pd.DataFrame:
    """SALICON mouse-contingent fixations as a canonical ``fixations`` table.

    Parameters
    ----------
    root
        A data root or the SALICON folder.
    splits
        ``"train"`` and / or ``"val"`` (the test split has no fixations).
    kind
        ``"fixations"`` (the inferred fixations, the challenge's ground truth) or
        ``"location"`` (the raw mouse samples).
    image_ids
        Only these images (file stems); default every ``.mat`` file of the splits.
    outside
        Policy for points outside the image (``resolution``): ``"clip"`` (default), ``"drop"``
        or ``"raise"`` (:func:`saliqa.datasets.osie.restrict_to_image`; counted in a warning
        and in ``attrs``).

    Returns
    -------
    pandas.DataFrame
        ``image_id``, ``observer_id`` (``"salicon:<k>"``, see the module docstring), ``x``,
        ``y`` (0-based: raw - 1), ``duration_ms`` (NaN), ``source="mouse"``, ``task="free"``,
        ``campaign`` (``"salicon-fixations"`` / ``"salicon-location"``), ``order`` (0-based
        position in the subject's array), ``split``. ``attrs``: ``dataset``, ``kind``, outside
        counts.

    Raises
    ------
    FileNotFoundError
        Missing folders or files (the layout is shown).
    ValueError
        Unreadable MAT-file, missing variables or fields, a ``resolution`` that is not
        ``[height width]``, point arrays that are not n x 2 (each naming the file), or points
        outside with ``outside="raise"``.
    """
    if kind not in ("fixations", "location"):
        raise ValueError(f"kind={kind!r}; expected 'fixations' or 'location'")
    base = find_root(root)
    wanted = None if image_ids is None else [Path(str(i)).stem for i in image_ids]
    files: list[tuple[str, Path]] = []
    for split in _check_splits(splits, ("train", "val")):
        folder = base / "fixations" / split
        if not folder.is_dir():
            raise FileNotFoundError(f"SALICON fixation folder {str(folder)!r} not found; expected layout:\n{LAYOUT}")
        found = sorted(folder.glob("*.mat"))
        if wanted is not None:
            names = {f.stem for f in found}
            found = [folder / f"{i}.mat" for i in wanted if i in names]
        files.extend((split, f) for f in found)
    if wanted is not None:
        missing = sorted(set(wanted) - {f.stem for _, f in files})
        if missing:
            raise FileNotFoundError(f"no SALICON fixation file for image(s) {missing[:3]} in splits {tuple(splits)}")
    if not files:
        raise FileNotFoundError(f"no SALICON fixation files under {base / 'fixations'}; expected layout:\n{LAYOUT}")
    parsed = [_parse(file_key(f), kind) for _, f in files]
    n = np.array([len(p[2]) for p in parsed], dtype=np.int64)
    file_idx = np.repeat(np.arange(len(files)), n)
    subj = np.concatenate([p[2] for p in parsed]).astype(np.int64)
    x = np.concatenate([p[3] for p in parsed]) - 1.0
    y = np.concatenate([p[4] for p in parsed]) - 1.0
    width = np.repeat([p[1] for p in parsed], n).astype(float)
    height = np.repeat([p[0] for p in parsed], n).astype(float)
    split_of_file = np.array([SPLITS.index(s) for s, _ in files], dtype=np.int64)
    key = file_idx * (int(subj.max(initial=0)) + 1) + subj
    idx = np.arange(key.size)
    first = np.maximum.accumulate(np.where(np.r_[True, key[1:] != key[:-1]], idx, 0)) if key.size else idx
    order = idx - first  # 0-based position in the subject's array
    table = fixation_table(
        categorical(file_idx, lambda i: files[i][1].stem),
        categorical(subj, lambda s: f"salicon:{s}"),
        x,
        y,
        source="mouse",
        campaign=f"salicon-{kind}",
        order=order,
        split=categorical(split_of_file[file_idx], lambda j: SPLITS[j]),
    )
    validate(table, "fixations", origin=str(base / "fixations"))
    table = restrict_to_image(table, width, height, outside, origin=f"SALICON {kind} in {base / 'fixations'}")
    table.attrs.update(dataset="salicon", kind=kind)
    return table


def load_maps(images: pd.DataFrame, size: Sequence[int] | None = None) -> np.ndarray:
    """The official SALICON density maps of the images of a :func:`load_images` table.

    ``maps/<split>/<image_id>.png`` next to ``images/<split>/``; read as grey, divided by 255,
    resized (Pillow bilinear) to ``size`` when given, each then sum-normalised.

    Parameters
    ----------
    images
        Rows of :func:`load_images` (``path``, ``split``, ``image_id``); not the test split.
    size
        ``(H, W)`` of the returned maps; None: the files' size (they must agree).

    Returns
    -------
    numpy.ndarray
        float64 ``(N, H, W)``, each summing to 1.

    Raises
    ------
    FileNotFoundError
        A map file is missing (naming it).
    ValueError
        An all-black map (naming it).
    """
    paths = [
        Path(p).parents[2] / "maps" / s / f"{i}.png"
        for p, s, i in zip(images["path"], images["split"], images["image_id"])
    ]
    rgb = read_images(paths, size).astype(np.float64)
    maps = rgb.mean(axis=3) / 255.0
    sums = maps.sum(axis=(1, 2))
    if np.any(sums <= 0):
        raise ValueError(f"SALICON map {paths[int(np.flatnonzero(sums <= 0)[0])]} is all black")
    return maps / sums[:, None, None]
