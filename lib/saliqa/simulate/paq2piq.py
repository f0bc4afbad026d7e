"""Simulated PaQ-2-PiQ-like database: real pictures, regional real distortions, simulated raters.

The builtin data of notebook 02 (seed 003, "From Patches to Pictures", Sec. 3). Pictures of
diverse sizes are cut from the real photographs of :mod:`saliqa.datasets.builtin`, real
distortions of :mod:`saliqa.distortions` are applied to *regions* of them, three patches per
picture are cut by the paper's sampler (:func:`saliqa.patches.sample_patch_boxes`), and
*simulated* crowd workers rate pictures and patches in HITs. The ratings are processed as in
Sec. 3.4 (:func:`saliqa.subjective.process_ratings`) into picture and patch MOS. Nothing here is
the paper's data: a notebook run on it checks that the analysis recovers the effects planted
below.

Generative model
----------------
1. **Pictures** (Sec. 3.1, Fig. 4). Picture ``i`` gets a size: the longer side is, with
   probability ``common_fraction``, one of ``common_long_sides`` inside ``long_side`` (the few
   standard sizes that make Fig. 4's dense columns), else uniform in ``long_side``; the aspect ratio (width / height
   of a landscape picture) is drawn from ``aspect_ratios`` with ``aspect_weights``, and the
   picture is portrait with probability ``portrait_fraction``. Its content is a documented
   builtin crop (:data:`saliqa.datasets.builtin.CROPS`), taken in the seeded photo-stratified
   order of :func:`saliqa.datasets.builtin.contents` and cycled, so the first 12 pictures come
   from 12 different photographs and every crop gives ``n_pictures / 49`` pictures or so. The
   picture is a random window of the crop with the picture's aspect ratio, of linear size
   ``u ~ U(crop_zoom)`` times the largest such window (but never smaller than the picture when
   the crop allows it), resized with Pillow's Lanczos filter (upsampled, by at most 1.34x at the
   default sizes, only when the picture is larger than its crop). Grey photographs are distorted
   on their one channel and stored as one-channel PNGs (:func:`saliqa.datasets.builtin.load_image`
   reads them as RGB).
2. **Regional distortions** (the pictures' "authentic" distortions, here real ones applied
   non-uniformly). Each picture gets ``k ~ U{layers}`` distortion layers of distinct types drawn
   with ``distortion_weights`` from ``exposure``, ``gaussian_blur``, ``motion_blur``,
   ``white_noise``, ``jpeg`` (applied in that order, the order of a camera pipeline: exposure,
   optics / shake, sensor noise, compression), each at a level uniform in ``levels[type]``
   (exposure: ``+-`` stops, the sign a coin flip; motion blur at a uniform random angle). A layer
   covers the whole picture with probability ``global_fraction``; otherwise it is confined to a
   smooth random region (:func:`saliqa.distortions.random_mask`, coverage ``U(coverage)``,
   ``U(mask_cells)`` cells along the longer side, edge softness ``mask_softness``) through
   :func:`saliqa.distortions.regional` (the whole picture distorted, then blended in by the
   mask: a JPEG region carries the blocks of a whole-picture encoding at that quality).
3. **Latent quality map** ``q(x, y)``: the local SSIM map of the distorted picture against its
   pristine version (:func:`saliqa.metrics.fidelity.ssim`, luma, no downsampling; the 'valid'
   map extended to the picture by edge replication), turned into an impairment
   ``d = clip(1 - SSIM, 0, 1)`` smoothed by a Gaussian of ``quality_blur_px``, and
   ``q = q_c - impairment_gain * d`` with a per-picture pristine quality
   ``q_c ~ N(pristine_quality, content_quality_sd)``. So the same distortion costs more
   quality on some contents than on others (blur on texture, noise on flat areas), as in the
   paper's Fig. 1.
4. **Pooling** (picture and patch latent quality): over the pixels of a box,
   ``pool(q) = (1 - w) * mean(q) + w * mean(lowest p of q)`` with ``p = pool_worst_fraction``
   and ``w = pool_worst_weight`` -- the mean with an emphasis on the worst regions
   ("percentile pooling", Moorthy & Bovik 2009). A patch's latent quality is the same pooling
   over the patch, so a patch inside a clean region is better than its picture and a patch
   inside a damaged one worse; the smaller the patch, the less of the picture it sees.
5. **Patches** (Sec. 3.2): three per picture, 40 / 30 / 20 % of the linear size, by
   :func:`saliqa.patches.sample_patch_boxes`.
6. **Perception.** A worker's opinion of a content (picture or patch) is
   ``o = pool(q) + attention_weight * (a(x) - mean(a)) + t``: ``a`` is ``q`` blurred by a
   Gaussian of ``attention_sigma_px`` pixels (what one fixation region shows), ``x`` a uniform
   random point of the content (where this worker looked; ``mean(a)`` its average over the
   content), and ``t ~ N(0, taste_sd)`` the worker's own taste for that content. Both are
   drawn once per (worker, HIT, content) and kept for a repeated presentation. A picture shows
   more different regions than a patch, so the attention term spreads opinions of pictures more
   than of patches: **patches are rated more consistently** (Sec. 3.4: "smaller patches
   contain less spatial diversity"). Gold contents are perceived the same way.
7. **Workers** (Sec. 3.3): two pools, one per task (``"picture"``, ``"patch"``), as in the
   paper where most workers did one task only; ``both_tasks_fraction`` of the patch pool are
   workers of the picture pool (same id and traits). Types drawn from ``worker_mix``:
   ``diligent``, ``careless`` (more rating noise), ``constant`` spammers (their one constant
   score with probability ``constant_prob``, else uniform), ``random`` spammers (uniform
   scores). Each worker has an ``acceptance_rate`` (platform record) from
   ``Beta(acceptance_beta[type])`` -- some below 75 % --, a bias ``b ~ N(0, bias_sd)``, a scale
   ``s = exp(N(0, scale_sd))`` and a noise sd (``noise_sd[type]``). A non-spammer scores
   ``clip(rint(b + s * o + e), 0, 100)`` with ``e ~ N(0, noise_sd)`` drawn per presentation
   (integer slider 0-100).
8. **HITs**: ``contents_per_hit`` (N) contents each: ``N - repeats_per_hit - gold_per_hit`` new
   contents, ``repeats_per_hit`` of them shown a second time (``is_repeat``; the first showing
   comes first in ``position``), and ``gold_per_hit`` gold contents (``is_gold``). New contents
   fill the HITs cyclically through a seeded permutation, so every content gets
   ``ratings_per_picture`` / ``ratings_per_patch`` ratings (or one more). Gold contents
   (``n_gold_pictures`` pictures, ``n_gold_patches`` patches; not part of the database) are
   lab-study-like: generated by steps 1-5 with every layer covering the whole picture and
   ``U{0..5}`` layers (from pristine to every distortion at once), twice as many as needed, of
   which those at evenly spaced quantiles of latent quality are kept (a lab set spans the
   range). Their *lab scores* are ``pool(q) + N(0, lab_noise_sd)`` (the paper's 18 reliable lab
   subjects). HITs are shuffled and handed to workers in runs of
   ``1 + Poisson(hits_per_worker_mean - 1)`` HITs.
9. **Processing** (Sec. 3.4), per task, by :func:`saliqa.subjective.process_ratings`: workers
   with acceptance rate <= 75 % out (:data:`saliqa.subjective.SEED003_WORKER_RULES`; simulated
   workers rate anyway and are removed afterwards), then per (worker, HIT): repeats vs the
   overall std (:class:`~saliqa.subjective.RepeatConsistency`) and > 50 % identical scores
   (:class:`~saliqa.subjective.IdenticalScores`), the paper's two factors. The gold contents
   check the result, as in the paper ("nearly all the non-rejected subjects had a positive
   SRCC with the golden pictures"): each unit's gold SRCC is reported; ``gold_min_srcc`` makes
   it a rule (:class:`~saliqa.subjective.GoldCorrelation`). Z-scores per worker averaged per
   content and rescaled to [0, 100]; split-half consistency over 25 random splits.
10. **Splits** (Sec. 4.1): pictures with a side larger than ``canvas`` go to ``test`` (the paper
    moved pictures larger than its 640 x 640 canvas to the test set); the others are split
    ``train`` / ``val`` at random in the ratio ``split_weights``.

Planted effects (``simulate_database(...)["planted"]``, measured by :func:`recovered_effects`)
----------------------------------------------------------------------------------------------
1. Picture MOS vs patch MOS: the LCC falls as the patch shrinks (40 % > 30 % > 20 %); the real
   FLIVE test pictures at hand give 0.50 / 0.41 / 0.34, the paper 0.43 / 0.36 / 0.28 on the
   whole database. Mechanism: steps 2-4 (regional impairments, pooled over less of the picture).
   A statistical effect of about 0.05-0.1 per step: its ordering needs several hundred pictures
   (the default 600); on the smoke size (24 pictures) the MOS LCCs are too noisy to order, and
   the latent-quality LCCs (``latent_picture_patch_lcc``) only roughly.
2. Patch ratings are more consistent than picture ratings: split-half LCC of patches > that of
   pictures (paper 0.65 vs 0.48). Mechanism: step 6.
3. Screening removes most spammers and keeps most diligent raters (per (worker, HIT) unit).
4. MOS tracks the latent quality: SRCC(MOS, pooled latent quality) high, pictures and patches.

Output and cache
----------------
:func:`simulate_database` writes every picture as a lossless PNG (zlib level 1) and the
generated tables as CSV into ``paths.cache_dir() / "paq2piq-v{GENERATOR_VERSION}-{config
key}-seed{seed}"``, atomically (temporary file, then rename; ``manifest.json`` last), and reuses
them when the manifest and every picture are present (then only step 9 runs again). Patches are
not stored as files: they are boxes of their pictures (:func:`saliqa.patches.crop_patch`).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import numbers
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd
from PIL import Image

from saliqa import distortions, paths
from saliqa.checks import check_int, check_positive, check_probability, check_real, check_seed, is_real
from saliqa.datasets import builtin
from saliqa.datasets.tables import validate
from saliqa.io import atomic_write_bytes, atomic_write_text, read_manifest
from saliqa.metrics.correlation import plcc, srcc
from saliqa.metrics.fidelity import ssim
from saliqa.patches import PATCH_FRACTIONS, patch_table, sample_patch_boxes

__all__ = [
    "GENERATOR_VERSION",
    "WORKER_TYPES",
    "DISTORTION_ORDER",
    "TASKS",
    "Paq2piqConfig",
    "smoke_config",
    "picture_sizes",
    "pool_quality",
    "quality_map",
    "cache_folder",
    "simulate_database",
    "planted_effects",
    "recovered_effects",
]

GENERATOR_VERSION = 1
"""Bumped whenever the generated pictures or tables change for a given config and seed."""

WORKER_TYPES: tuple[str, ...] = ("diligent", "careless", "constant", "random")
"""Simulated worker types (module docstring, step 7)."""

DISTORTION_ORDER: tuple[str, ...] = ("exposure", "gaussian_blur", "motion_blur", "white_noise", "jpeg")
"""The distortion types of step 2, in the order they are applied."""

TASKS: tuple[str, ...] = ("picture", "patch")
"""The two rating tasks (separate worker pools)."""

_SCORE_RANGE = (0, 100)
_ATTENTION_SAMPLES = 64  # attention points drawn per content (step 6)
_SSIM_WINDOW = 11
_GOLD_CANDIDATES = 2  # gold contents are picked from this many times as many candidates


def _default_levels() -> dict[str, tuple[float, float]]:
    return {
        "exposure": (0.7, 2.0),
        "gaussian_blur": (1.0, 4.0),
        "motion_blur": (5.0, 15.0),
        "white_noise": (5.0, 25.0),
        "jpeg": (6.0, 35.0),
    }


def _pair(name: str, v: Any, *, integer: bool = False, low: float | None = None) -> tuple[Any, Any]:
    kind = numbers.Integral if integer else numbers.Real
    ok = (
        isinstance(v, tuple)
        and len(v) == 2
        and all(isinstance(k, kind) and not isinstance(k, bool) and math.isfinite(k) for k in v)
        and v[0] <= v[1]
        and (low is None or v[0] >= low)
    )
    if not ok:
        what = "ints" if integer else "numbers"
        bound = f" >= {low}" if low is not None else ""
        raise ValueError(f"Paq2piqConfig.{name} must be a tuple (min, max) of {what}{bound} with min <= max, got {v!r}")
    return v


def _weights(name: str, v: Any, keys: tuple[str, ...]) -> None:
    ok = (
        isinstance(v, Mapping)
        and set(v) <= set(keys)
        and len(v) > 0
        and all(is_real(p) and p >= 0 for p in v.values())
        and sum(v.values()) > 0
    )
    if not ok:
        raise ValueError(
            f"Paq2piqConfig.{name} must map some of {keys} to non-negative weights (not all zero), got {v!r}"
        )


@dataclass(frozen=True)
class Paq2piqConfig:
    """Every parameter of the generative model (module docstring), with its default.

    The default is the ``default`` profile's database (600 pictures, 1,800 patches, about 110,000
    ratings); :func:`smoke_config` gives the smoke size.

    Pictures (step 1)
    -----------------
    n_pictures : int = 600
    long_side : (int, int) = (160, 400)
        Range of the longer side (px) of the pictures not of a common size.
    common_long_sides : tuple of int = (240, 256, 320)
    common_fraction : float = 0.5
    aspect_ratios : tuple of float = (4/3, 3/2, 16/9, 1)
        Width / height of a landscape picture.
    aspect_weights : tuple of float = (0.45, 0.25, 0.15, 0.15)
    portrait_fraction : float = 0.3
    crop_zoom : (float, float) = (0.7, 1.0)
        Linear size of the picture's window relative to the largest window of its crop.
    canvas : int = 360
        Pictures with a side larger than this go to the test split (step 10).
    split_weights : (float, float) = (0.75, 0.19)
        Train : val ratio of the other pictures.

    Distortions (step 2)
    --------------------
    layers : (int, int) = (3, 3)
        Number of distortion layers per picture (uniform, inclusive; at most 5).
    distortion_weights : mapping
        Weight of each type of :data:`DISTORTION_ORDER` (default 0.2 each).
    levels : mapping
        Level range per type: exposure 0.7-2 stops (either sign), Gaussian blur sigma 1-4 px,
        motion blur 5-15 px, white noise sigma 5-25 grey levels, JPEG quality 6-35.
    global_fraction : float = 0.05
        Probability that a layer covers the whole picture.
    coverage : (float, float) = (0.2, 0.4)
        Range of a regional layer's coverage.
    mask_cells : (float, float) = (1.0, 8.0)
        Range of a region's scale (cells along the longer side; blobs of about 1 / cells).
    mask_softness : float = 0.15

    Latent quality (steps 3-4)
    --------------------------
    pristine_quality : float = 80.0
    content_quality_sd : float = 1.0
    impairment_gain : float = 30.0
    quality_blur_px : float = 2.0
    pool_worst_fraction : float = 0.1
    pool_worst_weight : float = 0.7

    Perception (step 6)
    -------------------
    attention_sigma_px : float = 8.0
    attention_weight : float = 2.0
    taste_sd : float = 9.0

    Workers and HITs (steps 7-8)
    ----------------------------
    ratings_per_picture : int = 30
    ratings_per_patch : int = 30
    contents_per_hit : int = 30
    repeats_per_hit : int = 5
    gold_per_hit : int = 5
    hits_per_worker_mean : float = 2.0
    both_tasks_fraction : float = 0.09
        Share of the patch pool who also rate pictures (seed 003: 724 of 7,865 workers).
    worker_mix : mapping
        diligent 0.82, careless 0.08, constant 0.05, random 0.05.
    acceptance_beta : mapping
        Beta parameters of the acceptance rate per type: diligent (18, 2), careless (10, 3),
        spammers (6, 3).
    bias_sd : float = 8.0
    scale_sd : float = 0.2
    noise_sd : mapping
        Per-presentation noise of the non-spammers: diligent 4, careless 12.
    constant_prob : float = 0.8
    n_gold_pictures : int = 15
    n_gold_patches : int = 76
    lab_noise_sd : float = 2.0
    """

    n_pictures: int = 600
    long_side: tuple[int, int] = (160, 400)
    common_long_sides: tuple[int, ...] = (240, 256, 320)
    common_fraction: float = 0.5
    aspect_ratios: tuple[float, ...] = (4 / 3, 3 / 2, 16 / 9, 1.0)
    aspect_weights: tuple[float, ...] = (0.45, 0.25, 0.15, 0.15)
    portrait_fraction: float = 0.3
    crop_zoom: tuple[float, float] = (0.7, 1.0)
    canvas: int = 360
    split_weights: tuple[float, float] = (0.75, 0.19)
    layers: tuple[int, int] = (3, 3)
    distortion_weights: Mapping[str, float] = field(default_factory=lambda: dict.fromkeys(DISTORTION_ORDER, 0.2))
    levels: Mapping[str, tuple[float, float]] = field(default_factory=_default_levels)
    global_fraction: float = 0.05
    coverage: tuple[float, float] = (0.2, 0.4)
    mask_cells: tuple[float, float] = (1.0, 8.0)
    mask_softness: float = 0.15
    pristine_quality: float = 80.0
    content_quality_sd: float = 1.0
    impairment_gain: float = 30.0
    quality_blur_px: float = 2.0
    pool_worst_fraction: float = 0.1
    pool_worst_weight: float = 0.7
    attention_sigma_px: float = 8.0
    attention_weight: float = 2.0
    taste_sd: float = 9.0
    ratings_per_picture: int = 30
    ratings_per_patch: int = 30
    contents_per_hit: int = 30
    repeats_per_hit: int = 5
    gold_per_hit: int = 5
    hits_per_worker_mean: float = 2.0
    both_tasks_fraction: float = 0.09
    worker_mix: Mapping[str, float] = field(
        default_factory=lambda: {"diligent": 0.82, "careless": 0.08, "constant": 0.05, "random": 0.05}
    )
    acceptance_beta: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: {
            "diligent": (18.0, 2.0),
            "careless": (10.0, 3.0),
            "constant": (6.0, 3.0),
            "random": (6.0, 3.0),
        }
    )
    bias_sd: float = 8.0
    scale_sd: float = 0.2
    noise_sd: Mapping[str, float] = field(default_factory=lambda: {"diligent": 4.0, "careless": 12.0})
    constant_prob: float = 0.8
    n_gold_pictures: int = 15
    n_gold_patches: int = 76
    lab_noise_sd: float = 2.0

    def __post_init__(self) -> None:
        for name in ("long_side", "common_long_sides", "aspect_ratios", "aspect_weights", "crop_zoom"):
            v = getattr(self, name)
            if isinstance(v, list):  # e.g. from a YAML parameter file
                object.__setattr__(self, name, tuple(v))
        for name in ("split_weights", "layers", "coverage", "mask_cells"):
            v = getattr(self, name)
            if isinstance(v, list):
                object.__setattr__(self, name, tuple(v))
        for name in ("distortion_weights", "worker_mix", "noise_sd"):
            object.__setattr__(self, name, dict(getattr(self, name)))
        object.__setattr__(self, "levels", {k: tuple(v) for k, v in dict(self.levels).items()})
        object.__setattr__(self, "acceptance_beta", {k: tuple(v) for k, v in dict(self.acceptance_beta).items()})
        self._check()

    def _check(self) -> None:
        c = "Paq2piqConfig."
        check_int(self.n_pictures, c + "n_pictures", low=3)
        _pair("long_side", self.long_side, integer=True, low=32)
        if not self.common_long_sides or not all(
            isinstance(v, numbers.Integral) and v >= 32 for v in self.common_long_sides
        ):
            raise ValueError(f"{c}common_long_sides must be a non-empty tuple of ints >= 32")
        if len(self.aspect_ratios) != len(self.aspect_weights) or not self.aspect_ratios:
            raise ValueError(f"{c}aspect_ratios and aspect_weights must be non-empty and of equal length")
        for r in self.aspect_ratios:
            check_real(r, c + "aspect_ratios[i]", low=1.0)
        if not all(is_real(w) and w >= 0 for w in self.aspect_weights) or sum(self.aspect_weights) <= 0:
            raise ValueError(f"{c}aspect_weights must be non-negative, not all zero")
        for name in ("common_fraction", "portrait_fraction", "global_fraction", "pool_worst_weight"):
            check_probability(getattr(self, name), c + name)
        check_probability(self.both_tasks_fraction, c + "both_tasks_fraction")
        check_probability(self.constant_prob, c + "constant_prob")
        check_real(self.pool_worst_fraction, c + "pool_worst_fraction", low=0.0, high=1.0, low_open=True)
        _pair("crop_zoom", self.crop_zoom, low=0.05)
        if self.crop_zoom[1] > 1:
            raise ValueError(f"{c}crop_zoom must lie in (0, 1], got {self.crop_zoom!r}")
        check_int(self.canvas, c + "canvas", low=1)
        sw = self.split_weights
        if not (isinstance(sw, tuple) and len(sw) == 2 and all(is_real(v) and v >= 0 for v in sw) and sum(sw) > 0):
            raise ValueError(
                f"{c}split_weights must be two non-negative weights (train, val), not both zero; got {sw!r}"
            )
        _pair("layers", self.layers, integer=True, low=0)
        if self.layers[1] > len(DISTORTION_ORDER):
            raise ValueError(f"{c}layers: at most {len(DISTORTION_ORDER)} layers (one per type)")
        _weights("distortion_weights", self.distortion_weights, DISTORTION_ORDER)
        if set(self.levels) != set(DISTORTION_ORDER):
            raise ValueError(f"{c}levels must give a (min, max) range for each of {DISTORTION_ORDER}")
        for k, v in self.levels.items():
            _pair(f"levels[{k!r}]", v, low=0.0)
            for bound in v:
                if k != "exposure":
                    distortions.check_level(k, round(bound) if k == "jpeg" else bound)
        _pair("coverage", self.coverage, low=0.0)
        if self.coverage[1] > 1:
            raise ValueError(f"{c}coverage must lie in [0, 1], got {self.coverage!r}")
        _pair("mask_cells", self.mask_cells, low=0.5)
        for name in (
            "mask_softness",
            "quality_blur_px",
            "attention_sigma_px",
            "impairment_gain",
            "hits_per_worker_mean",
        ):
            check_positive(getattr(self, name), c + name)
        if self.hits_per_worker_mean < 1:
            raise ValueError(f"{c}hits_per_worker_mean must be >= 1, got {self.hits_per_worker_mean!r}")
        for name in (
            "content_quality_sd",
            "attention_weight",
            "taste_sd",
            "bias_sd",
            "scale_sd",
            "lab_noise_sd",
        ):
            check_positive(getattr(self, name), c + name, allow_zero=True)
        check_real(self.pristine_quality, c + "pristine_quality")
        for name in ("ratings_per_picture", "ratings_per_patch", "n_gold_pictures", "n_gold_patches"):
            check_int(getattr(self, name), c + name, low=1)
        for name in ("repeats_per_hit", "gold_per_hit"):
            check_int(getattr(self, name), c + name, low=0)
        check_int(self.contents_per_hit, c + "contents_per_hit", low=1)
        new = self.contents_per_hit - self.repeats_per_hit - self.gold_per_hit
        if new < max(1, self.repeats_per_hit):
            raise ValueError(
                f"{c}contents_per_hit = {self.contents_per_hit} leaves {new} new contents per HIT after "
                f"{self.repeats_per_hit} repeats and {self.gold_per_hit} gold; need >= max(1, repeats_per_hit)"
            )
        if self.gold_per_hit > min(self.n_gold_pictures, self.n_gold_patches):
            raise ValueError(f"{c}gold_per_hit exceeds the number of gold contents")
        _weights("worker_mix", self.worker_mix, WORKER_TYPES)
        if set(self.acceptance_beta) != set(WORKER_TYPES) or not all(
            len(v) == 2 and all(is_real(p) and p > 0 for p in v) for v in self.acceptance_beta.values()
        ):
            raise ValueError(f"{c}acceptance_beta must map each of {WORKER_TYPES} to two positive Beta parameters")
        if set(self.noise_sd) != {"diligent", "careless"} or not all(
            is_real(v) and v >= 0 for v in self.noise_sd.values()
        ):
            raise ValueError(f"{c}noise_sd must map 'diligent' and 'careless' to non-negative sds")

    @property
    def new_per_hit(self) -> int:
        """New (database) contents per HIT: ``contents_per_hit - repeats_per_hit - gold_per_hit``."""
        return self.contents_per_hit - self.repeats_per_hit - self.gold_per_hit

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict of every parameter."""
        out = asdict(self)
        for k, v in out.items():
            if isinstance(v, tuple):
                out[k] = list(v)
            elif isinstance(v, Mapping):
                out[k] = {kk: list(vv) if isinstance(vv, tuple) else vv for kk, vv in v.items()}
        return out

    def key(self) -> str:
        """Short hash of the generator version and every parameter (the cache key)."""
        blob = json.dumps({"generator_version": GENERATOR_VERSION, **self.as_dict()}, sort_keys=True)
        return hashlib.sha1(blob.encode()).hexdigest()[:12]


def smoke_config(**overrides: Any) -> Paq2piqConfig:
    """The smoke-profile database: 24 pictures, 72 patches, 20 contents per HIT (``overrides`` win)."""
    return replace(Paq2piqConfig(n_pictures=24, contents_per_hit=20), **overrides)


# ------------------------------------------------------------------------------ step 1: pictures


def picture_sizes(config: Paq2piqConfig, rng: np.random.Generator) -> np.ndarray:
    """Picture sizes of step 1 as an ``(n, 2)`` int array of ``(width, height)``.

    Only the ``common_long_sides`` inside ``long_side`` are used (none: every size is uniform).
    """
    n = config.n_pictures
    lo, hi = config.long_side
    sides = np.asarray([v for v in config.common_long_sides if lo <= v <= hi], dtype=np.int64)
    common = rng.random(n) < (config.common_fraction if sides.size else 0.0)
    longer = np.where(common, rng.choice(sides if sides.size else np.array([lo]), n), rng.integers(lo, hi + 1, n))
    p = np.asarray(config.aspect_weights, float)
    ratio = rng.choice(np.asarray(config.aspect_ratios, float), n, p=p / p.sum())
    shorter = np.maximum(16, np.rint(longer / ratio)).astype(np.int64)
    portrait = rng.random(n) < config.portrait_fraction
    return np.stack([np.where(portrait, shorter, longer), np.where(portrait, longer, shorter)], axis=1).astype(np.int64)


def _windows(crop_index: np.ndarray, sizes: np.ndarray, config: Paq2piqConfig, rng: np.random.Generator) -> np.ndarray:
    """Float ``(left, top, right, bottom)`` window of each picture in its photograph (step 1)."""
    boxes = np.array([builtin.CROPS[i].box for i in crop_index], dtype=float).reshape(-1, 4)
    bw, bh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    aspect = sizes[:, 0] / sizes[:, 1]
    fit_w = np.where(bw / bh > aspect, bh * aspect, bw)
    fit_h = fit_w / aspect
    zoom = rng.uniform(*config.crop_zoom, size=len(sizes))
    zoom = np.maximum(zoom, np.minimum(1.0, sizes[:, 0] / fit_w))  # no upsampling when the crop allows
    ww, wh = fit_w * zoom, fit_h * zoom
    x0 = boxes[:, 0] + rng.random(len(sizes)) * (bw - ww)
    y0 = boxes[:, 1] + rng.random(len(sizes)) * (bh - wh)
    return np.stack([x0, y0, x0 + ww, y0 + wh], axis=1)


def _render(crop_index: int, window: np.ndarray, size: np.ndarray) -> np.ndarray:
    """The pristine picture: ``window`` of the crop's photograph resized to ``size`` (W, H)."""
    crop = builtin.CROPS[crop_index]
    photo = builtin._load_photo_cached(crop.photo)  # read-only, shared
    grey = builtin.PHOTOS[crop.photo].is_grey
    pil = Image.fromarray(np.ascontiguousarray(photo[:, :, 0]) if grey else photo)
    out = pil.resize((int(size[0]), int(size[1])), resample=Image.Resampling.LANCZOS, box=tuple(window.tolist()))
    return np.asarray(out, dtype=np.uint8).copy()


# --------------------------------------------------------------------------- step 2: distortions


@dataclass(frozen=True)
class _Layer:
    kind: str
    level: float
    coverage: float  # 1.0 = the whole picture
    cells: float
    seed: int
    angle: float = 0.0


def _draw_layers(config: Paq2piqConfig, rng: np.random.Generator) -> list[_Layer]:
    """The distortion layers of one picture (step 2), in the order of :data:`DISTORTION_ORDER`."""
    kinds = [k for k in DISTORTION_ORDER if config.distortion_weights.get(k, 0) > 0]
    w = np.array([config.distortion_weights[k] for k in kinds], float)
    k = int(rng.integers(config.layers[0], config.layers[1] + 1))
    k = min(k, len(kinds))
    chosen = set(rng.choice(kinds, size=k, replace=False, p=w / w.sum()).tolist()) if k else set()
    out = []
    for kind in DISTORTION_ORDER:
        if kind not in chosen:
            continue
        lo, hi = config.levels[kind]
        level = float(rng.uniform(lo, hi))
        if kind == "jpeg":
            level = float(round(level))
        elif kind == "exposure":
            level = level if rng.random() < 0.5 else -level
        whole = rng.random() < config.global_fraction
        coverage = 1.0 if whole else float(rng.uniform(*config.coverage))
        cells = float(rng.uniform(*config.mask_cells))
        out.append(_Layer(kind, level, coverage, cells, int(rng.integers(2**31)), float(rng.uniform(0, 180))))
    return out


def _distort(pristine: np.ndarray, layers: list[_Layer], config: Paq2piqConfig) -> np.ndarray:
    """Apply the layers of step 2 (whole picture or through a random region)."""
    image = pristine
    for layer in layers:
        options = {"angle": layer.angle} if layer.kind == "motion_blur" else None
        if layer.coverage >= 1.0:
            image = distortions.apply(image, layer.kind, layer.level, seed=layer.seed, options=options)
        else:
            mask = distortions.random_mask(
                image.shape[:2], layer.coverage, layer.cells, config.mask_softness, seed=layer.seed
            )
            image = distortions.regional(image, layer.kind, layer.level, mask, seed=layer.seed, options=options)
    return image


# ------------------------------------------------------------------------- steps 3-4: latent quality


def quality_map(
    pristine: np.ndarray, distorted: np.ndarray, content_quality: float, config: Paq2piqConfig
) -> np.ndarray:
    """Latent quality map ``q(x, y)`` of step 3 (float64, the picture's ``(H, W)``).

    ``q = content_quality - impairment_gain * blur(clip(1 - SSIM, 0, 1), quality_blur_px)``, SSIM
    the local map of :func:`saliqa.metrics.fidelity.ssim` (luma, no downsampling), extended from
    its 'valid' size by edge replication.
    """
    if pristine.shape != distorted.shape:
        raise ValueError(f"pristine {pristine.shape} and distorted {distorted.shape} differ in shape")
    h, w = pristine.shape[:2]
    if min(h, w) < _SSIM_WINDOW:
        raise ValueError(f"pictures must be at least {_SSIM_WINDOW} px on each side for the SSIM map; got {w}x{h}")
    _, smap = ssim(pristine, distorted, 255.0, downsample=False, return_map=True)
    pad = (_SSIM_WINDOW - 1) // 2
    d = np.clip(1.0 - np.pad(smap, pad, mode="edge"), 0.0, 1.0)
    d = cv2.GaussianBlur(d.astype(np.float32), (0, 0), sigmaX=config.quality_blur_px, borderType=cv2.BORDER_REFLECT_101)
    return content_quality - config.impairment_gain * d.astype(np.float64)


def pool_quality(values: np.ndarray, worst_fraction: float, worst_weight: float) -> float:
    """Step 4's pooling: ``(1 - w) * mean + w * mean of the lowest ceil(p * n) values``.

    Parameters
    ----------
    values : ndarray
        Quality values of a box (any shape, finite).
    worst_fraction : float
        ``p`` in (0, 1].
    worst_weight : float
        ``w`` in [0, 1].

    Returns
    -------
    float
    """
    v = np.asarray(values, dtype=float).ravel()
    if v.size == 0:
        raise ValueError("pool_quality: no values to pool")
    k = max(1, math.ceil(worst_fraction * v.size))
    worst = np.partition(v, k - 1)[:k].mean()
    return float((1.0 - worst_weight) * v.mean() + worst_weight * worst)


@dataclass
class _Contents:
    """Latent quality of rated contents (pictures or patches) and their attention samples."""

    ids: list[str]
    latent: np.ndarray  # pooled latent quality per content
    attention: np.ndarray  # (n, _ATTENTION_SAMPLES): a(x) - mean(a) at random points


def _box_stats(
    q: np.ndarray, att: np.ndarray, box: np.ndarray, config: Paq2piqConfig, rng: np.random.Generator
) -> tuple[float, np.ndarray]:
    """Pooled latent quality of a box and attention deviations at random points of it."""
    left, top, right, bottom = (int(v) for v in box)
    pooled = pool_quality(q[top:bottom, left:right], config.pool_worst_fraction, config.pool_worst_weight)
    a = att[top:bottom, left:right]
    ys = rng.integers(0, bottom - top, _ATTENTION_SAMPLES)
    xs = rng.integers(0, right - left, _ATTENTION_SAMPLES)
    return pooled, a[ys, xs] - a.mean()


def _picture_seed(seed: int, stream: int, index: int | None = None) -> np.random.Generator:
    """Generator of one stream (``index`` None) or of one picture of it (independent of ``n``)."""
    entropy = [seed, 2000 + GENERATOR_VERSION, stream] + ([] if index is None else [1, index])
    return np.random.default_rng(np.random.SeedSequence(entropy))


def _generate(
    config: Paq2piqConfig, seed: int, folder: Path | None, stream: int, n: int, write: bool
) -> tuple[pd.DataFrame, np.ndarray, _Contents, _Contents]:
    """Steps 1-5 for ``n`` pictures of one stream (0: the database, 1: gold contents)."""
    rng = _picture_seed(seed, stream)
    cfg = replace(config, n_pictures=n) if n != config.n_pictures else config
    sizes = picture_sizes(cfg, rng)
    order = builtin._select(builtin.max_contents(), seed + stream)  # seeded photo-stratified crop order
    crop_index = np.array([order[i % len(order)] for i in range(n)], dtype=np.int64)
    windows = _windows(crop_index, sizes, cfg, rng)
    content_q = config.pristine_quality + config.content_quality_sd * rng.standard_normal(n)
    boxes = sample_patch_boxes(sizes, seed=int(rng.integers(2**31)))
    prefix = "pic" if stream == 0 else "gold"
    ids = [f"{prefix}_{i + 1:05d}" for i in range(n)]
    latent = np.empty(n)
    attention = np.empty((n, _ATTENTION_SAMPLES))
    patch_latent = np.empty((n, len(PATCH_FRACTIONS)))
    patch_attention = np.empty((n, len(PATCH_FRACTIONS), _ATTENTION_SAMPLES))
    kinds: list[str] = []
    described: list[str] = []
    paths_: list[str] = []
    for i in range(n):  # loop over pictures (each has its own size); vectorised within
        prng = _picture_seed(seed, stream, i)
        pristine = _render(int(crop_index[i]), windows[i], sizes[i])
        layers = _draw_layers(config, prng)
        distorted = _distort(pristine, layers, config)
        q = quality_map(pristine, distorted, float(content_q[i]), config)
        att = cv2.GaussianBlur(
            q.astype(np.float32), (0, 0), sigmaX=config.attention_sigma_px, borderType=cv2.BORDER_REFLECT_101
        ).astype(np.float64)
        w, h = int(sizes[i, 0]), int(sizes[i, 1])
        latent[i], attention[i] = _box_stats(q, att, np.array([0, 0, w, h]), config, prng)
        for j in range(len(PATCH_FRACTIONS)):
            patch_latent[i, j], patch_attention[i, j] = _box_stats(q, att, boxes[i, j], config, prng)
        kinds.append("+".join(layer.kind for layer in layers) or "none")
        described.append(
            json.dumps(
                [{"type": layer.kind, "level": layer.level, "coverage": round(layer.coverage, 4)} for layer in layers]
            )
        )
        path = (folder / "pictures" / f"{ids[i]}.png") if folder is not None else Path(f"{ids[i]}.png")
        paths_.append(str(path))
        if write and folder is not None:
            buffer = io.BytesIO()
            Image.fromarray(distorted).save(buffer, format="PNG", compress_level=1)
            atomic_write_bytes(path, buffer.getvalue())
    crops = [builtin.CROPS[int(c)] for c in crop_index]
    images = pd.DataFrame(
        {
            "image_id": ids,
            "path": paths_,
            "width": sizes[:, 0],
            "height": sizes[:, 1],
            "content_id": [c.content_id for c in crops],
            "distortion": kinds,
            "level": np.nan,
            "photo": [c.photo for c in crops],
            "is_grey": [builtin.PHOTOS[c.photo].is_grey for c in crops],
            "window_left": windows[:, 0],
            "window_top": windows[:, 1],
            "window_right": windows[:, 2],
            "window_bottom": windows[:, 3],
            "pristine_quality": content_q,
            "latent_quality": latent,
            "layers": described,
        }
    )
    pictures = _Contents(ids, latent, attention)
    patch_ids = [f"{i}#patch_{j + 1}" for i in ids for j in range(len(PATCH_FRACTIONS))]
    patches = _Contents(
        patch_ids,
        patch_latent.reshape(-1),
        patch_attention.reshape(-1, _ATTENTION_SAMPLES),
    )
    return images, boxes, pictures, patches


# ------------------------------------------------------------------------- steps 7-8: workers, HITs


def _draw_workers(task: str, n: int, first_id: int, config: Paq2piqConfig, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` workers of one pool with their traits (step 7)."""
    types = [t for t in WORKER_TYPES if config.worker_mix.get(t, 0) > 0]
    p = np.array([config.worker_mix[t] for t in types], float)
    wtype = rng.choice(np.asarray(types, dtype=object), size=n, p=p / p.sum())
    ab = np.array([config.acceptance_beta[t] for t in wtype], float).reshape(-1, 2)
    noise = np.array([config.noise_sd.get(t, 0.0) for t in wtype], float)
    return pd.DataFrame(
        {
            "worker_id": [f"W{first_id + k:05d}" for k in range(n)],
            "campaign": task,
            "worker_type": wtype.astype(str),
            "acceptance_rate": rng.beta(ab[:, 0], ab[:, 1]) if n else np.zeros(0),
            "bias": config.bias_sd * rng.standard_normal(n),
            "scale": np.exp(config.scale_sd * rng.standard_normal(n)),
            "noise_sd": noise,
            "constant_score": rng.integers(30, 71, n),
        }
    )


def _hits_per_worker(n_hits: int, config: Paq2piqConfig, rng: np.random.Generator) -> np.ndarray:
    """Runs of HITs per worker (``1 + Poisson(mean - 1)``) summing to ``n_hits``."""
    lam = config.hits_per_worker_mean - 1.0
    counts = 1 + rng.poisson(lam, size=n_hits)  # more than enough
    total = np.cumsum(counts)
    k = int(np.searchsorted(total, n_hits)) + 1
    counts = counts[:k].copy()
    counts[-1] -= int(total[k - 1] - n_hits)
    return counts


@dataclass
class _Task:
    ratings: pd.DataFrame
    workers: pd.DataFrame
    gold: pd.Series


def _simulate_task(
    task: str,
    contents: _Contents,
    gold: _Contents,
    n_ratings: int,
    config: Paq2piqConfig,
    rng: np.random.Generator,
    shared: pd.DataFrame | None,
    first_id: int,
) -> _Task:
    """Steps 6-8 for one task: HITs, workers and every rating row (vectorised over rows)."""
    n = len(contents.ids)
    m = min(config.new_per_hit, n)
    n_hits = math.ceil(n * n_ratings / m)
    perm = rng.permutation(n)
    new = perm[(np.arange(n_hits * m) % n)].reshape(n_hits, m)  # cyclic fill, no repeats within a HIT
    new = new[rng.permutation(n_hits)]
    r = min(config.repeats_per_hit, m)
    g = config.gold_per_hit
    rep_col = np.argsort(rng.random((n_hits, m)), axis=1)[:, :r]
    gold_items = np.argsort(rng.random((n_hits, len(gold.ids))), axis=1)[:, :g]

    # workers: runs of HITs
    runs = _hits_per_worker(n_hits, config, rng)
    workers = _draw_workers(task, len(runs), first_id, config, rng)
    if shared is not None and len(shared) and config.both_tasks_fraction > 0:
        k = min(len(shared), round(config.both_tasks_fraction * len(workers)))
        if k:
            take = rng.choice(len(workers), size=k, replace=False)
            src = shared.iloc[rng.choice(len(shared), size=k, replace=False)]
            for col in (c for c in workers.columns if c != "campaign"):
                workers.loc[take, col] = src[col].to_numpy()
    workers["n_hits"] = runs
    hit_worker = np.repeat(np.arange(len(workers)), runs)

    # one row per presentation: new contents, repeats, gold
    per_hit = m + r + g
    hit = np.repeat(np.arange(n_hits), per_hit)
    is_rep = np.tile(np.r_[np.zeros(m, bool), np.ones(r, bool), np.zeros(g, bool)], n_hits)
    is_gold = np.tile(np.r_[np.zeros(m + r, bool), np.ones(g, bool)], n_hits)
    rep_items = np.take_along_axis(new, rep_col, axis=1)
    item = np.concatenate([new, rep_items, gold_items], axis=1).reshape(-1)
    # pair index: a repeat shares the (worker, HIT, content) draws of its first showing
    pair_slot = np.concatenate(
        [np.tile(np.arange(m), (n_hits, 1)), rep_col, m + np.arange(g)[None, :].repeat(n_hits, 0)], axis=1
    )
    pair = (hit * (m + g) + pair_slot.reshape(-1)).astype(np.int64)
    n_pairs = n_hits * (m + g)
    taste = config.taste_sd * rng.standard_normal(n_pairs)
    att_k = rng.integers(0, _ATTENTION_SAMPLES, n_pairs)
    latent = np.where(is_gold, gold.latent[np.where(is_gold, item, 0)], contents.latent[np.where(is_gold, 0, item)])
    att = np.where(
        is_gold,
        gold.attention[np.where(is_gold, item, 0), att_k[pair]],
        contents.attention[np.where(is_gold, 0, item), att_k[pair]],
    )
    opinion = latent + config.attention_weight * att + taste[pair]

    wk = hit_worker[hit]
    wt = workers["worker_type"].to_numpy()[wk]
    bias = workers["bias"].to_numpy(float)[wk]
    scale = workers["scale"].to_numpy(float)[wk]
    noise = workers["noise_sd"].to_numpy(float)[wk]
    lo, hi = _SCORE_RANGE
    rated = np.clip(np.rint(bias + scale * opinion + noise * rng.standard_normal(hit.size)), lo, hi)
    uniform = rng.integers(lo, hi + 1, hit.size).astype(float)
    constant = np.where(
        rng.random(hit.size) < config.constant_prob, workers["constant_score"].to_numpy(float)[wk], uniform
    )
    score = np.select([wt == "random", wt == "constant"], [uniform, constant], rated)

    # presentation order: a random permutation per HIT; a repeat is the later of its two showings
    position = np.argsort(rng.random((n_hits, per_hit)), axis=1).argsort(axis=1).reshape(-1)
    first_pos = np.full(n_pairs, np.iinfo(np.int64).max)
    np.minimum.at(first_pos, pair, position)
    repeat_flag = position != first_pos[pair]
    del is_rep  # the flag follows the order shown, not the construction

    content_ids = np.where(
        is_gold,
        np.asarray(gold.ids, dtype=object)[np.where(is_gold, item, 0)],
        np.asarray(contents.ids, dtype=object)[np.where(is_gold, 0, item)],
    )
    ratings = pd.DataFrame(
        {
            "image_id": content_ids,
            "rater_id": workers["worker_id"].to_numpy(dtype=object)[wk],
            "score": score,
            "is_gold": is_gold,
            "is_repeat": repeat_flag,
            "hit_id": np.array([f"{task}-H{h + 1:05d}" for h in range(n_hits)], dtype=object)[hit],
            "campaign": task,
            "position": position.astype(np.int64),
            "latent_opinion": opinion,
        }
    )
    ratings = ratings.sort_values(["hit_id", "position"], kind="stable").reset_index(drop=True)
    workers["n_ratings"] = np.bincount(wk, minlength=len(workers))
    lab = gold.latent + config.lab_noise_sd * rng.standard_normal(len(gold.ids))
    return _Task(ratings, workers, pd.Series(lab, index=gold.ids, name="lab_score"))


# ------------------------------------------------------------------------------ assembling, cache


def _spanning(contents: _Contents, k: int) -> _Contents:
    """The ``k`` contents at evenly spaced quantiles of latent quality (a lab set spans the range)."""
    order = np.argsort(contents.latent, kind="stable")
    pick = np.sort(order[np.unique(np.rint(np.linspace(0, len(order) - 1, k)).astype(np.int64))])
    return _Contents([contents.ids[i] for i in pick], contents.latent[pick], contents.attention[pick])


def _splits(images: pd.DataFrame, config: Paq2piqConfig, rng: np.random.Generator) -> np.ndarray:
    """Step 10: ``test`` for pictures larger than the canvas, the rest ``train`` / ``val``.

    "Larger than the canvas" is the rule of :func:`saliqa.canvas.larger_than_canvas` (a side
    longer than the canvas side), written out here because that module needs torch.
    """
    big = (images["height"].to_numpy() > config.canvas) | (images["width"].to_numpy() > config.canvas)
    split = np.full(len(images), "test", dtype=object)
    rest = np.flatnonzero(~big)
    w_train, w_val = config.split_weights
    n_val = round(rest.size * w_val / (w_train + w_val))
    shuffled = rest[rng.permutation(rest.size)]
    split[shuffled[:n_val]] = "val"
    split[shuffled[n_val:]] = "train"
    return split


def _generate_tables(config: Paq2piqConfig, seed: int, folder: Path) -> dict[str, pd.DataFrame]:
    """Steps 1-8 and 10: every generated table (pictures written under ``folder``)."""
    images, boxes, pictures, patch_contents = _generate(config, seed, folder, 0, config.n_pictures, write=True)
    n_gold = _GOLD_CANDIDATES * max(config.n_gold_pictures, math.ceil(config.n_gold_patches / len(PATCH_FRACTIONS)))
    # lab-study gold: uniformly distorted pictures, from pristine to every distortion type at once
    lab_config = replace(config, global_fraction=1.0, layers=(0, len(DISTORTION_ORDER)))
    _, _, gold_pictures, gold_patches = _generate(lab_config, seed, None, 1, n_gold, write=False)
    gold_pictures = _spanning(gold_pictures, config.n_gold_pictures)
    gold_patches = _spanning(gold_patches, config.n_gold_patches)

    rng = {t: _picture_seed(seed, 10 + k) for k, t in enumerate(TASKS)}
    pic = _simulate_task(
        "picture", pictures, gold_pictures, config.ratings_per_picture, config, rng["picture"], None, 1
    )
    pat = _simulate_task(
        "patch",
        patch_contents,
        gold_patches,
        config.ratings_per_patch,
        config,
        rng["patch"],
        pic.workers,
        1 + len(pic.workers),
    )
    images["split"] = _splits(images, config, _picture_seed(seed, 20))
    patches = patch_table(images["image_id"].tolist(), boxes, origin="simulated patches")
    patches["latent_quality"] = patch_contents.latent
    gold = pd.concat(
        [
            pd.DataFrame({"image_id": g.ids, "task": task, "lab_score": t.gold.to_numpy(), "latent_quality": g.latent})
            for task, g, t in (("picture", gold_pictures, pic), ("patch", gold_patches, pat))
        ],
        ignore_index=True,
    )
    return {
        "images": images,
        "patches": patches,
        "ratings": pd.concat([pic.ratings, pat.ratings], ignore_index=True),
        "raters": pd.concat([pic.workers, pat.workers], ignore_index=True),
        "gold": gold,
    }


_TABLES = ("images", "patches", "ratings", "raters", "gold")
# pandas >= 3 reads floats back exactly by default (and deprecates the option); pandas 2 needs it
_EXACT_FLOATS: dict[str, str] = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
_DTYPES: dict[str, dict[str, str]] = {
    "images": {"width": "int64", "height": "int64", "level": "float64", "is_grey": "bool"},
    "patches": {"left": "int64", "top": "int64", "right": "int64", "bottom": "int64", "patch_index": "int64"},
    "ratings": {"score": "float64", "is_gold": "bool", "is_repeat": "bool", "position": "int64"},
    "raters": {"n_hits": "int64", "n_ratings": "int64", "constant_score": "int64"},
    "gold": {},
}


def cache_folder(config: Paq2piqConfig, seed: int) -> Path:
    """The cache folder of a database (module docstring, "Output and cache")."""
    return paths.cache_dir() / f"paq2piq-v{GENERATOR_VERSION}-{config.key()}-seed{check_seed(seed)}"


def _picture_path(folder: Path, image_id: str) -> str:
    return str(folder / "pictures" / f"{image_id}.png")


def _write_tables(folder: Path, tables: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any]) -> None:
    for name in _TABLES:
        table = tables[name].drop(columns=["path"]) if name == "images" else tables[name]
        atomic_write_text(folder / f"{name}.csv", table.to_csv(index=False))
    atomic_write_text(folder / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def _read_tables(folder: Path, config: Paq2piqConfig, seed: int) -> dict[str, pd.DataFrame] | None:
    """The cached tables, or None when the folder is incomplete or from another configuration."""
    meta = read_manifest(folder, config.key(), seed)
    if meta is None:
        return None
    if not all((folder / f"{name}.csv").is_file() for name in _TABLES):
        return None
    out = {}
    for name in _TABLES:
        table = pd.read_csv(folder / f"{name}.csv", keep_default_na=False, na_values=[""], **_EXACT_FLOATS)
        out[name] = table.astype(_DTYPES[name])
    images = out["images"]
    images.insert(1, "path", [_picture_path(folder, i) for i in images["image_id"]])
    if not all(Path(p).is_file() for p in images["path"]):
        return None
    return out


def _unit_status(task: str, ratings: pd.DataFrame, raters: pd.DataFrame, lab: pd.Series, result: Any) -> pd.DataFrame:
    """Every (worker, HIT) unit of one task: worker type, gold SRCC, ``removed_by`` of either screening."""
    from saliqa.subjective import gold_accuracy

    units = ratings[["rater_id", "hit_id"]].drop_duplicates().reset_index(drop=True)
    wtype = raters.loc[raters["campaign"] == task].set_index("worker_id")["worker_type"]
    units["worker_type"] = wtype.reindex(units["rater_id"]).to_numpy()
    key = units["rater_id"].astype(str) + "/" + units["hit_id"].astype(str)
    row_key = ratings["rater_id"].astype(str) + "/" + ratings["hit_id"].astype(str)
    gold = gold_accuracy(ratings.assign(rater_id=row_key.to_numpy()), lab, tolerance=0.0, min_accuracy=0.0)
    units["gold_srcc"] = gold.set_index("rater_id")["gold_srcc"].reindex(key).to_numpy(dtype=float)
    ws = result.worker_screening.status.set_index("worker_id")["removed_by"]
    rs = result.screening.status.set_index("rater_id")["removed_by"]
    by_worker = ws.reindex(units["rater_id"]).to_numpy(dtype=object)
    by_unit = rs.reindex(key).to_numpy(dtype=object)
    units["removed_by"] = np.where(by_worker != "kept", by_worker, by_unit)
    return units


def _process(
    tables: Mapping[str, pd.DataFrame], seed: int, gold_min_srcc: float | None
) -> tuple[dict[str, Any], dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Step 9 for both tasks: :func:`saliqa.subjective.process_ratings` with seed 003's rules."""
    from saliqa.subjective import SEED003_RATER_RULES, GoldCorrelation, process_ratings

    ratings, raters, gold = tables["ratings"], tables["raters"], tables["gold"]
    results, mos, status = {}, {}, {}
    for task in TASKS:
        sub = ratings.loc[ratings["campaign"] == task]
        lab = gold.loc[gold["task"] == task].set_index("image_id")["lab_score"]
        rules = SEED003_RATER_RULES
        if gold_min_srcc is not None:
            rules = (*rules, GoldCorrelation(lab, gold_min_srcc))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="drop_removed: dropped", category=UserWarning)
            res = process_ratings(
                sub,
                rules,
                workers=raters.loc[raters["campaign"] == task],
                unit=("rater_id", "hit_id"),
                n_splits=25,
                seed=seed,
            )
        results[task], mos[task] = res, res.mos
        status[task] = _unit_status(task, sub, raters, lab, res)
    return results, mos, status


def simulate_database(
    config: Paq2piqConfig | None = None, seed: int = 0, *, gold_min_srcc: float | None = None
) -> dict[str, Any]:
    """Simulate the PaQ-2-PiQ-like database (module docstring) or reuse its cached files.

    Parameters
    ----------
    config : Paq2piqConfig, optional
        Model parameters (default :class:`Paq2piqConfig`, 400 pictures; :func:`smoke_config`
        for the smoke size).
    seed : int
        Non-negative; the tables are identical for the same config and seed.
    gold_min_srcc : float, optional
        None (default, as the paper): the gold contents check the screening -- each unit's
        Spearman correlation with the lab scores is reported (``screening[task]["gold_srcc"]``;
        the paper: "nearly all the non-rejected subjects had a positive SRCC") but rejects
        nobody. A number adds :class:`saliqa.subjective.GoldCorrelation` with that threshold to
        the rater rules.

    Returns
    -------
    dict
        - ``images``: canonical ``images`` table of the pictures (``path`` to the PNG,
          ``width``, ``height``, ``content_id`` = the builtin crop, ``distortion`` = the layer
          types joined by ``+``, ``level`` NaN, ``mos``, ``std``, ``split``), plus ``photo``,
          ``is_grey``, ``window_*`` (the window of the photograph), ``pristine_quality``,
          ``latent_quality`` (pooled), ``layers`` (JSON: type, level, coverage of each layer),
          ``n_ratings``, ``n_raters``;
        - ``patches``: canonical ``patches`` table (:func:`saliqa.patches.patch_table`: boxes,
          ``mos``, ``patch_index``, ``fraction``), plus ``latent_quality``, ``std``,
          ``n_ratings``, ``n_raters``;
        - ``ratings``: canonical ``ratings`` of both tasks (``image_id`` = the rated picture,
          patch or gold content, ``rater_id`` = the worker, ``score`` 0-100, ``is_gold``,
          ``is_repeat``), plus ``hit_id``, ``campaign`` (``"picture"`` | ``"patch"``),
          ``position`` (order shown within the HIT) and ``latent_opinion`` (the worker's
          opinion ``o`` before bias, scale and noise);
        - ``raters``: one row per (campaign, worker): ``worker_id``, ``campaign``,
          ``worker_type``, ``acceptance_rate``, ``bias``, ``scale``, ``noise_sd``,
          ``constant_score``, ``n_hits``, ``n_ratings``;
        - ``gold``: gold contents: ``image_id``, ``task``, ``lab_score``, ``latent_quality``;
        - ``mos``: per task, the MOS table of :func:`saliqa.subjective.process_ratings`;
        - ``processing``: per task, its :class:`~saliqa.subjective.ProcessedRatings` (both
          screenings, kept ratings, split-half ``consistency``);
        - ``screening``: per task, every (worker, HIT) unit: ``rater_id``, ``hit_id``,
          ``worker_type``, ``gold_srcc`` (with the lab scores), ``removed_by`` (the worker or
          rater rule that removed it, or ``"kept"``);
        - ``summary``: counts (pictures, patches, distinct contents and photographs used,
          ratings, workers, HITs per task), the cache ``folder`` and whether it was ``reused``;
        - ``planted``: :func:`planted_effects`.

    Raises
    ------
    ValueError
        Bad config or seed.
    """
    cfg = config if config is not None else Paq2piqConfig()
    if not isinstance(cfg, Paq2piqConfig):
        raise ValueError(f"config must be a Paq2piqConfig, got {type(cfg).__name__}")
    seed = check_seed(seed)
    folder = cache_folder(cfg, seed)
    tables = _read_tables(folder, cfg, seed)
    reused = tables is not None
    if tables is None:
        tables = _generate_tables(cfg, seed, folder)
        manifest = {
            "generator": "saliqa.simulate.paq2piq",
            "generator_version": GENERATOR_VERSION,
            "seed": seed,
            "config_key": cfg.key(),
            "config": cfg.as_dict(),
            "rows": {name: len(tables[name]) for name in _TABLES},
        }
        _write_tables(folder, tables, manifest)
    images, patches, ratings = tables["images"], tables["patches"], tables["ratings"]
    results, mos, status = _process(tables, seed, gold_min_srcc)
    for table, task in ((images, "picture"), (patches, "patch")):
        key = "image_id" if task == "picture" else "patch_id"
        m = mos[task].set_index("image_id").reindex(table[key])
        table["mos"] = m["mos"].to_numpy()
        table["std"] = m["std"].to_numpy()
        table["n_ratings"] = m["n_ratings"].fillna(0).astype(np.int64).to_numpy()
        table["n_raters"] = m["n_raters"].fillna(0).astype(np.int64).to_numpy()
    images = validate(images, "images", origin="simulated PaQ-2-PiQ pictures")
    patches = validate(patches, "patches", origin="simulated PaQ-2-PiQ patches")
    ratings = validate(ratings, "ratings", origin="simulated PaQ-2-PiQ ratings")
    summary = {
        "n_pictures": len(images),
        "n_patches": len(patches),
        "n_contents": int(images["content_id"].nunique()),
        "n_photos": int(images["photo"].nunique()),
        "n_ratings": {t: int((ratings["campaign"] == t).sum()) for t in TASKS},
        "n_workers": {t: int((tables["raters"]["campaign"] == t).sum()) for t in TASKS},
        "n_workers_both_tasks": int(tables["raters"]["worker_id"].duplicated().sum()),
        "n_hits": {t: int(ratings.loc[ratings["campaign"] == t, "hit_id"].nunique()) for t in TASKS},
        "n_test_pictures": int((images["split"] == "test").sum()),
        "folder": str(folder),
        "reused": reused,
    }
    return {
        "images": images,
        "patches": patches,
        "ratings": ratings,
        "raters": tables["raters"],
        "gold": tables["gold"],
        "mos": mos,
        "processing": results,
        "screening": status,
        "summary": summary,
        "planted": planted_effects(cfg, seed),
    }


# ------------------------------------------------------------------------------ planted effects


def planted_effects(config: Paq2piqConfig, seed: int) -> dict[str, Any]:
    """The planted effects with their expected directions (JSON-serialisable)."""
    return {
        "generator": "saliqa.simulate.paq2piq",
        "generator_version": GENERATOR_VERSION,
        "seed": int(seed),
        "config": config.as_dict(),
        "config_key": config.key(),
        "effects": {
            "picture_patch_lcc_falls": {
                "statement": "picture MOS vs patch MOS: the LCC falls as the patch shrinks",
                "measure": "LCC(picture MOS, patch MOS) for the 40 / 30 / 20 % patches",
                "expected": "lcc[0.4] > lcc[0.3] > lcc[0.2] > 0",
                "reference": {"flive_real_test": [0.50, 0.41, 0.34], "paper": [0.43, 0.36, 0.28]},
                "mechanism": f"regional distortions (coverage {list(config.coverage)}, "
                f"{list(config.mask_cells)} cells, {config.global_fraction:.0%} of layers global); latent "
                "quality pooled over the picture or over the patch",
            },
            "patches_more_consistent": {
                "statement": "patch ratings are more consistent than picture ratings",
                "measure": "split-half LCC (25 random splits of the kept workers), patches minus pictures",
                "expected": "> 0",
                "reference": {"paper": {"picture": 0.48, "patch": 0.65}},
                "mechanism": f"each opinion weighs one random {config.attention_sigma_px:g}-px attention region "
                f"(weight {config.attention_weight:g}); a picture shows more different regions than a patch",
            },
            "screening_effective": {
                "statement": "screening removes most spammers and keeps most diligent raters",
                "measure": "share of spammer (worker, HIT) units removed; share of diligent units kept",
                "expected": "> 0.8 and > 0.8",
            },
            "mos_tracks_latent": {
                "statement": "MOS tracks the latent quality",
                "measure": "SRCC(MOS, pooled latent quality), pictures and patches",
                "expected": "> 0.7",
            },
        },
        "not_simulated": [
            "HIT sizes of 60 then 210 contents (one size, contents_per_hit)",
            "workers turned away by the platform (they rate and are removed afterwards)",
            "35-50 ratings per content (ratings_per_picture / ratings_per_patch)",
        ],
    }


def recovered_effects(database: Mapping[str, Any]) -> dict[str, Any]:
    """Measure the planted effects on the output of :func:`simulate_database`.

    Returns
    -------
    dict
        ``picture_patch_lcc`` and ``latent_picture_patch_lcc`` (per patch fraction, MOS and
        latent quality), ``split_half`` (mean LCC per task), ``screening`` (per task and worker
        type: units and the share removed), ``mos_latent_srcc`` (per task), and ``holds``
        (per effect, whether its expectation is met).
    """
    from saliqa.paq2piq_database import picture_patch_correlation
    from saliqa.subjective import gold_accuracy

    images, patches = database["images"], database["patches"]
    corr = picture_patch_correlation(images, patches)
    lcc = {float(r.fraction): float(r.lcc) for r in corr.itertuples()}
    pic_latent = images.set_index("image_id")["latent_quality"].reindex(patches["image_id"]).to_numpy()
    latent_lcc = {
        float(f): float(plcc(patches.loc[sel, "latent_quality"], pic_latent[sel.to_numpy()]))
        for f, sel in ((f, patches["fraction"] == f) for f in sorted(patches["fraction"].unique(), reverse=True))
    }
    split_half = {t: float(database["processing"][t].consistency.mean) for t in TASKS}
    screening: dict[str, dict[str, dict[str, float]]] = {}
    for task in TASKS:
        st = database["screening"][task]
        screening[task] = {
            wt: {"units": int((st["worker_type"] == wt).sum()), "removed": float((g["removed_by"] != "kept").mean())}
            for wt, g in st.groupby("worker_type")
        }
        screening[task]["by_step"] = st["removed_by"].value_counts().to_dict()
    srcc_latent = {
        "picture": float(srcc(images["mos"], images["latent_quality"])),
        "patch": float(srcc(patches["mos"], patches["latent_quality"])),
    }
    sizes = sorted(lcc, reverse=True)
    spam, kept = [], []
    for task in TASKS:
        st = database["screening"][task]
        is_spam = st["worker_type"].isin(["constant", "random"])
        spam.append((st.loc[is_spam, "removed_by"] != "kept").mean() if is_spam.any() else 1.0)
        kept.append((st.loc[st["worker_type"] == "diligent", "removed_by"] == "kept").mean())
    gold_positive = {}
    for task in TASKS:
        lab = database["gold"].loc[database["gold"]["task"] == task].set_index("image_id")["lab_score"]
        kept_ratings = database["processing"][task].ratings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            per_worker = gold_accuracy(kept_ratings, lab, tolerance=0.0, min_accuracy=0.0)["gold_srcc"].dropna()
        gold_positive[task] = float((per_worker > 0).mean())
    holds = {
        "picture_patch_lcc_falls": bool(all(lcc[a] > lcc[b] for a, b in zip(sizes, sizes[1:])) and lcc[sizes[-1]] > 0),
        "patches_more_consistent": split_half["patch"] > split_half["picture"],
        "screening_effective": bool(min(spam) > 0.8 and min(kept) > 0.8),
        "mos_tracks_latent": min(srcc_latent.values()) > 0.7,
    }
    return {
        "picture_patch_lcc": lcc,
        "latent_picture_patch_lcc": latent_lcc,
        "split_half": split_half,
        "screening": screening,
        "spammer_units_removed": [float(v) for v in spam],
        "diligent_units_kept": [float(v) for v in kept],
        "mos_latent_srcc": srcc_latent,
        "gold_positive_srcc_kept": gold_positive,
        "holds": holds,
    }
