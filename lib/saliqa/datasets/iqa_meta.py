"""MOS tables of IQA datasets in the IQA-PyTorch (pyiqa) ``meta_info`` layout.

Layout expected under ``root`` (the ``iqa-meta/`` folder; files from ``chaofengc/IQA-PyTorch``,
``pyiqa/data/``)::

    iqa-meta/
      pyiqa/data/meta_info/meta_info_<Name>Dataset.csv    one CSV per dataset (below)
      pyiqa/data/train_split_info/*.json|pkl                (not read here)

These are tables derived by IQA-PyTorch, not the datasets' own files; the images are not
included (``path`` is the name relative to the dataset's image folder unless ``image_root`` is
given). Datasets (:data:`DATASETS`; rows, score column and native scale as found in the files):

=============  ======  =================  ==========  ==============================================
name           rows    score column       kind        native scale (observed)
=============  ======  =================  ==========  ==============================================
LIVE           779     ``mos`` (is DMOS)  dmos        ~0-100, lower is better (17.9-84.5)
TID2013        3000    ``mos``            mos         0-9, higher is better (0.24-7.21)
TID2008        1700    ``mos``            mos         0-9, higher is better (0.00-7.71)
CSIQ           866     ``dmos``           dmos        0-1, lower is better (0.00-1.00)
KADID10k       10125   ``dmos``           dmos        1-5, **higher** is better (1.00-4.93)
LIVEMD         450     ``dmos``           dmos        ~0-100, lower is better (0.61-84.67)
KonIQ10k       10073   ``mos``            mos         0-100, higher is better (3.9-88.4)
KonIQ10k++     10073   ``qmos``           mos         1-5, higher is better (1.17-4.87)
CLIVE          1169    ``mos``            mos         0-100, higher is better (3.4-92.4)
SPAQ           11125   ``MOS``            mos         0-100, higher is better (2-96)
PIPAL          23200   ``elo_score``      elo         unbounded Elo, higher is better (917-1836)
=============  ======  =================  ==========  ==============================================

Notes checked on the files:

- LIVE: the column is called ``mos`` but IQA-PyTorch's ``process_live.py`` fills it from LIVE
  release 2's ``dmos.mat`` ("difference of mos: test - ref. lower is better"), dropping the
  reference rows (``orgs == 1``); hence ``mos_kind = "dmos"``. Distortion = folder (``jp2k``,
  ``jpeg``, ``wn``, ``gblur``, ``fastfading``); the level is not in the names (NaN). JPEG: 175.
- TID2013 / TID2008: ``i<ref>_<type>_<level>.bmp``; type 10 is JPEG compression (125 rows in
  TID2013, 100 in TID2008), levels 1..5 (1..4 in TID2008), 1 the mildest (the mean MOS falls
  with the level: 5.52, 5.22, 4.58, 3.97, 3.09 in TID2013).
- CSIQ: ``<ref>.<type>.<level>.png``, types AWGN, BLUR, contrast, fnoise (pink noise), JPEG
  (150 rows), jpeg2000; the mean DMOS rises with the level (0.05 ... 0.71): lower is better.
- KADID-10k: ``I<ref>_<type>_<level>.png``, 25 types x 5 levels x 81 references; type 10 is
  JPEG (405 rows). Its ``dmos`` is a degradation category rating (5 = imperceptible), so higher
  is better despite the name: the mean falls with the level (4.08 ... 2.01).
- LIVE-MD: ``Part 1/blurjpeg/<ref>_blur<k>_jpeg<k>.bmp`` / ``Part 2/blurnoise/...``;
  single-distortion rows have a level, combined ones (``gaussian_blur+jpeg``) level NaN.
  JPEG only: 45 rows.
- KonIQ-10k: ``split`` 0 / 1 / 2 are the official training / validation / test sets (checked
  against ``koniq/metadata/koniq10k_distributions_sets.csv``: 7058 / 1000 / 2015).
- Authentic-distortion sets (KonIQ, CLIVE, SPAQ): ``distortion = "authentic"``, level NaN, each
  image its own content.

``width`` / ``height`` are the datasets' fixed image sizes (TID 512 x 384, KADID 512 x 384,
CSIQ 512 x 512, LIVE-MD 1280 x 720, KonIQ 1024 x 768, CLIVE 500 x 500, PIPAL 288 x 288), read
from the image files when ``image_root`` is given; LIVE and SPAQ images vary in size, so they
are NaN there unless ``image_root`` is given.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from saliqa.checks import check_finite_column
from saliqa.datasets.tables import validate

__all__ = [
    "MosSpec",
    "DATASETS",
    "LAYOUT",
    "TID_DISTORTIONS",
    "KADID_DISTORTIONS",
    "available",
    "load_mos_table",
    "jpeg_subset",
    "rescale_mos",
    "to_common_scale",
]

LAYOUT = """iqa-meta/
  pyiqa/data/meta_info/meta_info_<Name>Dataset.csv   (IQA-PyTorch meta_info tables)"""

META_DIR = Path("pyiqa") / "data" / "meta_info"

TID_DISTORTIONS: tuple[str, ...] = (
    "white_noise",
    "color_noise",
    "correlated_noise",
    "masked_noise",
    "high_frequency_noise",
    "impulse_noise",
    "quantization_noise",
    "gaussian_blur",
    "denoising",
    "jpeg",
    "jpeg2000",
    "jpeg_transmission_errors",
    "jpeg2000_transmission_errors",
    "non_eccentricity_pattern_noise",
    "local_blockwise_distortions",
    "mean_shift",
    "contrast_change",
    "color_saturation_change",
    "multiplicative_gaussian_noise",
    "comfort_noise",
    "lossy_compression_of_noisy_images",
    "color_quantization_dither",
    "chromatic_aberrations",
    "sparse_sampling_reconstruction",
)
"""TID2013 distortion types 1..24 (TID2008 uses 1..17), index ``k`` at position ``k - 1``."""

KADID_DISTORTIONS: tuple[str, ...] = (
    "gaussian_blur",
    "lens_blur",
    "motion_blur",
    "color_diffusion",
    "color_shift",
    "color_quantization",
    "color_saturation_hsv",
    "color_saturation_lab",
    "jpeg2000",
    "jpeg",
    "white_noise",
    "white_noise_color_component",
    "impulse_noise",
    "multiplicative_noise",
    "denoise",
    "brighten",
    "darken",
    "mean_shift",
    "jitter",
    "non_eccentricity_patch",
    "pixelate",
    "quantization",
    "color_block",
    "high_sharpen",
    "contrast_change",
)
"""KADID-10k distortion types 1..25, index ``k`` at position ``k - 1``."""

_LIVE_FOLDERS = {
    "jp2k": "jpeg2000",
    "jpeg": "jpeg",
    "wn": "white_noise",
    "gblur": "gaussian_blur",
    "fastfading": "fast_fading",
}
_CSIQ_TYPES = {
    "awgn": "white_noise",
    "blur": "gaussian_blur",
    "contrast": "contrast_change",
    "fnoise": "pink_noise",
    "jpeg": "jpeg",
    "jpeg2000": "jpeg2000",
}
_LIVEMD_TYPES = {"blur": "gaussian_blur", "jpeg": "jpeg", "noise": "white_noise"}

Parser = Callable[[pd.Series], tuple[np.ndarray, np.ndarray]]


def _indexed(pattern: str, names: Sequence[str]) -> Parser:
    """Parser for ``<ref>_<type>_<level>`` names with numbered types."""
    regex = re.compile(pattern, re.IGNORECASE)

    def parse(files: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        parts = files.str.extract(regex)
        bad = parts.isna().any(axis=1).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f"row {row}: file name {files.iloc[row]!r} does not match {pattern!r}")
        kind = parts[0].astype(int).to_numpy()
        if kind.min() < 1 or kind.max() > len(names):
            row = int(np.flatnonzero((kind < 1) | (kind > len(names)))[0])
            raise ValueError(f"row {row}: distortion index {kind[row]} out of 1..{len(names)}")
        return np.asarray(names, dtype=object)[kind - 1], parts[1].astype(float).to_numpy()

    return parse


def _stem(names: pd.Series) -> pd.Series:
    """File names without folder and extension (vectorised ``Path(name).stem``)."""
    return names.str.replace(r"^.*/", "", regex=True).str.replace(r"\.[^.]*$", "", regex=True)


def _live(files: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    folder = files.str.split("/").str[0]
    return _mapped(files, folder, _LIVE_FOLDERS), np.full(len(files), np.nan)


def _csiq(files: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    parts = files.str.split(".")
    levels = pd.to_numeric(parts.str[-2], errors="coerce").to_numpy(dtype=float)
    return _mapped(files, parts.str[-3].str.lower(), _CSIQ_TYPES), levels


def _livemd(files: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    found = _stem(files).str.findall(r"_(blur|jpeg|noise)(\d+)")
    distortion = found.map(lambda pairs: "+".join(_LIVEMD_TYPES[t] for t, _ in pairs) or "none")
    level = found.map(lambda pairs: float(pairs[0][1]) if len(pairs) == 1 else np.nan)
    return distortion.to_numpy(dtype=object), level.to_numpy(dtype=float)


def _pipal(files: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    parts = files.str.extract(r"_(\d\d)_(\d\d)\.\w+$")
    return ("pipal_" + parts[0]).to_numpy(dtype=object), parts[1].astype(float).to_numpy()


def _authentic(files: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    return np.full(len(files), "authentic", dtype=object), np.full(len(files), np.nan)


def _mapped(files: pd.Series, keys: pd.Series, table: Mapping[str, str]) -> np.ndarray:
    out = keys.map(table)
    bad = out.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"row {row}: unknown distortion {keys.iloc[row]!r} in {files.iloc[row]!r}; known {sorted(table)}"
        )
    return out.to_numpy(dtype=object)


@dataclass(frozen=True)
class MosSpec:
    """How to read one dataset's meta_info CSV.

    Attributes
    ----------
    name : str
        Canonical name (``attrs["dataset"]``).
    filename : str
        CSV file name under ``pyiqa/data/meta_info``.
    image_col, ref_col, score_col, std_col : str or None
        Columns of the distorted image name, the reference name (None for authentic sets), the
        score and its standard deviation.
    mos_kind : {"mos", "dmos", "elo"}
        What the source calls the score (``dmos`` is *not* always lower-is-better: KADID).
    native_range : (float, float) or None
        Nominal range of the score (None for Elo scores).
    higher_is_better : bool
        Orientation of the score, checked on the files where levels allow it.
    size : (int, int) or None
        Fixed ``(width, height)`` of the images, None where they vary.
    parse : callable
        File names -> (distortion, level) arrays.
    """

    name: str
    filename: str
    image_col: str
    ref_col: str | None
    score_col: str
    std_col: str | None
    mos_kind: str
    native_range: tuple[float, float] | None
    higher_is_better: bool
    size: tuple[int, int] | None
    parse: Parser
    upper_content: bool = False


DATASETS: Mapping[str, MosSpec] = {
    s.name: s
    for s in (
        MosSpec(
            "LIVE",
            "meta_info_LIVEIQADataset.csv",
            "dist_name",
            "ref_name",
            "mos",
            None,
            "dmos",
            (0.0, 100.0),
            False,
            None,
            _live,
        ),
        MosSpec(
            "TID2013",
            "meta_info_TID2013Dataset.csv",
            "dist_name",
            "ref_name",
            "mos",
            "std",
            "mos",
            (0.0, 9.0),
            True,
            (512, 384),
            _indexed(r"^i\d\d_(\d\d)_(\d)\.bmp$", TID_DISTORTIONS),
            upper_content=True,
        ),
        MosSpec(
            "TID2008",
            "meta_info_TID2008Dataset.csv",
            "dist_name",
            "ref_name",
            "mos",
            "std",
            "mos",
            (0.0, 9.0),
            True,
            (512, 384),
            _indexed(r"^i\d\d_(\d\d)_(\d)\.bmp$", TID_DISTORTIONS[:17]),
            upper_content=True,
        ),
        MosSpec(
            "CSIQ",
            "meta_info_CSIQDataset.csv",
            "dist_name",
            "ref_name",
            "dmos",
            None,
            "dmos",
            (0.0, 1.0),
            False,
            (512, 512),
            _csiq,
        ),
        MosSpec(
            "KADID10k",
            "meta_info_KADID10kDataset.csv",
            "dist_name",
            "ref_name",
            "dmos",
            "std",
            "dmos",
            (1.0, 5.0),
            True,
            (512, 384),
            _indexed(r"^i\d\d_(\d\d)_(\d\d)\.png$", KADID_DISTORTIONS),
        ),
        MosSpec(
            "LIVEMD",
            "meta_info_LIVEMDDataset.csv",
            "dist_name",
            "ref_name",
            "dmos",
            None,
            "dmos",
            (0.0, 100.0),
            False,
            (1280, 720),
            _livemd,
        ),
        MosSpec(
            "KonIQ10k",
            "meta_info_KonIQ10kDataset.csv",
            "img_name",
            None,
            "mos",
            "std",
            "mos",
            (0.0, 100.0),
            True,
            (1024, 768),
            _authentic,
        ),
        MosSpec(
            "KonIQ10k++",
            "meta_info_KonIQ10k++Dataset.csv",
            "filename",
            None,
            "qmos",
            "sd",
            "mos",
            (1.0, 5.0),
            True,
            (1024, 768),
            _authentic,
        ),
        MosSpec(
            "CLIVE",
            "meta_info_LIVEChallengeDataset.csv",
            "img_name",
            None,
            "mos",
            "std",
            "mos",
            (0.0, 100.0),
            True,
            (500, 500),
            _authentic,
        ),
        MosSpec(
            "SPAQ",
            "meta_info_SPAQDataset.csv",
            "Image name",
            None,
            "MOS",
            None,
            "mos",
            (0.0, 100.0),
            True,
            None,
            _authentic,
        ),
        MosSpec(
            "PIPAL",
            "meta_info_PIPALDataset.csv",
            "dist_name",
            "hq_name",
            "elo_score",
            None,
            "elo",
            None,
            True,
            (288, 288),
            _pipal,
        ),
    )
}
"""Supported datasets by canonical name (aliases: see :func:`_spec`)."""

_ALIASES = {
    "live": "LIVE",
    "liveiqa": "LIVE",
    "live2": "LIVE",
    "tid2013": "TID2013",
    "tid2008": "TID2008",
    "csiq": "CSIQ",
    "kadid": "KADID10k",
    "kadid10k": "KADID10k",
    "kadid-10k": "KADID10k",
    "livemd": "LIVEMD",
    "live-md": "LIVEMD",
    "koniq": "KonIQ10k",
    "koniq10k": "KonIQ10k",
    "koniq-10k": "KonIQ10k",
    "koniq10k++": "KonIQ10k++",
    "koniq++": "KonIQ10k++",
    "clive": "CLIVE",
    "livechallenge": "CLIVE",
    "livec": "CLIVE",
    "spaq": "SPAQ",
    "pipal": "PIPAL",
}
_SPLITS = {0: "train", 1: "val", 2: "test"}


def _spec(dataset: str) -> MosSpec:
    key = _ALIASES.get(str(dataset).strip().lower().replace("_", ""), str(dataset))
    if key not in DATASETS:
        raise ValueError(f"unknown IQA dataset {dataset!r}; expected one of {sorted(DATASETS)} (or an alias)")
    return DATASETS[key]


def _meta_dir(root: str | os.PathLike[str]) -> Path:
    base = Path(root).expanduser()
    if not base.is_dir():
        raise FileNotFoundError(f"IQA meta folder {str(base)!r} not found; expected layout:\n{LAYOUT}")
    folder = base / META_DIR
    if not folder.is_dir():
        raise FileNotFoundError(f"{str(folder)!r} not found; expected layout:\n{LAYOUT}")
    return folder


def available(root: str | os.PathLike[str]) -> list[str]:
    """Canonical names of the datasets whose CSV is present under ``root``."""
    folder = _meta_dir(root)
    return [name for name, spec in DATASETS.items() if (folder / spec.filename).is_file()]


def load_mos_table(
    root: str | os.PathLike[str],
    dataset: str,
    image_root: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """One dataset's MOS table as a canonical ``images`` table.

    Parameters
    ----------
    root : path
        The ``iqa-meta/`` folder (holding ``pyiqa/data/meta_info``).
    dataset : str
        A name of :data:`DATASETS` or an alias (case-insensitive: ``"live"``, ``"tid2013"``,
        ``"kadid"``, ``"koniq"``, ``"clive"``, ...).
    image_root : path, optional
        The dataset's image folder; when given, ``path`` is absolute and ``width`` / ``height``
        are read from the files (which must exist).

    Returns
    -------
    DataFrame
        ``image_id`` (the image name as in the CSV, e.g. ``"jpeg/img12.bmp"``,
        ``"i01_10_1.bmp"``), ``path``, ``width``, ``height`` (see module docstring),
        ``content_id`` (reference stem, e.g. ``"I01"``, ``"bikes"``; the image stem for
        authentic sets), ``distortion`` (e.g. ``"jpeg"``, ``"gaussian_blur"``, ``"authentic"``),
        ``level`` (float, NaN where unknown), ``mos`` (the native score, not rescaled), ``std``
        (NaN where absent), ``mos_kind``, and ``split`` for KonIQ-10k (train / val / test).
        ``attrs``: ``dataset``, ``file``, ``mos_kind``, ``native_range``, ``higher_is_better``.

    Raises
    ------
    FileNotFoundError
        Missing folder or CSV (the message lists the CSVs present).
    ValueError
        Unknown dataset, missing column (naming file and column), a non-finite score (naming
        the row), or a file name that does not parse.
    """
    spec = _spec(dataset)
    folder = _meta_dir(root)
    path = folder / spec.filename
    if not path.is_file():
        present = sorted(p.name for p in folder.glob("*.csv"))
        raise FileNotFoundError(f"{str(path)!r} not found for {spec.name}; CSVs present: {present}")
    raw = pd.read_csv(path)
    needed = [c for c in (spec.image_col, spec.ref_col, spec.score_col, spec.std_col) if c]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; expected {needed} (found {list(raw.columns)})")
    files = raw[spec.image_col].astype(str)
    score = check_finite_column(raw[spec.score_col], str(path), spec.score_col, csv_header_lines=1, row_names=files)
    try:
        distortion, level = spec.parse(files)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from err
    content = _stem(raw[spec.ref_col].astype(str) if spec.ref_col else files)
    content = content.str.upper() if spec.upper_content else content
    paths, width, height = _locate(files, spec, image_root)
    table = pd.DataFrame(
        {
            "image_id": files.to_numpy(dtype=object),
            "path": paths,
            "width": width,
            "height": height,
            "content_id": content.to_numpy(dtype=object),
            "distortion": distortion,
            "level": level,
            "mos": score,
            "std": pd.to_numeric(raw[spec.std_col], errors="coerce").to_numpy(dtype=float)
            if spec.std_col
            else np.full(len(raw), np.nan),
            "mos_kind": spec.mos_kind,
        }
    )
    if "split" in raw.columns and spec.name == "KonIQ10k":
        table["split"] = raw["split"].map(_SPLITS).to_numpy(dtype=object)
    table.attrs.update(
        dataset=spec.name,
        file=str(path),
        mos_kind=spec.mos_kind,
        native_range=spec.native_range,
        higher_is_better=spec.higher_is_better,
    )
    if np.isfinite(width).all():
        validate(table, "images", origin=str(path))
    return table


def _locate(
    files: pd.Series, spec: MosSpec, image_root: str | os.PathLike[str] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paths and sizes: fixed sizes from the spec, or read from ``image_root``."""
    n = len(files)
    if image_root is None:
        w, h = spec.size if spec.size else (np.nan, np.nan)
        return files.to_numpy(dtype=object), np.full(n, w, dtype=float), np.full(n, h, dtype=float)
    base = Path(image_root).expanduser()
    if not base.is_dir():
        raise FileNotFoundError(f"image folder {str(base)!r} for {spec.name} not found")
    full = [base / f for f in files]
    missing = [str(p) for p in full if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} {spec.name} image(s) not found under {base}, e.g. {missing[:3]}")
    sizes = np.empty((n, 2))
    for i, p in enumerate(full):
        with Image.open(p) as image:
            sizes[i] = image.size
    return np.array([str(p) for p in full], dtype=object), sizes[:, 0], sizes[:, 1]


def jpeg_subset(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of a MOS table whose distortion is JPEG compression alone (``distortion == "jpeg"``).

    JPEG transmission errors (TID) and combined distortions (LIVE-MD ``gaussian_blur+jpeg``) are
    not included. The index is reset; ``attrs`` are kept.
    """
    if "distortion" not in table.columns:
        raise ValueError("table has no 'distortion' column (expected a load_mos_table result)")
    out = table.loc[table["distortion"] == "jpeg"].reset_index(drop=True)
    out.attrs = dict(table.attrs)
    return out


def rescale_mos(
    values: np.ndarray | pd.Series | Sequence[float],
    native_range: tuple[float, float],
    to: tuple[float, float] = (0.0, 100.0),
    invert: bool = False,
) -> np.ndarray:
    """Map scores linearly from ``native_range`` onto ``to``.

    ``lo -> to[0]`` and ``hi -> to[1]``; with ``invert=True`` ``lo -> to[1]`` and
    ``hi -> to[0]`` (for lower-is-better DMOS, to get higher-is-better). Values outside the
    native range (e.g. realigned LIVE DMOS below 0) are mapped by the same line, not clipped.

    Parameters
    ----------
    values : array-like
        Scores on the native scale.
    native_range : (float, float)
        ``(lo, hi)`` of the native scale, ``lo < hi`` (see :data:`DATASETS`).
    to : (float, float)
        Target range.
    invert : bool
        Reverse the orientation.

    Returns
    -------
    ndarray of float
    """
    lo, hi = (float(v) for v in native_range)
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ValueError(f"native_range={native_range!r}; expected finite (lo, hi) with lo < hi")
    unit = (np.asarray(values, dtype=float) - lo) / (hi - lo)
    if invert:
        unit = 1.0 - unit
    return to[0] + unit * (to[1] - to[0])


def to_common_scale(table: pd.DataFrame, to: tuple[float, float] = (0.0, 100.0)) -> np.ndarray:
    """A :func:`load_mos_table` result's ``mos`` on ``to``, higher is better (uses its ``attrs``)."""
    rng = table.attrs.get("native_range")
    if rng is None or "higher_is_better" not in table.attrs:
        raise ValueError(
            f"table of {table.attrs.get('dataset', '?')!r} has no fixed native range; "
            "use rescale_mos with an explicit range"
        )
    return rescale_mos(table["mos"], rng, to=to, invert=not table.attrs["higher_is_better"])
