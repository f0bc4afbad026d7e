"""Pictures as fixed-size uint8 tensors for training, with a cache of the decoded canvases.

Training an IQA network reads every picture once per epoch. Decoding a JPEG and placing it on
the network's canvas costs more than a forward pass of a small network on a CPU, and at 640x640
it is what limits a GPU's throughput. :class:`PictureDataset` therefore keeps each decoded canvas

- **in memory**: one uint8 buffer ``(N, H, W, 3)`` for the whole dataset, filled as items are
  first read. :meth:`PictureDataset.share_memory` moves it to shared memory so that DataLoader
  worker processes fill and read the same buffer (the trainer calls it when it uses workers), so
  epoch 2 onwards never decodes;
- **on disk** (optional, ``cache_dir``): one file per picture, named by the SHA-256 of the
  canvas settings and the source file's bytes (keyed by content, not by path: a moved or
  renamed file still hits, an edited one misses). A later run, another notebook or another
  rank on the same machine skips decoding too. Files are written atomically.

The canvas (:class:`CanvasSpec`) follows PaQ-2-PiQ (seed 003, Sec. 4.1): the picture is centred on
a white canvas, never resized (``fit="pad"``; a larger picture is an error, the paper moved such
pictures to its test set); the result equals :func:`saliqa.canvas.pad_to_canvas` (offsets
``((W_c - w) // 2, (H_c - h) // 2)``, a test checks it), done once per picture in the loader.
``fit="shrink_pad"`` first shrinks a larger picture (aspect kept, never enlarged) and
``fit="resize"`` stretches every picture to the canvas (fixed-input models such as NIMA-style
regressors). Where the picture lies on the canvas is a :class:`Placement`, which maps patch boxes
(RoIs) from picture to canvas coordinates.

Items are dicts: ``"image"`` a uint8 tensor ``(3, H, W)`` (a view of the ``(H, W, 3)`` cache
slot), ``"index"`` (int64), one float32 tensor per target (``"mos"``, ...) and whatever the
``extras`` callable adds. :meth:`PictureDataset.collate_fn` stacks the images in their stored
``(B, H, W, 3)`` layout and returns them as a ``(B, 3, H, W)`` view, i.e. already in
``torch.channels_last`` memory format, the layout the CUDA convolutions prefer; convert to float
and normalise on the device (:func:`saliqa.train.fit` does).

Decoding uses Pillow (``convert("RGB")``: grey / palette replicated, alpha dropped; EXIF
orientation is *not* applied: the pixels are used as stored, as the canvas tables' width /
height give them).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import struct
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from saliqa.checks import check_choice, check_int
from saliqa.io import atomic_write_bytes

__all__ = [
    "CanvasSpec",
    "Placement",
    "PictureDataset",
    "FIT_MODES",
    "CACHE_FORMAT_VERSION",
    "decode_image_bytes",
    "read_image",
    "placement_for",
    "place_on_canvas",
    "content_key",
]

logger = logging.getLogger(__name__)

FitMode = Literal["pad", "shrink_pad", "resize"]
FIT_MODES: tuple[str, ...] = ("pad", "shrink_pad", "resize")
CACHE_FORMAT_VERSION = 1
"""Bumped whenever decoding or placement changes, so that old disk-cache files miss."""

_MAGIC = b"SQCANVAS"
_HEADER = struct.Struct("<8sIddiiiiii")  # magic, version, scale x, scale y, left, top, width, height, canvas H, W


# --------------------------------------------------------------------------------------------
# canvas geometry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CanvasSpec:
    """How a picture becomes a fixed-size canvas.

    Parameters
    ----------
    height, width
        Canvas size in pixels (PaQ-2-PiQ: 640 x 640).
    fit
        ``"pad"``: centre the picture unscaled (larger pictures raise ``ValueError``);
        ``"shrink_pad"``: shrink a larger picture to fit (aspect kept, never enlarged), then centre;
        ``"resize"``: stretch to exactly ``height x width`` (aspect not kept).
    fill
        Grey level 0..255 of the padding (255 = white, as PaQ-2-PiQ and the AMT rating pages).
    """

    height: int
    width: int
    fit: FitMode = "pad"
    fill: int = 255

    def __post_init__(self) -> None:
        check_int(self.height, "CanvasSpec.height", low=1)
        check_int(self.width, "CanvasSpec.width", low=1)
        check_choice(self.fit, "CanvasSpec.fit", FIT_MODES)
        check_int(self.fill, "CanvasSpec.fill", low=0, high=255)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(H, W, 3)`` of a canvas as stored."""
        return (self.height, self.width, 3)

    @property
    def nbytes(self) -> int:
        """Bytes of one canvas (uint8)."""
        return self.height * self.width * 3

    def key(self) -> str:
        """A string that identifies these settings (part of the disk-cache key)."""
        return f"v{CACHE_FORMAT_VERSION}:{self.height}x{self.width}:{self.fit}:{self.fill}:bilinear-pil"


@dataclass(frozen=True)
class Placement:
    """Where a picture of ``(source_height, source_width)`` lies on its canvas.

    The picture's pixel ``(x, y)`` lands at canvas ``(left + x * scale_x, top + y * scale_y)``;
    ``width`` / ``height`` are the picture's size on the canvas.
    """

    scale_x: float
    scale_y: float
    left: int
    top: int
    width: int
    height: int

    def map_boxes(self, boxes: ArrayLike) -> NDArray[np.float64]:
        """Boxes ``(N, 4)`` as (left, top, right, bottom) in picture pixels -> canvas pixels.

        Raises
        ------
        ValueError
            If ``boxes`` is not an ``(N, 4)`` array of finite numbers.
        """
        b = np.asarray(boxes, dtype=np.float64)
        if b.ndim != 2 or b.shape[1] != 4 or not np.isfinite(b).all():
            raise ValueError(f"boxes must be an (N, 4) array of finite (left, top, right, bottom), got shape {b.shape}")
        out = np.empty_like(b)
        out[:, [0, 2]] = self.left + b[:, [0, 2]] * self.scale_x
        out[:, [1, 3]] = self.top + b[:, [1, 3]] * self.scale_y
        return out

    def as_array(self) -> NDArray[np.float64]:
        return np.array([self.scale_x, self.scale_y, self.left, self.top, self.width, self.height], dtype=np.float64)

    @classmethod
    def from_array(cls, a: ArrayLike) -> Placement:
        v = np.asarray(a, dtype=np.float64)
        return cls(float(v[0]), float(v[1]), int(v[2]), int(v[3]), int(v[4]), int(v[5]))


def placement_for(source_hw: tuple[int, int], spec: CanvasSpec, *, name: str = "picture") -> Placement:
    """The :class:`Placement` of a picture of size ``source_hw = (H, W)`` on ``spec``'s canvas.

    Computable from the image table's width / height alone (no decoding), e.g. to map the patch
    boxes of notebook 02's RoIPool model.

    Raises
    ------
    ValueError
        With ``fit="pad"``, if the picture is larger than the canvas (the message names ``name``).
    """
    h, w = int(source_hw[0]), int(source_hw[1])
    if h < 1 or w < 1:
        raise ValueError(f"{name}: image size must be positive, got {h}x{w} (HxW)")
    if spec.fit == "resize":
        return Placement(spec.width / w, spec.height / h, 0, 0, spec.width, spec.height)
    scale = 1.0
    if h > spec.height or w > spec.width:
        if spec.fit == "pad":
            raise ValueError(
                f"{name} is {h}x{w} (HxW), larger than the {spec.height}x{spec.width} canvas with fit='pad' "
                "(PaQ-2-PiQ moves such pictures to the test set); use fit='shrink_pad' or a larger canvas"
            )
        scale = min(spec.height / h, spec.width / w)
        nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
        sx, sy = nw / w, nh / h
    else:
        nh, nw, sx, sy = h, w, 1.0, 1.0
    return Placement(sx, sy, (spec.width - nw) // 2, (spec.height - nh) // 2, nw, nh)


def place_on_canvas(
    image: NDArray[np.uint8], spec: CanvasSpec, out: NDArray[np.uint8] | None = None, *, name: str = "picture"
) -> tuple[NDArray[np.uint8], Placement]:
    """Put an ``(h, w, 3)`` uint8 picture on ``spec``'s canvas.

    Parameters
    ----------
    image
        uint8 RGB, ``(h, w, 3)``.
    spec
        The canvas.
    out
        Optional ``(H, W, 3)`` uint8 array to write into (e.g. a cache slot).
    name
        Used in error messages (a file name).

    Returns
    -------
    canvas : ndarray of uint8, shape (H, W, 3)
    placement : Placement

    Raises
    ------
    ValueError
        If ``image`` is not ``(h, w, 3)`` uint8, or is larger than the canvas with ``fit="pad"``.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        what = f"{image.dtype} array of shape {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise ValueError(f"{name}: expected a uint8 (h, w, 3) RGB array, got {what}")
    placement = placement_for(image.shape[:2], spec, name=name)
    canvas = np.empty(spec.shape, dtype=np.uint8) if out is None else out
    if canvas.shape != spec.shape or canvas.dtype != np.uint8:
        raise ValueError(f"out must be a uint8 array of shape {spec.shape}, got {canvas.dtype} {canvas.shape}")
    if (placement.height, placement.width) != image.shape[:2]:
        from PIL import Image

        resized = Image.fromarray(image).resize(
            (placement.width, placement.height), Image.Resampling.BILINEAR, reducing_gap=None
        )
        image = np.asarray(resized, dtype=np.uint8)
    t, l_ = placement.top, placement.left
    if placement.height < spec.height or placement.width < spec.width:
        canvas.fill(spec.fill)
    canvas[t : t + placement.height, l_ : l_ + placement.width] = image
    return canvas, placement


# --------------------------------------------------------------------------------------------
# decoding and content keys
# --------------------------------------------------------------------------------------------


def decode_image_bytes(data: bytes, *, name: str = "image") -> NDArray[np.uint8]:
    """Decode an encoded image (JPEG, PNG, ...) to a writable uint8 RGB array ``(h, w, 3)``.

    Same conventions as :func:`saliqa.datasets.builtin.load_image`: grey / palette images are
    replicated to RGB, alpha is dropped, 16-bit and float images are refused.

    Raises
    ------
    ValueError
        If the bytes are not a readable 8-bit image (the message names ``name``).
    """
    return _decode(data, name).copy()


def _decode(data: bytes, name: str) -> NDArray[np.uint8]:
    """:func:`decode_image_bytes` without the copy (the array may be read-only)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
                raise ValueError(
                    f"image {name!r} has mode {img.mode!r} (16-bit or float); expected an 8-bit "
                    "grey, palette or RGB(A) image"
                )
            rgb = img.convert("RGB") if img.mode != "RGB" else img
            rgb.load()
            return np.asarray(rgb, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise ValueError(f"cannot decode image {name!r}: {err}") from err


def read_image(path: str | os.PathLike[str]) -> NDArray[np.uint8]:
    """Read and decode an image file (see :func:`decode_image_bytes`).

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a file (the message names it).
    ValueError
        If it is not a readable 8-bit image.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image file not found: {str(path)!r}")
    return decode_image_bytes(path.read_bytes(), name=str(path))


def content_key(data: bytes, spec: CanvasSpec) -> str:
    """Disk-cache key: SHA-256 (hex) of the canvas settings and the source file's bytes."""
    h = hashlib.sha256(spec.key().encode("ascii"))
    h.update(b"\0")
    h.update(data)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# the dataset
# --------------------------------------------------------------------------------------------


ExtrasFn = Callable[[int, Placement], Mapping[str, Any]]


def _fmt_bytes(n: float) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e8 else f"{n / 1e6:.2f} MB"


def _available_memory_bytes() -> int | None:
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return None


class PictureDataset:
    """Pictures on a fixed canvas, with targets, as a map-style ``torch`` dataset.

    Parameters
    ----------
    paths
        Image files, one per item.
    spec
        The canvas (:class:`CanvasSpec`).
    targets
        Per-item targets, e.g. ``{"mos": table["mos"]}``: each a sequence of N numbers (or an
        ``(N, k)`` array); item ``i`` gets ``float32`` tensors of ``targets[name][i]``. Values must
        be finite.
    extras
        Optional ``extras(i, placement) -> {name: tensor-like}`` for item ``i``, e.g. notebook 02's
        patch boxes mapped with ``placement.map_boxes``. Must be picklable if DataLoader workers
        are started with ``spawn``.
    memory_cache
        Keep decoded canvases in memory (one ``N x H x W x 3`` uint8 buffer, allocated on first use).
        ``"auto"``: on when the buffer takes at most half of the memory available now.
    cache_dir
        Optional folder for the disk cache (keyed by content, see the module docstring).

    Raises
    ------
    ValueError
        If ``paths`` is empty, a target has the wrong length or non-finite values, or
        ``memory_cache=True`` and the buffer does not fit in the memory available.
    """

    def __init__(
        self,
        paths: Sequence[str | os.PathLike[str]],
        spec: CanvasSpec,
        targets: Mapping[str, ArrayLike] | None = None,
        *,
        extras: ExtrasFn | None = None,
        memory_cache: bool | Literal["auto"] = "auto",
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        import torch

        if isinstance(paths, (str, os.PathLike)):
            raise ValueError("paths must be a sequence of image paths, got a single path")
        self.paths: list[Path] = [Path(p) for p in paths]
        if not self.paths:
            raise ValueError("PictureDataset: paths is empty (no pictures to train or evaluate on)")
        if not isinstance(spec, CanvasSpec):
            raise ValueError(f"spec must be a CanvasSpec, got {type(spec).__name__}")
        self.spec = spec
        n = len(self.paths)
        self.targets: dict[str, torch.Tensor] = {}
        for key, values in (targets or {}).items():
            if key in ("image", "index"):
                raise ValueError(f"target name {key!r} is reserved (items hold 'image' and 'index')")
            arr = np.asarray(values, dtype=np.float64)
            if arr.ndim == 0 or arr.shape[0] != n:
                raise ValueError(f"target {key!r} has {arr.shape[0] if arr.ndim else 0} values for {n} pictures")
            bad = ~np.isfinite(arr.reshape(n, -1)).all(axis=1)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"target {key!r} is not finite at item {i} ({self.paths[i]}); "
                    f"{int(bad.sum())} items with non-finite values"
                )
            self.targets[key] = torch.from_numpy(arr.astype(np.float32))
        self.extras = extras
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        if memory_cache not in (True, False, "auto"):
            raise ValueError(f"memory_cache must be True, False or 'auto', got {memory_cache!r}")
        need = n * spec.nbytes
        avail = _available_memory_bytes()
        self._memory_auto = memory_cache == "auto"
        if memory_cache == "auto":
            memory_cache = avail is None or need <= avail // 2
            if not memory_cache:
                logger.info("memory cache off: %d canvases need %.1f GB, %.1f GB available", n, need / 1e9, avail / 1e9)
        elif memory_cache and avail is not None and need > avail:
            raise ValueError(
                f"memory_cache=True needs {_fmt_bytes(need)} for {n} canvases of {spec.height}x{spec.width}, "
                f"but {_fmt_bytes(avail)} are available; use memory_cache=False with a cache_dir"
            )
        self.memory_cache = bool(memory_cache)
        self._buffer: torch.Tensor | None = None  # (N, H, W, 3) uint8
        self._filled: torch.Tensor | None = None  # (N,) uint8 flags
        self._placements: torch.Tensor | None = None  # (N, 6) float64
        self._shared = False
        self._warned_unshared = False
        self.decoded = 0  # per process: pictures decoded from their files
        self.disk_hits = 0  # per process: canvases read from the disk cache

    # -- construction helpers ---------------------------------------------------------------

    @classmethod
    def from_table(
        cls,
        images: pd.DataFrame,
        spec: CanvasSpec,
        targets: Sequence[str] = ("mos",),
        *,
        root: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> PictureDataset:
        """A dataset over a canonical ``images`` table (columns ``path`` and the ``targets``).

        Parameters
        ----------
        images
            The table; rows are items in order.
        spec
            The canvas.
        targets
            Columns to return as float32 targets.
        root
            Folder that relative ``path`` values are relative to.
        **kwargs
            Passed to the constructor (``extras``, ``memory_cache``, ``cache_dir``).

        Raises
        ------
        ValueError
            If a column is missing (named) or the table is empty.
        """
        missing = [c for c in ("path", *targets) if c not in images.columns]
        if missing:
            raise ValueError(f"images table: missing column(s) {missing}; has {list(images.columns)}")
        if len(images) == 0:
            raise ValueError("images table is empty (no pictures to train or evaluate on)")
        base = Path(root) if root is not None else None
        paths = [base / p if base is not None and not Path(p).is_absolute() else Path(p) for p in images["path"]]
        return cls(paths, spec, {t: images[t].to_numpy() for t in targets}, **kwargs)

    # -- torch Dataset protocol --------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict[str, Any]:
        import torch

        i = int(index)
        if not 0 <= i < len(self.paths):
            raise IndexError(f"index {index} out of range for {len(self.paths)} pictures")
        canvas, placement = self.canvas(i)
        item: dict[str, Any] = {"image": canvas.permute(2, 0, 1), "index": torch.tensor(i, dtype=torch.int64)}
        for key, values in self.targets.items():
            item[key] = values[i]
        if self.extras is not None:
            extra = self.extras(i, placement)
            clash = sorted(set(extra) & set(item))
            if clash:
                raise ValueError(f"extras returned key(s) {clash} that the item already holds")
            for key, value in extra.items():
                item[key] = value if isinstance(value, torch.Tensor) else torch.as_tensor(value)
        return item

    @staticmethod
    def collate_fn(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Stack items into a batch; ``"image"`` becomes ``(B, 3, H, W)`` in channels_last layout."""
        import torch
        from torch.utils.data import default_collate

        images = torch.stack([it["image"].permute(1, 2, 0) for it in items]).permute(0, 3, 1, 2)
        rest = default_collate([{k: v for k, v in it.items() if k != "image"} for it in items])
        rest["image"] = images
        return rest

    # -- the cache ---------------------------------------------------------------------------

    def _allocate(self) -> None:
        import torch

        if self._buffer is None and self.memory_cache:
            n = len(self.paths)
            self._buffer = torch.empty((n, *self.spec.shape), dtype=torch.uint8)
            self._filled = torch.zeros(n, dtype=torch.uint8)
            self._placements = torch.zeros((n, 6), dtype=torch.float64)

    def share_memory(self) -> PictureDataset:
        """Move the in-memory cache to shared memory, so DataLoader workers fill one buffer.

        Call before creating a DataLoader with ``num_workers > 0`` (``saliqa.train.fit`` does).

        With ``memory_cache="auto"``, a shared-memory file system (``/dev/shm``) too small for
        the buffer turns the memory cache off with a warning (pictures are then decoded every
        epoch, or read from the disk cache); with ``memory_cache=True`` it is an error.

        Raises
        ------
        RuntimeError
            If ``memory_cache=True`` and ``/dev/shm`` is too small for the buffer; the message
            gives the sizes (Docker: ``--shm-size``).
        """
        if not self.memory_cache or self._shared:
            return self
        need = len(self.paths) * self.spec.nbytes
        try:
            st = os.statvfs("/dev/shm")
            free = st.f_bavail * st.f_frsize
        except OSError:  # pragma: no cover - no /dev/shm
            free = None
        if free is not None and need > free and self._memory_auto:
            warnings.warn(
                f"in-memory picture cache off: it needs {_fmt_bytes(need)} of shared memory for DataLoader workers "
                f"and /dev/shm has {_fmt_bytes(free)} free (Docker: raise --shm-size); pictures are decoded every "
                "epoch" + ("" if self.cache_dir is None else f" or read from the disk cache {self.cache_dir}"),
                stacklevel=2,
            )
            self.memory_cache = False
            self._buffer = self._filled = self._placements = None
            return self
        if free is not None and need > free:
            raise RuntimeError(
                f"the in-memory picture cache needs {_fmt_bytes(need)} of shared memory for DataLoader workers, "
                f"/dev/shm has {_fmt_bytes(free)} free (Docker: raise --shm-size); or use memory_cache=False "
                "with a cache_dir, or num_workers=0"
            )
        self._allocate()
        assert self._buffer is not None and self._filled is not None and self._placements is not None
        self._buffer.share_memory_()
        self._filled.share_memory_()
        self._placements.share_memory_()
        self._shared = True
        return self

    def cached_count(self) -> int:
        """How many canvases the in-memory cache holds (all processes, once shared)."""
        return 0 if self._filled is None else int(self._filled.sum())

    def _disk_path(self, key: str) -> Path:
        assert self.cache_dir is not None
        return self.cache_dir / key[:2] / f"{key}.canvas"

    def _read_disk(self, path: Path, out: NDArray[np.uint8]) -> Placement | None:
        try:
            with open(path, "rb") as fh:
                header = fh.read(_HEADER.size)
                if len(header) != _HEADER.size:
                    raise ValueError("short header")
                magic, version, sx, sy, left, top, w, h, ch, cw = _HEADER.unpack(header)
                if (
                    magic != _MAGIC
                    or version != CACHE_FORMAT_VERSION
                    or (ch, cw) != (self.spec.height, self.spec.width)
                ):
                    raise ValueError("header does not match")
                n = fh.readinto(memoryview(out).cast("B"))
                if n != out.nbytes or fh.read(1):
                    raise ValueError("wrong payload size")
        except FileNotFoundError:
            return None
        except (OSError, ValueError, struct.error) as err:
            warnings.warn(f"disk cache file {path} is unreadable ({err}); decoding the picture again", stacklevel=3)
            return None
        return Placement(sx, sy, left, top, w, h)

    def _write_disk(self, path: Path, canvas: NDArray[np.uint8], p: Placement) -> None:
        header = _HEADER.pack(
            _MAGIC,
            CACHE_FORMAT_VERSION,
            p.scale_x,
            p.scale_y,
            p.left,
            p.top,
            p.width,
            p.height,
            self.spec.height,
            self.spec.width,
        )
        atomic_write_bytes(path, header + canvas.tobytes())

    def _load(self, i: int, out: NDArray[np.uint8]) -> Placement:
        path = self.paths[i]
        if not path.is_file():
            raise FileNotFoundError(f"item {i}: image file not found: {str(path)!r}")
        data = path.read_bytes()
        disk = None
        if self.cache_dir is not None:
            disk = self._disk_path(content_key(data, self.spec))
            placement = self._read_disk(disk, out)
            if placement is not None:
                self.disk_hits += 1
                return placement
        image = _decode(data, str(path))
        _, placement = place_on_canvas(image, self.spec, out=out, name=str(path))
        self.decoded += 1
        if disk is not None:
            self._write_disk(disk, out, placement)
        return placement

    def canvas(self, i: int) -> tuple[Any, Placement]:
        """Item ``i``'s canvas as a uint8 tensor ``(H, W, 3)`` and its :class:`Placement`.

        From the memory cache when filled, else from the disk cache, else decoded (and then
        stored in both caches).
        """
        import torch
        from torch.utils.data import get_worker_info

        use_memory = self.memory_cache
        if use_memory and not self._shared and get_worker_info() is not None:
            # a worker's private copy would be lost: share_memory() was not called before the loader started
            if not self._warned_unshared:
                warnings.warn(
                    "PictureDataset used in a DataLoader worker without share_memory(): the in-memory "
                    "cache is skipped in workers (call dataset.share_memory() before making the loader)",
                    stacklevel=2,
                )
                self._warned_unshared = True
            use_memory = False
        if use_memory:
            self._allocate()
            assert self._buffer is not None and self._filled is not None and self._placements is not None
            slot = self._buffer[i]
            if self._filled[i]:
                return slot, Placement.from_array(self._placements[i].numpy())
            placement = self._load(i, slot.numpy())
            self._placements[i] = torch.from_numpy(placement.as_array())
            self._filled[i] = 1
            return slot, placement
        out = np.empty(self.spec.shape, dtype=np.uint8)
        placement = self._load(i, out)
        return torch.from_numpy(out), placement

    def __repr__(self) -> str:
        where = "memory" if self.memory_cache else "no memory"
        if self.cache_dir is not None:
            where += f" + disk ({self.cache_dir})"
        return (
            f"PictureDataset({len(self)} pictures, canvas {self.spec.height}x{self.spec.width} {self.spec.fit}, "
            f"targets {list(self.targets)}, cache: {where}, {self.cached_count()} in memory)"
        )
