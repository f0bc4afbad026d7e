"""Every parameter of the simulated TUD-like study (:mod:`saliqa.simulate.attention`) and its checks."""

from __future__ import annotations

import hashlib
import json
import numbers
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from saliqa.checks import check_int, check_positive, check_probability, check_real, is_real
from saliqa.saliency import pixels_per_degree
from saliqa.simulate.workers import WORKER_TYPES

__all__ = ["GENERATOR_VERSION", "SimulationConfig"]

GENERATOR_VERSION = 2
"""Bumped whenever the generated tables change for a given config and seed (cache key)."""


def _int_range(name: str, v: Any, low: int = 1) -> None:
    ok = (
        isinstance(v, tuple)
        and len(v) == 2
        and all(isinstance(k, numbers.Integral) and not isinstance(k, bool) for k in v)
        and low <= v[0] <= v[1]
    )
    if not ok:
        raise ValueError(
            f"SimulationConfig.{name} must be a tuple (min, max) of ints with {low} <= min <= max, got {v!r}"
        )


def _mix(name: str, v: Any) -> None:
    ok = (
        isinstance(v, Mapping)
        and set(v) == set(WORKER_TYPES)
        and all(is_real(p) and p >= 0 for p in v.values())
        and sum(v.values()) > 0
    )
    if not ok:
        raise ValueError(
            f"SimulationConfig.{name} must map each of {WORKER_TYPES} to a non-negative weight "
            f"(not all zero), got {v!r}"
        )


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
        default_factory=lambda: {"diligent": 0.87, "careless": 0.10, "spammer": 0.03}
    )
    iqa_worker_mix: Mapping[str, float] = field(
        default_factory=lambda: {"diligent": 0.88, "careless": 0.08, "spammer": 0.04}
    )
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
        for name in (
            "viewing_distance_cm",
            "display_width_cm",
            "contrast_scale_deg",
            "colour_scale_deg",
            "feature_blur_deg",
            "feature_gamma",
            "centre_sigma_frac",
            "visibility_pool_deg",
            "masking_constant",
            "visibility_floor",
            "answers_per_worker_shape",
            "psnr_slope",
            "free_answers_per_worker_mean",
            "iqa_answers_per_worker_mean",
            "gold_tolerance",
            "click_gamma",
            "click_visibility_gamma",
        ):
            check_positive(getattr(self, name), f"SimulationConfig.{name}")
        for name in (
            "eye_error_deg",
            "click_error_deg",
            "content_quality_sd",
            "diligent_bias_sd",
            "diligent_noise_sd",
            "careless_bias_sd",
            "careless_noise_sd",
        ):
            check_positive(getattr(self, name), f"SimulationConfig.{name}", allow_zero=True)
        check_real(self.psnr_mid, "SimulationConfig.psnr_mid (dB)")
        for name in ("centre_weight", "iqa_visibility_weight", "click_uniform_frac", "quiz_pass_accuracy", "gold_rate"):
            check_probability(getattr(self, name), f"SimulationConfig.{name}")
        for name in (
            "n_eye_observers",
            "free_answers_per_image",
            "iqa_answers_per_image",
            "max_answers_per_worker",
            "n_test_questions",
            "quiz_size",
        ):
            check_int(getattr(self, name), f"SimulationConfig.{name}", low=1)
        _int_range("eye_fixations", self.eye_fixations)
        _int_range("free_clicks", self.free_clicks)
        _int_range("iqa_clicks", self.iqa_clicks)
        _mix("free_worker_mix", self.free_worker_mix)
        _mix("iqa_worker_mix", self.iqa_worker_mix)
        fw = self.feature_weights
        if not (isinstance(fw, tuple) and len(fw) == 3 and all(is_real(w) and w >= 0 for w in fw) and sum(fw) > 0):
            raise ValueError(
                f"SimulationConfig.feature_weights must be 3 non-negative weights (contrast, colour, "
                f"edges), not all zero, got {fw!r}"
            )

    def pixels_per_degree(self, width_px: int) -> float:
        """Pixels per degree for an image ``width_px`` wide shown ``display_width_cm`` wide."""
        return pixels_per_degree(self.viewing_distance_cm, self.display_width_cm, width_px)

    def viewing_geometry(self, width_px: int) -> dict[str, float]:
        """Keyword arguments of :func:`saliqa.attention.sigma_px_from_geometry` for this geometry."""
        return {
            "viewing_distance": float(self.viewing_distance_cm),
            "screen_width": float(self.display_width_cm),
            "screen_width_px": float(width_px),
        }

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
