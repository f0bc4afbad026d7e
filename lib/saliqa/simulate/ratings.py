"""Simulated 5-point quality ratings and test questions (steps 7-8 of :mod:`saliqa.simulate.attention`).

7. **Latent quality** per version: ``q = 1 + 4 / (1 + exp(-(PSNR - psnr_mid) / psnr_slope))``
   (:func:`latent_quality`; PSNR by :func:`saliqa.metrics.fidelity.psnr` over the RGB channels,
   infinite for the reference itself: ``q = 5``), plus a content offset in the study. A
   diligent rater answers ``round(q + b + e)`` (bias ``b ~ N(0, diligent_bias_sd)``, noise
   ``e ~ N(0, diligent_noise_sd)``), a careless one the same with ``careless_*`` spreads, a
   spammer a constant drawn from 1..5; all clipped to 1..5 (:func:`rate`).
8. **Test questions**: gold versions whose allowed answers are the integers within
   ``gold_tolerance`` of their ``q`` (at least ``round(q)``); a qualification quiz of
   ``quiz_size`` of them and hidden ones during work (:class:`RaterPool`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from saliqa.metrics.fidelity import psnr
from saliqa.simulate.config import SimulationConfig
from saliqa.simulate.density import as_rgb01

__all__ = ["latent_quality", "quality_from_psnr", "rate", "RaterPool"]


def quality_from_psnr(psnr_db: float, config: SimulationConfig) -> float:
    """``q = 1 + 4 / (1 + exp(-(PSNR - psnr_mid) / psnr_slope))``; 5 for an infinite PSNR."""
    if math.isinf(psnr_db):
        return 5.0
    return 1.0 + 4.0 / (1.0 + math.exp(-(psnr_db - config.psnr_mid) / config.psnr_slope))


def latent_quality(
    reference: np.ndarray, distorted: np.ndarray, config: SimulationConfig | None = None
) -> tuple[float, float]:
    """Latent quality ``q`` in ``[1, 5]`` of a version (step 7, without the content offset) and its PSNR.

    ``q`` from :func:`quality_from_psnr`; PSNR in dB over the RGB channels
    (:func:`saliqa.metrics.fidelity.psnr` on the images scaled to [0, 1], the same as on the
    [0, 255] range; infinite, ``q = 5``, for an identical image).
    """
    cfg = config or SimulationConfig()
    a, b = as_rgb01(reference), as_rgb01(distorted)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: reference {a.shape} vs distorted {b.shape}")
    p = psnr(a, b, data_range=1.0)
    return quality_from_psnr(p, cfg), p


def rate(
    wtype: np.ndarray,
    bias: np.ndarray,
    constant: np.ndarray,
    q: np.ndarray,
    cfg: SimulationConfig,
    rng: np.random.Generator,
) -> np.ndarray:
    """Ratings 1..5 of raters of types ``wtype`` (with per-row bias / spam constant) of latent ``q``."""
    noise_sd = np.where(wtype == "careless", cfg.careless_noise_sd, cfg.diligent_noise_sd)
    raw = np.rint(q + bias + noise_sd * rng.standard_normal(q.size))
    score = np.where(wtype == "spammer", constant, raw)
    return np.clip(score, 1, 5).astype(np.int64)


class RaterPool:
    """The IQA campaign's raters: each one's bias and spam constant, the gold items and the quiz.

    Parameters
    ----------
    gold_q
        Latent quality of each gold version.
    config
        Model parameters (``gold_tolerance``, ``quiz_size``, ``quiz_pass_accuracy``, spreads).
    """

    def __init__(self, gold_q: np.ndarray, config: SimulationConfig) -> None:
        self.cfg = config
        self.gold_q = np.asarray(gold_q, dtype=np.float64)
        self.allowed_lo = np.minimum(np.ceil(self.gold_q - config.gold_tolerance), np.rint(self.gold_q))
        self.allowed_hi = np.maximum(np.floor(self.gold_q + config.gold_tolerance), np.rint(self.gold_q))
        self.raters: dict[str, tuple[str, float, int]] = {}  # worker -> (type, bias, spam constant)
        self.quizzes: dict[str, dict[str, Any]] = {}  # worker -> quiz items, scores, correct

    @property
    def n_gold(self) -> int:
        """Number of gold versions."""
        return int(self.gold_q.size)

    def new_rater(self, wid: str, wtype: str, rng: np.random.Generator) -> None:
        """Draw the bias and the spam constant of rater ``wid`` of type ``wtype``."""
        sd = self.cfg.careless_bias_sd if wtype == "careless" else self.cfg.diligent_bias_sd
        self.raters[wid] = (wtype, float(sd * rng.standard_normal()), int(rng.integers(1, 6)))

    def answer_gold(self, wid: str, items: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Rater ``wid``'s scores of the gold ``items`` and whether each is an allowed answer."""
        wtype, bias, const = self.raters[wid]
        n = items.size
        s = rate(np.full(n, wtype), np.full(n, bias), np.full(n, const), self.gold_q[items], self.cfg, rng)
        return s, (s >= self.allowed_lo[items]) & (s <= self.allowed_hi[items])

    def quiz(self, wtype: str, rng: np.random.Generator) -> bool:
        """A new rater (``Q0001``, ``Q0002``, ... in order) takes the quiz; True when passed."""
        wid = f"Q{len(self.quizzes) + 1:04d}"
        self.new_rater(wid, wtype, rng)
        items = rng.choice(self.n_gold, size=self.cfg.quiz_size, replace=self.cfg.quiz_size > self.n_gold)
        s, ok = self.answer_gold(wid, items, rng)
        self.quizzes[wid] = {"items": items, "scores": s, "ok": ok}
        return bool(ok.mean() >= self.cfg.quiz_pass_accuracy - 1e-12)
