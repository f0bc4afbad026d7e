"""The data sources of notebook 02 (seed 003, PaQ-2-PiQ): which tables a run uses, and from where.

Two roles, each filled from what is at hand under ``data_dir``:

* **label databases** (the database figures: Fig. 4, 7 right / 12, 8, Table 1): the real label
  files when present -- FLIVE ``flive/`` (:mod:`saliqa.datasets.flive`: 39,810 picture MOS,
  1,827 test pictures with three patch boxes and MOS), KonIQ-10k ``koniq/``
  (:mod:`saliqa.datasets.koniq`) and CLIVE (official ``clive/`` release, else IQA-PyTorch's
  ``iqa-meta/`` table; :mod:`saliqa.datasets.clive`) -- beside the builtin simulated database;
* **training database** (Tables 2-3, Figs. 10-11): FLIVE when its pictures are at hand
  (:attr:`~saliqa.datasets.flive.FliveDatabase.images_present`), else the builtin simulated
  database (:mod:`saliqa.simulate.paq2piq`), which the run then says.

Loading only: nothing here analyses (that is :mod:`saliqa.paq2piq_database` and
:mod:`saliqa.paq2piq_study`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from saliqa.datasets import clive, flive, koniq

__all__ = ["LabelDatabases", "load_label_databases", "pictures_present", "Fig5Example", "fig5_examples"]


@dataclass
class LabelDatabases:
    """The real label databases found under ``data_dir``.

    Attributes
    ----------
    mos : dict
        Database name (``"CLIVE"``, ``"KonIQ-10k"``, ``"FLIVE"``) -> canonical ``images`` table
        with ``mos`` on 0-100.
    flive : FliveDatabase or None
        FLIVE's tables (pictures, patch boxes with MOS), when ``flive/`` is present.
    notes : list of str
        What was found or not, for the run's output.
    """

    mos: dict[str, pd.DataFrame] = field(default_factory=dict)
    flive: flive.FliveDatabase | None = None
    notes: list[str] = field(default_factory=list)


def load_label_databases(data_dir: str | Path | None) -> LabelDatabases:
    """The label files at hand under ``data_dir`` (none for builtin runs, ``data_dir=None``)."""
    out = LabelDatabases()
    if data_dir is None:
        out.notes.append("builtin run: no real label files")
        return out
    root = Path(data_dir)
    if (root / "clive").is_dir():
        out.mos["CLIVE"] = clive.load_images(root / "clive")
        out.notes.append("CLIVE: official release (clive/)")
    elif (root / "iqa-meta").is_dir():
        out.mos["CLIVE"] = clive.load_iqa_meta(root / "iqa-meta")
        out.notes.append("CLIVE: MOS table of iqa-meta/ (no pictures)")
    if (root / "koniq").is_dir():
        out.mos["KonIQ-10k"] = koniq.load_images(root / "koniq")
        out.notes.append(f"KonIQ-10k: {len(out.mos['KonIQ-10k'])} pictures (koniq/)")
    if (root / "flive").is_dir():
        db = flive.load_database(root / "flive", read_sizes=True)
        out.flive = db
        out.mos["FLIVE"] = db.images
        out.notes.append(
            f"FLIVE: {len(db.images)} pictures, {len(db.patches)} patches with boxes; pictures "
            f"{'present' if db.images_present else 'absent (label files only)'}"
        )
    if not out.mos:
        out.notes.append(f"no flive/, koniq/, clive/ or iqa-meta/ under {root}")
    return out


def pictures_present(images: pd.DataFrame) -> bool:
    """True when every row of an ``images`` table has a ``path`` naming an existing file.

    Label-only tables (KonIQ's CSV, CLIVE's MOS table of ``iqa-meta/``) hold file names without
    the pictures: they feed the database figures but cannot be scored (Table 4).
    """
    if "path" not in images.columns or images.empty:
        return False
    return bool(images["path"].map(lambda p: isinstance(p, (str, Path)) and Path(p).is_file()).all())


@dataclass
class Fig5Example:
    """One picture of Fig. 5 with its three patches."""

    title: str
    picture: np.ndarray
    boxes: np.ndarray
    patches: list[np.ndarray] | None


def _read_rgb(path: str | Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def fig5_examples(
    labels: LabelDatabases, simulated: Mapping[str, Any] | None, *, n: int = 2, seed: int = 0
) -> list[Fig5Example]:
    """Fig. 5's pictures: FLIVE's real pictures and their shipped patch files when present, else builtin.

    Parameters
    ----------
    labels
        :func:`load_label_databases` output.
    simulated
        :func:`saliqa.simulate.paq2piq.simulate_database` output (used when FLIVE's are absent).
    n
        Number of pictures.
    seed
        Which builtin pictures (a seeded choice).
    """
    examples: list[Fig5Example] = []
    if labels.flive is not None:
        located = flive.locate_patches(labels.flive.root)
        for image_id, group in located.groupby("image_id", sort=True):
            group = group.sort_values("patch_index")
            picture = _read_rgb(labels.flive.root / str(image_id))
            boxes = group[["left", "top", "right", "bottom"]].to_numpy(dtype=int)
            patches = [_read_rgb(p) for p in group["path"]]
            examples.append(Fig5Example(f"FLIVE {image_id} (shipped patches)", picture, boxes, patches))
            if len(examples) >= n:
                return examples
    if simulated is not None and len(examples) < n:
        images, patches = simulated["images"], simulated["patches"]
        rng = np.random.default_rng(seed)
        chosen = rng.choice(len(images), size=min(n - len(examples), len(images)), replace=False)
        for i in sorted(chosen):
            row = images.iloc[int(i)]
            group = patches[patches["image_id"] == row["image_id"]].sort_values("patch_index")
            boxes = group[["left", "top", "right", "bottom"]].to_numpy(dtype=int)
            examples.append(Fig5Example(f"builtin {row['image_id']}", _read_rgb(row["path"]), boxes, None))
    return examples
