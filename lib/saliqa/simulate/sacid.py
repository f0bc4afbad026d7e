"""Builtin SACID-like set: real photographs, saliency-aware JPEG, a simulated saliency-aware observer.

The builtin data of notebook 03's compression benchmark (seed 002, Sec. III-D, Table III). The
paper compresses 50 CLIC-2021 pictures with the saliency-aware codec of its ref. [41] under four
presets -- one that ignores saliency and three with ``(saliency_s0, saliency_bitrate)`` in
``(75, 80), (60, 80), (60, 40)`` -- at 0.08, 0.12 and 0.16 bpp, and scores them by pairwise
comparisons. Here the pictures are real photographs (:func:`saliqa.datasets.builtin.contents`),
the codec is real JPEG (Pillow, :mod:`saliqa.distortions` conventions) whose quality varies per
macroblock with the saliency, and the observers are *simulated*: nothing here is the paper's data.

Generative model
----------------
1. **References**: ``n_references`` builtin contents at ``size`` (grey photographs are used as
   their three equal RGB channels and coded as colour JPEGs).
2. **Saliency** per reference: the caller's map (the notebook passes its proxy saliency
   predictor's maps), else the documented fallback
   :func:`saliqa.simulate.density.free_viewing_density` (bottom-up features + 5 % centre bias) at
   ``ppd`` pixels per degree. The map is stored as an 8-bit PNG (max-normalised to 255, rounded)
   and that stored map is the one used below and by the metrics.
3. **Quality layers**: the reference is JPEG-coded at every quality of ``qualities`` (IJG 1..95,
   4:2:0, Pillow defaults; :func:`saliqa.distortions.jpeg`). Each layer's file splits into a
   fixed header (quantisation / Huffman tables, frame and scan headers, ~0.6 kB) and the
   entropy-coded payload.
4. **Macroblocks**: ``macroblock`` x ``macroblock`` pixel blocks (16, the 4:2:0 MCU, so a block
   holds whole luma and chroma DCT blocks). A block's saliency is the mean of the map over it;
   its *percentile* is its average rank among the blocks, in ``[0, 100]``.
5. **Presets** (the paper does not define its codec's parameters; this is the reading used
   here). ``"uniform"``: one quality for every block (plain JPEG). ``"s<s0>-b<bitrate>"``:
   blocks whose saliency percentile exceeds ``s0`` are *salient* (``s0 = 75``: the top 25 %);
   they receive the share ``a + bitrate/100 * (1 - a)`` of the payload budget, ``a`` being their
   area fraction -- i.e. ``bitrate`` percent of the bits the non-salient blocks would get under an
   area-proportional split are moved to the salient blocks (``(75, 80)``: 85 % of the bits on a
   quarter of the picture; ``(60, 40)``: 64 % on 40 %). Every block is taken from one quality
   layer: the non-salient blocks from the highest quality whose estimated bytes fit their share
   (the lowest quality when none fits), the salient blocks from the quality whose estimated
   bytes are nearest to the rest of the budget.
6. **Rate estimate** (Pillow cannot write a JPEG whose quantisation varies per block, so the
   size of the composite is *estimated*, not measured): a layer's payload is apportioned to its
   macroblocks in proportion to their *activity* at that quality -- the number of non-zero
   quantised DCT coefficients of the block's 4 luma and 2 chroma 8 x 8 blocks, plus one per DCT
   block (its end-of-block code), computed with the IJG tables scaled by the quality
   (:func:`ijg_quant_tables`) on the JFIF YCbCr planes, chroma 2 x 2 averaged. The composite's
   estimated size is the header plus the apportioned bytes of the blocks it takes from each
   layer; a uniform version's estimate is exactly its file size. ``bpp`` = 8 x bytes / pixels.
7. **Targets**: for each preset the vectorised search over the quality grid picks the settings
   whose estimated total size (header included) is nearest to each of ``target_bpp``. The paper's
   0.08 / 0.12 / 0.16 bpp are out of JPEG's reach on 256 x 256 pictures: the header alone is
   ~0.07 bpp there and quality 1 costs 0.21 - 0.30 bpp on the builtin contents, so the defaults
   are 0.35 / 0.5 / 0.7 bpp -- from heavily to moderately compressed JPEG, the same "low, medium,
   high rate of a strong compression" role. Versions whose estimate misses the target by more
   than ``bpp_tolerance`` (relative) are counted in a ``UserWarning``; ``bpp`` is always the
   estimate, ``target_bpp`` the target.
8. **Latent quality** of each version (the simulated observer; :func:`latent_quality`): with
   ``Y`` the BT.601 luma in ``[0, 1]``, the visible error map
   ``e = G(|Y_d - Y_r|) / (masking_constant + local_std(Y_r))`` (Gaussian ``G`` and local
   standard deviation at ``pool_sigma_px``: contrast masking), pooled with the weights
   ``w = (1 - saliency_weight) / N + saliency_weight * s^saliency_gamma / sum(s^saliency_gamma)``
   (``s`` the stored saliency map) into ``D = sum(w e)``, and
   ``q = -quality_scale * ln(D + impairment_floor)`` (log-strength units of a Bradley-Terry
   observer; the reference itself has ``D = 0``). ``saliency_weight`` is the **planted
   effect**: distortion in salient regions costs more than elsewhere, so saliency-weighted
   metrics (EW-PSNR, EW-SSIM) should track ``q`` better than their uniform versions
   (:func:`planted_effects`). The error model is neither PSNR nor SSIM, so neither family is
   favoured by construction. Subjective scores come from simulated pairwise comparisons on
   ``q`` (:mod:`saliqa.subjective.pairwise`, :func:`study_items`).

   *Calibration* (measured on the default set, seed 0, fallback saliency, 400 simulated
   assessors, Bradley-Terry scores, per-reference SROCC / FracCP): EW-PSNR 0.87 / 0.85 vs PSNR
   0.79 / 0.82, EW-SSIM 0.88 / 0.86 vs SSIM 0.81 / 0.83. With ``saliency_weight = 0`` the order
   flips (FracCP against ``q``: PSNR 0.97, EW-PSNR 0.80); with a small ``masking_constant``
   (0.02) the flat non-salient regions that the saliency-aware presets code at quality 1
   dominate ``D`` and hide the effect, hence 0.1. At these rates the uniform and ``(60, 40)``
   presets have the highest mean ``q`` (tied) and ``(75, 80)`` the lowest: the observer is
   saliency-weighted, not blind outside the salient region.

Output and cache
----------------
:func:`sacid_set` writes the versions, the references and the saliency maps as PNGs (zlib level
1) and the table as CSV into ``paths.cache_dir() / "sacid-v{GENERATOR_VERSION}-{config
key}-seed{seed}-sal{saliency hash}"`` atomically (``manifest.json`` last) and reads them back on
the next call with the same configuration, seed and saliency maps.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image
from scipy import fft, ndimage, stats

from saliqa import paths
from saliqa.checks import check_int, check_positive, check_probability, check_real, check_seed, check_shape
from saliqa.datasets import builtin
from saliqa.datasets.tables import validate
from saliqa.io import atomic_write_bytes, atomic_write_text, read_manifest
from saliqa.simulate.density import free_viewing_density, local_std, luminance

__all__ = [
    "GENERATOR_VERSION",
    "PAPER_PRESETS",
    "PAPER_TARGET_BPP",
    "SacidConfig",
    "Allocation",
    "smoke_config",
    "preset_names",
    "ijg_quant_tables",
    "jpeg_layers",
    "block_activity",
    "block_percentiles",
    "salient_share",
    "allocate",
    "composite",
    "latent_quality",
    "cache_folder",
    "sacid_set",
    "study_items",
    "planted_effects",
]

GENERATOR_VERSION = 1
"""Bumped whenever the generated pictures or table change for a given configuration and seed."""

PAPER_PRESETS: tuple[tuple[float, float], ...] = ((75.0, 80.0), (60.0, 80.0), (60.0, 40.0))
"""The paper's saliency-aware ``(saliency_s0, saliency_bitrate)`` settings (Sec. III-D)."""
PAPER_TARGET_BPP: tuple[float, ...] = (0.08, 0.12, 0.16)
"""The paper's bitrates (Sec. III-D), out of JPEG's reach at 256 x 256 (module docstring, step 7)."""

# JPEG standard (ITU-T T.81 Annex K) luminance / chrominance quantisation tables, natural order
_LUMA_BASE = np.array(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ],
    dtype=np.int64,
)
_CHROMA_BASE = np.full((8, 8), 99, dtype=np.int64)
_CHROMA_BASE[:4, :4] = [[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]]
_SUBSAMPLING = "4:2:0"
_LATENT_KEYS = ("saliency_weight", "saliency_gamma", "masking_constant", "pool_sigma_px", "quality_scale")


@dataclass(frozen=True)
class SacidConfig:
    """Every parameter of the generative model (module docstring), with its default.

    Attributes
    ----------
    n_references : int = 12
        Builtin contents (step 1).
    size : (int, int) = (256, 256)
        ``(H, W)`` of every picture.
    presets : tuple of (s0, bitrate) = PAPER_PRESETS
        The saliency-aware presets (step 5); the ``"uniform"`` preset always comes first.
    target_bpp : tuple of float = (0.35, 0.5, 0.7)
        Target rates, lowest first (step 7); ``level`` is the index into it.
    qualities : (int, int) = (1, 95)
        Inclusive range of the IJG quality grid searched (step 3).
    macroblock : int = 16
        Block size in pixels (a multiple of 16: whole 4:2:0 MCUs).
    ppd : float = 24.0
        Pixels per degree of the fallback saliency (a 256-px picture spans about 10.7 degrees).
    bpp_tolerance : float = 0.15
        Relative miss of a target above which a version is counted in the warning.
    saliency_weight : float = 0.9
        The planted effect: share of the pooling weight that follows the saliency (step 8).
    saliency_gamma : float = 1.0
        Exponent of the saliency map in the pooling weights.
    masking_constant : float = 0.1
        Added to the reference's local contrast (luma in [0, 1]) in the masking divisor.
    pool_sigma_px : float = 1.5
        Gaussian of the error pooling and of the local contrast, in pixels.
    quality_scale : float = 3.0
        Log-strength units per unit of ``-ln(D)``.
    impairment_floor : float = 0.01
        Added to ``D`` before the logarithm (the reference's ``D = 0`` stays finite).
    """

    n_references: int = 12
    size: tuple[int, int] = (256, 256)
    presets: tuple[tuple[float, float], ...] = PAPER_PRESETS
    target_bpp: tuple[float, ...] = (0.35, 0.5, 0.7)
    qualities: tuple[int, int] = (1, 95)
    macroblock: int = 16
    ppd: float = 24.0
    bpp_tolerance: float = 0.15
    saliency_weight: float = 0.9
    saliency_gamma: float = 1.0
    masking_constant: float = 0.1
    pool_sigma_px: float = 1.5
    quality_scale: float = 3.0
    impairment_floor: float = 0.01

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", check_shape(tuple(self.size), "size"))
        presets = tuple(tuple(p) for p in self.presets)
        for i, p in enumerate(presets):
            if len(p) != 2:
                raise ValueError(f"presets[{i}] must be a pair (s0, bitrate), got {p!r}")
            check_real(p[0], f"presets[{i}] s0", low=0, high=100, high_open=True)
            check_real(p[1], f"presets[{i}] bitrate", low=0, high=100)
        object.__setattr__(self, "presets", tuple((float(a), float(b)) for a, b in presets))
        if len(set(preset_names(self)[1:])) != len(presets):
            raise ValueError(f"presets must be distinct, got {presets!r}")
        targets = tuple(check_positive(t, f"target_bpp[{i}]") for i, t in enumerate(self.target_bpp))
        if not targets or list(targets) != sorted(set(targets)):
            raise ValueError(f"target_bpp must be distinct increasing positive rates, got {self.target_bpp!r}")
        object.__setattr__(self, "target_bpp", targets)
        lo, hi = (check_int(q, "qualities", low=1, high=100) for q in self.qualities)
        if lo >= hi:
            raise ValueError(f"qualities must be (low, high) with 1 <= low < high <= 100, got {self.qualities!r}")
        object.__setattr__(self, "qualities", (lo, hi))
        mb = check_int(self.macroblock, "macroblock", low=16)
        if mb % 16:
            raise ValueError(f"macroblock must be a multiple of 16 (whole 4:2:0 MCUs), got {mb}")
        check_int(self.n_references, "n_references", low=1, high=builtin.max_contents())
        check_positive(self.ppd, "ppd")
        check_positive(self.bpp_tolerance, "bpp_tolerance")
        check_probability(self.saliency_weight, "saliency_weight")
        check_positive(self.saliency_gamma, "saliency_gamma")
        check_positive(self.masking_constant, "masking_constant")
        check_positive(self.pool_sigma_px, "pool_sigma_px")
        check_positive(self.quality_scale, "quality_scale")
        check_positive(self.impairment_floor, "impairment_floor")

    def as_dict(self) -> dict[str, Any]:
        """The parameters as JSON-able values."""
        return {k: (list(map(list, v)) if k == "presets" else v) for k, v in asdict(self).items()}

    def key(self) -> str:
        """Short hash of the generator version and every parameter (part of the cache key)."""
        blob = json.dumps({"generator_version": GENERATOR_VERSION, **self.as_dict()}, sort_keys=True, default=list)
        return hashlib.sha1(blob.encode()).hexdigest()[:12]


def smoke_config(**overrides: Any) -> SacidConfig:
    """The smoke-profile set: 4 references at 256 x 256 (``overrides`` win)."""
    return replace(SacidConfig(n_references=4), **overrides)


def preset_names(config: SacidConfig) -> list[str]:
    """``["uniform", "s75-b80", ...]``: the preset names in order (``distortion = "sacid:<name>"``)."""
    return ["uniform", *(f"s{s0:g}-b{b:g}" for s0, b in config.presets)]


# ------------------------------------------------------------------------------ steps 3, 6: JPEG


def ijg_quant_tables(qualities: np.ndarray) -> np.ndarray:
    """The IJG quantisation tables of each quality, as libjpeg's ``jpeg_set_quality`` scales them.

    ``S = 5000 / q`` (integer division) for ``q < 50``, else ``200 - 2 q``; each entry is
    ``(base * S + 50) // 100`` clipped to ``[1, 255]`` (baseline), ``base`` the ITU-T T.81
    Annex K table (module docstring, step 6).

    Parameters
    ----------
    qualities : array of int, shape (Q,)
        IJG qualities, 1..100.

    Returns
    -------
    ndarray of int64, shape (Q, 2, 8, 8)
        Luma (index 0) and chroma (index 1) tables in natural (row-major) order.

    Raises
    ------
    ValueError
        A quality outside 1..100.
    """
    q = np.asarray(qualities, dtype=np.int64).reshape(-1)
    if q.size == 0 or q.min() < 1 or q.max() > 100:
        raise ValueError(f"qualities must be integers in 1..100, got {q.tolist()}")
    scale = np.where(q < 50, 5000 // q, 200 - 2 * q)[:, None, None, None]
    base = np.stack([_LUMA_BASE, _CHROMA_BASE])[None]
    return np.clip((base * scale + 50) // 100, 1, 255)


def _header_length(data: bytes) -> int:
    """Bytes before the entropy-coded data: SOI and every marker segment up to and including SOS."""
    pos = 2
    while pos + 4 <= len(data):
        marker, length = data[pos + 1], int.from_bytes(data[pos + 2 : pos + 4], "big")
        pos += 2 + length
        if marker == 0xDA:
            return pos
    raise ValueError("not a baseline JPEG stream: no start-of-scan marker")


def jpeg_layers(image: np.ndarray, qualities: np.ndarray) -> tuple[list[bytes], np.ndarray, int]:
    """JPEG files of ``image`` at every quality, their payload sizes and the header size (step 3).

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3)
        The reference.
    qualities : array of int, shape (Q,)
        IJG qualities.

    Returns
    -------
    files : list of bytes
        The JPEG files (4:2:0, Pillow defaults as :func:`saliqa.distortions.jpeg`).
    payload : ndarray of int64, shape (Q,)
        Entropy-coded bytes of each file (file size less ``header``).
    header : int
        Bytes outside the payload: the header and the 2-byte end-of-image marker (the same for
        every quality: fixed-size standard tables).
    """
    files = []
    for q in np.asarray(qualities).tolist():
        buffer = io.BytesIO()
        Image.fromarray(image).save(
            buffer, format="JPEG", quality=int(q), subsampling=_SUBSAMPLING, optimize=False, progressive=False
        )
        files.append(buffer.getvalue())
    overhead = np.array([_header_length(f) for f in files]) + 2  # + the end-of-image marker
    payload = np.array([len(f) for f in files]) - overhead
    return files, payload.astype(np.int64), int(overhead.max())


def _decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as decoded:
        return np.asarray(decoded.convert("RGB"), dtype=np.uint8).copy()


def _pad_to(a: np.ndarray, multiple: int) -> np.ndarray:
    ph, pw = (-a.shape[0]) % multiple, (-a.shape[1]) % multiple
    return np.pad(a, ((0, ph), (0, pw)) + ((0, 0),) * (a.ndim - 2), mode="edge")


def _dct_blocks(plane: np.ndarray) -> np.ndarray:
    """Orthonormal 8 x 8 DCT-II (= JPEG's FDCT) of every block of a level-shifted plane.

    Returns ``(rows, cols, 8, 8)``.
    """
    h, w = plane.shape
    blocks = (plane - 128.0).reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3)
    return fft.dctn(blocks, axes=(2, 3), norm="ortho")


def block_activity(image: np.ndarray, qualities: np.ndarray, macroblock: int = 16) -> np.ndarray:
    """Activity of every macroblock at every quality: non-zero quantised DCT coefficients + blocks.

    Step 6 of the module docstring: JFIF YCbCr (``Y = 0.299 R + 0.587 G + 0.114 B``, chroma
    centred on 128), chroma averaged over 2 x 2 (4:2:0), planes edge-padded to whole
    macroblocks, 8 x 8 DCT, quantised with :func:`ijg_quant_tables` (rounded to nearest); each
    DCT block counts its non-zero coefficients plus one.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3)
    qualities : array of int, shape (Q,)
    macroblock : int
        A multiple of 16.

    Returns
    -------
    ndarray of float64, shape (Q, ceil(H / macroblock), ceil(W / macroblock))
    """
    rgb = _pad_to(np.asarray(image, dtype=np.float64), macroblock)
    y = rgb @ np.array([0.299, 0.587, 0.114])
    cb = rgb @ np.array([-0.168736, -0.331264, 0.5]) + 128.0
    cr = rgb @ np.array([0.5, -0.418688, -0.081312]) + 128.0
    h, w = y.shape
    chroma = [c.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)) for c in (cb, cr)]
    tables = ijg_quant_tables(qualities).astype(np.float64)
    n_r, n_c = h // macroblock, w // macroblock
    out = np.zeros((len(tables), n_r, n_c))
    for plane, table, factor in ((y, tables[:, 0], 8), (chroma[0], tables[:, 1], 16), (chroma[1], tables[:, 1], 16)):
        coef = _dct_blocks(plane)  # (rows, cols, 8, 8)
        nnz = (np.abs(np.rint(coef[None] / table[:, None, None])) > 0).sum(axis=(3, 4)) + 1.0
        per = macroblock // factor  # DCT blocks per macroblock side
        out += nnz.reshape(len(tables), n_r, per, n_c, per).sum(axis=(2, 4))
    return out


def block_percentiles(saliency: np.ndarray, macroblock: int = 16) -> np.ndarray:
    """Saliency percentile of every macroblock (step 4): mean saliency ranked, average ranks, 0..100.

    Parameters
    ----------
    saliency : ndarray, shape (H, W)
        Non-negative map.
    macroblock : int
        Block size.

    Returns
    -------
    ndarray of float64, shape (ceil(H / macroblock), ceil(W / macroblock))
        ``100 * (rank - 0.5) / n`` with average ranks for ties.
    """
    s = _pad_to(np.asarray(saliency, dtype=np.float64), macroblock)
    h, w = s.shape
    means = s.reshape(h // macroblock, macroblock, w // macroblock, macroblock).mean(axis=(1, 3))
    ranks = stats.rankdata(means.ravel(), method="average").reshape(means.shape)
    return 100.0 * (ranks - 0.5) / means.size


def salient_share(area: float, bitrate: float) -> float:
    """Payload share of the salient blocks: ``area + bitrate / 100 * (1 - area)`` (step 5).

    Parameters
    ----------
    area : float
        Fraction of the blocks that are salient, in [0, 1].
    bitrate : float
        The preset's ``saliency_bitrate``, in [0, 100].

    Returns
    -------
    float
        In ``[area, 1]``.
    """
    a = check_probability(area, "area")
    return a + check_real(bitrate, "bitrate", low=0, high=100) / 100.0 * (1.0 - a)


@dataclass(frozen=True)
class Allocation:
    """Quality settings of one preset at every target (:func:`allocate`).

    Attributes
    ----------
    salient : ndarray of bool, shape (rows, cols)
        The salient macroblocks (all False for the uniform preset).
    quality_salient, quality_nonsalient : ndarray of int, shape (T,)
        Quality of the salient / other blocks at each target (equal for the uniform preset).
    bytes : ndarray of float, shape (T,)
        Estimated file size (header included).
    """

    salient: np.ndarray
    quality_salient: np.ndarray
    quality_nonsalient: np.ndarray
    bytes: np.ndarray


def allocate(
    qualities: np.ndarray,
    payload: np.ndarray,
    activity: np.ndarray,
    header: int,
    percentiles: np.ndarray,
    target_bytes: np.ndarray,
    preset: tuple[float, float] | None,
) -> Allocation:
    """Choose the qualities of one preset for every target size (steps 5-7), vectorised over the grid.

    Parameters
    ----------
    qualities : array of int, shape (Q,)
        The quality grid, increasing.
    payload : array, shape (Q,)
        Payload bytes of each layer (:func:`jpeg_layers`).
    activity : array, shape (Q, rows, cols)
        :func:`block_activity`.
    header : int
        Header bytes.
    percentiles : array, shape (rows, cols)
        :func:`block_percentiles`.
    target_bytes : array, shape (T,)
        Target file sizes.
    preset : (s0, bitrate) or None
        None is the uniform preset.

    Returns
    -------
    Allocation
    """
    q = np.asarray(qualities)
    cost = payload[:, None, None] * activity / activity.sum(axis=(1, 2), keepdims=True)  # bytes per block
    budget = np.asarray(target_bytes, dtype=np.float64) - header
    salient = np.zeros(percentiles.shape, dtype=bool) if preset is None else percentiles > preset[0]
    if preset is None or salient.all() or not salient.any():
        i = np.argmin(np.abs(payload[None, :] - budget[:, None]), axis=1)
        return Allocation(salient, q[i], q[i], header + payload[i].astype(np.float64))
    e_sal = cost[:, salient].sum(axis=1)
    e_non = cost[:, ~salient].sum(axis=1)
    share = salient_share(float(salient.mean()), preset[1])
    fits = e_non[None, :] <= (1.0 - share) * budget[:, None]  # (T, Q)
    i_non = np.where(fits.any(axis=1), q.size - 1 - np.argmax(fits[:, ::-1], axis=1), 0)
    rest = budget - e_non[i_non]
    i_sal = np.argmin(np.abs(e_sal[None, :] - rest[:, None]), axis=1)
    return Allocation(salient, q[i_sal], q[i_non], header + e_sal[i_sal] + e_non[i_non])


def composite(
    layers: Mapping[int, np.ndarray], salient: np.ndarray, quality_salient: int, quality_other: int, macroblock: int
) -> np.ndarray:
    """The compressed version: each macroblock's decoded pixels from its quality layer (step 5).

    Parameters
    ----------
    layers : mapping quality -> ndarray of uint8, shape (H, W, 3)
        Decoded layers holding at least the two qualities.
    salient : ndarray of bool, shape (rows, cols)
        Salient macroblocks.
    quality_salient, quality_other : int
        Qualities of the salient / other blocks.
    macroblock : int
        Block size.

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)
    """
    high, low = layers[quality_salient], layers[quality_other]
    mask = np.repeat(np.repeat(salient, macroblock, axis=0), macroblock, axis=1)[: high.shape[0], : high.shape[1]]
    return np.where(mask[:, :, None], high, low)


# ------------------------------------------------------------------------------ step 8: observer


def _pooling_weights(saliency: np.ndarray, config: SacidConfig) -> np.ndarray:
    s = np.asarray(saliency, dtype=np.float64) ** config.saliency_gamma
    if not np.all(np.isfinite(s)) or s.min() < 0 or not s.sum() > 0:
        raise ValueError("saliency must be a finite non-negative map with positive mass")
    lam = config.saliency_weight
    return (1.0 - lam) / s.size + lam * s / s.sum()


def latent_quality(
    reference: np.ndarray, versions: np.ndarray, saliency: np.ndarray, config: SacidConfig | None = None
) -> np.ndarray:
    """Latent quality of a batch of versions of one reference (module docstring, step 8).

    ``q = -quality_scale * ln(D + impairment_floor)`` with ``D = sum(w e)``,
    ``e = G(|Y_d - Y_r|) / (masking_constant + local_std(Y_r))`` and
    ``w = (1 - saliency_weight) / N + saliency_weight * s^gamma / sum(s^gamma)``.

    Parameters
    ----------
    reference : ndarray of uint8, shape (H, W, 3)
    versions : ndarray of uint8, shape (V, H, W, 3)
        Compressed versions (the reference itself gives ``D = 0``).
    saliency : ndarray, shape (H, W)
        Non-negative, not all zero.
    config : SacidConfig, optional
        The observer's parameters.

    Returns
    -------
    ndarray of float64, shape (V,)

    Raises
    ------
    ValueError
        Shapes that do not match, or a saliency map without positive mass.
    """
    cfg = config or SacidConfig()
    yr = luminance(reference)
    v = np.asarray(versions)
    if v.ndim != 4 or v.shape[1:3] != yr.shape or np.shape(saliency) != yr.shape:
        raise ValueError(
            f"versions must be (V, H, W, 3) and saliency (H, W) with (H, W) = {yr.shape} of the reference; "
            f"got versions {v.shape}, saliency {np.shape(saliency)}"
        )
    yd = (v[..., :3].astype(np.float64) / 255.0) @ np.array([0.299, 0.587, 0.114])
    s = cfg.pool_sigma_px
    err = ndimage.gaussian_filter(np.abs(yd - yr[None]), (0, s, s), mode="reflect", truncate=3.0)
    err /= cfg.masking_constant + local_std(yr, s)[None]
    d = np.einsum("vij,ij->v", err, _pooling_weights(saliency, cfg))
    return -cfg.quality_scale * np.log(d + cfg.impairment_floor)


# ------------------------------------------------------------------------------ generation, cache


def _saliency_maps(
    refs: list[builtin.Content],
    saliency: Mapping[str, np.ndarray] | Callable[[np.ndarray], np.ndarray] | None,
    ppd: float,
) -> list[np.ndarray]:
    """The 8-bit maps of step 2 (max-normalised, rounded), validated."""
    out = []
    for c in refs:
        if saliency is None:
            m = free_viewing_density(c.image, ppd)
        elif callable(saliency):
            m = saliency(c.image)
        else:
            if c.content_id not in saliency:
                raise ValueError(f"saliency has no map for content {c.content_id!r}; expected keys {sorted(saliency)}")
            m = saliency[c.content_id]
        m = np.asarray(m, dtype=np.float64)
        if m.shape != c.image.shape[:2] or not np.all(np.isfinite(m)) or m.min() < 0 or not m.max() > 0:
            raise ValueError(
                f"saliency map of {c.content_id!r} must be a finite non-negative (H, W) = {c.image.shape[:2]} map "
                f"with positive values; got shape {m.shape}"
            )
        out.append(np.rint(255.0 * m / m.max()).astype(np.uint8))
    return out


def cache_folder(config: SacidConfig, seed: int, saliency_key: str) -> Path:
    """The cache folder of a set (module docstring, "Output and cache")."""
    return paths.cache_dir() / f"sacid-v{GENERATOR_VERSION}-{config.key()}-seed{check_seed(seed)}-sal{saliency_key}"


def _png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


_COLUMNS = [
    "image_id",
    "path",
    "width",
    "height",
    "content_id",
    "distortion",
    "level",
    "preset",
    "saliency_s0",
    "saliency_bitrate",
    "target_bpp",
    "bpp",
    "quality_salient",
    "quality_nonsalient",
    "salient_fraction",
    "latent_quality",
    "reference_latent_quality",
    "reference_path",
    "saliency_path",
    "photo",
    "is_grey",
]
_DTYPES = {
    "width": "int64",
    "height": "int64",
    "level": "int64",
    "quality_salient": "int64",
    "quality_nonsalient": "int64",
    "is_grey": "bool",
}
_PATHS = ("path", "reference_path", "saliency_path")


def _versions_of(
    content: builtin.Content, smap: np.ndarray, config: SacidConfig, folder: Path
) -> tuple[list[dict[str, Any]], int]:
    """Rows of one reference's versions (files written); also the number of missed targets."""
    grid = np.arange(config.qualities[0], config.qualities[1] + 1)
    files, payload, header = jpeg_layers(content.image, grid)
    activity = block_activity(content.image, grid, config.macroblock)
    pct = block_percentiles(smap, config.macroblock)
    h, w = config.size
    targets = np.asarray(config.target_bpp) * h * w / 8.0
    rows, versions, decoded = [], [], {}
    for name, preset in zip(preset_names(config), [None, *config.presets]):
        alloc = allocate(grid, payload, activity, header, pct, targets, preset)
        for level, (qs, qn, nbytes) in enumerate(
            zip(alloc.quality_salient.tolist(), alloc.quality_nonsalient.tolist(), alloc.bytes.tolist())
        ):
            for qq in (qs, qn):
                if qq not in decoded:
                    decoded[qq] = _decode(files[qq - grid[0]])
            versions.append(composite(decoded, alloc.salient, qs, qn, config.macroblock))
            image_id = f"{content.content_id}_{name}_r{level}"
            rows.append(
                {
                    "image_id": image_id,
                    "path": str(folder / "versions" / f"{image_id}.png"),
                    "width": w,
                    "height": h,
                    "content_id": content.content_id,
                    "distortion": f"sacid:{name}",
                    "level": level,
                    "preset": name,
                    "saliency_s0": np.nan if preset is None else preset[0],
                    "saliency_bitrate": np.nan if preset is None else preset[1],
                    "target_bpp": config.target_bpp[level],
                    "bpp": 8.0 * nbytes / (h * w),
                    "quality_salient": qs,
                    "quality_nonsalient": qn,
                    "salient_fraction": float(alloc.salient.mean()),
                    "reference_path": str(folder / "references" / f"{content.content_id}.png"),
                    "saliency_path": str(folder / "saliency" / f"{content.content_id}.png"),
                    "photo": content.photo,
                    "is_grey": content.is_grey,
                }
            )
    stack = np.stack(versions)
    latent = latent_quality(content.image, np.concatenate([content.image[None], stack]), smap, config)
    for row, value, image in zip(rows, latent[1:], stack):
        row["latent_quality"], row["reference_latent_quality"] = float(value), float(latent[0])
        atomic_write_bytes(row["path"], _png(image))
    atomic_write_bytes(rows[0]["reference_path"], _png(content.image))
    atomic_write_bytes(rows[0]["saliency_path"], _png(smap))
    missed = sum(abs(r["bpp"] - r["target_bpp"]) > config.bpp_tolerance * r["target_bpp"] for r in rows)
    return rows, int(missed)


def _read_cached(folder: Path, config: SacidConfig, seed: int) -> pd.DataFrame | None:
    if read_manifest(folder, config.key(), seed) is None or not (folder / "images.csv").is_file():
        return None
    table = pd.read_csv(folder / "images.csv", keep_default_na=False, na_values=[""]).astype(_DTYPES)
    for col in _PATHS:
        table[col] = [str(folder / p) for p in table[col]]
    if not all(Path(p).is_file() for col in _PATHS for p in table[col]):
        return None
    return table[_COLUMNS]


def sacid_set(
    config: SacidConfig | None = None,
    seed: int = 0,
    saliency: Mapping[str, np.ndarray] | Callable[[np.ndarray], np.ndarray] | None = None,
) -> pd.DataFrame:
    """The builtin SACID-like set: 4 presets x ``len(target_bpp)`` rates per reference (module docstring).

    Parameters
    ----------
    config : SacidConfig, optional
        Generator parameters (default: 12 references at 256 x 256).
    seed : int
        Selects the builtin contents (:func:`saliqa.datasets.builtin.contents`).
    saliency : mapping content_id -> (H, W) map, or callable image -> map, optional
        Saliency of each reference (the notebook's predictor); None uses the fallback
        :func:`saliqa.simulate.density.free_viewing_density` at ``config.ppd``. Part of the cache
        key (the hash of the stored 8-bit maps).

    Returns
    -------
    DataFrame
        Canonical ``images`` table, references in selection order, presets in
        :func:`preset_names` order, rates increasing: ``image_id``
        (``"<content_id>_<preset>_r<level>"``), ``path``, ``width``, ``height``, ``content_id``
        (the reference), ``distortion`` (``"sacid:<preset>"``), ``level`` (rate index), ``preset``,
        ``saliency_s0``, ``saliency_bitrate`` (NaN for uniform), ``target_bpp``, ``bpp``
        (estimate, step 6), ``quality_salient``, ``quality_nonsalient``, ``salient_fraction``,
        ``latent_quality``, ``reference_latent_quality`` (step 8), ``reference_path``,
        ``saliency_path`` (8-bit PNG), ``photo``, ``is_grey``. ``attrs["dataset"] = "sacid-builtin"``,
        ``attrs["cache_folder"]``.

    Raises
    ------
    ValueError
        A saliency map that is missing, of the wrong shape, negative or all zero (naming the content).

    Warns
    -----
    UserWarning
        When versions miss their target rate by more than ``bpp_tolerance`` (counted).
    """
    cfg = config or SacidConfig()
    seed = check_seed(seed)
    refs = builtin.contents(cfg.n_references, cfg.size, seed)
    maps = _saliency_maps(refs, saliency, cfg.ppd)
    sal_key = hashlib.sha1(b"".join(m.tobytes() for m in maps)).hexdigest()[:10]
    folder = cache_folder(cfg, seed, sal_key)
    table = _read_cached(folder, cfg, seed)
    if table is None:
        rows: list[dict[str, Any]] = []
        missed = 0
        for content, smap in zip(refs, maps):
            r, m = _versions_of(content, smap, cfg, folder)
            rows += r
            missed += m
        table = pd.DataFrame(rows, columns=_COLUMNS).astype(_DTYPES)
        stored = table.assign(**{c: [str(Path(p).relative_to(folder)) for p in table[c]] for c in _PATHS})
        atomic_write_text(folder / "images.csv", stored.to_csv(index=False))
        manifest = {"config_key": cfg.key(), "config": cfg.as_dict(), "seed": seed, "missed_targets": missed}
        atomic_write_text(folder / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        if missed:
            warnings.warn(
                f"sacid_set: {missed} of {len(table)} versions miss their target bpp by more than "
                f"{100 * cfg.bpp_tolerance:g} % (the quality grid {cfg.qualities} cannot reach it); "
                "'bpp' holds the estimate",
                UserWarning,
                stacklevel=2,
            )
    table.attrs.update(dataset="sacid-builtin", cache_folder=str(folder))
    return validate(table, "images", origin="builtin sacid_set")


def study_items(images: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Items and verification pairs of the simulated pairwise study on :func:`sacid_set`'s table.

    The items are the versions (``in_study`` True) plus each reference picture
    (``"<content_id>_reference"``, ``in_study`` False, latent quality
    ``reference_latent_quality``). The verification pairs of a reference (obvious answers, as the
    paper's 3 verification pairs) are the reference picture against the lowest-rate version of
    every preset.

    Parameters
    ----------
    images : DataFrame
        The table of :func:`sacid_set` (``image_id``, ``content_id``, ``preset``, ``level``,
        ``latent_quality``, ``reference_latent_quality``).

    Returns
    -------
    items : DataFrame
        ``item``, ``reference``, ``latent``, ``in_study``.
    verification : DataFrame
        ``reference``, ``better``, ``worse``.

    Raises
    ------
    ValueError
        Missing columns.
    """
    need = ["image_id", "content_id", "preset", "level", "latent_quality", "reference_latent_quality"]
    missing = [c for c in need if c not in images.columns]
    if missing:
        raise ValueError(f"images: missing column(s) {missing}; expected the table of sacid_set ({need})")
    versions = pd.DataFrame(
        {
            "item": images["image_id"].astype(str),
            "reference": images["content_id"].astype(str),
            "latent": images["latent_quality"].astype(float),
            "in_study": True,
        }
    )
    refs = images.drop_duplicates("content_id")
    ref_items = pd.DataFrame(
        {
            "item": refs["content_id"].astype(str) + "_reference",
            "reference": refs["content_id"].astype(str),
            "latent": refs["reference_latent_quality"].astype(float),
            "in_study": False,
        }
    )
    lowest = images.loc[images["level"] == images.groupby("content_id")["level"].transform("min")]
    verification = pd.DataFrame(
        {
            "reference": lowest["content_id"].astype(str).to_numpy(),
            "better": (lowest["content_id"].astype(str) + "_reference").to_numpy(),
            "worse": lowest["image_id"].astype(str).to_numpy(),
        }
    )
    return pd.concat([versions, ref_items], ignore_index=True), verification


def planted_effects(config: SacidConfig | None = None) -> dict[str, Any]:
    """The effects planted by the observer model (step 8) and what the benchmark should recover.

    Parameters
    ----------
    config : SacidConfig, optional

    Returns
    -------
    dict
        ``observer``: the latent-quality parameters; ``saliency_weight`` (the planted effect
        size, 0 = saliency plays no part); ``expected``: per claim of Table III a boolean
        (``ew_psnr_beats_psnr``, ``ew_ssim_beats_ssim``: the saliency-weighted metric has the
        higher SROCC / FracCP with the subjective scores), true whenever ``saliency_weight > 0``;
        ``paper_target_bpp`` and ``target_bpp`` (the rates used here and why they differ).
    """
    cfg = config or SacidConfig()
    planted = cfg.saliency_weight > 0
    return {
        "observer": {k: getattr(cfg, k) for k in (*_LATENT_KEYS, "impairment_floor")},
        "saliency_weight": cfg.saliency_weight,
        "expected": {"ew_psnr_beats_psnr": planted, "ew_ssim_beats_ssim": planted},
        "target_bpp": list(cfg.target_bpp),
        "paper_target_bpp": list(PAPER_TARGET_BPP),
        "note": "the paper's rates are below JPEG's minimum at 256x256 (header ~0.07 bpp, quality 1 ~0.2-0.3 bpp)",
        "observers_simulated": True,
    }
