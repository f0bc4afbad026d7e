"""The builtin corpus: real photographs that installed packages ship, cropped and distorted.

The builtin data tier (DESIGN.md, "Data: three tiers") needs real images that load offline.
Every natural photograph that a dependency bundles inside its wheel is used once, here, for every
notebook (:data:`PHOTOS`, loaded through the packages' public functions, no network):
scikit-image's (``skimage.data``), scikit-learn's two sample images
(``sklearn.datasets.load_sample_image``: ``china.jpg``, ``flower.jpg``) and matplotlib's sample
photograph (``matplotlib.cbook.get_sample_data("grace_hopper.jpg")``). Microscopy, fundus,
scanned text, binary, synthetic, texture and motion-blurred images of ``skimage.data`` are left
out on purpose (not natural photographs, or not pristine references). The JPEG files of
scikit-learn and matplotlib are used as decoded (they carry their own, mild compression).

Contents
--------
Each photograph gives several *contents* through fixed, documented crop boxes (:data:`CROPS`,
``(left, top, right, bottom)`` in photo pixels, right/bottom exclusive). For a target size
``(H, W)`` the box is shrunk to the largest box of aspect ``W / H`` centred in it (integer
pixels), then resized with Pillow's Lanczos filter (antialiased when reducing). The box actually
used is reported as :attr:`Content.crop_box`. Grey photographs are replicated to three
channels and flagged ``is_grey``. Crops of one photograph may overlap. Every box is at least
320 px wide and 300 px high, so target sizes up to ``(300, 320)`` (e.g. ``(256, 256)``,
``(240, 320)``) only ever downsample; larger sizes upsample some crops, with a warning.

``contents(n, seed)`` picks ``n`` crops in a seeded, photo-stratified order: the photos are
shuffled, the crops within each photo are shuffled, and crops are taken round-robin over the
photos (so the first ``len(PHOTOS)`` contents come from distinct photographs). Content ids are
stable across seeds (``"<photo>-<crop index>"``).

Distorted sets
--------------
:func:`distorted_set` applies a :mod:`saliqa.distortions` distortion at several levels and
writes each image as a lossless PNG into the git-ignored cache (``paths.cache_dir()``, or
``$SALIQA_CACHE``): ``builtin-v{GENERATOR_VERSION}-seed{seed}-{H}x{W}-{distortion}[-{options
hash}]/{content_id}_{level}.png`` and references in ``...-none/{content_id}.png`` (PNG, zlib
level 1: fast, and lossless like any level). Files are written atomically (temporary file, then
rename) and reused when present. For JPEG the stored image is the JPEG-*decoded* array saved
losslessly, so the PNG holds exactly the pixels a viewer of the JPEG would see. Grey contents
are distorted on their single channel and stored as one-channel PNGs; :func:`load_image`
returns RGB for all.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import warnings
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError

from saliqa import distortions, paths
from saliqa.checks import check_choice, check_int, check_seed, check_shape
from saliqa.datasets.tables import validate
from saliqa.io import atomic_write_bytes

__all__ = [
    "GENERATOR_VERSION",
    "PHOTOS",
    "CROPS",
    "Photo",
    "Crop",
    "Content",
    "photographs",
    "is_grey",
    "load_photo",
    "max_contents",
    "contents",
    "distorted_set",
    "load_image",
]

GENERATOR_VERSION = 2
"""Bumped whenever the generated pixels or file layout change (it keys the cache folders)."""


@dataclass(frozen=True)
class Photo:
    """A photograph bundled with an installed package.

    Attributes
    ----------
    name : str
        Name used here (``skimage.data`` function name, except ``motorcycle``; the file stem
        for the other packages).
    loader : str
        ``skimage.data`` function that returns it, or the file name the package ships.
    is_grey : bool
        True for single-channel photographs.
    shape : tuple of int
        ``(H, W)`` of the photograph.
    description : str
        What it shows.
    """

    name: str
    loader: str
    is_grey: bool
    shape: tuple[int, int]
    description: str
    source: str = "skimage"
    """Package that ships it: ``"skimage"``, ``"sklearn"`` or ``"matplotlib"``."""


@dataclass(frozen=True)
class Crop:
    """A documented crop; ``box`` is (left, top, right, bottom), right/bottom exclusive."""

    photo: str
    index: int
    box: tuple[int, int, int, int]
    label: str

    @property
    def content_id(self) -> str:
        """Stable id ``"<photo>-<index>"``."""
        return f"{self.photo}-{self.index}"


@dataclass(frozen=True, eq=False)
class Content:
    """One builtin content: a crop of a photograph resized to the target size.

    Attributes
    ----------
    content_id : str
        ``"<photo>-<crop index>"``, the same for every seed and size.
    photo : str
        Name of the source photograph (see :data:`PHOTOS`).
    crop_box : tuple of int
        ``(left, top, right, bottom)`` actually cropped from the photo (the documented box
        shrunk to the target aspect ratio), right/bottom exclusive.
    is_grey : bool
        True if the photograph is grey (the image's three channels are equal).
    label : str
        What the crop shows.
    image : ndarray of uint8, shape (H, W, 3)
        The content image.
    """

    content_id: str
    photo: str
    crop_box: tuple[int, int, int, int]
    is_grey: bool
    label: str
    image: np.ndarray = field(repr=False)


_PHOTO_LIST = (
    Photo("astronaut", "astronaut", False, (512, 512), "astronaut Eileen Collins, NASA portrait"),
    Photo("chelsea", "chelsea", False, (300, 451), "close-up of a tabby cat"),
    Photo("coffee", "coffee", False, (400, 600), "cup of coffee on a saucer on a wooden table"),
    Photo("rocket", "rocket", False, (427, 640), "rocket on its launch pad at dusk"),
    Photo(
        "hubble_deep_field",
        "hubble_deep_field",
        False,
        (872, 1000),
        "Hubble eXtreme Deep Field (astronomical photograph)",
    ),
    Photo(
        "motorcycle", "stereo_motorcycle", False, (500, 741), "motorcycle in a garage (left view of the stereo pair)"
    ),
    Photo("china", "china.jpg", False, (427, 640), "Summer Palace pagoda above a lake (Beijing)", "sklearn"),
    Photo("flower", "flower.jpg", False, (427, 640), "orange dahlia on a defocused green background", "sklearn"),
    Photo(
        "grace_hopper",
        "grace_hopper.jpg",
        False,
        (600, 512),
        "portrait of Grace Hopper in uniform before a flag",
        "matplotlib",
    ),
    Photo("camera", "camera", True, (512, 512), "man with a camera on a tripod (cameraman)"),
    Photo("moon", "moon", True, (512, 512), "surface of the moon"),
    Photo("coins", "coins", True, (303, 384), "Greek coins on a dark background"),
)
PHOTOS: Mapping[str, Photo] = MappingProxyType({p.name: p for p in _PHOTO_LIST})
"""The photographs of the corpus, by name (colour first, then grey)."""

# crops 1.. of each photo; crop 0 is always the full photo (its box is the photo's shape)
_CROP_SPECS: dict[str, tuple[tuple[tuple[int, int, int, int], str], ...]] = {
    "astronaut": (
        ((80, 0, 432, 352), "head and shoulders"),
        ((192, 0, 512, 320), "space shuttle model"),
        ((0, 192, 320, 512), "mission patch and suit"),
        ((192, 192, 512, 512), "helmet"),
    ),
    "chelsea": (
        ((0, 0, 330, 300), "eyes and left cheek"),
        ((121, 0, 451, 300), "right eye and nose"),
    ),
    "coffee": (
        ((120, 0, 480, 360), "cup"),
        ((240, 40, 600, 400), "spoon and saucer"),
        ((0, 40, 360, 400), "saucer and table, left"),
    ),
    "rocket": (
        ((160, 67, 480, 427), "rocket"),
        ((0, 67, 340, 427), "left tower and lights"),
        ((300, 0, 640, 360), "right towers"),
    ),
    "hubble_deep_field": (
        ((200, 0, 600, 400), "galaxies, top"),
        ((600, 300, 1000, 700), "bright galaxies, right"),
        ((0, 250, 400, 650), "spiral galaxy, left"),
        ((300, 472, 700, 872), "galaxies, bottom"),
    ),
    "motorcycle": (
        ((240, 100, 640, 500), "engine and front wheel"),
        ((0, 80, 400, 480), "seat and rear wheel"),
        ((380, 0, 741, 340), "headlamp and shelves"),
    ),
    "china": (
        ((20, 0, 380, 400), "pagoda"),
        ((280, 100, 640, 427), "lake, island and trees"),
        ((320, 67, 640, 427), "trees, right"),
    ),
    "flower": (
        ((160, 0, 520, 360), "dahlia"),
        ((200, 67, 560, 427), "dahlia and bud"),
        ((0, 47, 340, 427), "defocused leaves, left"),
    ),
    "grace_hopper": (
        ((96, 0, 512, 400), "face and cap"),
        ((0, 200, 340, 600), "flag and shoulder"),
        ((160, 280, 512, 600), "name tag and ribbons"),
    ),
    "camera": (
        ((96, 32, 416, 352), "man and camera"),
        ((192, 192, 512, 512), "tripod on grass"),
        ((0, 192, 320, 512), "coat and grass"),
        ((192, 0, 512, 320), "camera and background buildings"),
    ),
    "moon": (
        ((0, 0, 320, 320), "crater, top left"),
        ((96, 192, 416, 512), "dark region, bottom"),
        ((192, 0, 512, 320), "bright ridge, top right"),
    ),
    "coins": (
        ((0, 0, 320, 303), "coins, left"),
        ((64, 0, 384, 303), "coins, right"),
    ),
}
CROPS: tuple[Crop, ...] = tuple(
    Crop(photo, index, box, label)
    for photo, specs in _CROP_SPECS.items()
    for index, (box, label) in enumerate(
        (((0, 0, PHOTOS[photo].shape[1], PHOTOS[photo].shape[0]), "full photo"), *specs)
    )
)
"""Every documented crop, in photo order (see data/README.md, "builtin corpus")."""


# --------------------------------------------------------------------------- photographs


def photographs() -> list[str]:
    """Names of the photographs in the corpus (colour ones first, then grey)."""
    return list(PHOTOS)


def _photo(name: Any) -> Photo:
    if name not in PHOTOS:
        raise ValueError(f"name must be one of {photographs()}; got {name!r}")
    return PHOTOS[name]


def is_grey(name: str) -> bool:
    """True if photograph ``name`` is grey (stored replicated to three channels)."""
    return _photo(name).is_grey


def _load_from_package(photo: Photo) -> tuple[np.ndarray, str]:
    """The photograph's pixels and a description of where they came from."""
    if photo.source == "skimage":
        import skimage.data  # imported lazily: skimage.io is slow to import

        loaded = getattr(skimage.data, photo.loader)()
        if isinstance(loaded, tuple):  # stereo_motorcycle -> (left, right, disparity)
            loaded = loaded[0]
        return np.asarray(loaded), f"skimage.data.{photo.loader}()"
    if photo.source == "sklearn":
        from sklearn.datasets import load_sample_image

        return np.asarray(load_sample_image(photo.loader)), f"sklearn.datasets.load_sample_image({photo.loader!r})"
    if photo.source == "matplotlib":
        from matplotlib import cbook

        with Image.open(cbook.get_sample_data(photo.loader)) as im:
            return np.asarray(im.convert("RGB")), f"matplotlib.cbook.get_sample_data({photo.loader!r})"
    raise ValueError(f"photo {photo.name!r}: unknown source {photo.source!r}; expected skimage, sklearn or matplotlib")


@cache
def _load_photo_cached(name: str) -> np.ndarray:
    photo = _photo(name)
    image, origin = _load_from_package(photo)
    if image.dtype != np.uint8 or image.shape[:2] != photo.shape:
        raise ValueError(
            f"photograph {name!r} from {origin} has dtype {image.dtype} and "
            f"shape {image.shape}; expected uint8 of shape {photo.shape} (GENERATOR_VERSION "
            f"{GENERATOR_VERSION} was built against the packages' bundled files)"
        )
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    image = np.ascontiguousarray(image[:, :, :3])
    image.setflags(write=False)
    return image


def load_photo(name: str) -> np.ndarray:
    """Load a photograph of the corpus as uint8 RGB.

    Parameters
    ----------
    name : str
        One of :func:`photographs`.

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)
        A fresh copy; grey photographs are replicated to three channels (see :func:`is_grey`).
    """
    return _load_photo_cached(_photo(name).name).copy()


# --------------------------------------------------------------------------- contents


def max_contents() -> int:
    """Number of documented crops, the largest ``n`` :func:`contents` accepts."""
    return len(CROPS)


def _check_n(n: Any, name: str) -> int:
    limit = max_contents()
    try:
        return check_int(n, name, low=1, high=limit)
    except ValueError as err:
        raise ValueError(f"{err} (the builtin corpus has {limit} documented crops)") from None


def _select(n: int, seed: int) -> list[int]:
    """Indices into :data:`CROPS` of the first ``n`` crops in the seeded stratified order."""
    rng = np.random.default_rng(seed)
    names = photographs()
    per_photo = [[i for i, c in enumerate(CROPS) if c.photo == p] for p in names]
    order = rng.permutation(len(names))
    queues = [list(rng.permutation(per_photo[k])) for k in order]
    picked: list[int] = []
    depth = 0
    while len(picked) < n:
        for queue in queues:
            if depth < len(queue) and len(picked) < n:
                picked.append(int(queue[depth]))
        depth += 1
    return picked


def _fit_box(box: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Largest box of aspect W/H (integer pixels) centred in ``box``."""
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    target = size[1] / size[0]
    if width / height > target:
        new_w, new_h = max(1, round(height * target)), height
    else:
        new_w, new_h = width, max(1, round(width / target))
    x0 = left + (width - new_w) // 2
    y0 = top + (height - new_h) // 2
    return (x0, y0, x0 + new_w, y0 + new_h)


def _render(crop: Crop, size: tuple[int, int]) -> tuple[tuple[int, int, int, int], np.ndarray]:
    """The effective crop box and the resized content image (uint8 RGB)."""
    box = _fit_box(crop.box, size)
    photo = _load_photo_cached(crop.photo)
    pixels = np.ascontiguousarray(photo[:, :, 0]) if PHOTOS[crop.photo].is_grey else photo
    pil = Image.fromarray(pixels)
    resized = np.asarray(pil.resize((size[1], size[0]), resample=Image.Resampling.LANCZOS, box=box), dtype=np.uint8)
    if resized.ndim == 2:
        resized = np.repeat(resized[:, :, None], 3, axis=2)
    return box, np.ascontiguousarray(resized)


def _warn_upsampling(chosen: Sequence[Crop], size: tuple[int, int]) -> None:
    boxes = np.array([_fit_box(c.box, size) for c in chosen]).reshape(-1, 4)
    too_small = (boxes[:, 3] - boxes[:, 1] < size[0]) | (boxes[:, 2] - boxes[:, 0] < size[1])
    small = [c.content_id for c, flag in zip(chosen, too_small) if flag]
    if small:
        warnings.warn(
            f"{len(small)} of {len(chosen)} builtin crops are smaller than size={size} and are "
            f"upsampled (e.g. {small[:3]}); use a smaller size for pristine references",
            stacklevel=3,
        )


def contents(n: int, size: tuple[int, int] = (256, 256), seed: int = 0) -> list[Content]:
    """``n`` builtin contents, deterministic for a given ``seed``.

    Parameters
    ----------
    n : int
        Number of contents, 1 .. :func:`max_contents` (37).
    size : tuple of int
        Target ``(H, W)`` in pixels. Crops smaller than this are upsampled, with a warning.
    seed : int
        Non-negative seed of the photo-stratified crop order (see the module docstring).

    Returns
    -------
    list of Content
        In selection order; the first ``len(photographs())`` come from distinct photographs.

    Raises
    ------
    ValueError
        If ``n`` is not in 1 .. max_contents() (the message names the maximum), ``size`` is not
        two positive integers, or ``seed`` is negative.
    """
    n = _check_n(n, "n")
    size = check_shape(size, "size")
    chosen = [CROPS[i] for i in _select(n, check_seed(seed))]
    _warn_upsampling(chosen, size)
    out = []
    for crop in chosen:
        box, image = _render(crop, size)
        grey = PHOTOS[crop.photo].is_grey
        out.append(Content(crop.content_id, crop.photo, box, grey, crop.label, image))
    return out


# --------------------------------------------------------------------------- distorted sets


def _level_str(level: float) -> str:
    """Text of a level for file names and ids: ``30`` for integral values, else ``repr``."""
    value = float(level)
    return str(int(value)) if value.is_integer() else repr(value)


def _set_folder(seed: int, size: tuple[int, int], distortion: str, options: Mapping[str, Any]) -> Path:
    name = f"builtin-v{GENERATOR_VERSION}-seed{seed}-{size[0]}x{size[1]}-{distortion}"
    if options:
        blob = json.dumps({k: options[k] for k in sorted(options)}, default=str).encode()
        name += "-" + hashlib.sha1(blob).hexdigest()[:10]
    return paths.cache_dir() / name


def _write_png_atomic(path: Path, image: np.ndarray) -> None:
    """Write ``image`` (uint8, (H, W) or (H, W, 3)) as PNG: temporary file, then rename."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", compress_level=1)
    atomic_write_bytes(path, buffer.getvalue())


def _noise_seed(seed: int, crop_index: int, distortion: str, level: str) -> int:
    """Seed of a stochastic distortion for one image (from the level's value, not its position)."""
    entropy = [seed, crop_index, zlib.crc32(f"{distortion}:{level}".encode())]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def distorted_set(
    n_contents: int,
    distortion: str = "jpeg",
    levels: Sequence[float] | None = None,
    size: tuple[int, int] = (256, 256),
    seed: int = 0,
    include_reference: bool = False,
    options: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """A canonical ``images`` table of builtin contents distorted at several levels.

    Parameters
    ----------
    n_contents : int
        Number of contents (as :func:`contents`), 1 .. :func:`max_contents`.
    distortion : str
        A name of :func:`saliqa.distortions.names` (``"jpeg"``, ``"gaussian_blur"``,
        ``"motion_blur"``, ``"contrast_change"``, ``"white_noise"``).
    levels : sequence of float, optional
        Level values (JPEG quality, blur sigma, motion length, contrast factor, noise sigma);
        None uses the distortion's ``default_levels`` in :data:`saliqa.distortions.REGISTRY`.
    size : tuple of int
        ``(H, W)`` of every image.
    seed : int
        Selects the contents (see :func:`contents`) and seeds stochastic distortions (each
        image's noise seed derives from ``seed``, the crop and the level value).
    include_reference : bool
        Also list each undistorted content (``distortion="none"``, ``level`` NaN), first.
    options : mapping, optional
        Extra keyword arguments of the distortion (e.g. ``{"angle": 45}`` for motion blur);
        part of the cache key.

    Returns
    -------
    DataFrame
        Canonical ``images`` table, one row per image, contents in selection order and levels
        in the given order: ``image_id`` (``"<content_id>_<distortion>_<level>"`` or
        ``"<content_id>_none"``), ``path`` (absolute PNG path, str), ``width``, ``height``,
        ``content_id``, ``distortion``, ``level`` (float), plus ``photo`` and ``is_grey``.

    Notes
    -----
    PNGs are generated on first use under ``paths.cache_dir()`` (see the module docstring) and
    reused afterwards, so a second call only checks that the files exist. Delete the folder to
    regenerate it.
    """
    n_contents = _check_n(n_contents, "n_contents")
    entry = distortions.REGISTRY[check_choice(distortion, "distortion", distortions.names())]
    if levels is None:
        levels = entry.default_levels
    if isinstance(levels, (str, bytes)) or not isinstance(levels, Sequence) or len(levels) == 0:
        raise ValueError(f"levels must be a non-empty sequence of numbers; got {levels!r}")
    checked = [distortions.check_level(distortion, v) for v in levels]
    size = check_shape(size, "size")
    seed = check_seed(seed)
    options = distortions.check_options(distortion, options)

    indices = _select(n_contents, seed)
    folder = _set_folder(seed, size, distortion, options)
    ref_folder = _set_folder(seed, size, "none", {})
    rows: list[dict[str, Any]] = []
    jobs: list[tuple[int, Path, Callable[[np.ndarray], np.ndarray]]] = []

    for index in indices:
        crop = CROPS[index]
        grey = PHOTOS[crop.photo].is_grey
        common = {
            "width": size[1],
            "height": size[0],
            "content_id": crop.content_id,
            "photo": crop.photo,
            "is_grey": grey,
        }
        if include_reference:
            path = ref_folder / f"{crop.content_id}.png"
            rows.append(
                {
                    "image_id": f"{crop.content_id}_none",
                    "path": str(path),
                    **common,
                    "distortion": "none",
                    "level": np.nan,
                }
            )
            if not path.is_file():
                jobs.append((index, path, lambda im: im))
        for level in checked:
            text = _level_str(level)
            path = folder / f"{crop.content_id}_{text}.png"
            rows.append(
                {
                    "image_id": f"{crop.content_id}_{distortion}_{text}",
                    "path": str(path),
                    **common,
                    "distortion": distortion,
                    "level": float(level),
                }
            )
            if not path.is_file():
                noise_seed = _noise_seed(seed, index, distortion, text)
                jobs.append(
                    (
                        index,
                        path,
                        lambda im, lv=level, s=noise_seed: distortions.apply(
                            im, distortion, lv, seed=s, options=options
                        ),
                    )
                )

    if jobs:
        _warn_upsampling([CROPS[i] for i in dict.fromkeys(j[0] for j in jobs)], size)
        rendered: dict[int, np.ndarray] = {}
        for index, path, func in jobs:
            if index not in rendered:
                image = _render(CROPS[index], size)[1]
                rendered[index] = image[:, :, 0] if PHOTOS[CROPS[index].photo].is_grey else image
            _write_png_atomic(path, func(rendered[index]))

    columns = ["image_id", "path", "width", "height", "content_id", "distortion", "level", "photo", "is_grey"]
    table = pd.DataFrame(rows, columns=columns).astype(
        {"width": "int64", "height": "int64", "level": "float64", "is_grey": "bool"}
    )
    return validate(table, "images", origin=f"builtin distorted_set({distortion!r})")


# --------------------------------------------------------------------------- reading


def load_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as uint8 RGB.

    Parameters
    ----------
    path : str or path-like
        Any 8-bit image Pillow reads (PNG, JPEG, ...). Grey / palette images are converted to
        RGB (grey replicated); an alpha channel is dropped.

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist (the message names it).
    ValueError
        If the file is not a readable 8-bit image (the message names the path).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image file not found: {str(path)!r}")
    try:
        with Image.open(path) as img:
            img.load()
            if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
                raise ValueError(
                    f"image {str(path)!r} has mode {img.mode!r} (16-bit or float); expected an "
                    "8-bit grey, palette or RGB(A) image"
                )
            rgb = img.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise ValueError(f"cannot read image {str(path)!r}: {err}") from err
    return np.asarray(rgb, dtype=np.uint8).copy()
