"""Simulated TUD-like study: eye fixations, crowd clicks, crowd workers and quality ratings.

The builtin data of notebook 01 (seed 000, "crowdsourced self-reported attention vs eye
tracking, free viewing vs an IQA task"). Real photographs (:mod:`saliqa.datasets.builtin`) are
JPEG-compressed at several quality factors (the TUD design: originals x 4 JPEG levels) and
*simulated* observers look at / click on / rate them. Nothing here is the paper's data: the
numbers a notebook obtains on it test that the analysis recovers the effects planted below.

Generative model
----------------
All lengths are in degrees of visual angle and converted with the viewing geometry
(``viewing_distance_cm``, ``display_width_cm``: the displayed image width) through
:func:`saliqa.saliency.pixels_per_degree` (``ppd = W_px / angle subtended by the image``).

1. **Bottom-up density** ``F`` per content, computed on the *reference* image so free viewing is
   the same for every JPEG version (:func:`free_viewing_density`): three feature maps of the
   luminance / colour image -- local RMS contrast (Gaussian window ``contrast_scale_deg``),
   colour-opponency distinctiveness (red-green and blue-yellow channels blurred at
   ``colour_scale_deg``, distance from their image means) and edge energy (Sobel magnitude
   blurred at ``contrast_scale_deg``) -- each divided by its maximum, averaged with
   ``feature_weights``, blurred at ``feature_blur_deg``, raised to ``feature_gamma`` (peaky
   "objects") and sum-normalised; then mixed with a Gaussian centre bias
   (:func:`saliqa.saliency.centre_prior`, ``centre_sigma_frac``):
   ``F = (1 - centre_weight) * feat + centre_weight * centre``.
2. **Distortion visibility** ``V`` per image version (:func:`distortion_visibility`): the
   absolute luminance difference between the version and its reference, pooled with a Gaussian
   of ``visibility_pool_deg``, divided by ``masking_constant + local contrast of the reference``
   (contrast masking: blocking in smooth areas is the most visible), plus
   ``visibility_floor`` (a near-perfect version is searched everywhere), sum-normalised.
3. **Task densities.** Free viewing: ``F``. IQA task:
   ``T = (1 - iqa_visibility_weight) * F + iqa_visibility_weight * V``, a superposition of free
   viewing and task-specific information (seed 000, section 3.2).
4. **Eye fixations** (``source="eye"``): for each version and task, ``n_eye_observers``
   observers (different people per task, as in TUD: Liu et al. free viewing, Alers et al. IQA)
   each make ``eye_fixations`` (uniform integer range) fixations drawn from the task density,
   displaced by isotropic Gaussian eye-tracker error of ``eye_error_deg``.
5. **Crowd clicks** (``source="click"``): one answer is one worker's clicks on one version.
   Clicks come from the task density with each component *sharpened*,
   ``S_g(D) = D**g / sum``: free ``S_a(F)``; IQA
   ``(1 - iqa_visibility_weight) S_a(F) + iqa_visibility_weight S_b(V)`` with
   ``a = click_gamma > 1`` (the densest peaks; seed 000: "users preferred to click on meaningful
   locations") and ``b = click_visibility_gamma`` (default 1: clicks also go to the artefacts,
   "they pick many off-subject locations ... compression artifacts"). A diligent worker's
   click is uniformly random with probability ``click_uniform_frac``; careless workers and
   spammers click uniformly at random. Positions get Gaussian pointing error
   ``click_error_deg``. Clicks per answer: ``free_clicks`` / ``iqa_clicks`` ranges (seed: 3-10
   free, >= 3 IQA with "3 to 5" asked); spammers give the minimum.
6. **Worker pools**, one per campaign (``"free"``, ``"iqa"``): each worker has a type drawn
   from ``*_worker_mix`` (``diligent``, ``careless``, ``spammer``), a country from
   :data:`COUNTRY_WEIGHTS` (INVENTED, see there), a platform accuracy from a Beta distribution
   per type (:data:`PLATFORM_ACCURACY_BETA`) and a number of answers from a Gamma distribution
   (mean ``*_answers_per_worker_mean``, shape ``answers_per_worker_shape``) rounded and
   clipped to ``1 .. min(max_answers_per_worker, number of versions)``. Workers join until
   every version has ``*_answers_per_image`` answers; each picks distinct versions among the
   least-answered ones (CrowdFlower-style judgments per unit), so every version ends with
   exactly that many answers before screening. No worker goes past the cap, so the cap rule of
   :func:`saliqa.crowd.screen_workers` removes nothing on this data (it is tested on
   constructed cases).
7. **IQA ratings** (5-point ACR scale, seed section 2.2): latent quality per version
   ``q = 1 + 4 / (1 + exp(-(PSNR - psnr_mid) / psnr_slope)) + content offset``
   (``content_quality_sd``), so ``q`` falls monotonically as the JPEG quality factor falls
   (PSNR of the reference itself is infinite: ``q = 5``); clipped to ``[1, 5]``. A diligent
   rater answers ``round(q + b + e)`` (bias ``b ~ N(0, diligent_bias_sd)``, noise
   ``e ~ N(0, diligent_noise_sd)``), a careless one the same with ``careless_*`` spreads, a
   spammer a constant drawn from 1..5; all clipped to 1..5.
8. **Test questions** (IQA campaign only; the free campaign had none and no quiz): the
   ``n_test_questions`` gold versions are drawn from the set; the allowed answers of one are the
   integers within ``gold_tolerance`` of its ``q`` (at least ``round(q)``). Each worker first
   takes a quiz of ``quiz_size`` gold questions and works only with an accuracy
   ``>= quiz_pass_accuracy``; in work mode one answer in ``1 / gold_rate`` is a hidden test
   question. ``test_accuracy`` is the fraction of work-mode test questions answered within
   the allowed range. Workers are not stopped when they fall below 70 % (the platform did);
   :func:`saliqa.crowd.screen_workers` removes them afterwards with all their answers.

Planted effects (``simulate_study(...)["planted"]``)
---------------------------------------------------
1. IQA maps are broader than free-viewing maps and overlap them: mean
   ``D_KL(IQA || Free) > D_KL(Free || IQA)``, for eye and for crowd data.
2. Crowd and eye maps agree: mean CC(crowd, eye) > 0.5 in both tasks.
3. MOS falls as JPEG compression increases (rises with the quality factor ``level``).
4. Screening removes most spammers and keeps most diligent workers.

Tables returned by :func:`simulate_study` are the canonical ones of
:mod:`saliqa.datasets.tables`, plus a ``workers`` table and the ``planted`` dict.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import ndimage

from saliqa.datasets.tables import validate
from saliqa.saliency import centre_prior, pixels_per_degree

__all__ = [
    "GENERATOR_VERSION",
    "WORKER_TYPES",
    "COUNTRY_WEIGHTS",
    "PLATFORM_ACCURACY_BETA",
    "REFERENCE_DISTORTIONS",
    "SimulationConfig",
    "luminance",
    "feature_saliency",
    "free_viewing_density",
    "distortion_visibility",
    "iqa_density",
    "sharpen",
    "sample_points",
    "latent_quality",
    "simulate_study",
    "planted_effects",
]

GENERATOR_VERSION = 2
"""Bumped whenever the generated tables change for a given config and seed (cache key)."""

WORKER_TYPES: tuple[str, ...] = ("diligent", "careless", "spammer")

REFERENCE_DISTORTIONS: tuple[str, ...] = ("none", "reference", "original", "pristine")
"""``distortion`` values that mark an undistorted reference row in an ``images`` table."""

# Invented: a CrowdFlower-like workforce dominated by a few countries with a long tail (ISO 3166
# alpha-3). Seed 000's Figure 1 shows the real distribution; it is not transcribed in the text.
COUNTRY_WEIGHTS: Mapping[str, float] = {
    "VEN": 20.0, "USA": 11.0, "IND": 9.0, "SRB": 5.0, "EGY": 4.0, "BIH": 4.0, "ROU": 3.5,
    "PHL": 3.0, "GBR": 3.0, "BRA": 3.0, "ESP": 2.5, "ITA": 2.5, "PRT": 2.0, "MKD": 2.0,
    "TUR": 2.0, "IDN": 2.0, "VNM": 1.8, "HRV": 1.5, "POL": 1.5, "DEU": 1.5, "MEX": 1.5,
    "ARG": 1.5, "COL": 1.2, "CAN": 1.2, "UKR": 1.2, "RUS": 1.2, "PAK": 1.0, "BGD": 1.0,
    "MAR": 1.0, "GRC": 1.0, "HUN": 0.8, "BGR": 0.8, "LKA": 0.6, "MYS": 0.6, "NGA": 0.6,
    "KEN": 0.5, "CHL": 0.5, "PER": 0.5, "FRA": 0.5, "NLD": 0.4, "ZAF": 0.4, "TUN": 0.4,
    "DZA": 0.4, "JAM": 0.3, "NPL": 0.3, "EST": 0.3, "LTU": 0.3, "SVK": 0.3, "MNE": 0.3,
    "ALB": 0.3, "ECU": 0.3, "DOM": 0.2, "URY": 0.2, "SVN": 0.2, "LVA": 0.2, "CZE": 0.2,
}
"""Relative country weights of simulated workers. INVENTED (not the paper's Figure 1)."""

PLATFORM_ACCURACY_BETA: Mapping[str, tuple[float, float]] = {
    "diligent": (30.0, 3.0),  # mean 0.91, P(< 0.8) ~ 3 %
    "careless": (14.0, 3.0),  # mean 0.82, P(< 0.8) ~ 40 %
    "spammer": (4.0, 3.0),  # mean 0.57, P(< 0.8) ~ 90 %
}
"""Beta ``(a, b)`` of a worker's cumulative platform accuracy, per worker type (invented)."""


def _positive(name: str, v: Any, *, allow_zero: bool = False) -> None:
    ok = isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(float(v))
    if not ok or (float(v) < 0 if allow_zero else float(v) <= 0):
        raise ValueError(f"SimulationConfig.{name} must be a {'non-negative' if allow_zero else 'positive'} "
                         f"finite number, got {v!r}")


def _fraction(name: str, v: Any) -> None:
    ok = isinstance(v, numbers.Real) and not isinstance(v, bool) and 0.0 <= float(v) <= 1.0
    if not ok:
        raise ValueError(f"SimulationConfig.{name} must be a number in [0, 1], got {v!r}")


def _int_range(name: str, v: Any, low: int = 1) -> None:
    ok = (isinstance(v, tuple) and len(v) == 2
          and all(isinstance(k, numbers.Integral) and not isinstance(k, bool) for k in v)
          and low <= v[0] <= v[1])
    if not ok:
        raise ValueError(f"SimulationConfig.{name} must be a tuple (min, max) of ints with {low} <= min <= max, "
                         f"got {v!r}")


def _count(name: str, v: Any, low: int = 1) -> None:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < low:
        raise ValueError(f"SimulationConfig.{name} must be an int >= {low}, got {v!r}")


def _mix(name: str, v: Any) -> None:
    ok = (isinstance(v, Mapping) and set(v) == set(WORKER_TYPES)
          and all(isinstance(p, numbers.Real) and p >= 0 for p in v.values()) and sum(v.values()) > 0)
    if not ok:
        raise ValueError(f"SimulationConfig.{name} must map each of {WORKER_TYPES} to a non-negative weight "
                         f"(not all zero), got {v!r}")


@dataclass(frozen=True)
class SimulationConfig:
    """Every parameter of the generative model (see the module docstring), with its default.

    Geometry
    --------
    viewing_distance_cm : float = 70.0
        Eye-to-screen distance.
    display_width_cm : float = 30.0
        Physical width of the displayed image (so the image spans ~24 deg).

    Bottom-up density
    -----------------
    contrast_scale_deg : float = 0.5
        Window of the local RMS contrast and of the edge-energy blur.
    colour_scale_deg : float = 1.0
        Blur of the colour-opponent channels.
    feature_weights : tuple = (1.0, 1.0, 1.0)
        Weights of (contrast, colour, edges).
    feature_blur_deg : float = 1.0
        Blur of the combined feature map.
    feature_gamma : float = 4.0
        Exponent making the feature map peaky.
    centre_weight : float = 0.05
        Mixture weight of the centre bias.
    centre_sigma_frac : float = 0.25
        Centre-bias standard deviation as a fraction of (H, W).

    Distortion visibility / IQA task
    --------------------------------
    visibility_pool_deg : float = 0.5
        Pooling of the absolute luminance difference.
    masking_constant : float = 0.01
        Added to the reference's local contrast (luminance in [0, 1]) in the masking divisor.
    visibility_floor : float = 0.05
        Added to the visibility map before normalising (uniform search component).
    iqa_visibility_weight : float = 0.6
        Weight of ``V`` in the IQA-task density (planted effect 1).

    Eye tracking
    ------------
    n_eye_observers : int = 15
        Observers per task (different people per task).
    eye_fixations : (int, int) = (8, 14)
        Fixations per observer and version (uniform integer range, inclusive).
    eye_error_deg : float = 0.5
        Eye-tracker error (Gaussian std per axis).

    Crowd
    -----
    free_answers_per_image : int = 30
        Answers per version in the free-viewing campaign (seed: 30).
    iqa_answers_per_image : int = 56
        Work-mode answers per version in the IQA campaign before screening (seed: ~51 trusted).
    free_clicks, iqa_clicks : (int, int) = (3, 10), (3, 5)
        Clicks per answer (uniform integer range).
    click_gamma : float = 2.0
        Sharpening exponent of the free-viewing component of the click density (> 1).
    click_visibility_gamma : float = 1.0
        Sharpening exponent of the visibility component of IQA clicks (1: artefacts are
        clicked as broadly as they are visible).
    click_uniform_frac : float = 0.05
        A diligent worker's probability of an off-subject uniform click.
    click_error_deg : float = 0.25
        Pointing error (Gaussian std per axis).
    free_worker_mix, iqa_worker_mix : mapping
        Worker-type weights per campaign (defaults 0.87/0.10/0.03 and 0.88/0.08/0.04).
    free_answers_per_worker_mean, iqa_answers_per_worker_mean : float = 45.0, 16.0
        Mean of the Gamma draw of answers per worker, before clipping to the cap (seed:
        39.7 and 14.6 per worker including quiz failures).
    answers_per_worker_shape : float = 1.5
        Gamma shape of answers per worker.
    max_answers_per_worker : int = 50
        Cap per worker and campaign (seed: 50).

    Ratings and test questions (IQA)
    --------------------------------
    psnr_mid, psnr_slope : float = 30.0, 2.5
        Logistic mapping of PSNR (dB) to latent quality 1..5.
    content_quality_sd : float = 0.15
        Per-content offset of latent quality.
    diligent_bias_sd, diligent_noise_sd : float = 0.25, 0.4
    careless_bias_sd, careless_noise_sd : float = 0.6, 1.4
    n_test_questions : int = 10
        Gold versions (seed: 10 test questions).
    gold_tolerance : float = 1.0
        Allowed answers: integers within this distance of ``q`` (and ``round(q)``).
    quiz_size : int = 5
        Gold questions in the qualification quiz.
    quiz_pass_accuracy : float = 0.7
        Quiz accuracy needed to work.
    gold_rate : float = 0.2
        Hidden test questions per work answer (one per page of five).
    """

    viewing_distance_cm: float = 70.0
    display_width_cm: float = 30.0
    contrast_scale_deg: float = 0.5
    colour_scale_deg: float = 1.0
    feature_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)
    feature_blur_deg: float = 1.0
    feature_gamma: float = 4.0
    centre_weight: float = 0.05
    centre_sigma_frac: float = 0.25
    visibility_pool_deg: float = 0.5
    masking_constant: float = 0.01
    visibility_floor: float = 0.05
    iqa_visibility_weight: float = 0.6
    n_eye_observers: int = 15
    eye_fixations: tuple[int, int] = (8, 14)
    eye_error_deg: float = 0.5
    free_answers_per_image: int = 30
    iqa_answers_per_image: int = 56
    free_clicks: tuple[int, int] = (3, 10)
    iqa_clicks: tuple[int, int] = (3, 5)
    click_gamma: float = 2.0
    click_visibility_gamma: float = 1.0
    click_uniform_frac: float = 0.05
    click_error_deg: float = 0.25
    free_worker_mix: Mapping[str, float] = field(
        default_factory=lambda: {"diligent": 0.87, "careless": 0.10, "spammer": 0.03})
    iqa_worker_mix: Mapping[str, float] = field(
        default_factory=lambda: {"diligent": 0.88, "careless": 0.08, "spammer": 0.04})
    free_answers_per_worker_mean: float = 45.0
    iqa_answers_per_worker_mean: float = 16.0
    answers_per_worker_shape: float = 1.5
    max_answers_per_worker: int = 50
    psnr_mid: float = 30.0
    psnr_slope: float = 2.5
    content_quality_sd: float = 0.15
    diligent_bias_sd: float = 0.25
    diligent_noise_sd: float = 0.4
    careless_bias_sd: float = 0.6
    careless_noise_sd: float = 1.4
    n_test_questions: int = 10
    gold_tolerance: float = 1.0
    quiz_size: int = 5
    quiz_pass_accuracy: float = 0.7
    gold_rate: float = 0.2

    def __post_init__(self) -> None:
        for name in ("eye_fixations", "free_clicks", "iqa_clicks", "feature_weights"):
            v = getattr(self, name)
            if isinstance(v, list):  # e.g. from a YAML parameter file
                object.__setattr__(self, name, tuple(v))
        for name in ("free_worker_mix", "iqa_worker_mix"):
            v = getattr(self, name)
            if isinstance(v, Mapping):
                object.__setattr__(self, name, dict(v))
        for name in ("viewing_distance_cm", "display_width_cm", "contrast_scale_deg", "colour_scale_deg",
                     "feature_blur_deg", "feature_gamma", "centre_sigma_frac", "visibility_pool_deg",
                     "masking_constant", "visibility_floor", "answers_per_worker_shape", "psnr_slope",
                     "free_answers_per_worker_mean", "iqa_answers_per_worker_mean", "gold_tolerance",
                     "click_gamma", "click_visibility_gamma"):
            _positive(name, getattr(self, name))
        for name in ("eye_error_deg", "click_error_deg", "content_quality_sd", "diligent_bias_sd",
                     "diligent_noise_sd", "careless_bias_sd", "careless_noise_sd"):
            _positive(name, getattr(self, name), allow_zero=True)
        if not (isinstance(self.psnr_mid, numbers.Real) and math.isfinite(self.psnr_mid)):
            raise ValueError(f"SimulationConfig.psnr_mid must be a finite number of dB, got {self.psnr_mid!r}")
        for name in ("centre_weight", "iqa_visibility_weight", "click_uniform_frac", "quiz_pass_accuracy",
                     "gold_rate"):
            _fraction(name, getattr(self, name))
        for name in ("n_eye_observers", "free_answers_per_image", "iqa_answers_per_image",
                     "max_answers_per_worker", "n_test_questions", "quiz_size"):
            _count(name, getattr(self, name))
        _int_range("eye_fixations", self.eye_fixations)
        _int_range("free_clicks", self.free_clicks)
        _int_range("iqa_clicks", self.iqa_clicks)
        _mix("free_worker_mix", self.free_worker_mix)
        _mix("iqa_worker_mix", self.iqa_worker_mix)
        fw = self.feature_weights
        if not (isinstance(fw, tuple) and len(fw) == 3 and all(isinstance(w, numbers.Real) and w >= 0 for w in fw)
                and sum(fw) > 0):
            raise ValueError(f"SimulationConfig.feature_weights must be 3 non-negative weights (contrast, colour, "
                             f"edges), not all zero, got {fw!r}")

    def pixels_per_degree(self, width_px: int) -> float:
        """Pixels per degree for an image ``width_px`` wide shown ``display_width_cm`` wide."""
        return pixels_per_degree(self.viewing_distance_cm, self.display_width_cm, width_px)

    def viewing_geometry(self, width_px: int) -> dict[str, float]:
        """Keyword arguments of :func:`saliqa.attention.sigma_px_from_geometry` for this geometry."""
        return {"viewing_distance": float(self.viewing_distance_cm), "screen_width": float(self.display_width_cm),
                "screen_width_px": float(width_px)}

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict of every parameter."""
        out = asdict(self)
        for k, v in out.items():
            if isinstance(v, tuple):
                out[k] = list(v)
            elif isinstance(v, Mapping):
                out[k] = dict(v)
        return out

    def key(self) -> str:
        """Short hash of the generator version and every parameter (a cache key)."""
        blob = json.dumps({"generator_version": GENERATOR_VERSION, **self.as_dict()}, sort_keys=True)
        return hashlib.sha1(blob.encode()).hexdigest()[:12]


# --------------------------------------------------------------------------------------------
# image features and densities
# --------------------------------------------------------------------------------------------


def _as_rgb01(image: np.ndarray, name: str = "image") -> np.ndarray:
    a = np.asarray(image)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4) or a.shape[0] < 2 or a.shape[1] < 2:
        raise ValueError(f"{name} must be an (H, W, 3) RGB or (H, W) grey array, got shape {a.shape}")
    a = a[:, :, :3]
    if a.dtype == np.uint8:
        return a.astype(np.float64) / 255.0
    f = a.astype(np.float64)
    if not np.all(np.isfinite(f)) or f.min() < 0 or f.max() > 1:
        raise ValueError(f"{name}: a float image must have finite values in [0, 1] (got range "
                         f"{np.nanmin(f):.3g}..{np.nanmax(f):.3g}); uint8 images are divided by 255")
    return f


_LUMA = np.array([0.299, 0.587, 0.114])


def luminance(image: np.ndarray) -> np.ndarray:
    """Rec. 601 luma ``0.299 R + 0.587 G + 0.114 B`` in ``[0, 1]`` of a uint8 / [0, 1] image."""
    return _as_rgb01(image) @ _LUMA


def _local_std(lum: np.ndarray, sigma: float) -> np.ndarray:
    mean = ndimage.gaussian_filter(lum, sigma, mode="reflect", truncate=3.0)
    sq = ndimage.gaussian_filter(lum * lum, sigma, mode="reflect", truncate=3.0)
    return np.sqrt(np.maximum(sq - mean * mean, 0.0))


def _unit_max(m: np.ndarray) -> np.ndarray:
    top = float(m.max())
    return m / top if top > 0 else np.zeros_like(m)


def _sum_normalise(m: np.ndarray, what: str) -> np.ndarray:
    total = float(m.sum())
    if not math.isfinite(total) or total <= 0:
        raise ValueError(f"{what} has no positive mass; cannot normalise it to a density")
    return m / total


def feature_saliency(image: np.ndarray, ppd: float, config: SimulationConfig | None = None) -> np.ndarray:
    """Image-feature saliency (step 1 of the module docstring), sum-normalised ``(H, W)``.

    Contrast, colour-opponency and edge-energy maps, each max-normalised, averaged with
    ``config.feature_weights``, blurred at ``feature_blur_deg`` and raised to ``feature_gamma``.
    A map with no structure at all (a flat image) gives the uniform density.
    """
    cfg = config or SimulationConfig()
    _positive("ppd", ppd)
    rgb = _as_rgb01(image)
    lum = rgb @ _LUMA
    s_c = cfg.contrast_scale_deg * ppd
    contrast = _local_std(lum, s_c)
    rg = rgb[:, :, 0] - rgb[:, :, 1]
    by = rgb[:, :, 2] - 0.5 * (rgb[:, :, 0] + rgb[:, :, 1])
    s_col = cfg.colour_scale_deg * ppd
    rg_b = ndimage.gaussian_filter(rg, s_col, mode="reflect", truncate=3.0)
    by_b = ndimage.gaussian_filter(by, s_col, mode="reflect", truncate=3.0)
    colour = np.hypot(rg_b - rg.mean(), by_b - by.mean())
    edges = ndimage.gaussian_filter(np.hypot(ndimage.sobel(lum, axis=0), ndimage.sobel(lum, axis=1)), s_c,
                                    mode="reflect", truncate=3.0)
    w = np.asarray(cfg.feature_weights, dtype=np.float64)
    feat = (w[0] * _unit_max(contrast) + w[1] * _unit_max(colour) + w[2] * _unit_max(edges)) / w.sum()
    feat = ndimage.gaussian_filter(feat, cfg.feature_blur_deg * ppd, mode="reflect", truncate=3.0)
    feat = np.maximum(feat, 0.0) ** cfg.feature_gamma
    if not np.any(feat > 0):
        return np.full(lum.shape, 1.0 / lum.size)
    return feat / feat.sum()


def free_viewing_density(reference: np.ndarray, ppd: float, config: SimulationConfig | None = None) -> np.ndarray:
    """Free-viewing density ``F = (1 - centre_weight) feat + centre_weight centre`` (step 1)."""
    cfg = config or SimulationConfig()
    feat = feature_saliency(reference, ppd, cfg)
    centre = centre_prior(feat.shape, cfg.centre_sigma_frac)
    dens = (1.0 - cfg.centre_weight) * feat + cfg.centre_weight * centre
    return dens / dens.sum()


def distortion_visibility(reference: np.ndarray, distorted: np.ndarray, ppd: float,
                          config: SimulationConfig | None = None, *,
                          reference_contrast: np.ndarray | None = None) -> np.ndarray:
    """Distortion-visibility density ``V`` of a version against its reference (step 2).

    ``V ∝ G(|L_d - L_r|) / (masking_constant + local_std(L_r)) + visibility_floor`` with ``G`` a
    Gaussian of ``visibility_pool_deg`` (``local_std`` uses the same window); the reference
    against itself gives the uniform density.

    Parameters
    ----------
    reference, distorted
        uint8 or [0, 1] images of the same shape.
    ppd
        Pixels per degree.
    config
        Model parameters.
    reference_contrast
        Optional precomputed ``local_std(L_r)`` at the pooling scale (reused across the
        versions of one content).

    Raises
    ------
    ValueError
        If the two images differ in shape.
    """
    cfg = config or SimulationConfig()
    _positive("ppd", ppd)
    lr, ld = luminance(reference), luminance(distorted)
    if lr.shape != ld.shape:
        raise ValueError(f"shape mismatch: reference {lr.shape} vs distorted {ld.shape}")
    return _visibility(lr, ld, ppd, cfg, reference_contrast)


def _visibility(lr: np.ndarray, ld: np.ndarray, ppd: float, cfg: SimulationConfig,
                reference_contrast: np.ndarray | None) -> np.ndarray:
    s = cfg.visibility_pool_deg * ppd
    if reference_contrast is None:
        reference_contrast = _local_std(lr, s)
    pooled = ndimage.gaussian_filter(np.abs(ld - lr), s, mode="reflect", truncate=3.0)
    vis = pooled / (cfg.masking_constant + reference_contrast) + cfg.visibility_floor
    return vis / vis.sum()


def iqa_density(free: np.ndarray, visibility: np.ndarray, weight: float) -> np.ndarray:
    """IQA-task density ``(1 - weight) F + weight V`` (step 3), sum-normalised."""
    _fraction("iqa_visibility_weight", weight)
    if free.shape != visibility.shape:
        raise ValueError(f"shape mismatch: free {free.shape} vs visibility {visibility.shape}")
    d = (1.0 - weight) * free / free.sum() + weight * visibility / visibility.sum()
    return d / d.sum()


def sharpen(density: np.ndarray, gamma: float) -> np.ndarray:
    """``density**gamma`` sum-normalised (step 5; gamma > 1 concentrates mass on the peaks)."""
    _positive("click_gamma", gamma)
    d = np.power(density / density.max(), gamma)
    return _sum_normalise(d, "sharpened density")


def sample_points(density: np.ndarray, n: int, rng: np.random.Generator, *, error_px: float = 0.0) -> np.ndarray:
    """Draw ``n`` points ``(x, y)`` from a pixel density, with Gaussian positional error.

    A pixel is drawn with probability ``density / sum``, the point is placed uniformly within
    it and displaced by ``N(0, error_px^2)`` per axis, then clipped to the image
    (``[0, W - 1] x [0, H - 1]``, pixel centres at integers). Vectorised (inverse CDF).

    Returns
    -------
    numpy.ndarray
        float64 ``(n, 2)``.
    """
    if n == 0:
        return np.zeros((0, 2))
    h, w = density.shape
    cdf = np.cumsum(density.ravel(), dtype=np.float64)
    idx = np.minimum(np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right"), cdf.size - 1)
    row, col = np.divmod(idx, w)
    x = col + rng.uniform(-0.5, 0.5, n) + error_px * rng.standard_normal(n)
    y = row + rng.uniform(-0.5, 0.5, n) + error_px * rng.standard_normal(n)
    return np.column_stack([np.clip(x, 0.0, w - 1.0), np.clip(y, 0.0, h - 1.0)])


def latent_quality(reference: np.ndarray, distorted: np.ndarray,
                   config: SimulationConfig | None = None) -> tuple[float, float]:
    """Latent quality ``q`` in ``[1, 5]`` of a version (step 7, without the content offset) and its PSNR.

    ``q = 1 + 4 / (1 + exp(-(PSNR - psnr_mid) / psnr_slope))``; PSNR in dB on the RGB
    ``[0, 255]`` range (infinite, ``q = 5``, for an identical image).
    """
    cfg = config or SimulationConfig()
    a, b = _as_rgb01(reference), _as_rgb01(distorted)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: reference {a.shape} vs distorted {b.shape}")
    return _quality(float(np.mean((a - b) ** 2)), cfg)


def _quality(mse: float, cfg: SimulationConfig) -> tuple[float, float]:
    if mse == 0:
        return 5.0, math.inf
    psnr = 10.0 * math.log10(1.0 / mse)
    q = 1.0 + 4.0 / (1.0 + math.exp(-(psnr - cfg.psnr_mid) / cfg.psnr_slope))
    return q, psnr


# --------------------------------------------------------------------------------------------
# workers
# --------------------------------------------------------------------------------------------


def _draw_workers(campaign: str, n_images: int, cfg: SimulationConfig, rng: np.random.Generator,
                  passes: Callable[[str, np.random.Generator], bool] | None) -> pd.DataFrame:
    """Draw a worker pool until every version has its answers (step 6).

    ``passes(type, rng)`` decides the qualification quiz (None: no quiz, every worker works).
    Returns one row per worker with the planned answer count ``n_planned`` (0 for quiz
    failures) and the assigned version indices ``assigned`` (list).
    """
    mix = cfg.free_worker_mix if campaign == "free" else cfg.iqa_worker_mix
    types = np.array(WORKER_TYPES)
    probs = np.array([mix[t] for t in WORKER_TYPES], dtype=np.float64)
    probs /= probs.sum()
    countries = np.array(list(COUNTRY_WEIGHTS))
    cprobs = np.array(list(COUNTRY_WEIGHTS.values()), dtype=np.float64)
    cprobs /= cprobs.sum()
    target = cfg.free_answers_per_image if campaign == "free" else cfg.iqa_answers_per_image
    mean = cfg.free_answers_per_worker_mean if campaign == "free" else cfg.iqa_answers_per_worker_mean
    cap = min(cfg.max_answers_per_worker, n_images)
    remaining = np.full(n_images, target, dtype=np.int64)
    rows: list[dict[str, Any]] = []
    prefix = "F" if campaign == "free" else "Q"
    while remaining.sum() > 0:  # loop over workers (hundreds), not over points
        wtype = str(rng.choice(types, p=probs))
        a, b = PLATFORM_ACCURACY_BETA[wtype]
        acc = float(rng.beta(a, b))
        country = str(rng.choice(countries, p=cprobs))
        n_want = int(np.clip(round(rng.gamma(cfg.answers_per_worker_shape, mean / cfg.answers_per_worker_shape)),
                             1, cap))
        passed = True if passes is None else bool(passes(wtype, rng))
        assigned: list[int] = []
        if passed:
            open_ = np.flatnonzero(remaining > 0)
            k = min(n_want, open_.size)
            # least-answered first (largest remaining), random tie-break
            priority = remaining[open_] + rng.random(open_.size)
            pick = open_[np.argsort(-priority, kind="stable")[:k]]
            remaining[pick] -= 1
            assigned = [int(i) for i in rng.permutation(pick)]
        rows.append({"worker_id": f"{prefix}{len(rows) + 1:04d}", "campaign": campaign, "country": country,
                     "platform_accuracy": acc, "worker_type": wtype, "passed_quiz": passed,
                     "assigned": assigned})
    return pd.DataFrame(rows)


def _rate(wtype: np.ndarray, bias: np.ndarray, constant: np.ndarray, q: np.ndarray, cfg: SimulationConfig,
          rng: np.random.Generator) -> np.ndarray:
    """Ratings 1..5 of raters of types ``wtype`` (with per-row bias / spam constant) of latent ``q``."""
    noise_sd = np.where(wtype == "careless", cfg.careless_noise_sd, cfg.diligent_noise_sd)
    raw = np.rint(q + bias + noise_sd * rng.standard_normal(q.size))
    score = np.where(wtype == "spammer", constant, raw)
    return np.clip(score, 1, 5).astype(np.int64)


class _Columns:
    """Accumulates column arrays and builds one DataFrame at the end (no per-image frames)."""

    def __init__(self) -> None:
        self._cols: dict[str, list[np.ndarray]] = {}

    def add(self, **cols: np.ndarray) -> None:
        for k, v in cols.items():
            self._cols.setdefault(k, []).append(np.asarray(v))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({k: np.concatenate(v) for k, v in self._cols.items()})


# --------------------------------------------------------------------------------------------
# the study
# --------------------------------------------------------------------------------------------


def _references(images: pd.DataFrame, references: Mapping[Any, Any] | None,
                load: Callable[[Any], np.ndarray]) -> tuple[pd.DataFrame, dict[Any, np.ndarray]]:
    is_ref = images["distortion"].astype(str).str.lower().isin(REFERENCE_DISTORTIONS).to_numpy()
    observed = images.loc[~is_ref].reset_index(drop=True)
    if observed.empty:
        raise ValueError("images: no distorted rows to simulate observers on (every row has distortion in "
                         f"{REFERENCE_DISTORTIONS})")
    refs: dict[Any, np.ndarray] = {}
    if references is not None:
        for cid, ref in references.items():
            refs[cid] = np.asarray(load(ref)) if not isinstance(ref, np.ndarray) else ref
    for _, row in images.loc[is_ref].iterrows():
        refs.setdefault(row["content_id"], np.asarray(load(row["path"])))
    missing = sorted(set(observed["content_id"]) - set(refs), key=str)
    if missing:
        raise ValueError(
            f"images: no reference image for content_id {missing[:5]} ({len(missing)} contents); include "
            f"reference rows (distortion in {REFERENCE_DISTORTIONS}, e.g. distorted_set(..., "
            "include_reference=True)) or pass references={content_id: path or array}")
    return observed, refs


def simulate_study(
    images: pd.DataFrame,
    config: SimulationConfig | None = None,
    seed: int = 0,
    *,
    references: Mapping[Any, Any] | None = None,
    load_image: Callable[[Any], np.ndarray] | None = None,
) -> dict[str, Any]:
    """Simulate the TUD-like study of seed 000 on an ``images`` table (module docstring).

    Parameters
    ----------
    images
        Canonical ``images`` table (e.g. ``builtin.distorted_set(n, "jpeg", levels, size, seed,
        include_reference=True)``). Rows whose ``distortion`` is in
        :data:`REFERENCE_DISTORTIONS` are the references (not shown to observers); every other
        row is an observed version.
    config
        Model parameters (default :class:`SimulationConfig`).
    seed
        Non-negative int; the tables are identical for the same images, config and seed.
    references
        Optional ``{content_id: path or (H, W, 3) array}`` used when the table has no reference
        rows.
    load_image
        Reader of a path (default :func:`saliqa.datasets.builtin.load_image`).

    Returns
    -------
    dict
        ``fixations`` (canonical; plus ``campaign`` = ``"eye"`` | ``"free"`` | ``"iqa"`` and
        ``answer_order``, the worker's answer index, NA for eye data), ``ratings`` (canonical
        with ``is_gold``; plus ``campaign``, ``phase`` = ``"quiz"`` | ``"work"``,
        ``answer_order``, ``gold_correct``), ``workers`` (``worker_id, campaign, country,
        platform_accuracy, passed_quiz, quiz_accuracy, test_accuracy, n_test_questions,
        n_answers, worker_type``), ``images`` (the observed versions with ``latent_quality``,
        ``psnr``, ``is_gold_item``), ``planted`` (JSON-serialisable dict of planted effects,
        expected directions, config and generator version).

    Raises
    ------
    ValueError
        Missing columns, images whose size differs from the table, no references, bad seed.
    """
    cfg = config or SimulationConfig()
    if not isinstance(cfg, SimulationConfig):
        raise ValueError(f"config must be a SimulationConfig, got {type(cfg).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    validate(images, "images", origin="simulate_study images")
    if images["image_id"].duplicated().any():
        dup = images.loc[images["image_id"].duplicated(), "image_id"].iloc[0]
        raise ValueError(f"images: duplicated image_id {dup!r}")
    if load_image is None:
        from saliqa.datasets.builtin import load_image as _load

        load_image = _load
    observed, refs = _references(images, references, load_image)
    n_img = len(observed)
    base = np.random.SeedSequence([int(seed), 1000 + GENERATOR_VERSION])
    (ss_eye, ss_free, ss_iqa, ss_rate, ss_gold) = base.spawn(5)

    # ---- per-version densities and latent quality (loop over images) -----------------------
    content_offset: dict[Any, float] = {}
    rng_rate = np.random.default_rng(ss_rate)
    per_content: dict[Any, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # content -> (F, L_ref, contrast)
    dens: list[tuple[np.ndarray, np.ndarray]] = []  # (free F, visibility V) per version
    ppds = np.empty(n_img)
    q = np.empty(n_img)
    psnr = np.empty(n_img)
    for i, row in observed.iterrows():
        cid = row["content_id"]
        ref = _as_rgb01(refs[cid], f"reference of content {cid!r}")
        img = _as_rgb01(np.asarray(load_image(row["path"])), f"image {row['image_id']!r}")
        h, w = int(row["height"]), int(row["width"])
        for what, arr in (("image", img), ("reference", ref)):
            if arr.shape[:2] != (h, w):
                raise ValueError(f"images row {i} ({row['image_id']!r}): {what} has shape {arr.shape[:2]}, "
                                 f"table says (height, width) = ({h}, {w})")
        ppd = cfg.pixels_per_degree(w)
        ppds[i] = ppd
        if cid not in per_content:
            lum_ref = ref @ _LUMA
            per_content[cid] = (free_viewing_density(ref, ppd, cfg), lum_ref,
                                _local_std(lum_ref, cfg.visibility_pool_deg * ppd))
            content_offset[cid] = float(cfg.content_quality_sd * rng_rate.standard_normal())
        F, lum_ref, ref_contrast = per_content[cid]
        dens.append((F, _visibility(lum_ref, img @ _LUMA, ppd, cfg, ref_contrast)))
        qi, psnr[i] = _quality(float(np.mean((img - ref) ** 2)), cfg)
        q[i] = float(np.clip(qi + content_offset[cid], 1.0, 5.0))

    # ---- eye fixations (step 4) -------------------------------------------------------------
    rng_eye = np.random.default_rng(ss_eye)
    fx = _Columns()
    lo, hi = cfg.eye_fixations
    image_ids = observed["image_id"].to_numpy()
    for task in ("free", "iqa"):
        obs_ids = np.array([f"eye{'F' if task == 'free' else 'Q'}{k + 1:02d}" for k in range(cfg.n_eye_observers)])
        for i in range(n_img):
            F, V = dens[i]
            d = F if task == "free" else iqa_density(F, V, cfg.iqa_visibility_weight)
            counts = rng_eye.integers(lo, hi + 1, size=cfg.n_eye_observers)
            pts = sample_points(d, int(counts.sum()), rng_eye, error_px=cfg.eye_error_deg * ppds[i])
            n = pts.shape[0]
            fx.add(image_id=np.full(n, image_ids[i], dtype=object), observer_id=np.repeat(obs_ids, counts),
                   x=pts[:, 0], y=pts[:, 1], source=np.full(n, "eye", dtype=object),
                   task=np.full(n, task, dtype=object), campaign=np.full(n, "eye", dtype=object),
                   answer_order=np.full(n, -1, dtype=np.int64))

    # ---- gold items and rater model (steps 7-8) -----------------------------------------------
    rng_gold = np.random.default_rng(ss_gold)
    n_gold = min(cfg.n_test_questions, n_img)
    if n_gold < cfg.n_test_questions:
        warnings.warn(f"simulate_study: only {n_img} image versions, so {n_gold} test questions instead of "
                      f"n_test_questions={cfg.n_test_questions}", stacklevel=2)
    gold_idx = np.sort(rng_gold.choice(n_img, size=n_gold, replace=False))
    gold_q = q[gold_idx]
    allowed_lo = np.minimum(np.ceil(gold_q - cfg.gold_tolerance), np.rint(gold_q))
    allowed_hi = np.maximum(np.floor(gold_q + cfg.gold_tolerance), np.rint(gold_q))
    rater: dict[str, tuple[str, float, int]] = {}  # worker -> (type, bias, spam constant)

    def new_rater(wid: str, wtype: str, rng: np.random.Generator) -> None:
        sd = cfg.careless_bias_sd if wtype == "careless" else cfg.diligent_bias_sd
        rater[wid] = (wtype, float(sd * rng.standard_normal()), int(rng.integers(1, 6)))

    def answer_gold(wid: str, items: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        wtype, bias, const = rater[wid]
        n = items.size
        s = _rate(np.full(n, wtype), np.full(n, bias), np.full(n, const), gold_q[items], cfg, rng)
        return s, (s >= allowed_lo[items]) & (s <= allowed_hi[items])

    quiz_records: list[dict[str, Any]] = []

    def quiz(wtype: str, rng: np.random.Generator) -> bool:
        wid = f"Q{len(quiz_records) + 1:04d}"
        new_rater(wid, wtype, rng)
        items = rng.choice(n_gold, size=cfg.quiz_size, replace=cfg.quiz_size > n_gold)
        s, ok = answer_gold(wid, items, rng)
        quiz_records.append({"worker_id": wid, "items": items, "scores": s, "ok": ok})
        return bool(ok.mean() >= cfg.quiz_pass_accuracy - 1e-12)

    # ---- crowd campaigns (steps 5-6) ------------------------------------------------------------
    workers_parts: list[pd.DataFrame] = []
    rt = _Columns()
    sharp_free: dict[int, np.ndarray] = {}  # S(F), one per content (keyed by the array's identity)
    for campaign, ss in (("free", ss_free), ("iqa", ss_iqa)):
        rng = np.random.default_rng(ss)
        pool = _draw_workers(campaign, n_img, cfg, rng, quiz if campaign == "iqa" else None)
        wids = pool["worker_id"].to_numpy(dtype=object)
        clo, chi = cfg.free_clicks if campaign == "free" else cfg.iqa_clicks
        # long table of answers: worker, version, order
        n_assigned = pool["assigned"].map(len).to_numpy()
        ans_worker = np.repeat(np.arange(len(pool)), n_assigned)
        ans_image = np.concatenate([np.asarray(a, dtype=np.int64) for a in pool["assigned"]] + [np.zeros(0, np.int64)])
        wtypes = pool["worker_type"].to_numpy()[ans_worker]
        # work-mode test questions, interleaved at random positions of the worker's sequence
        if campaign == "iqa":
            n_test = np.where(n_assigned > 0, np.maximum(1, np.rint(n_assigned * cfg.gold_rate)), 0).astype(np.int64)
        else:
            n_test = np.zeros(len(pool), dtype=np.int64)
        order = np.empty(ans_worker.size, dtype=np.int64)
        gold_order: list[np.ndarray] = []
        start = 0
        for k in range(len(pool)):  # loop over workers
            n_k, t_k = int(n_assigned[k]), int(n_test[k])
            slots = rng.permutation(n_k + t_k)
            order[start:start + n_k] = np.sort(slots[:n_k])
            gold_order.append(np.sort(slots[n_k:]))
            start += n_k
        # clicks (step 5)
        n_clicks = np.where(wtypes == "spammer", clo, rng.integers(clo, chi + 1, size=ans_worker.size))
        p_uniform = np.where(wtypes == "diligent", cfg.click_uniform_frac, 1.0)
        for i in range(n_img):  # loop over versions; vectorised over that version's clicks
            sel = np.flatnonzero(ans_image == i)
            if sel.size == 0:
                continue
            F, V = dens[i]
            key = id(F)
            if key not in sharp_free:
                sharp_free[key] = sharpen(F, cfg.click_gamma)
            crowd = sharp_free[key]
            if campaign == "iqa":
                w = cfg.iqa_visibility_weight
                crowd = (1.0 - w) * crowd + w * sharpen(V, cfg.click_visibility_gamma)
            k = n_clicks[sel]
            total = int(k.sum())
            uni = rng.random(total) < np.repeat(p_uniform[sel], k)
            pts = sample_points(crowd, total, rng, error_px=cfg.click_error_deg * ppds[i])
            h, wd = crowd.shape
            upts = np.column_stack([rng.uniform(0, wd - 1, total), rng.uniform(0, h - 1, total)])
            pts = np.where(uni[:, None], upts, pts)
            fx.add(image_id=np.full(total, image_ids[i], dtype=object),
                   observer_id=np.repeat(wids[ans_worker[sel]], k), x=pts[:, 0], y=pts[:, 1],
                   source=np.full(total, "click", dtype=object), task=np.full(total, campaign, dtype=object),
                   campaign=np.full(total, campaign, dtype=object), answer_order=np.repeat(order[sel], k))
        # ratings (IQA campaign, steps 7-8)
        quiz_acc = np.full(len(pool), np.nan)
        test_acc = np.full(len(pool), np.nan)
        if campaign == "iqa":
            qr = {r["worker_id"]: r for r in quiz_records}
            bias = np.array([rater[w_][1] for w_ in wids])
            const = np.array([rater[w_][2] for w_ in wids])
            scores = _rate(wtypes, bias[ans_worker], const[ans_worker], q[ans_image], cfg, rng)
            n = scores.size
            rt.add(image_id=image_ids[ans_image], rater_id=wids[ans_worker], score=scores,
                   is_gold=np.zeros(n, bool), phase=np.full(n, "work", dtype=object), answer_order=order,
                   gold_correct=np.full(n, -1, dtype=np.int8))
            for k_, wid in enumerate(wids):  # loop over workers: quiz and hidden test questions
                rec = qr[wid]
                quiz_acc[k_] = float(rec["ok"].mean())
                n = rec["items"].size
                rt.add(image_id=image_ids[gold_idx[rec["items"]]], rater_id=np.full(n, wid, dtype=object),
                       score=rec["scores"], is_gold=np.ones(n, bool), phase=np.full(n, "quiz", dtype=object),
                       answer_order=np.full(n, -1, dtype=np.int64), gold_correct=rec["ok"].astype(np.int8))
                t_k = int(n_test[k_])
                if t_k:
                    items = rng.choice(n_gold, size=t_k, replace=t_k > n_gold)
                    sc, ok = answer_gold(wid, items, rng)
                    test_acc[k_] = float(ok.mean())
                    rt.add(image_id=image_ids[gold_idx[items]], rater_id=np.full(t_k, wid, dtype=object),
                           score=sc, is_gold=np.ones(t_k, bool), phase=np.full(t_k, "work", dtype=object),
                           answer_order=gold_order[k_], gold_correct=ok.astype(np.int8))
        workers_parts.append(pd.DataFrame({
            "worker_id": wids, "campaign": campaign, "country": pool["country"].to_numpy(),
            "platform_accuracy": pool["platform_accuracy"].to_numpy(),
            "passed_quiz": pd.array(pool["passed_quiz"].to_numpy() if campaign == "iqa" else [pd.NA] * len(pool),
                                    dtype="boolean"),
            "quiz_accuracy": quiz_acc, "test_accuracy": test_acc, "n_test_questions": n_test,
            "n_answers": n_assigned.astype(np.int64), "worker_type": pool["worker_type"].to_numpy()}))

    fixations = fx.frame()
    fixations["answer_order"] = pd.array(np.where(fixations["answer_order"] < 0, pd.NA, fixations["answer_order"]),
                                         dtype="Int64")
    fixations = validate(fixations, "fixations", origin="simulate_study fixations")
    ratings = rt.frame()
    ratings.insert(4, "campaign", "iqa")
    ratings["answer_order"] = pd.array(np.where(ratings["answer_order"] < 0, pd.NA, ratings["answer_order"]),
                                       dtype="Int64")
    gc = ratings["gold_correct"].to_numpy()
    ratings["gold_correct"] = pd.array(np.where(gc < 0, pd.NA, gc == 1), dtype="boolean")
    ratings = validate(ratings, "ratings", origin="simulate_study ratings")
    workers = pd.concat(workers_parts, ignore_index=True)
    info = observed.copy()
    info["latent_quality"] = q
    info["psnr"] = psnr
    info["is_gold_item"] = np.isin(np.arange(n_img), gold_idx)
    info["gold_allowed_low"] = np.nan
    info["gold_allowed_high"] = np.nan
    info.loc[gold_idx, "gold_allowed_low"] = allowed_lo
    info.loc[gold_idx, "gold_allowed_high"] = allowed_hi
    return {"fixations": fixations, "ratings": ratings, "workers": workers, "images": info,
            "planted": planted_effects(cfg, seed)}


def planted_effects(config: SimulationConfig, seed: int) -> dict[str, Any]:
    """The planted effects with their expected directions (JSON-serialisable)."""
    return {
        "generator": "saliqa.simulate.attention",
        "generator_version": GENERATOR_VERSION,
        "seed": int(seed),
        "config": config.as_dict(),
        "config_key": config.key(),
        "effects": {
            "iqa_broader_than_free": {
                "statement": "IQA-task maps are broader than free-viewing maps and overlap them",
                "measure": "mean D_KL(IQA||Free) - mean D_KL(Free||IQA) over image versions",
                "expected": "> 0", "applies_to": ["eye", "click"],
                "mechanism": f"IQA density = (1 - {config.iqa_visibility_weight}) free + "
                             f"{config.iqa_visibility_weight} distortion visibility",
            },
            "crowd_eye_agreement": {
                "statement": "crowd click maps agree with eye-tracking maps",
                "measure": "mean CC(crowd map, eye map) over image versions, per task",
                "expected": "> 0.5", "applies_to": ["free", "iqa"],
                "mechanism": f"clicks drawn from the same task density, free-viewing component sharpened "
                             f"(gamma {config.click_gamma})",
            },
            "mos_falls_with_compression": {
                "statement": "MOS falls as JPEG compression increases",
                "measure": "Spearman correlation of JPEG quality factor (level) and MOS",
                "expected": "> 0",
                "mechanism": f"latent quality logistic in PSNR (mid {config.psnr_mid} dB, "
                             f"slope {config.psnr_slope} dB)",
            },
            "screening_effective": {
                "statement": "screening removes most spammers and keeps most diligent workers",
                "measure": "share of spammers removed; share of diligent workers kept",
                "expected": "> 0.5 and > 0.5",
            },
        },
        "not_simulated": [
            "campaign turnaround time (pass duration_hours from the paper)",
            "workers stopped mid-campaign when below 70 % test accuracy (removed afterwards instead)",
        ],
    }
