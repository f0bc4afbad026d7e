"""BubbleView (Kim, Bylinskii, Borkin, Gajos, Oliva, Durand & Pfister, TOCHI 2017): OSIE and more.

Crowdsourced discrete mouse clicks on blurred images (a sharp "bubble" around each click),
BubbleView mouse movements, and eye-tracking ground truth, in the ``.mat`` format of the
repository ``cvzoya/bubbleview``. The defaults read its OSIE release (51 OSIE images); other
releases in the same format (FiWI, SALICON, GDI, MASSVIS; other click settings) are read by
naming their files and settings (see *Other releases* below). Layout of the OSIE release under
``root`` (the ``bubbleview-osie/`` folder)::

    bubbleview-osie/
      osie-eye-official.mat    OSIE eye fixations of the 15 observers, rescaled to 640 x 480
      osie30x30.mat            BubbleView clicks (free viewing, 10 s, blur 30 px, bubble 30 px)
      osieMM30.mat             BubbleView mouse movements (free viewing, 5 s, 30 px)
      osie-lab-official.mat    (optional) OSIE in-lab mouse data, rescaled to 640 x 480
      targets_osie/<id>.jpg    (optional) the 640 x 480 images the participants saw

Each ``.mat`` (MATLAB 5.0) holds ``bubble``, a 1 x N struct array: ``filename``
(``'1004.jpg'``), ``impath`` (the image relative to ``root``, ``'targets_osie/1004.jpg'``) and
``userdata``, a struct array with one element per participant whose ``fixations`` has ``enc``
(N x 2, ``[x, y]``), ``enc_time`` (N strings: fixation durations in ms in the OSIE eye file;
date-time stamps ``'2016-04-20 12:53:12'`` for clicks and movements; sample numbers in the lab
file; fixation onsets in ms in FiWI's eye file) and ``rec`` (unused).

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
half-pixel offset between the two pixel grids, 0.1 px, is ignored). In general, with a file's
coordinate origin ``o`` (0 or 1, :class:`Kind`) and the ``scale`` of the shown images relative
to the originals: ``x = enc_x / scale - o`` on the original grid, times ``scale`` on the shown
one (``o`` counts in original pixels, as for the OSIE-derived files; with ``scale=1`` it is
simply ``enc_x - o``).

Counts on the shared copy: 51 images; eye 765 sequences (15 per image), 7,117 fixations; clicks
2,975 participant-image sequences (54 to 63 per image), 36,286 clicks; mouse movements 2,916
sequences (49 to 65 per image), 478,022 samples; lab 723 sequences, 74,409 samples. BubbleView
files carry no participant ids, so clicks / movements / lab observers are per image
(``"bubbleview_clicks:1004/7"``); the eye observers are OSIE's.

Outside points: the default ``outside="clip"`` moves the single movement sample past the right
edge onto the last pixel (reported in a warning and ``attrs``); ``"raise"`` / ``"drop"`` as in
:func:`saliqa.datasets.osie.restrict_to_image`.

Other releases
--------------
Every file is described by a :class:`Kind`: its file name, ``source``, ``campaign``, coordinate
``origin`` (0 or 1), how to read ``enc_time`` (``"durations"``, ``"timestamps"`` or
``"ignore"``) and how participants map to observers. :data:`KINDS` holds OSIE's; pass others
in ``kinds`` (or rename OSIE's with ``files``), with the ``scale`` of the shown images to the
originals (1.0 when there is no other grid) and their ``image_size`` (None reads every image's
size from the image files: ``impath``, or ``targets/<filename>``)::

    fiwi = {"clicks": bubbleview.Kind("fiwi10x30.mat", "click", "bubbleview_clicks", origin=0,
                                      enc_time="timestamps"),
            "eye": bubbleview.Kind("fiwi_eyetrack.mat", "eye", "eye", origin=1,
                                   enc_time="timestamps")}
    bubbleview.load_fixations(root, kinds=("eye", "clicks"), files=fiwi, scale=1.0, image_size=None)

(FiWI's eye ``enc_time`` holds increasing onsets in ms, hence ``"timestamps"``; the origins
above are assumptions to check for each release, as done for OSIE's files above.)
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from saliqa.datasets import osie
from saliqa.datasets.matfile import field, file_key, read_mat, records, rows
from saliqa.datasets.osie import Outside, restrict_to_image
from saliqa.datasets.tables import SOURCES, categorical, concat_tables, fixation_table, image_table, validate

__all__ = [
    "SCALE",
    "TARGET_SIZE",
    "ORIGINAL_SIZE",
    "ENC_TIME",
    "ORIGINS",
    "OBSERVERS",
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
"""``(width, height)`` of the OSIE images the BubbleView participants saw."""
ORIGINAL_SIZE: tuple[int, int] = osie.IMAGE_SIZE
"""``(width, height)`` of the OSIE originals."""
ENC_TIME = ("durations", "timestamps", "ignore")
"""Readings of ``enc_time``: fixation durations in ms, time stamps, or not read."""
ORIGINS = (0, 1)
"""Coordinate origins of ``enc``: 0-based (browser pixels) or 1-based (MATLAB)."""
OBSERVERS = ("per_image", "lexicographic")
"""How a file's participants map to ``observer_id`` (see :class:`Kind`)."""

LAYOUT = """bubbleview-osie/
  osie-eye-official.mat    eye fixations (variable 'bubble', 1 x 51 struct)
  osie30x30.mat            BubbleView clicks
  osieMM30.mat             BubbleView mouse movements
  osie-lab-official.mat    (optional) in-lab mouse data
  targets_osie/<id>.jpg    (optional) the 640 x 480 images"""


@dataclass(frozen=True)
class Kind:
    """One BubbleView-format ``.mat`` file and how to read it.

    Parameters
    ----------
    filename : str
        The file, relative to the loader's ``root``.
    source : {"eye", "click", "mouse"}
        The ``source`` of its points.
    campaign : str
        The ``campaign`` column (and the prefix of ``observer_id``).
    origin : {0, 1}
        Coordinate origin of ``enc``: 0 for 0-based data (browser pixels: the centre of the
        first pixel is 0), 1 for MATLAB 1-based data (the first pixel is 1). Subtracted after
        dividing by the loader's ``scale`` (see the module docstring).
    enc_time : {"durations", "timestamps", "ignore"}
        ``"durations"``: ``enc_time`` holds each fixation's duration in ms (numbers or numeric
        strings), read into ``duration_ms``. ``"timestamps"``: it holds time stamps, date-times
        (``'2016-04-20 12:53:12'``) or numbers in ms, read into a ``time_ms`` column (ms since
        the participant's first point on that image; ``duration_ms`` stays NaN).
        ``"ignore"`` (default): not read.
    observers : {"per_image", "lexicographic"}
        ``"per_image"`` (default): participants are not identified across images;
        participant ``u`` of image ``i`` is ``"<campaign>:<i>/<u>"`` (1-based ``u``).
        ``"lexicographic"``: the same ``n`` people saw every image and are stored in
        lexicographic order of their numbers 1..n (1, 10, 11, ..., 2, ...), as in OSIE's eye
        file; they become ``"<campaign>:<number>"``.

    Raises
    ------
    ValueError
        Any value outside the forms above (the message names the file and the choices).
    """

    filename: str
    source: str
    campaign: str
    origin: int
    enc_time: str = "ignore"
    observers: str = "per_image"

    def __post_init__(self) -> None:
        what = f"Kind({self.filename!r})"
        if not isinstance(self.filename, str) or not self.filename:
            raise ValueError(f"Kind: filename={self.filename!r}; expected a non-empty file name")
        if self.source not in SOURCES:
            raise ValueError(f"{what}: source={self.source!r}; expected one of {SOURCES}")
        if not isinstance(self.campaign, str) or not self.campaign:
            raise ValueError(f"{what}: campaign={self.campaign!r}; expected a non-empty string")
        if isinstance(self.origin, bool) or self.origin not in ORIGINS:
            raise ValueError(
                f"{what}: origin={self.origin!r}; expected 0 (0-based, e.g. browser pixels) or 1 (MATLAB 1-based)"
            )
        if self.enc_time not in ENC_TIME:
            raise ValueError(
                f"{what}: enc_time={self.enc_time!r}; expected 'durations' (fixation durations in ms), "
                "'timestamps' (date-times or ms; gives a time_ms column) or 'ignore'"
            )
        if self.observers not in OBSERVERS:
            raise ValueError(f"{what}: observers={self.observers!r}; expected one of {OBSERVERS}")

    @property
    def base(self) -> int:
        """The coordinate origin (the former name of :attr:`origin`)."""
        return self.origin

    @property
    def durations(self) -> bool:
        """Whether ``enc_time`` is read as fixation durations."""
        return self.enc_time == "durations"

    def replace(self, **changes: Any) -> Kind:
        """A copy with some fields changed (``KINDS["clicks"].replace(filename="osie30x50.mat")``)."""
        return dataclasses.replace(self, **changes)


KINDS: Mapping[str, Kind] = {
    "eye": Kind("osie-eye-official.mat", "eye", "eye", 1, enc_time="durations", observers="lexicographic"),
    "clicks": Kind("osie30x30.mat", "click", "bubbleview_clicks", 0),
    "mouse": Kind("osieMM30.mat", "mouse", "bubbleview_mouse", 0),
    "lab": Kind("osie-lab-official.mat", "mouse", "mouse_lab", 1),
}
"""OSIE's files, by ``kinds`` name."""


def _root(root: str | os.PathLike[str]) -> Path:
    path = Path(root).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"BubbleView folder {str(path)!r} not found; expected layout:\n{LAYOUT}")
    return path


def _require(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"BubbleView file {str(path)!r} not found; expected layout:\n{LAYOUT}")
    return path


def _catalogue(files: Mapping[str, str | Kind] | None) -> dict[str, Kind]:
    """:data:`KINDS` updated with ``files`` (a name -> Kind, or -> file name for OSIE's names)."""
    table = dict(KINDS)
    for name, value in (files or {}).items():
        if isinstance(value, Kind):
            table[name] = value
        elif isinstance(value, str) and name in KINDS:
            table[name] = KINDS[name].replace(filename=value)
        else:
            raise ValueError(f"files[{name!r}]={value!r}; expected a Kind, or a file name for one of {tuple(KINDS)}")
    return table


def _select(kinds: Sequence[str | Kind] | None, files: Mapping[str, str | Kind] | None) -> list[Kind]:
    table = _catalogue(files)
    if kinds is None:
        return list(table.values())
    chosen = [kinds] if isinstance(kinds, (str, Kind)) else list(kinds)
    unknown = [k for k in chosen if not isinstance(k, Kind) and k not in table]
    if unknown or not chosen:
        raise ValueError(
            f"kinds={kinds!r}; expected a non-empty selection of {tuple(table)} (names of KINDS or "
            "files) or Kind objects"
        )
    return [k if isinstance(k, Kind) else table[k] for k in chosen]


def _positive(value: Any, name: str, example: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name}={value!r}; expected a positive number ({example})")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name}={value!r}; expected a positive number ({example})")
    return float(value)


def _check_size(image_size: Any) -> tuple[float, float] | None:
    if image_size is None:
        return None
    if isinstance(image_size, str) or not isinstance(image_size, Sequence) or len(image_size) != 2:
        raise ValueError(
            f"image_size={image_size!r}; expected (width, height) of the images shown, e.g. (640, 480), "
            "or None to read each image's size"
        )
    return tuple(_positive(v, "image_size", "pixels, e.g. (640, 480)") for v in image_size)  # type: ignore[return-value]


# ---------------------------------------------------------------------------- parsing


@lru_cache(maxsize=8)
def _bubble_raw(key: tuple[str, int, int], enc_time: str) -> tuple[np.ndarray, ...]:
    """Parsed ``bubble`` struct (read-only arrays, cached per file and ``enc_time`` reading).

    Per image its id, file name and ``impath`` ("" if absent), users per image; per point:
    image index, user index (0-based), raw x, raw y, time (durations, or ms since the
    sequence's first point; NaN when ignored), order (0-based).
    """
    path = Path(key[0])
    origin = str(path)
    images = records(field(read_mat(path, ["bubble"]), "bubble", origin))
    if not images:
        raise ValueError(f"{origin}: variable 'bubble' holds no image records; expected a struct array")
    names, filenames, impaths, n_users, encs, stamps, counts = [], [], [], [], [], [], []
    for i, record in enumerate(images):
        where = f"{origin}: bubble({i + 1})"
        filename = field(record, "filename", where)
        if not isinstance(filename, str) or not filename:
            raise ValueError(f"{where}: field 'filename' is {filename!r}; expected an image file name ('1004.jpg')")
        impath = record.get("impath", "")
        filenames.append(filename)
        names.append(Path(filename).stem)
        impaths.append(impath if isinstance(impath, str) else "")
        users = records(field(record, "userdata", where))
        n_users.append(len(users))
        for u, user in enumerate(users):
            at = f"{where}.userdata({u + 1})"
            fix = records(field(user, "fixations", at))
            if len(fix) != 1:
                raise ValueError(f"{at}: field 'fixations' is not a scalar struct")
            encs.append(rows(field(fix[0], "enc", at + ".fixations"), at + ".fixations", "enc", "[x, y]"))
            if enc_time != "ignore":
                stamps.append(_flat_times(field(fix[0], "enc_time", at + ".fixations"), len(encs[-1]), at))
            counts.append((i, u, len(encs[-1])))
    image, user, n = (np.array([c[k] for c in counts], dtype=np.int64).reshape(-1) for k in range(3))
    enc_all = np.concatenate(encs) if encs else np.empty((0, 2))
    starts = np.repeat(np.cumsum(n) - n, n)
    image_pt, user_pt = np.repeat(image, n), np.repeat(user, n)
    if enc_time == "ignore":
        times = np.full(len(enc_all), np.nan)
    else:
        values = np.concatenate(stamps) if stamps else np.empty(0, dtype=object)
        times = _interpret_times(values, enc_time, origin, images=names, image=image_pt, user=user_pt)
        if enc_time == "timestamps" and len(times):
            times = times - times[starts]
    result = (
        np.array(names, dtype=object),
        np.array(filenames, dtype=object),
        np.array(impaths, dtype=object),
        np.array(n_users, dtype=np.int64),
        image_pt,
        user_pt,
        enc_all[:, 0].copy(),
        enc_all[:, 1].copy(),
        np.asarray(times, dtype=float),
        (np.arange(int(n.sum())) - starts).astype(np.int32),
    )
    for a in result:
        a.flags.writeable = False  # shared through the cache
    return result


def _flat_times(raw: Any, n: int, at: str) -> np.ndarray:
    """One sequence's ``enc_time`` values as a flat array (strings as objects)."""
    values = np.array([raw], dtype=object) if isinstance(raw, str) else np.asarray(raw)
    values = values.astype(object) if values.dtype.kind in "US" else values
    values = values.ravel()
    if len(values) != n:
        raise ValueError(f"{at}.fixations: field 'enc_time' has {len(values)} values for {n} points in 'enc'")
    return values


def _interpret_times(
    values: np.ndarray, enc_time: str, origin: str, *, images: list[str], image: np.ndarray, user: np.ndarray
) -> np.ndarray:
    """``enc_time`` of all points as durations (ms) or time stamps (ms, absolute)."""

    def fail(bad: np.ndarray, expected: str) -> ValueError:
        k = int(np.flatnonzero(bad)[0])
        shown = repr(values[k]) if isinstance(values[k], str) else str(values[k])
        return ValueError(
            f"{origin}: bubble({int(image[k]) + 1}).userdata({int(user[k]) + 1}).fixations: field "
            f"'enc_time' holds {shown} ({int(bad.sum())} such values, image {images[int(image[k])]!r}); "
            f"with enc_time={enc_time!r} expected {expected}"
        )

    if not len(values):
        return np.empty(0)
    first = values[0]
    numeric = not isinstance(first, str) or _is_number(first)
    if enc_time == "durations" or numeric:
        out = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)
        expected = (
            "fixation durations in ms (numbers >= 0); time stamps want enc_time='timestamps'"
            if enc_time == "durations"
            else "time stamps, all numbers (ms) or all date-times"
        )
        bad = ~np.isfinite(out) | ((out < 0) if enc_time == "durations" else False)
        if bad.any():
            raise fail(bad, expected)
        return out
    stamps = pd.to_datetime(pd.Series(values, dtype=object), format="ISO8601", errors="coerce")
    bad = stamps.isna().to_numpy()
    if bad.any():
        raise fail(bad, "time stamps, all date-times ('2016-04-20 12:53:12') or all numbers (ms)")
    return stamps.to_numpy().astype("datetime64[ns]").astype(np.int64) / 1e6


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _lexicographic_subjects(n_users: np.ndarray, image: np.ndarray, user: np.ndarray) -> np.ndarray:
    """Subject numbers of participants stored in lexicographic order of their numbers 1..n."""
    subject = np.zeros(len(user), dtype=np.int64)
    per_point = n_users[image]
    for n in np.unique(n_users):
        mapping = np.array(sorted(range(1, int(n) + 1), key=str), dtype=np.int64)
        mask = per_point == n
        subject[mask] = mapping[user[mask]]
    return subject


def _image_paths(base: Path, raw: tuple[np.ndarray, ...], targets: str | None, origin: str) -> list[Path]:
    names, filenames, impaths = raw[0], raw[1], raw[2]
    if targets is not None:
        return [base / targets / f for f in filenames]
    missing = [str(n) for n, p in zip(names, impaths) if not p]
    if missing:
        raise ValueError(
            f"{origin}: no 'impath' for image(s) {missing[:3]}; pass targets= (the folder of the images "
            "under root) to find them by 'filename'"
        )
    return [base / p for p in impaths]


def _parsed(base: Path, spec: Kind) -> tuple[Path, tuple[np.ndarray, ...]]:
    path = _require(base / spec.filename)
    return path, _bubble_raw(file_key(path), spec.enc_time)


def _kind_table(
    base: Path,
    spec: Kind,
    scale_to_original: bool,
    scale: float,
    size: tuple[float, float] | None,
    targets: str | None,
    with_time: bool,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The table of one file, and the image width and height (of the output grid) per point."""
    path, raw = _parsed(base, spec)
    names, _, _, n_users, image, user, x, y, times, order = raw
    factor = 1.0 if scale_to_original else scale
    x_out = (x / scale - spec.origin) * factor
    y_out = (y / scale - spec.origin) * factor
    if spec.observers == "lexicographic":
        observers = categorical(_lexicographic_subjects(n_users, image, user), lambda s: f"{spec.campaign}:{s}")
    else:
        stride = int(n_users.max(initial=0)) + 1
        observers = categorical(
            image * stride + user, lambda p: f"{spec.campaign}:{names[p // stride]}/{p % stride + 1}"
        )
    extra = {}
    if with_time:
        extra["time_ms"] = times if spec.enc_time == "timestamps" else np.full(len(x), np.nan)
    table = fixation_table(
        categorical(image, lambda i: str(names[i])),
        observers,
        x_out,
        y_out,
        source=spec.source,
        campaign=spec.campaign,
        order=order,
        duration_ms=times if spec.enc_time == "durations" else None,
        **extra,
    )
    if size is None:
        shown = image_table(
            list(names),
            _image_paths(base, raw, targets, str(path)),
            dataset="bubbleview",
            origin=str(path),
            what="BubbleView image",
            hint="pass image_size=(width, height) or targets=",
        )
        widths, heights = shown["width"].to_numpy()[image], shown["height"].to_numpy()[image]
    else:
        widths, heights = np.full(len(x), size[0]), np.full(len(x), size[1])
    if scale_to_original:
        widths, heights = widths / scale, heights / scale
    return table, widths, heights


# ---------------------------------------------------------------------------- public API


def image_ids(
    root: str | os.PathLike[str],
    kinds: Sequence[str | Kind] | None = None,
    files: Mapping[str, str | Kind] | None = None,
) -> list[str]:
    """Ids of the images in the BubbleView files (``filename`` without extension), file order.

    Parameters
    ----------
    root : path
        The folder of the files.
    kinds : sequence of str or Kind, optional
        Files to look at, in order; the first one present is read. Default: all of
        :data:`KINDS` (eye, clicks, mouse, lab) updated with ``files``.
    files : mapping, optional
        As in :func:`load_fixations`.

    Raises
    ------
    FileNotFoundError
        None of the files is present.
    """
    base = _root(root)
    specs = _select(kinds, files)
    for spec in specs:
        if (base / spec.filename).is_file():
            return list(_parsed(base, spec)[1][0])
    raise FileNotFoundError(f"none of {[s.filename for s in specs]} in {str(base)!r}; expected layout:\n{LAYOUT}")


def load_images(
    root: str | os.PathLike[str],
    osie_root: str | os.PathLike[str] | None = None,
    *,
    kinds: Sequence[str | Kind] | None = None,
    files: Mapping[str, str | Kind] | None = None,
    targets: str | None = None,
) -> pd.DataFrame:
    """The BubbleView images as a canonical ``images`` table.

    Parameters
    ----------
    root : path
        The folder of the BubbleView files (``bubbleview-osie/`` for OSIE's).
    osie_root : path, optional
        The OSIE folder. When given, the OSIE originals of these ids are returned (OSIE
        releases only).
    kinds, files : optional
        Which file lists the images, as in :func:`image_ids`.
    targets : str, optional
        Folder (relative to ``root``) of the images shown, found by ``filename``. Default: each
        image's ``impath`` in the file (``targets_osie/1004.jpg``).

    Returns
    -------
    DataFrame
        With ``osie_root``: the OSIE 800 x 600 stimuli of these ids, on the grid of the default
        ``load_fixations(..., scale_to_original=True)``; ``attrs["grid"] = "800x600"``.
        Without it: the images the participants saw (640 x 480 for OSIE; pair with
        ``scale_to_original=False``), sizes read from the files; ``attrs["grid"]`` is
        ``"<width>x<height>"`` when all share one size, else ``"per-image"``. Columns as
        :func:`saliqa.datasets.osie.load_images`: ``distortion="none"``, ``level`` NaN,
        ``content_id = image_id``, in the order of :func:`image_ids`.

    Raises
    ------
    FileNotFoundError
        No ``osie_root`` and image files missing (the message names them and suggests
        ``osie_root=``).
    ValueError
        With ``osie_root``: ids that are not OSIE stimuli.
    """
    base = _root(root)
    specs = _select(kinds, files)
    present = [s for s in specs if (base / s.filename).is_file()]
    if not present:
        raise FileNotFoundError(f"none of {[s.filename for s in specs]} in {str(base)!r}; expected layout:\n{LAYOUT}")
    path, raw = _parsed(base, present[0])
    ids = list(raw[0])
    if osie_root is None:
        table = image_table(
            ids,
            _image_paths(base, raw, targets, str(path)),
            dataset=_dataset(present[:1]),
            origin=str(path),
            what="BubbleView image",
            hint="pass osie_root= (the OSIE folder) to use the 800 x 600 OSIE originals, or targets=",
        )
        sizes = set(zip(table["width"], table["height"]))
        table.attrs["grid"] = "x".join(f"{v:g}" for v in sizes.pop()) if len(sizes) == 1 else "per-image"
        return table
    originals = osie.load_images(osie_root)
    lost = sorted(set(ids) - set(originals["image_id"]))
    if lost:
        raise ValueError(f"BubbleView image id(s) {lost[:5]} are not among the OSIE stimuli in {osie_root}")
    table = originals.set_index("image_id").loc[ids].reset_index()
    table.attrs.update(dataset=_dataset(present[:1]), grid="800x600")
    return table


def load_fixations(
    root: str | os.PathLike[str],
    kinds: Sequence[str | Kind] = ("eye", "clicks", "mouse"),
    scale_to_original: bool = True,
    outside: Outside = "clip",
    *,
    files: Mapping[str, str | Kind] | None = None,
    scale: float = SCALE,
    image_size: tuple[float, float] | None = TARGET_SIZE,
    targets: str | None = None,
) -> pd.DataFrame:
    """BubbleView clicks, mouse movements and eye fixations as a canonical ``fixations`` table.

    Parameters
    ----------
    root : path
        The folder of the files (``bubbleview-osie/`` for OSIE's; layout in the module
        docstring).
    kinds : sequence of str or Kind
        Files to read, in output order: names of :data:`KINDS` (``"eye"``, ``"clicks"``,
        ``"mouse"``, ``"lab"``) or of ``files``, or :class:`Kind` objects.
    scale_to_original : bool
        True (default): coordinates on the original grid (divided by ``scale``; 800 x 600 for
        OSIE, joinable with :mod:`saliqa.datasets.osie`). False: on the grid of the images
        shown (640 x 480 for OSIE).
    outside : {"clip", "drop", "raise"}
        Policy for points outside the image grid (see
        :func:`saliqa.datasets.osie.restrict_to_image`); default ``"clip"``.
    files : mapping of str to Kind or str, optional
        More or other files by name: a :class:`Kind`, or for a name of :data:`KINDS` just
        another file name with OSIE's settings (``{"clicks": "osie30x50.mat"}``).
    scale : float
        Size of the images shown relative to the originals (:data:`SCALE` = 0.8 for OSIE;
        1.0 for releases shown at their original size).
    image_size : (width, height) or None
        Size of the images shown (:data:`TARGET_SIZE`, 640 x 480, for OSIE). None: each
        image's size is read from its file (``impath`` or ``targets``), for releases whose
        images differ in size.
    targets : str, optional
        Folder of the images shown under ``root`` (only read when ``image_size`` is None);
        default: each image's ``impath``.

    Returns
    -------
    DataFrame
        Columns ``image_id``, ``observer_id``, ``x``, ``y`` (0-based), ``duration_ms`` (files
        with ``enc_time="durations"``, OSIE's eye file; NaN otherwise), ``source``
        (``"eye"``, ``"click"``, ``"mouse"``), ``task`` (``"free"``), ``campaign``
        (``"eye"``, ``"bubbleview_clicks"``, ``"bubbleview_mouse"``, ``"mouse_lab"`` for
        OSIE's), ``order`` (0-based position in the participant's sequence), and ``time_ms``
        (ms since the participant's first point) when a file has ``enc_time="timestamps"``.
        Text columns are pandas Categoricals, as in :func:`saliqa.datasets.osie.load_fixations`.
        ``attrs``: ``dataset``, ``image_size`` (the ``(width, height)`` of the grid used, or a
        dict ``image_id -> (width, height)`` when the images differ) and the outside counts.

    Raises
    ------
    FileNotFoundError
        Missing folder, ``.mat`` file or (with ``image_size=None``) image files.
    ValueError
        Unknown kinds, bad ``scale`` / ``image_size`` / ``files``, a file not in the expected
        form (naming the file, the struct element and the field), ``enc_time`` values that do
        not fit the file's :attr:`Kind.enc_time`, or points outside with ``outside="raise"``.
    """
    base = _root(root)
    specs = _select(kinds, files)
    scale = _positive(scale, "scale", "size of the images shown / the originals, 0.8 for OSIE")
    size = _check_size(image_size)
    with_time = any(s.enc_time == "timestamps" for s in specs)
    built = [_kind_table(base, s, scale_to_original, scale, size, targets, with_time) for s in specs]
    table = concat_tables([b[0] for b in built])
    validate(table, "fixations", origin=str(base))
    widths, heights = (np.concatenate([b[k] for b in built]) for k in (1, 2))
    if size is not None:
        factor = scale if scale_to_original else 1.0
        grid: Any = (_pixels(size[0] / factor), _pixels(size[1] / factor))
    else:
        grid = _grid(table, widths, heights)
    chosen = [kinds] if isinstance(kinds, (str, Kind)) else list(kinds)
    labels = [k if isinstance(k, str) else Path(k.filename).stem for k in chosen]
    origin = f"BubbleView {'+'.join(labels)} in {base}"
    table = restrict_to_image(table, widths, heights, outside, origin=origin)
    table.attrs.update(dataset=_dataset(specs), image_size=grid)
    return table


def _dataset(specs: Sequence[Kind]) -> str:
    return "bubbleview-osie" if all(s in KINDS.values() for s in specs) else "bubbleview"


def _pixels(value: float) -> float | int:
    return round(value) if abs(value - round(value)) < 1e-9 else float(value)


def _grid(table: pd.DataFrame, widths: np.ndarray, heights: np.ndarray) -> Any:
    """``(width, height)`` shared by every point, else ``image_id -> (width, height)``."""
    if len(widths) and (widths == widths[0]).all() and (heights == heights[0]).all():
        return _pixels(widths[0]), _pixels(heights[0])
    sizes = pd.DataFrame({"image_id": table["image_id"].astype(str), "w": widths, "h": heights})
    first = sizes.drop_duplicates("image_id")
    return {i: (_pixels(w), _pixels(h)) for i, w, h in first.itertuples(index=False)}
