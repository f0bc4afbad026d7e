"""The UGC picture features of seed 003, Sec. 3.1 (the histograms FLIVE's sampling matched).

Seed 003 (PaQ-2-PiQ), Sec. 3.1 lists six "diverse, objective features" computed on the picture
collection and on 15M social-media pictures:

- *absolute brightness* ``L = R + G + B`` -- :func:`brightness`, the picture mean of
  ``R + G + B`` (0 to 765 for 8-bit pictures);
- *colourfulness* (Hasler & Suesstrunk, "Measuring colorfulness in natural images", SPIE HVEI
  2003, [58]) -- :func:`colourfulness`, ``M = sigma_rgyb + 0.3 mu_rgyb`` with ``rg = R - G``,
  ``yb = (R + G) / 2 - B``, ``sigma_rgyb = sqrt(sigma_rg^2 + sigma_yb^2)``,
  ``mu_rgyb = sqrt(mu_rg^2 + mu_yb^2)`` (population moments over the pixels, 0-255 values);
- *RMS brightness contrast* (Peli, JOSA A 1990, [59]) -- :func:`rms_contrast`, the population
  standard deviation of the luma normalised to [0, 1] (BT.601 weights,
  :data:`saliqa.constants.BT601_LUMA`);
- *spatial information* (Yu & Winkler, QoMEX 2013, [60]: "the global standard deviation of Sobel
  gradients") -- :func:`spatial_information`, the population standard deviation of the Sobel
  gradient magnitude ``sqrt(s_x^2 + s_y^2)`` of the 0-255 luma over the interior pixels (the
  1-pixel border, where the 3 x 3 kernel leaves the image, is left out, as ITU-T P.910 does);
- *pixel count* -- :func:`pixel_count`, ``H * W``;
- number of *detected faces* (OpenCV's Haar cascade tutorial, [61]) -- :func:`count_faces`,
  ``haarcascade_frontalface_default.xml`` of OpenCV 4.x on the grey picture, with the tutorial's
  ``scaleFactor = 1.3``, ``minNeighbors = 5``; where the installed OpenCV (5.x) no longer ships
  Haar cascades, OpenCV's LBP frontal-face cascade as shipped with scikit-image
  (:func:`face_detector` says which; ``ugc_features(...).attrs["face_detector"]`` records it).

Pictures are uint8 arrays or floats on the 0-255 scale (``data_range`` rescales others), shape
(H, W, 3) RGB or (H, W) grey (replicated: colourfulness 0). Every feature takes one picture, a
stack (N, H, W[, 3]) -- computed in one vectorised pass -- or a sequence of pictures of any sizes
(grouped by shape, each group stacked). No loops over pixels; faces loop over pictures (OpenCV
detects one picture at a time). :func:`ugc_features` returns all six as a table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from saliqa.constants import BT601_LUMA

__all__ = [
    "FEATURES",
    "HAAR_CASCADE",
    "brightness",
    "colourfulness",
    "rms_contrast",
    "spatial_information",
    "pixel_count",
    "count_faces",
    "detect_faces",
    "face_detector",
    "ugc_features",
]

FEATURES: tuple[str, ...] = (
    "brightness",
    "colourfulness",
    "rms_contrast",
    "spatial_information",
    "pixel_count",
    "n_faces",
)
"""Column names of :func:`ugc_features`, in the order of Sec. 3.1."""

HAAR_CASCADE = "haarcascade_frontalface_default.xml"
"""OpenCV's frontal-face Haar cascade (``cv2.data.haarcascades``), as in the tutorial [61]."""

Pictures = np.ndarray | Sequence[np.ndarray]


def _as_rgb(image: Any, data_range: float, name: str) -> NDArray[np.float64]:
    """One picture or a stack as float64 RGB on 0-255, shape (..., H, W, 3)."""
    a = np.asarray(image)
    if a.dtype == bool or not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise ValueError(f"{name} must be a numeric pixel array, got dtype {a.dtype}")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains non-finite pixel values")
    if a.ndim >= 3 and a.shape[-1] == 3:
        rgb = a
    elif a.ndim >= 3 and a.shape[-1] == 1:
        rgb = np.repeat(a, 3, axis=-1)
    elif a.ndim in (2, 3):  # (H, W) grey or (N, H, W) grey stack
        rgb = np.repeat(a[..., None], 3, axis=-1)
    else:
        raise ValueError(f"{name} must have shape (H, W), (H, W, 3), (N, H, W) or (N, H, W, 3); got {a.shape}")
    if rgb.shape[-2] < 1 or rgb.shape[-3] < 1:
        raise ValueError(f"{name} is empty (shape {a.shape})")
    return rgb * (255.0 / data_range) if data_range != 255.0 else rgb


def _apply(
    images: Pictures, fn: Callable[[NDArray[np.float64]], NDArray[np.float64]], data_range: float, name: str
) -> NDArray[np.float64] | float:
    """Apply a stack-vectorised feature ``fn`` ((N, H, W, 3) -> (N,)) to any accepted input."""
    if isinstance(images, np.ndarray):
        a = np.asarray(images)
        single = a.ndim == 2 or (a.ndim == 3 and a.shape[-1] in (1, 3))
        rgb = _as_rgb(a, data_range, name)
        out = fn(rgb[None] if single else rgb)
        return float(out[0]) if single else out
    pictures = list(images)
    if not pictures:
        return np.empty(0)
    rgbs = [_as_rgb(p, data_range, f"{name}[{i}]") for i, p in enumerate(pictures)]
    for i, r in enumerate(rgbs):
        if r.ndim != 3:
            raise ValueError(f"{name}[{i}] must be one picture (H, W[, 3]); got shape {np.shape(pictures[i])}")
    out = np.empty(len(rgbs))
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, r in enumerate(rgbs):
        groups.setdefault(r.shape, []).append(i)
    for idx in groups.values():
        out[idx] = fn(np.stack([rgbs[i] for i in idx]))
    return out


def _luma(rgb: NDArray[np.float64]) -> NDArray[np.float64]:
    return rgb @ BT601_LUMA


def brightness(images: Pictures, *, data_range: float = 255.0) -> NDArray[np.float64] | float:
    """Absolute brightness: the mean of ``L = R + G + B`` over the pixels (seed 003, Sec. 3.1).

    Parameters
    ----------
    images : ndarray or sequence of ndarray
        One picture (H, W[, 3]), a stack (N, H, W[, 3]) or pictures of any sizes.
    data_range : float
        Value of full scale in the input (255 for uint8; 1 for floats in [0, 1]).

    Returns
    -------
    float or ndarray of shape (N,)
        On the 0-765 scale (grey pictures count 3 x the grey level).
    """
    return _apply(images, lambda x: x.sum(axis=-1).mean(axis=(1, 2)), data_range, "images")


def colourfulness(images: Pictures, *, data_range: float = 255.0) -> NDArray[np.float64] | float:
    """Hasler & Suesstrunk (2003) colourfulness ``M = sigma_rgyb + 0.3 mu_rgyb`` (Sec. 3.1, [58]).

    ``rg = R - G``, ``yb = (R + G) / 2 - B``; ``sigma_rgyb = sqrt(var(rg) + var(yb))``,
    ``mu_rgyb = sqrt(mean(rg)^2 + mean(yb)^2)``; population moments, 0-255 values.

    Parameters
    ----------
    images : ndarray or sequence of ndarray
        See :func:`brightness`.
    data_range : float
        Full-scale value of the input.

    Returns
    -------
    float or ndarray of shape (N,)
        0 for grey pictures; about 0-180 for 8-bit pictures.
    """

    def fn(x: NDArray[np.float64]) -> NDArray[np.float64]:
        rg = x[..., 0] - x[..., 1]
        yb = 0.5 * (x[..., 0] + x[..., 1]) - x[..., 2]
        sigma = np.sqrt(rg.var(axis=(1, 2)) + yb.var(axis=(1, 2)))
        mu = np.sqrt(rg.mean(axis=(1, 2)) ** 2 + yb.mean(axis=(1, 2)) ** 2)
        return sigma + 0.3 * mu

    return _apply(images, fn, data_range, "images")


def rms_contrast(images: Pictures, *, data_range: float = 255.0) -> NDArray[np.float64] | float:
    """RMS contrast (Peli 1990, [59]): the standard deviation of the luma scaled to [0, 1] (Sec. 3.1).

    ``sqrt(mean((Y - mean(Y))^2))`` with ``Y = (0.299 R + 0.587 G + 0.114 B) / 255``.

    Returns
    -------
    float or ndarray of shape (N,)
        In [0, 0.5].
    """
    return _apply(images, lambda x: (_luma(x) / 255.0).std(axis=(1, 2)), data_range, "images")


def spatial_information(images: Pictures, *, data_range: float = 255.0) -> NDArray[np.float64] | float:
    """Spatial information: std of the Sobel gradient magnitude (Sec. 3.1; Yu & Winkler 2013, [60]).

    The 0-255 luma is filtered with the 3 x 3 Sobel kernels ``s_x`` (``[-1, 0, 1]`` across
    columns, ``[1, 2, 1]`` down rows) and ``s_y`` (its transpose); the population standard
    deviation of ``sqrt(s_x^2 + s_y^2)`` is taken over the interior pixels (rows / columns 1 to
    n - 2). Pictures smaller than 3 x 3 have no interior and give NaN.

    Returns
    -------
    float or ndarray of shape (N,)
    """

    def fn(x: NDArray[np.float64]) -> NDArray[np.float64]:
        y = _luma(x)
        if y.shape[1] < 3 or y.shape[2] < 3:
            return np.full(y.shape[0], np.nan)
        dx = y[:, :, 2:] - y[:, :, :-2]  # [-1, 0, 1] across columns, then [1, 2, 1] down rows
        gx = dx[:, :-2] + 2.0 * dx[:, 1:-1] + dx[:, 2:]
        dy = y[:, 2:, :] - y[:, :-2, :]  # [-1, 0, 1] down rows, then [1, 2, 1] across columns
        gy = dy[:, :, :-2] + 2.0 * dy[:, :, 1:-1] + dy[:, :, 2:]
        return np.hypot(gx, gy).std(axis=(1, 2))  # valid interior only, (N, H - 2, W - 2)

    return _apply(images, fn, data_range, "images")


def pixel_count(images: Pictures) -> NDArray[np.float64] | float:
    """Number of pixels ``H * W`` of each picture (Sec. 3.1, "a measure of picture size")."""
    return _apply(images, lambda x: np.full(x.shape[0], float(x.shape[1] * x.shape[2])), 255.0, "images")


def face_detector() -> str:
    """Which face detector :func:`detect_faces` uses here: ``"haar"`` or ``"lbp"``.

    ``"haar"``: OpenCV's ``CascadeClassifier`` with ``haarcascade_frontalface_default.xml`` from
    ``cv2.data.haarcascades``, the detector of the paper's reference [61]; available with
    OpenCV 4.x. OpenCV 5 dropped the Haar cascades and ``CascadeClassifier`` from its Python
    wheels (the project's lock pins 5.0.0.93), so otherwise ``"lbp"``: OpenCV's LBP frontal-face
    cascade (``lbpcascade_frontalface_opencv.xml``) as shipped with scikit-image and run by
    ``skimage.feature.Cascade``. Both are Viola-Jones cascades trained by OpenCV on frontal faces;
    counts can differ on hard cases. On scikit-image's photographs (``astronaut``, ``chelsea``,
    ``coffee``, ``rocket``, ``camera``, ``hubble_deep_field``) Haar with the tutorial's settings
    finds exactly the astronaut's face; LBP with scikit-image's ``min_neighbor_number = 4`` also
    finds a 38-pixel false face in ``astronaut`` and the cat's face in ``chelsea``, which need 7
    and 6 neighbours to go, while the astronaut's face holds up to 12: hence the LBP default of
    10 neighbours here (set on these six photographs only, so weaker evidence than Haar's).
    """
    return "haar" if _haar() is not None else "lbp"


@lru_cache(maxsize=1)
def _haar() -> Any:
    import cv2

    if not hasattr(cv2, "CascadeClassifier") or not hasattr(cv2, "data"):
        return None
    path = getattr(cv2.data, "haarcascades", "") + HAAR_CASCADE
    try:
        clf = cv2.CascadeClassifier(path)
    except cv2.error:  # pragma: no cover - depends on the OpenCV build
        return None
    return None if clf.empty() else clf


@lru_cache(maxsize=1)
def _lbp() -> Any:
    from skimage import data
    from skimage.feature import Cascade

    return Cascade(data.lbp_frontal_face_cascade_filename())


def detect_faces(
    image: np.ndarray,
    *,
    scale_factor: float | None = None,
    min_neighbors: int | None = None,
    min_size: tuple[int, int] = (30, 30),
    data_range: float = 255.0,
    detector: str = "auto",
) -> NDArray[np.int64]:
    """Frontal faces found by an OpenCV cascade (Sec. 3.1, [61]) in one picture.

    Parameters
    ----------
    image : ndarray, shape (H, W[, 3])
        RGB or grey picture.
    scale_factor, min_neighbors : float, int, optional
        Scale step and neighbour count; defaults: the OpenCV tutorial's (1.3, 5) for ``"haar"``,
        (1.2, 10) for ``"lbp"`` (scikit-image's scale step; neighbours: see :func:`face_detector`).
    min_size : (int, int)
        Smallest face (width, height) in pixels; 30 x 30 removes tiny spurious hits.
    data_range : float
        Full-scale value of the input.
    detector : {"auto", "haar", "lbp"}
        ``"auto"`` is :func:`face_detector`; ``"haar"`` raises when this OpenCV lacks it.

    Returns
    -------
    ndarray of int64, shape (n_faces, 4)
        Boxes (left, top, right, bottom), right / bottom exclusive.
    """
    rgb = _as_rgb(image, data_range, "image")
    if rgb.ndim != 3:
        raise ValueError(f"image must be one picture (H, W[, 3]); got shape {np.shape(image)}")
    if detector not in ("auto", "haar", "lbp"):
        raise ValueError(f"detector must be 'auto', 'haar' or 'lbp', got {detector!r}")
    kind = face_detector() if detector == "auto" else detector
    grey = np.clip(np.round(_luma(rgb)), 0, 255).astype(np.uint8)
    mw, mh = (int(v) for v in min_size)
    if kind == "haar":
        clf = _haar()
        if clf is None:
            raise RuntimeError("this OpenCV has no Haar cascades (OpenCV >= 5); use detector='lbp' or OpenCV 4.x")
        found = clf.detectMultiScale(
            grey,
            scaleFactor=1.3 if scale_factor is None else scale_factor,
            minNeighbors=5 if min_neighbors is None else min_neighbors,
            minSize=(mw, mh),
        )
        b = np.asarray(found, dtype=np.int64).reshape(-1, 4)  # (x, y, w, h)
        return np.column_stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]])
    h, w = grey.shape
    if h < mh or w < mw:
        return np.zeros((0, 4), dtype=np.int64)
    found = _lbp().detect_multi_scale(
        img=grey.astype(np.float64) / 255.0,
        scale_factor=1.2 if scale_factor is None else scale_factor,
        step_ratio=1,
        min_size=(mh, mw),
        max_size=(h, w),
        min_neighbor_number=10 if min_neighbors is None else min_neighbors,
    )
    b = np.array([[f["c"], f["r"], f["c"] + f["width"], f["r"] + f["height"]] for f in found], dtype=np.int64)
    return b.reshape(-1, 4)


def count_faces(images: Pictures, *, data_range: float = 255.0, **kwargs: Any) -> NDArray[np.int64] | int:
    """Number of detected faces per picture (:func:`detect_faces`; Sec. 3.1).

    Returns
    -------
    int or ndarray of int64, shape (N,)
    """
    if isinstance(images, np.ndarray):
        a = np.asarray(images)
        if a.ndim == 2 or (a.ndim == 3 and a.shape[-1] in (1, 3)):
            return int(len(detect_faces(a, data_range=data_range, **kwargs)))
        pictures: Sequence[np.ndarray] = list(a)
    else:
        pictures = list(images)
    return np.array([len(detect_faces(p, data_range=data_range, **kwargs)) for p in pictures], dtype=np.int64)


def ugc_features(
    images: Pictures, *, ids: Sequence[str] | None = None, faces: bool = True, data_range: float = 255.0
) -> pd.DataFrame:
    """All six Sec. 3.1 features, one row per picture.

    Parameters
    ----------
    images : ndarray or sequence of ndarray
        A stack (N, H, W[, 3]) or pictures of any sizes (one picture gives one row).
    ids : sequence of str, optional
        Index of the table (``image_id``); 0..N-1 when None.
    faces : bool
        Run the face detector (the slowest feature); ``n_faces`` is -1 when False.
    data_range : float
        Full-scale value of the input.

    Returns
    -------
    DataFrame
        Columns :data:`FEATURES`; ``attrs["face_detector"]`` (:func:`face_detector`).
    """
    if isinstance(images, np.ndarray):
        a = np.asarray(images)
        pics: Pictures = a[None] if a.ndim == 2 or (a.ndim == 3 and a.shape[-1] in (1, 3)) else a
    else:
        pics = list(images)
    n = len(pics)
    if ids is not None and len(ids) != n:
        raise ValueError(f"ids has {len(ids)} entries for {n} pictures")
    table = pd.DataFrame(
        {
            "brightness": np.atleast_1d(brightness(pics, data_range=data_range)),
            "colourfulness": np.atleast_1d(colourfulness(pics, data_range=data_range)),
            "rms_contrast": np.atleast_1d(rms_contrast(pics, data_range=data_range)),
            "spatial_information": np.atleast_1d(spatial_information(pics, data_range=data_range)),
            "pixel_count": np.atleast_1d(pixel_count(pics)).astype(np.int64),
            "n_faces": np.atleast_1d(count_faces(pics, data_range=data_range))
            if faces
            else np.full(n, -1, dtype=np.int64),
        },
        index=pd.Index([str(i) for i in ids] if ids is not None else range(n), name="image_id"),
    )
    table.attrs["face_detector"] = face_detector() if faces else None
    return table
