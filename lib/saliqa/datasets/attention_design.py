"""Seed 000's study design as data: its experiments, compared pairs and reference rows.

Seed 000 (crowdsourced self-reported attention vs eye tracking) crosses two data sources (eye
tracking in the lab, crowd clicks) with two tasks (free viewing, an IQA task): four experiments,
each a filter on the canonical ``fixations`` table (``source`` eye|click x ``task`` free|iqa).
Table 1 compares them in four pairs and Figure 3 in four ordered pairs. The loaders of
:mod:`saliqa.datasets.attention_study`, the simulator :mod:`saliqa.simulate.attention` and the
analysis :mod:`saliqa.attention` all read the design from here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = [
    "EXPERIMENTS",
    "TABLE1_COMPARISONS",
    "ASYMMETRY_PAIRS",
    "REFERENCE_DISTORTIONS",
    "experiment_filters",
    "select_experiment",
    "is_reference",
]

EXPERIMENTS: Mapping[str, tuple[str, str]] = {
    "eye_free": ("eye", "free"),
    "eye_iqa": ("eye", "iqa"),
    "crowd_free": ("click", "free"),
    "crowd_iqa": ("click", "iqa"),
}
"""Experiment name -> (``source``, ``task``) in the canonical fixations table."""

TABLE1_COMPARISONS: Mapping[str, tuple[str, str]] = {
    "P_Free": ("eye_free", "crowd_free"),
    "P_IQA": ("eye_iqa", "crowd_iqa"),
    "P_Eye": ("eye_free", "eye_iqa"),
    "P_Crowd": ("crowd_free", "crowd_iqa"),
}
"""Seed 000 Table 1 columns: 'Free' / 'IQA' compare eye tracking with crowd in one task; 'Eye' /
'Crowd' compare free viewing with the IQA task within one data source."""

ASYMMETRY_PAIRS: tuple[tuple[str, str], ...] = (
    ("eye_iqa", "eye_free"),
    ("crowd_iqa", "crowd_free"),
    ("eye_free", "crowd_free"),
    ("eye_iqa", "crowd_iqa"),
)
"""Figure 3's compared pairs ``(P, Q)``; both ``D(P||Q)`` and ``D(Q||P)`` are computed. The order
only fixes which direction is called ``d_pq``."""

REFERENCE_DISTORTIONS: tuple[str, ...] = ("none", "reference", "original", "pristine")
"""``distortion`` values (case-insensitive) that mark an undistorted reference row of an
``images`` table: not a stimulus in the TUD design."""


def experiment_filters(experiments: Mapping[str, tuple[str, str]] = EXPERIMENTS) -> dict[str, dict[str, str]]:
    """The experiments as column filters: ``{"eye_free": {"source": "eye", "task": "free"}, ...}``."""
    return {name: {"source": source, "task": task} for name, (source, task) in experiments.items()}


def select_experiment(fixations: pd.DataFrame, filt: Mapping[str, object]) -> pd.DataFrame:
    """The rows of ``fixations`` whose columns equal every value of ``filt``.

    Raises
    ------
    ValueError
        ``filt`` names a column the table does not have.
    """
    mask = np.ones(len(fixations), dtype=bool)
    for column, value in filt.items():
        if column not in fixations.columns:
            raise ValueError(f"fixations: experiment filter needs column {column!r}")
        mask &= (fixations[column] == value).to_numpy()
    return fixations[mask]


def is_reference(images: pd.DataFrame) -> np.ndarray:
    """Boolean mask of the reference rows of an ``images`` table (:data:`REFERENCE_DISTORTIONS`)."""
    return images["distortion"].astype(str).str.lower().isin(REFERENCE_DISTORTIONS).to_numpy()
