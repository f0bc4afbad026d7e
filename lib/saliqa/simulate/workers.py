"""Simulated crowd workers: types, countries, platform records and answer assignment.

Step 6 of the generative model of :mod:`saliqa.simulate.attention`: one worker pool per
campaign (``"free"``, ``"iqa"``); each worker has a type drawn from the campaign's mix
(``diligent``, ``careless``, ``spammer``), a country from :data:`COUNTRY_WEIGHTS` (INVENTED, see
there), a platform accuracy from a Beta distribution per type (:data:`PLATFORM_ACCURACY_BETA`)
and a number of answers from a Gamma distribution, rounded and clipped to ``1 .. min(cap,
number of versions)``. Workers join until every version has its answers; each picks distinct
versions among the least-answered ones (CrowdFlower-style judgments per unit).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from saliqa.simulate.config import SimulationConfig

__all__ = ["WORKER_TYPES", "COUNTRY_WEIGHTS", "PLATFORM_ACCURACY_BETA", "draw_workers"]

WORKER_TYPES: tuple[str, ...] = ("diligent", "careless", "spammer")

# Invented: a CrowdFlower-like workforce dominated by a few countries with a long tail (ISO 3166
# alpha-3). Seed 000's Figure 1 shows the real distribution; it is not transcribed in the text.
COUNTRY_WEIGHTS: Mapping[str, float] = {
    "VEN": 20.0,
    "USA": 11.0,
    "IND": 9.0,
    "SRB": 5.0,
    "EGY": 4.0,
    "BIH": 4.0,
    "ROU": 3.5,
    "PHL": 3.0,
    "GBR": 3.0,
    "BRA": 3.0,
    "ESP": 2.5,
    "ITA": 2.5,
    "PRT": 2.0,
    "MKD": 2.0,
    "TUR": 2.0,
    "IDN": 2.0,
    "VNM": 1.8,
    "HRV": 1.5,
    "POL": 1.5,
    "DEU": 1.5,
    "MEX": 1.5,
    "ARG": 1.5,
    "COL": 1.2,
    "CAN": 1.2,
    "UKR": 1.2,
    "RUS": 1.2,
    "PAK": 1.0,
    "BGD": 1.0,
    "MAR": 1.0,
    "GRC": 1.0,
    "HUN": 0.8,
    "BGR": 0.8,
    "LKA": 0.6,
    "MYS": 0.6,
    "NGA": 0.6,
    "KEN": 0.5,
    "CHL": 0.5,
    "PER": 0.5,
    "FRA": 0.5,
    "NLD": 0.4,
    "ZAF": 0.4,
    "TUN": 0.4,
    "DZA": 0.4,
    "JAM": 0.3,
    "NPL": 0.3,
    "EST": 0.3,
    "LTU": 0.3,
    "SVK": 0.3,
    "MNE": 0.3,
    "ALB": 0.3,
    "ECU": 0.3,
    "DOM": 0.2,
    "URY": 0.2,
    "SVN": 0.2,
    "LVA": 0.2,
    "CZE": 0.2,
}
"""Relative country weights of simulated workers. INVENTED (not the paper's Figure 1)."""

PLATFORM_ACCURACY_BETA: Mapping[str, tuple[float, float]] = {
    "diligent": (30.0, 3.0),  # mean 0.91, P(< 0.8) ~ 3 %
    "careless": (14.0, 3.0),  # mean 0.82, P(< 0.8) ~ 40 %
    "spammer": (4.0, 3.0),  # mean 0.57, P(< 0.8) ~ 90 %
}
"""Beta ``(a, b)`` of a worker's cumulative platform accuracy, per worker type (invented)."""


def draw_workers(
    campaign: str,
    n_images: int,
    cfg: SimulationConfig,
    rng: np.random.Generator,
    passes: Callable[[str, np.random.Generator], bool] | None,
) -> pd.DataFrame:
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
        n_want = int(
            np.clip(round(rng.gamma(cfg.answers_per_worker_shape, mean / cfg.answers_per_worker_shape)), 1, cap)
        )
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
        rows.append(
            {
                "worker_id": f"{prefix}{len(rows) + 1:04d}",
                "campaign": campaign,
                "country": country,
                "platform_accuracy": acc,
                "worker_type": wtype,
                "passed_quiz": passed,
                "assigned": assigned,
            }
        )
    return pd.DataFrame(rows)
