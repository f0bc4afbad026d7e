"""The crowd tables: the ``workers`` records and the worker rows of ``ratings`` / ``fixations``.

``workers``: ``worker_id``, ``campaign`` (the campaign's task: ``"free"`` | ``"iqa"``) and, as
available, ``country``, ``platform_accuracy`` (0..1), ``passed_quiz`` (bool, NA = no quiz),
``test_accuracy`` (0..1, NaN = no test questions), ``worker_type`` (simulated data). A worker is
identified by ``(campaign, worker_id)`` (:data:`KEY`). In ``fixations`` only ``source == "click"``
rows belong to workers (``observer_id``); their campaign is the ``campaign`` column when present,
else ``task``. ``ratings`` rows (``rater_id``) belong to the ``campaign`` column when present,
else ``"iqa"``. An *answer* is one worker's response to one image version in one campaign (its
rating and its clicks together); gold (test-question) rows are not answers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from saliqa.checks import check_finite_column, first_row, require_columns
from saliqa.datasets.tables import validate

__all__ = ["KEY", "FRACTION_COLUMNS", "check_workers", "worker_index", "ratings_units", "click_units", "check_known"]

KEY: tuple[str, str] = ("campaign", "worker_id")
"""The columns that identify a worker."""

FRACTION_COLUMNS: tuple[str, ...] = ("platform_accuracy", "test_accuracy")
"""Columns of ``workers`` that hold fractions in [0, 1] (NaN = not applicable)."""

_UNIT_COLUMNS = ["campaign", "worker_id", "image_id", "_gold"]


def check_workers(workers: pd.DataFrame) -> pd.DataFrame:
    """Validate a ``workers`` table (module docstring); return it unchanged.

    Raises
    ------
    ValueError
        Not a DataFrame, missing ``worker_id`` / ``campaign``, a duplicated ``(campaign,
        worker_id)`` (the row is named), or a fraction column outside [0, 1].
    """
    require_columns(workers, KEY, "workers", hint="optional country, platform_accuracy, passed_quiz, test_accuracy")
    dup = workers.duplicated(list(KEY))
    if dup.any():
        row = first_row(dup.to_numpy())
        raise ValueError(
            f"workers: row {row} duplicates (campaign, worker_id) = "
            f"({workers['campaign'].iloc[row]!r}, {workers['worker_id'].iloc[row]!r})"
        )
    for col in FRACTION_COLUMNS:
        if col in workers.columns:
            check_finite_column(workers[col], "workers", col, low=0.0, high=1.0, allow_nan=True)
    return workers


def worker_index(table: pd.DataFrame) -> pd.MultiIndex:
    """The ``(campaign, worker_id)`` of each row of ``table``, as a MultiIndex."""
    return pd.MultiIndex.from_frame(table[list(KEY)].astype(object))


def ratings_units(ratings: pd.DataFrame | None) -> pd.DataFrame:
    """Ratings with the worker key columns (``campaign``, ``worker_id``), ``image_id`` and ``_gold``.

    The index is that of ``ratings``.
    """
    if ratings is None:
        return pd.DataFrame(columns=_UNIT_COLUMNS)
    validate(ratings, "ratings", origin="ratings")
    return pd.DataFrame(
        {
            "campaign": ratings["campaign"].to_numpy() if "campaign" in ratings.columns else "iqa",
            "worker_id": ratings["rater_id"].to_numpy(),
            "image_id": ratings["image_id"].to_numpy(),
            "_gold": ratings["is_gold"].fillna(False).astype(bool).to_numpy()
            if "is_gold" in ratings.columns
            else np.zeros(len(ratings), bool),
        },
        index=ratings.index,
    )


def click_units(fixations: pd.DataFrame | None) -> tuple[pd.DataFrame, np.ndarray]:
    """Click rows with the worker key columns, and the boolean mask of click rows in ``fixations``."""
    if fixations is None:
        return pd.DataFrame(columns=_UNIT_COLUMNS), np.zeros(0, bool)
    validate(fixations, "fixations", origin="fixations")
    is_click = (fixations["source"] == "click").to_numpy()
    clicks = fixations.loc[is_click]
    camp = clicks["campaign"] if "campaign" in clicks.columns else clicks["task"]
    df = pd.DataFrame(
        {
            "campaign": camp.to_numpy(),
            "worker_id": clicks["observer_id"].to_numpy(),
            "image_id": clicks["image_id"].to_numpy(),
            "_gold": np.zeros(len(clicks), bool),
        },
        index=clicks.index,
    )
    return df, is_click


def check_known(rows: pd.DataFrame, workers: pd.DataFrame, what: str) -> None:
    """Raise ``ValueError`` when rows of ``what`` belong to workers absent from ``workers``."""
    if rows.empty:
        return
    keys = worker_index(rows)
    unknown = ~keys.isin(worker_index(workers))
    if unknown.any():
        raise ValueError(
            f"{what}: {int(unknown.sum())} rows belong to workers not in the workers table, first "
            f"(campaign, worker_id) = {keys[unknown][0]!r}"
        )
