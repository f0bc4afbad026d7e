"""BubbleView (Kim, Bylinskii, Borkin, Gajos, Oliva, Durand & Pfister, TOCHI 2017) on OSIE.

Crowdsourced discrete mouse clicks on blurred images (a sharp "bubble" around each click),
BubbleView mouse movements, and the OSIE ground truth, on 51 OSIE images. Layout expected under
``root`` (the ``bubbleview-osie/`` folder; files from the repository ``cvzoya/bubbleview``)::

    bubbleview-osie/
      osie-eye-official.mat    OSIE eye fixations of the 15 observers, rescaled to 640 x 480
      osie30x30.mat            BubbleView clicks (free viewing, 10 s, blur 30 px, bubble 30 px)
      osieMM30.mat             BubbleView mouse movements (free viewing, 5 s, 30 px)
      osie-lab-official.mat    (optional) OSIE in-lab mouse data, rescaled to 640 x 480
      targets_osie/<id>.jpg    (optional) the 640 x 480 images the participants saw

Each ``.mat`` (MATLAB 5.0) holds ``bubble``, a 1 x 51 struct array: ``filename`` (``'1004.jpg'``),
``impath`` (``'targets_osie/1004.jpg'``) and ``userdata``, a struct array with one element per
participant whose ``fixations`` has ``enc`` (N x 2, ``[x, y]``), ``enc_time`` (durations in ms
for the eye file; timestamps or sample numbers otherwise) and ``rec`` (unused).

Coordinates and how they map to OSIE (all checked on the shared copy, see the tests)

- The images are the 800 x 600 OSIE stimuli shown at 640 x 480 (:data:`SCALE` = 0.8). All 51
  ids are OSIE ids and all belong to OSIE's 100-image subset (``SUBSET_IDS.txt``), so
  ``image_id`` (``"1004"``) joins with :mod:`saliqa.datasets.osie`.
- ``osie-eye-official.mat`` is *exactly* 0.8 x the OSIE ``fixations.mat`` values (all 765
  participant sequences match to 1e-9, durations identical), i.e. 0.8 x MATLAB 1-based OSIE
  pixels. Its participants are in lexicographic order of the OSIE subject numbers (1, 10, 11,
  ..., 15, 2, ..., 9), so ``observer_id`` is mapped back to OSIE's ``"eye:<n>"``.
  ``osie-lab-official.mat`` is likewise 0.8 x OSIE's ``mouse_lab`` samples (1-based, swapped to
  ``[x, y]``; values 0.8 .. 639.2).
- The BubbleView files (clicks, mouse movements) are browser coordinates on the 640 x 480 image,
  0-based: they contain exact zeros (a click at y = 0.0; 23 x = 0 and 44 y = 0 movement samples),
  which 1-based data never would, and stay below 640 / 480 (clicks: x <= 638.0, y <= 476.6;
  movements: one sample at x = 640.17, just past the edge). The authors' ``makeMap_full.m`` maps
  them with ``max(floor(v), 1)``.

So, in canonical 0-based coordinates on the 800 x 600 OSIE grid (``scale_to_original=True``,
the default): ``x = enc_x / 0.8`` for BubbleView data and ``x = enc_x / 0.8 - 1`` for the two
OSIE-derived files (which then equal the OSIE loader's values). With
``scale_to_original=False`` the coordinates are 0.8 x those, on the 640 x 480 grid (the
half-pixel offset between the two pixel grids, 0.1 px, is ignored).

Counts on the shared copy: 51 images; eye 765 sequences (15 per image), 7,117 fixations; clicks
2,975 participant-image sequences (54 to 63 per image), 36,286 clicks; mouse movements 2,916
sequences (49 to 65 per image), 478,022 samples; lab 723 sequences, 74,409 samples. BubbleView
files carry no participant ids, so clicks / movements / lab observers are per image
(``"bubbleview_clicks:1004/7"``); the eye observers are OSIE's.

Outside points: the default ``outside="clip"`` moves the single movement sample past the right
edge onto the last pixel (reported in a warning and ``attrs``); ``"raise"`` / ``"drop"`` as in
:func:`saliqa.datasets.osie.restrict_to_image`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from saliqa.datasets import osie
from saliqa.datasets.osie import (
    Outside,
    _categorical,
    _concat,
    _field,
    _file_key,
    _fixation_frame,
    _frozen,
    _image_size,
    _read_mat,
    _records,
    restrict_to_image,
)
from saliqa.datasets.tables import validate

__all__ = [
    "SCALE",
    "TARGET_SIZE",
    "ORIGINAL_SIZE",
    "KINDS",
    "LAYOUT",
    "Kind",
    "image_ids",
    "load_images",
    "load_fixations",
]

SCALE = 0.8
"""Size of the BubbleView images relative to the OSIE originals (640 x 480 vs 800 x 600)."""
TARGET_SIZE: tuple[int, int] = (640, 480)
ORIGINAL_SIZE: tuple[int, int] = osie.IMAGE_SIZE

LAYOUT = """bubbleview-osie/
  osie-eye-official.mat    eye fixations (variable 'bubble', 1 x 51 struct)
  osie30x30.mat            BubbleView clicks
  osieMM30.mat             BubbleView mouse movements
  osie-lab-official.mat    (optional) in-lab mouse data
  targets_osie/<id>.jpg    (optional) the 640 x 480 images"""


@dataclass(frozen=True)
class Kind:
    """One BubbleView file: its name, canonical source, campaign and coordinate base.

    ``base`` is 1 for the files derived from OSIE's MATLAB 1-based data, 0 for browser data.
    ``skip`` lists struct fields not decoded; ``durations`` says ``enc_time`` holds milliseconds.
    """

    filename: str
    source: str
    campaign: str
    base: int
    skip: tuple[str, ...]
    durations: bool = False


KINDS: Mapping[str, Kind] = {
    "eye": Kind("osie-eye-official.mat", "eye", "eye", 1, ("rec",), durations=True),
    "clicks": Kind("osie30x30.mat", "click", "bubbleview_clicks", 0, ("rec", "enc_time")),
    "mouse": Kind("osieMM30.mat", "mouse", "bubbleview_mouse", 0, ("rec", "enc_time")),
    "lab": Kind("osie-lab-official.mat", "mouse", "mouse_lab", 1, ("rec", "enc_time")),
}
"""The files this loader reads, by ``kinds`` name."""


def _root(root: str | os.PathLike[str]) -> Path:
    path = Path(root).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"BubbleView folder {str(path)!r} not found; expected layout:\n{LAYOUT}")
    return path


def _require(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"BubbleView file {str(path)!r} not found; expected layout:\n{LAYOUT}")
    return path


@lru_cache(maxsize=8)
def _bubble_raw(key: tuple[str, int, int], skip: frozenset[str], durations: bool) -> tuple[np.ndarray, ...]:
    """Parsed ``bubble`` struct: image ids, users per image, then per point: image index,
    user index (0-based), raw x, raw y, duration (NaN unless ``durations``), order (0-based)."""
    path = Path(key[0])
    origin = str(path)
    images = _records(_field(_read_mat(path, skip=skip), "bubble", origin))
    if not images:
        raise ValueError(f"{origin}: variable 'bubble' holds no image records")
    names, n_users, encs, times, counts = [], [], [], [], []
    for i, record in enumerate(images):
        where = f"{origin}: bubble({i + 1})"
        names.append(Path(str(_field(record, "filename", where))).stem)
        users = _records(_field(record, "userdata", where))
        n_users.append(len(users))
        for u, user in enumerate(users):
            at = f"{where}.userdata({u + 1})"
            fix = _records(_field(user, "fixations", at))
            if len(fix) != 1:
                raise ValueError(f"{at}: field 'fixations' is not a scalar struct")
            enc = np.asarray(_field(fix[0], "enc", at + ".fixations"), dtype=float)
            enc = enc.reshape(0, 2) if enc.size == 0 else enc
            if enc.ndim != 2 or enc.shape[1] != 2:
                raise ValueError(f"{at}.fixations: field 'enc' has shape {enc.shape}; expected N x 2 [x, y]")
            encs.append(enc)
            times.append(_durations(fix[0], len(enc), at) if durations else np.full(len(enc), np.nan))
            counts.append((i, u, len(enc)))
    image, user, n = (np.array([c[k] for c in counts], dtype=np.int64).reshape(-1) for k in range(3))
    enc_all = np.concatenate(encs) if encs else np.empty((0, 2))
    order = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    return _frozen(
        np.array(names, dtype=object),
        np.array(n_users, dtype=np.int64),
        np.repeat(image, n),
        np.repeat(user, n),
        enc_all[:, 0].copy(),
        enc_all[:, 1].copy(),
        np.concatenate(times) if times else np.empty(0),
        order.astype(np.int32),
    )


def _durations(fix: Mapping[str, object], n: int, at: str) -> np.ndarray:
    raw = _field(fix, "enc_time", at + ".fixations")
    values = [raw] if isinstance(raw, str) else raw
    try:
        out = np.asarray([float(v) for v in values] if isinstance(values, list) else values, dtype=float).ravel()
    except (TypeError, ValueError) as err:
        raise ValueError(f"{at}.fixations: field 'enc_time' is not durations in ms ({err})") from err
    if len(out) != n:
        raise ValueError(f"{at}.fixations: 'enc_time' has {len(out)} values for {n} points")
    return out


def _lexicographic_subjects(n_users: np.ndarray, image: np.ndarray, user: np.ndarray) -> np.ndarray:
    """OSIE subject numbers of eye-file participants (stored in lexicographic order of numbers)."""
    subject = np.zeros(len(user), dtype=np.int64)
    per_point = n_users[image]
    for n in np.unique(n_users):
        mapping = np.array(sorted(range(1, int(n) + 1), key=str), dtype=np.int64)
        mask = per_point == n
        subject[mask] = mapping[user[mask]]
    return subject


def _kind_table(base: Path, kind: str, scale_to_original: bool) -> pd.DataFrame:
    spec = KINDS[kind]
    path = _require(base / spec.filename)
    raw = _bubble_raw(_file_key(path), frozenset(spec.skip), spec.durations)
    names, n_users, image, user, x, y, dur, order = raw
    factor = 1.0 if scale_to_original else SCALE
    x_out = (x / SCALE - spec.base) * factor
    y_out = (y / SCALE - spec.base) * factor
    if kind == "eye":
        observers = _categorical(_lexicographic_subjects(n_users, image, user), lambda s: f"eye:{s}")
    else:
        stride = int(n_users.max(initial=0)) + 1
        observers = _categorical(
            image * stride + user, lambda p: f"{spec.campaign}:{names[p // stride]}/{p % stride + 1}"
        )
    return _fixation_frame(
        _categorical(image, lambda i: str(names[i])), observers, x_out, y_out, dur, spec.source, spec.campaign, order
    )


def image_ids(root: str | os.PathLike[str]) -> list[str]:
    """Ids of the images in the BubbleView files (``filename`` without extension), file order.

    Read from the first file present among :data:`KINDS` (eye, clicks, mouse, lab).
    """
    base = _root(root)
    for spec in KINDS.values():
        path = base / spec.filename
        if path.is_file():
            return list(_bubble_raw(_file_key(path), frozenset(spec.skip), spec.durations)[0])
    raise FileNotFoundError(f"no BubbleView .mat file in {str(base)!r}; expected layout:\n{LAYOUT}")


def load_images(
    root: str | os.PathLike[str], osie_root: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """The 51 BubbleView images as a canonical ``images`` table.

    Parameters
    ----------
    root : path
        The ``bubbleview-osie/`` folder.
    osie_root : path, optional
        The OSIE folder. When given, the OSIE originals are returned.

    Returns
    -------
    DataFrame
        With ``osie_root``: the OSIE 800 x 600 stimuli of these ids, on the grid of the default
        ``load_fixations(..., scale_to_original=True)``; ``attrs["grid"] = "800x600"``.
        Without it: the 640 x 480 images in ``targets_osie/`` that the participants saw (pair
        with ``scale_to_original=False``); ``attrs["grid"] = "640x480"``. Columns as
        :func:`saliqa.datasets.osie.load_images`: ``distortion="none"``, ``level`` NaN,
        ``content_id = image_id``, in the order of :func:`image_ids`.

    Raises
    ------
    FileNotFoundError
        No ``osie_root`` and no ``targets_osie/`` folder, or image files missing.
    """
    base = _root(root)
    ids = image_ids(base)
    targets = base / "targets_osie"
    if osie_root is None and targets.is_dir():
        files = [targets / f"{i}.jpg" for i in ids]
        missing = [str(p) for p in files if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"{len(missing)} BubbleView target image(s) not found, e.g. {missing[:3]}")
        sizes = np.array([_image_size(p) for p in files], dtype=float).reshape(-1, 2)
        table = pd.DataFrame(
            {
                "image_id": ids,
                "path": [str(p.resolve()) for p in files],
                "width": sizes[:, 0],
                "height": sizes[:, 1],
                "content_id": ids,
                "distortion": "none",
                "level": np.nan,
            }
        )
        table.attrs.update(dataset="bubbleview-osie", grid="640x480")
        return validate(table, "images", origin=str(targets))
    if osie_root is None:
        raise FileNotFoundError(
            f"{str(targets)!r} not found: pass osie_root= (the OSIE folder) to use the 800 x 600 "
            f"originals; expected layout:\n{LAYOUT}"
        )
    originals = osie.load_images(osie_root)
    lost = sorted(set(ids) - set(originals["image_id"]))
    if lost:
        raise ValueError(f"BubbleView image id(s) {lost[:5]} are not among the OSIE stimuli in {osie_root}")
    table = originals.set_index("image_id").loc[ids].reset_index()
    table.attrs.update(dataset="bubbleview-osie", grid="800x600")
    return table


def load_fixations(
    root: str | os.PathLike[str],
    kinds: Sequence[str] = ("eye", "clicks", "mouse"),
    scale_to_original: bool = True,
    outside: Outside = "clip",
) -> pd.DataFrame:
    """BubbleView clicks, mouse movements and the OSIE eye fixations as a ``fixations`` table.

    Parameters
    ----------
    root : path
        The ``bubbleview-osie/`` folder (layout in the module docstring).
    kinds : sequence of {"eye", "clicks", "mouse", "lab"}
        Files to read (:data:`KINDS`), in output order.
    scale_to_original : bool
        True (default): coordinates on the OSIE 800 x 600 grid (divided by :data:`SCALE`, and
        the 1-based OSIE-derived files shifted by -1), joinable with
        :mod:`saliqa.datasets.osie`. False: on the 640 x 480 grid of ``targets_osie/``.
    outside : {"clip", "drop", "raise"}
        Policy for points outside the image grid (see
        :func:`saliqa.datasets.osie.restrict_to_image`); default ``"clip"``.

    Returns
    -------
    DataFrame
        Columns ``image_id``, ``observer_id``, ``x``, ``y`` (0-based), ``duration_ms`` (eye;
        NaN otherwise), ``source`` (``"eye"``, ``"click"``, ``"mouse"``), ``task``
        (``"free"``), ``campaign`` (``"eye"``, ``"bubbleview_clicks"``, ``"bubbleview_mouse"``,
        ``"mouse_lab"``), ``order`` (0-based position in the participant's sequence). Text
        columns are pandas Categoricals, as in :func:`saliqa.datasets.osie.load_fixations`.
        ``attrs``: ``dataset``, ``image_size`` (the grid used) and the outside counts.
    """
    base = _root(root)
    kinds = tuple(kinds)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"kinds={kinds!r}; expected a non-empty selection of {tuple(KINDS)}")
    parts = [_kind_table(base, k, scale_to_original) for k in kinds]
    table = _concat(parts)
    validate(table, "fixations", origin=str(base))
    size = ORIGINAL_SIZE if scale_to_original else TARGET_SIZE
    origin = f"BubbleView {'+'.join(kinds)} in {base}"
    table = restrict_to_image(table, size[0], size[1], outside, origin=origin)
    table.attrs.update(dataset="bubbleview-osie", image_size=size)
    return table
