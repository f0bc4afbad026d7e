"""SACID (seed 002, Sec. III-D) in its published layout (https://huggingface.co/datasets/alexkkr/SACID).

50 CLIC-2021 pictures (``sequence``), each compressed by the saliency-aware codec of the
paper's ref. [41] under 4 presets at 3 rates, with subjective scores from pairwise comparisons
(Subjectify.us, 1,400+ assessors).

Layout expected under ``root``::

    sacid/
      moses.csv                         sequence,test_case,subjective_score
      reference/<sequence>.<ext>        one reference picture per sequence
      saliency/<sequence>.<ext>         one saliency map per sequence (TranSalNet)
      compressed/<sequence>/<test_case> the compressed versions

``<ext>`` is any image extension Pillow reads (the file is matched by its stem). ``test_case``
names the file of a version inside ``compressed/<sequence>/``: either with its extension or as
a stem that matches exactly one image file there. The layout above is the one the dataset card
describes; the naming of the test cases could not be checked offline, so the preset and rate are
parsed from it *only when it spells them* (:func:`parse_test_case`): a rate as ``<number>bpp``
(``"0.08bpp"``, ``"bpp0.08"``), a saliency-aware preset as ``s0_<s0>_bitrate_<bitrate>``,
``saliency_s0_<s0>_saliency_bitrate_<bitrate>`` or ``s<s0>-b<bitrate>`` (separators ``_`` /
``-``), and ``"uniform"`` / ``"nosal"`` / ``"no_sal"`` for the preset that ignores saliency;
anything else leaves ``preset`` empty and ``bpp`` NaN, and the test case stays in
``distortion`` as it is.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from saliqa.checks import check_finite_column
from saliqa.datasets.tables import read_csv_table, validate

__all__ = ["LAYOUT", "LABELS", "IMAGE_EXTENSIONS", "parse_test_case", "load_images", "load_sacid"]

LABELS = "moses.csv"
LAYOUT = """sacid/
  moses.csv                          sequence,test_case,subjective_score
  reference/<sequence>.<ext>         one reference picture per sequence
  saliency/<sequence>.<ext>          one saliency map per sequence
  compressed/<sequence>/<test_case>  the compressed versions (test_case with or without extension)"""
IMAGE_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
"""Extensions tried when a file is matched by its stem (lower case compared)."""
_COLUMNS = ["sequence", "test_case", "subjective_score"]
_BPP = re.compile(r"(?:(\d+(?:\.\d+)?)\s*bpp|bpp[_-]?(\d+(?:\.\d+)?))", re.IGNORECASE)
_PRESET = re.compile(
    r"(?:saliency_)?s0?[_-]?(\d+(?:\.\d+)?)[_-]+(?:saliency_)?(?:bitrate|b)[_-]?(\d+(?:\.\d+)?)", re.IGNORECASE
)
_UNIFORM = re.compile(r"uniform|no[_-]?sal", re.IGNORECASE)


def parse_test_case(name: str) -> tuple[str, float]:
    """Preset and rate spelled in a test-case name (module docstring), else ``("", nan)``.

    Parameters
    ----------
    name : str
        The ``test_case`` value (an extension is ignored).

    Returns
    -------
    (str, float)
        ``preset``: ``"uniform"``, ``"s<s0>-b<bitrate>"`` (the names of
        :func:`saliqa.simulate.sacid.preset_names`) or ``""``; ``bpp`` or NaN.

    Examples
    --------
    >>> parse_test_case("s0_75_bitrate_80_0.12bpp.png")
    ('s75-b80', 0.12)
    >>> parse_test_case("uniform_bpp0.08")
    ('uniform', 0.08)
    >>> parse_test_case("codec_17")
    ('', nan)
    """
    stem = Path(str(name)).stem if Path(str(name)).suffix.lower() in IMAGE_EXTENSIONS else str(name)
    m = _BPP.search(stem)
    bpp = float(m.group(1) or m.group(2)) if m else float("nan")
    rest = _BPP.sub("", stem)
    pair = _PRESET.search(rest)
    if pair:
        preset = f"s{float(pair.group(1)):g}-b{float(pair.group(2)):g}"
    elif _UNIFORM.search(rest):
        preset = "uniform"
    else:
        preset = ""
    return preset, bpp


def _index_folder(folder: Path) -> dict[str, list[Path]]:
    """Image files of ``folder`` by stem (one listing, no per-row globbing)."""
    out: dict[str, list[Path]] = {}
    if folder.is_dir():
        for p in folder.iterdir():
            if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS:
                out.setdefault(p.stem, []).append(p)
    return out


def _by_stem(index: dict[str, list[Path]], stem: str) -> Path | None:
    found = index.get(stem, [])
    return found[0] if len(found) == 1 else None


def _version_path(folder: Path, files: set[str], index: dict[str, list[Path]], test_case: str) -> Path | None:
    if test_case in files:
        return folder / test_case
    return _by_stem(index, test_case)


def _missing(what: str, items: list[str], hint: str) -> FileNotFoundError:
    return FileNotFoundError(f"{len(items)} {what} not found, e.g. {items[:5]}; expected layout:\n{hint}")


def _size(path: Path) -> tuple[int, int]:
    try:
        with Image.open(path) as image:
            return image.size
    except OSError as err:
        raise ValueError(f"{path}: unreadable image ({err})") from err


def load_images(root: str | os.PathLike[str]) -> pd.DataFrame:
    """SACID as a canonical ``images`` table (module docstring).

    Parameters
    ----------
    root : path
        The ``sacid/`` folder.

    Returns
    -------
    DataFrame
        One row per ``moses.csv`` row, in its order: ``image_id`` (``"<sequence>/<test_case>"``),
        ``path`` (absolute), ``width``, ``height`` (from the image headers), ``content_id``
        (``sequence``), ``distortion`` (``test_case``), ``level`` (= ``bpp``), ``mos``
        (``subjective_score``), ``preset``, ``bpp`` (:func:`parse_test_case`), ``reference_path``, ``saliency_path``.
        ``attrs``: ``dataset`` = ``"sacid"``, ``file``.

    Raises
    ------
    FileNotFoundError
        No ``root`` / ``moses.csv``; reference pictures, saliency maps or compressed versions
        missing (each kind counted, the first five named, with the expected layout).
    ValueError
        Missing columns, an empty id, a non-finite ``subjective_score`` or a repeated
        ``(sequence, test_case)`` (naming the row and its CSV line), an unreadable image.
    """
    base = Path(root).expanduser()
    labels = base / LABELS
    if not labels.is_file():
        raise FileNotFoundError(f"SACID labels {LABELS!r} not found in {str(base)!r}; expected layout:\n{LAYOUT}")
    raw = read_csv_table(labels, _COLUMNS, hint=f"expected layout:\n{LAYOUT}")
    for col in ("sequence", "test_case"):
        empty = raw[col].isna().to_numpy() | (raw[col].astype(str).str.strip() == "").to_numpy()
        if empty.any():
            row = int(np.flatnonzero(empty)[0])
            raise ValueError(f"{labels}: row {row} (CSV line {row + 2}) field {col!r} is empty; expected a name")
    seq, case = raw["sequence"].astype(str), raw["test_case"].astype(str)
    mos = check_finite_column(raw["subjective_score"], str(labels), "subjective_score")
    dup = pd.DataFrame({"s": seq, "t": case}).duplicated().to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise ValueError(
            f"{labels}: row {row} (CSV line {row + 2}) repeats sequence {seq.iloc[row]!r}, test_case "
            f"{case.iloc[row]!r} ({int(dup.sum())} repeated rows)"
        )

    refs, sals = _index_folder(base / "reference"), _index_folder(base / "saliency")
    sequences = list(dict.fromkeys(seq))
    ref_of = {s: _by_stem(refs, s) for s in sequences}
    sal_of = {s: _by_stem(sals, s) for s in sequences}
    for kind, found in (("reference picture(s) reference/<sequence>.<ext>", ref_of), ("saliency map(s)", sal_of)):
        absent = [s for s, p in found.items() if p is None]
        if absent:
            raise _missing(kind, absent, LAYOUT)

    paths: list[Path | None] = []
    listings: dict[str, tuple[set[str], dict[str, list[Path]]]] = {}
    for s, t in zip(seq, case):
        if s not in listings:
            folder = base / "compressed" / s
            names = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
            listings[s] = (names, _index_folder(folder))
        paths.append(_version_path(base / "compressed" / s, *listings[s], t))
    absent = [f"compressed/{s}/{t}" for s, t, p in zip(seq, case, paths) if p is None]
    if absent:
        raise _missing("compressed version(s) (test_case files)", absent, LAYOUT)

    parsed = [parse_test_case(t) for t in case]
    files = [Path(p) for p in paths if p is not None]
    sizes = np.array([_size(p) for p in files], dtype=float).reshape(-1, 2)
    bpp = np.array([b for _, b in parsed], dtype=float)
    table = pd.DataFrame(
        {
            "image_id": (seq + "/" + case).to_numpy(),
            "path": [str(p.resolve()) for p in files],
            "width": sizes[:, 0],
            "height": sizes[:, 1],
            "content_id": seq.to_numpy(),
            "distortion": case.to_numpy(),
            "level": bpp,
            "mos": mos,
            "preset": [p for p, _ in parsed],
            "bpp": bpp,
            "reference_path": [str(ref_of[s].resolve()) for s in seq],  # type: ignore[union-attr]
            "saliency_path": [str(sal_of[s].resolve()) for s in seq],  # type: ignore[union-attr]
        }
    )
    table.attrs.update(dataset="sacid", file=str(labels))
    return validate(table, "images", origin=str(labels))


load_sacid = load_images
"""Alias of :func:`load_images` (the name every loader module uses)."""
