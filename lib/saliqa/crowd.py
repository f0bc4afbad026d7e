"""Crowdsourcing quality control and campaign bookkeeping (seed 000, section 2).

Seed 000 ran two CrowdFlower campaigns on the 160 TUD image versions: free viewing (clicks only,
no quiz, no test questions) and an IQA task (5-point rating + clicks, a qualification quiz,
hidden test questions on the rating). The quality-control rules of its section 2:

* only workers with a cumulative platform accuracy of *more than* 80 % take part (both);
* IQA: a qualification quiz must be passed before working;
* IQA: "Whenever a contributor fell below 70% accuracy in answering test questions he was not
  allowed to continue. In this case all his previous ratings were discarded" -- here the
  worker loses all ratings *and* clicks;
* at most 50 answers per worker (both).

:func:`apply_screening` applies them in that order to a ``workers`` table and the canonical
``ratings`` / ``fixations`` tables and returns what was kept with a per-rule count table
(nothing is removed silently). :func:`campaign_summary` computes section 2's campaign numbers
(workers, countries, qualified %, cost, ...), :func:`seed000_reported_campaigns` holds the
paper's own numbers and :func:`check_reported_campaigns` checks their arithmetic (the paper's
costs do not follow from its pay rates; the check reports by how much).
:func:`country_distribution` gives Figure 1's shares.

Tables
------
``workers``: ``worker_id``, ``campaign`` (the campaign's task: ``"free"`` | ``"iqa"``) and, as
available, ``country``, ``platform_accuracy`` (0..1), ``passed_quiz`` (bool, NA = no quiz),
``test_accuracy`` (0..1, NaN = no test questions), ``worker_type`` (simulated data). A worker is
identified by ``(campaign, worker_id)``. In ``fixations`` only ``source == "click"`` rows belong to
workers (``observer_id``); their campaign is the ``campaign`` column when present, else ``task``.
``ratings`` rows (``rater_id``) belong to the ``campaign`` column when present, else ``"iqa"``.
An *answer* is one worker's response to one image version in one campaign (its rating and its
clicks together); gold (test-question) rows are not answers.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from saliqa.datasets.tables import validate

__all__ = [
    "RULES",
    "SEED000_PAY",
    "SEED000_DURATION_HOURS",
    "ScreeningResult",
    "apply_screening",
    "answers_table",
    "campaign_summary",
    "seed000_reported_campaigns",
    "check_reported_campaigns",
    "country_distribution",
]

RULES: tuple[str, ...] = ("platform_accuracy", "quiz", "test_accuracy", "answer_cap")
"""Screening rules in the order :func:`apply_screening` applies them."""

SEED000_PAY: Mapping[str, tuple[float, int]] = {"free": (0.01, 10), "iqa": (0.02, 5)}
"""Seed 000's pay: campaign -> (dollars per block, answers per block): "$0.01 for 10
annotations" (free viewing), "$0.02 for 5 annotations" (IQA)."""

SEED000_DURATION_HOURS: Mapping[str, float] = {"free": 1.5, "iqa": 44.0}
"""Seed 000's turnaround: "approximately 90 minutes" (free), "the 44 hour experiment" (IQA)."""

_KEY = ["campaign", "worker_id"]


# --------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------


def _check_workers(workers: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(workers, pd.DataFrame):
        raise ValueError(f"workers must be a DataFrame, got {type(workers).__name__}")
    missing = [c for c in _KEY if c not in workers.columns]
    if missing:
        raise ValueError(f"workers: missing column(s) {missing}; expected worker_id, campaign and optional "
                         "country, platform_accuracy, passed_quiz, test_accuracy")
    dup = workers.duplicated(_KEY)
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise ValueError(f"workers: row {row} duplicates (campaign, worker_id) = "
                         f"({workers['campaign'].iloc[row]!r}, {workers['worker_id'].iloc[row]!r})")
    for col in ("platform_accuracy", "test_accuracy"):
        if col in workers.columns:
            v = pd.to_numeric(workers[col], errors="coerce").to_numpy(dtype=float)
            bad = (v < 0) | (v > 1)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise ValueError(f"workers: row {row} field {col!r} = {workers[col].iloc[row]!r}; expected a "
                                 "fraction in [0, 1] (or NaN when not applicable)")
    return workers


def _ratings_units(ratings: pd.DataFrame | None) -> pd.DataFrame:
    """Ratings with the worker key columns (``campaign``, ``worker_id``) and ``_gold``."""
    if ratings is None:
        return pd.DataFrame(columns=["campaign", "worker_id", "image_id", "_gold"])
    validate(ratings, "ratings", origin="ratings")
    df = pd.DataFrame({
        "campaign": ratings["campaign"].to_numpy() if "campaign" in ratings.columns else "iqa",
        "worker_id": ratings["rater_id"].to_numpy(),
        "image_id": ratings["image_id"].to_numpy(),
        "_gold": ratings["is_gold"].fillna(False).astype(bool).to_numpy() if "is_gold" in ratings.columns
        else np.zeros(len(ratings), bool),
    }, index=ratings.index)
    return df


def _click_units(fixations: pd.DataFrame | None) -> tuple[pd.DataFrame, np.ndarray]:
    """Click rows with worker key columns, and the boolean mask of click rows in ``fixations``."""
    if fixations is None:
        return pd.DataFrame(columns=["campaign", "worker_id", "image_id", "_gold"]), np.zeros(0, bool)
    validate(fixations, "fixations", origin="fixations")
    is_click = (fixations["source"] == "click").to_numpy()
    clicks = fixations.loc[is_click]
    camp = clicks["campaign"] if "campaign" in clicks.columns else clicks["task"]
    df = pd.DataFrame({"campaign": camp.to_numpy(), "worker_id": clicks["observer_id"].to_numpy(),
                       "image_id": clicks["image_id"].to_numpy(), "_gold": np.zeros(len(clicks), bool)},
                      index=clicks.index)
    return df, is_click


def _known(rows: pd.DataFrame, workers: pd.DataFrame, what: str) -> None:
    if rows.empty:
        return
    known = pd.MultiIndex.from_frame(workers[_KEY].astype(object))
    keys = pd.MultiIndex.from_frame(rows[_KEY].astype(object))
    unknown = ~keys.isin(known)
    if unknown.any():
        first = keys[unknown][0]
        raise ValueError(f"{what}: {int(unknown.sum())} rows belong to workers not in the workers table, first "
                         f"(campaign, worker_id) = {first!r}")


# --------------------------------------------------------------------------------------------
# screening
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreeningResult:
    """Outcome of :func:`apply_screening`.

    Attributes
    ----------
    workers : DataFrame
        Workers kept (passing every worker-level rule).
    ratings, fixations : DataFrame or None
        Rows kept (eye fixations are never screened).
    counts : DataFrame
        One row per (step, campaign), steps ``input``, the :data:`RULES` in order, ``kept``:
        ``workers``, ``answers``, ``ratings`` (non-gold rows), ``gold_ratings``, ``clicks``
        (points). For ``input`` / ``kept`` the numbers present, for a rule the numbers it
        removed from what the previous rules left; ``applied`` says whether the rule could be
        applied (its column exists and it is enabled).
    worker_status : DataFrame
        Every input worker with ``removed_by`` (the first rule that removed them, or ``"kept"``)
        and ``answers_capped`` (answers removed by the cap).
    parameters : dict
        The thresholds used.
    """

    workers: pd.DataFrame
    ratings: pd.DataFrame | None
    fixations: pd.DataFrame | None
    counts: pd.DataFrame
    worker_status: pd.DataFrame
    parameters: dict[str, Any] = field(default_factory=dict)


def _answer_order(r_units: pd.DataFrame, ratings: pd.DataFrame | None, c_units: pd.DataFrame,
                  fixations: pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    """Order key of each non-gold row: ``answer_order`` when present, else row position."""
    have = ((ratings is None or "answer_order" in ratings.columns)
            and (fixations is None or c_units.empty or "answer_order" in fixations.columns))
    if have:
        ro = (pd.to_numeric(ratings.loc[r_units.index, "answer_order"], errors="coerce") if ratings is not None
              else pd.Series(dtype=float))
        co = (pd.to_numeric(fixations.loc[c_units.index, "answer_order"], errors="coerce")
              if fixations is not None and not c_units.empty else pd.Series(dtype=float))
        bad = ro[~r_units["_gold"]].isna().sum() + co.isna().sum()
        if bad:
            raise ValueError(f"answer_order is missing on {int(bad)} non-gold rating / click rows; fill it or drop "
                             "the column to order answers by row position")
        return ro.astype(float), co.astype(float)
    warnings.warn("apply_screening: no 'answer_order' column; a worker's answers are ordered by first appearance "
                  "(ratings rows first, then clicks) for the answer cap", stacklevel=3)
    n_r = len(r_units)
    return (pd.Series(np.arange(n_r, dtype=float), index=r_units.index),
            pd.Series(n_r + np.arange(len(c_units), dtype=float), index=c_units.index))


def apply_screening(
    workers: pd.DataFrame,
    ratings: pd.DataFrame | None = None,
    fixations: pd.DataFrame | None = None,
    *,
    min_platform_accuracy: float | None = 0.8,
    require_quiz: bool = True,
    min_test_accuracy: float | None = 0.7,
    max_answers_per_worker: int | None = 50,
) -> ScreeningResult:
    """Seed 000's quality control (section 2), applied in a fixed, documented order.

    1. ``platform_accuracy``: a worker must have ``platform_accuracy > min_platform_accuracy``
       ("a cumulative accuracy rating of more than 80%"; exactly 0.8 is excluded). NaN = unknown:
       kept, with a warning giving the count.
    2. ``quiz``: with ``require_quiz``, a worker with ``passed_quiz`` False is removed (NA = the
       campaign had no quiz: rule not applicable).
    3. ``test_accuracy``: a worker with ``test_accuracy < min_test_accuracy`` ("fell below 70%")
       is removed with *all* their ratings (gold included) and clicks (NaN = no test questions).
    4. ``answer_cap``: of each remaining worker's answers in a campaign (non-gold units
       ``(image_id)``, ordered by ``answer_order`` when the tables have it, else by first
       appearance), those beyond the ``max_answers_per_worker``-th are removed (their rating and
       clicks); gold rows are not answers and are not capped.

    A worker removed by a rule loses every rating and click row. Each rule counts what it removed
    from what the previous rules left. Pass ``None`` for a threshold (or ``require_quiz=False``) to
    disable a rule; a rule whose column is absent from ``workers`` is not applied (with a
    warning) -- both show as ``applied = False`` in the counts.

    Parameters
    ----------
    workers
        Workers table (module docstring).
    ratings
        Canonical ratings (``rater_id`` = worker id; optional ``campaign``, ``is_gold``,
        ``answer_order``).
    fixations
        Canonical fixations; ``source == "click"`` rows are screened (``observer_id`` = worker
        id; optional ``campaign``, ``answer_order``), other rows pass through.
    min_platform_accuracy, require_quiz, min_test_accuracy, max_answers_per_worker
        Thresholds (seed 000 defaults).

    Returns
    -------
    ScreeningResult

    Raises
    ------
    ValueError
        Missing columns, duplicated workers, fractions outside [0, 1], rating / click rows of
        workers absent from ``workers``, missing ``answer_order`` values, bad thresholds.
    """
    workers = _check_workers(workers)
    for name, v in (("min_platform_accuracy", min_platform_accuracy), ("min_test_accuracy", min_test_accuracy)):
        if v is not None and not (isinstance(v, numbers.Real) and not isinstance(v, bool) and 0 <= v <= 1):
            raise ValueError(f"{name} must be a fraction in [0, 1] or None, got {v!r}")
    if max_answers_per_worker is not None and (isinstance(max_answers_per_worker, bool)
                                               or not isinstance(max_answers_per_worker, numbers.Integral)
                                               or max_answers_per_worker < 1):
        raise ValueError(f"max_answers_per_worker must be a positive int or None, got {max_answers_per_worker!r}")
    r_units = _ratings_units(ratings)
    c_units, is_click = _click_units(fixations)
    _known(r_units, workers, "ratings")
    _known(c_units, workers, "fixations (clicks)")

    wkey = pd.MultiIndex.from_frame(workers[_KEY].astype(object))
    status = pd.Series("kept", index=wkey, dtype=object)
    campaigns = list(dict.fromkeys(workers["campaign"]))

    def worker_mask(col: str, bad: np.ndarray) -> None:
        newly = (status == "kept").to_numpy() & bad
        status[newly] = col

    applied: dict[str, bool] = {}
    # 1. platform accuracy
    if min_platform_accuracy is not None and "platform_accuracy" in workers.columns:
        acc = pd.to_numeric(workers["platform_accuracy"], errors="coerce").to_numpy(dtype=float)
        n_nan = int(np.isnan(acc).sum())
        if n_nan:
            warnings.warn(f"apply_screening: {n_nan} workers have no platform_accuracy; kept by that rule",
                          stacklevel=2)
        worker_mask("platform_accuracy", ~np.isnan(acc) & (acc <= float(min_platform_accuracy)))
        applied["platform_accuracy"] = True
    else:
        applied["platform_accuracy"] = False
        if min_platform_accuracy is not None:
            warnings.warn("apply_screening: workers has no 'platform_accuracy' column; rule not applied", stacklevel=2)
    # 2. quiz
    if require_quiz and "passed_quiz" in workers.columns:
        pq = workers["passed_quiz"].astype("boolean")
        worker_mask("quiz", (pq == False).fillna(False).to_numpy(dtype=bool))  # noqa: E712 (NA-aware)
        applied["quiz"] = True
    else:
        applied["quiz"] = False
        if require_quiz:
            warnings.warn("apply_screening: workers has no 'passed_quiz' column; rule not applied", stacklevel=2)
    # 3. test accuracy
    if min_test_accuracy is not None and "test_accuracy" in workers.columns:
        ta = pd.to_numeric(workers["test_accuracy"], errors="coerce").to_numpy(dtype=float)
        worker_mask("test_accuracy", ~np.isnan(ta) & (ta < float(min_test_accuracy)))
        applied["test_accuracy"] = True
    else:
        applied["test_accuracy"] = False
        if min_test_accuracy is not None:
            warnings.warn("apply_screening: workers has no 'test_accuracy' column; rule not applied", stacklevel=2)

    def removed_by_row(units: pd.DataFrame) -> np.ndarray:
        if units.empty:
            return np.zeros(0, dtype=object)
        keys = pd.MultiIndex.from_frame(units[_KEY].astype(object))
        return status.reindex(keys).to_numpy(dtype=object).copy()

    r_rule = removed_by_row(r_units)
    c_rule = removed_by_row(c_units)

    # 4. answer cap over the kept workers' non-gold answers
    applied["answer_cap"] = max_answers_per_worker is not None
    capped_per_worker = pd.Series(0, index=wkey, dtype=np.int64)
    if max_answers_per_worker is not None and (len(r_units) or len(c_units)):
        r_ord, c_ord = _answer_order(r_units, ratings, c_units, fixations)
        both = pd.concat([
            r_units.assign(_ord=r_ord.to_numpy(), _rule=r_rule, _tab="r"),
            c_units.assign(_ord=c_ord.to_numpy(), _rule=c_rule, _tab="c"),
        ])
        live = both.loc[(both["_rule"] == "kept") & ~both["_gold"].astype(bool)]
        units = live.groupby(["campaign", "worker_id", "image_id"], sort=False)["_ord"].min().reset_index()
        units = units.sort_values(["campaign", "worker_id", "_ord"], kind="stable")
        units["_rank"] = units.groupby(["campaign", "worker_id"], sort=False).cumcount()
        over = units.loc[units["_rank"] >= int(max_answers_per_worker), ["campaign", "worker_id", "image_id"]]
        if len(over):
            over_idx = pd.MultiIndex.from_frame(over.astype(object))
            for units_df, rule_arr in ((r_units, r_rule), (c_units, c_rule)):
                if units_df.empty:
                    continue
                k = pd.MultiIndex.from_frame(units_df[["campaign", "worker_id", "image_id"]].astype(object))
                hit = k.isin(over_idx) & ~units_df["_gold"].to_numpy(dtype=bool) & (rule_arr == "kept")
                rule_arr[hit] = "answer_cap"
            per_w = over.groupby(["campaign", "worker_id"]).size()
            per_w.index = pd.MultiIndex.from_tuples([tuple(i) for i in per_w.index])
            capped_per_worker.loc[per_w.index] = per_w.to_numpy()

    # counts
    def tally(mask_r: np.ndarray, mask_c: np.ndarray, camp: Any, wmask: np.ndarray) -> dict[str, int]:
        rsel = r_units.loc[mask_r & (r_units["campaign"] == camp).to_numpy()] if len(r_units) else r_units
        csel = c_units.loc[mask_c & (c_units["campaign"] == camp).to_numpy()] if len(c_units) else c_units
        ans = pd.concat([rsel.loc[~rsel["_gold"].astype(bool), ["worker_id", "image_id"]],
                         csel[["worker_id", "image_id"]]]).drop_duplicates()
        return {"workers": int(wmask.sum()), "answers": int(len(ans)),
                "ratings": int((~rsel["_gold"].astype(bool)).sum()),
                "gold_ratings": int(rsel["_gold"].astype(bool).sum()),
                "clicks": int(len(csel))}

    wcamp = workers["campaign"].to_numpy()
    st = status.to_numpy(dtype=object)
    rows = []
    allr, allc = np.ones(len(r_units), bool), np.ones(len(c_units), bool)
    for camp in campaigns:
        rows.append({"step": "input", "campaign": camp, "applied": True,
                     **tally(allr, allc, camp, wcamp == camp)})
        for rule in RULES:
            wm = (wcamp == camp) & (st == rule)
            rows.append({"step": rule, "campaign": camp, "applied": applied[rule],
                         **tally(r_rule == rule, c_rule == rule, camp, wm)})
        rows.append({"step": "kept", "campaign": camp, "applied": True,
                     **tally(r_rule == "kept", c_rule == "kept", camp, (wcamp == camp) & (st == "kept"))})
    counts = pd.DataFrame(rows, columns=["step", "campaign", "applied", "workers", "answers", "ratings",
                                         "gold_ratings", "clicks"])

    kept_ratings = None
    if ratings is not None:
        kept_ratings = ratings.loc[r_rule == "kept"] if len(ratings) else ratings
    kept_fix = None
    if fixations is not None:
        keep = np.ones(len(fixations), bool)
        keep[np.flatnonzero(is_click)] = c_rule == "kept"
        kept_fix = fixations.loc[keep]
    worker_status = workers.copy()
    worker_status["removed_by"] = st
    worker_status["answers_capped"] = capped_per_worker.to_numpy()
    params = {"min_platform_accuracy": min_platform_accuracy, "require_quiz": require_quiz,
              "min_test_accuracy": min_test_accuracy, "max_answers_per_worker": max_answers_per_worker,
              "order": list(RULES)}
    return ScreeningResult(workers.loc[st == "kept"], kept_ratings, kept_fix, counts, worker_status, params)


# --------------------------------------------------------------------------------------------
# campaign numbers (section 2.1 / 2.2)
# --------------------------------------------------------------------------------------------


def answers_table(ratings: pd.DataFrame | None = None, fixations: pd.DataFrame | None = None, *,
                  include_gold: bool = False) -> pd.DataFrame:
    """One row per answer ``(campaign, worker_id, image_id)`` from ratings and / or clicks.

    A rating and the clicks of the same worker on the same version in the same campaign are one
    answer. Gold rows are left out unless ``include_gold`` (then a gold rating of a version the
    worker also answered normally counts once).

    Returns
    -------
    DataFrame
        ``campaign``, ``worker_id``, ``image_id``, ``has_rating``, ``has_clicks``.
    """
    r = _ratings_units(ratings)
    if not include_gold:
        r = r.loc[~r["_gold"].astype(bool)]
    c, _ = _click_units(fixations)
    cols = ["campaign", "worker_id", "image_id"]
    rr = r[cols].drop_duplicates().assign(has_rating=True)
    cc = c[cols].drop_duplicates().assign(has_clicks=True)
    out = rr.merge(cc, on=cols, how="outer")
    out["has_rating"] = out["has_rating"].astype("boolean").fillna(False).astype(bool)
    out["has_clicks"] = out["has_clicks"].astype("boolean").fillna(False).astype(bool)
    return out.reset_index(drop=True)


def _per_campaign(value: float | Mapping[str, float] | None, campaign: str, name: str) -> float:
    if value is None:
        return math.nan
    if isinstance(value, Mapping):
        if campaign not in value:
            raise ValueError(f"{name} has no entry for campaign {campaign!r} (keys {list(value)})")
        value = value[campaign]
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (math.isnan(float(value))
                                                                            or float(value) >= 0):
        raise ValueError(f"{name} for campaign {campaign!r} must be a non-negative number, got {value!r}")
    return float(value)


def campaign_summary(
    workers: pd.DataFrame,
    answers: pd.DataFrame,
    *,
    pay_per_block: float | Mapping[str, float],
    answers_per_block: float | Mapping[str, float],
    duration_hours: float | Mapping[str, float] | None = None,
    trusted_answers: pd.DataFrame | None = None,
    n_stimuli: int | Mapping[str, int] | None = None,
    min_test_accuracy: float = 0.7,
) -> pd.DataFrame:
    """Seed 000 section 2's numbers per campaign, computed from tables.

    Parameters
    ----------
    workers
        Workers table (every participant).
    answers
        Answers paid for (``answers_table(...)`` of the unscreened tables): ``campaign``,
        ``worker_id``, ``image_id``.
    pay_per_block, answers_per_block
        Pay: ``total_cost = answers / answers_per_block * pay_per_block`` (seed 000:
        :data:`SEED000_PAY`). A number or ``{campaign: number}``. Partial blocks are paid pro rata.
    duration_hours
        Turnaround (not derivable from the tables); NaN when None.
    trusted_answers
        Optional answers kept after screening (``answers_table`` of the screened tables).
    n_stimuli
        Stimuli per campaign; default the distinct ``image_id`` of the campaign's answers.
    min_test_accuracy
        Threshold of "staying above" (seed: 70 %).

    Returns
    -------
    DataFrame
        One row per campaign: ``campaign, workers, countries, passed_quiz, passed_quiz_pct,
        above_threshold, above_threshold_pct, answers, mean_answers_per_worker, n_stimuli,
        answers_per_stimulus, trusted_answers, trusted_answers_per_stimulus, mean_test_accuracy,
        pay_per_block, answers_per_block, total_cost, duration_hours``. Percentages are of all
        workers of the campaign; quiz / test columns are NaN for a campaign without them;
        ``mean_test_accuracy`` is the mean over workers with a test accuracy.
    """
    workers = _check_workers(workers)
    for c in ("campaign", "worker_id", "image_id"):
        if c not in answers.columns:
            raise ValueError(f"answers: missing column {c!r}; build it with answers_table()")
    _known(answers, workers, "answers")
    if trusted_answers is not None:
        _known(trusted_answers, workers, "trusted_answers")
    rows = []
    for camp in dict.fromkeys(workers["campaign"]):
        w = workers.loc[workers["campaign"] == camp]
        a = answers.loc[answers["campaign"] == camp].drop_duplicates(["worker_id", "image_id"])
        n_w = len(w)
        n_s = (_per_campaign(n_stimuli, camp, "n_stimuli") if n_stimuli is not None
               else float(a["image_id"].nunique()))
        if "passed_quiz" in w.columns and w["passed_quiz"].notna().any():
            passed = float(w["passed_quiz"].astype("boolean").fillna(False).sum())
        else:
            passed = math.nan
        if "test_accuracy" in w.columns and w["test_accuracy"].notna().any():
            ta = pd.to_numeric(w["test_accuracy"], errors="coerce")
            above = float((ta >= min_test_accuracy).sum())
            mean_ta = float(ta.mean())
        else:
            above = mean_ta = math.nan
        pay = _per_campaign(pay_per_block, camp, "pay_per_block")
        per_block = _per_campaign(answers_per_block, camp, "answers_per_block")
        if not per_block > 0:
            raise ValueError(f"answers_per_block for campaign {camp!r} must be > 0, got {per_block!r}")
        trusted = math.nan
        if trusted_answers is not None:
            trusted = float(len(trusted_answers.loc[trusted_answers["campaign"] == camp]
                                .drop_duplicates(["worker_id", "image_id"])))
        rows.append({
            "campaign": camp, "workers": n_w,
            "countries": int(w["country"].nunique()) if "country" in w.columns else math.nan,
            "passed_quiz": passed, "passed_quiz_pct": 100.0 * passed / n_w if n_w else math.nan,
            "above_threshold": above, "above_threshold_pct": 100.0 * above / n_w if n_w else math.nan,
            "answers": len(a), "mean_answers_per_worker": len(a) / n_w if n_w else math.nan,
            "n_stimuli": n_s, "answers_per_stimulus": len(a) / n_s if n_s else math.nan,
            "trusted_answers": trusted, "trusted_answers_per_stimulus": trusted / n_s if n_s else math.nan,
            "mean_test_accuracy": mean_ta, "pay_per_block": pay, "answers_per_block": per_block,
            "total_cost": len(a) / per_block * pay,
            "duration_hours": _per_campaign(duration_hours, camp, "duration_hours"),
        })
    return pd.DataFrame(rows)


def seed000_reported_campaigns() -> pd.DataFrame:
    """Seed 000's own campaign numbers (sections 2.1, 2.2), in :func:`campaign_summary`'s columns.

    Free viewing: 121 workers from 36 countries, 39.7 answers each on average, 30 answers per
    stimulus, $0.01 per 10 annotations, $5.83 in total, about 90 minutes. IQA: 620 workers, 562
    (90.64 %) passing the qualification quiz, 556 (89.68 %) staying above 70 % test accuracy,
    14.6 judgments each with 95.5 % test accuracy, about 51 trusted answers per stimulus, $0.02
    per 5 annotations, $56.80 in total, 44 hours. 160 stimuli (40 contents x 4 JPEG levels).
    Values the paper does not state are NaN (``answers``, computed columns).
    """
    nan = math.nan
    return pd.DataFrame([
        {"campaign": "free", "workers": 121, "countries": 36, "passed_quiz": nan, "passed_quiz_pct": nan,
         "above_threshold": nan, "above_threshold_pct": nan, "answers": nan, "mean_answers_per_worker": 39.7,
         "n_stimuli": 160.0, "answers_per_stimulus": 30.0, "trusted_answers": nan,
         "trusted_answers_per_stimulus": nan, "mean_test_accuracy": nan, "pay_per_block": 0.01,
         "answers_per_block": 10.0, "total_cost": 5.83, "duration_hours": 1.5},
        {"campaign": "iqa", "workers": 620, "countries": nan, "passed_quiz": 562.0, "passed_quiz_pct": 90.64,
         "above_threshold": 556.0, "above_threshold_pct": 89.68, "answers": nan, "mean_answers_per_worker": 14.6,
         "n_stimuli": 160.0, "answers_per_stimulus": nan, "trusted_answers": nan,
         "trusted_answers_per_stimulus": 51.0, "mean_test_accuracy": 0.955, "pay_per_block": 0.02,
         "answers_per_block": 5.0, "total_cost": 56.80, "duration_hours": 44.0},
    ])


def check_reported_campaigns(reported: pd.DataFrame | None = None, *, tolerance: float = 0.02) -> pd.DataFrame:
    """Check the arithmetic of seed 000's campaign numbers; report inconsistencies, do not hide them.

    Checks, per campaign:

    * ``cost``: the paid annotations implied by the reported cost and pay rate,
      ``total_cost / pay_per_block * answers_per_block``, against the answers implied by the
      other numbers, ``workers * mean_answers_per_worker`` (and ``n_stimuli *
      answers_per_stimulus`` where stated); ``computed`` is the cost at the stated rate of the
      latter;
    * ``passed_quiz_pct`` / ``above_threshold_pct``: the percentages against the counts.

    Parameters
    ----------
    reported
        Default :func:`seed000_reported_campaigns`.
    tolerance
        Relative difference still called consistent (costs; percentages must agree to 0.01).

    Returns
    -------
    DataFrame
        ``check, campaign, reported, computed, relative_difference, consistent, note``.
    """
    rep = seed000_reported_campaigns() if reported is None else reported
    rows = []
    for _, r in rep.iterrows():
        camp = r["campaign"]
        rate = r["pay_per_block"] / r["answers_per_block"]
        implied = r["total_cost"] / rate
        from_workers = r["workers"] * r["mean_answers_per_worker"]
        cost_at_rate = from_workers * rate
        rel = (r["total_cost"] - cost_at_rate) / cost_at_rate
        stim = r["n_stimuli"] * r["answers_per_stimulus"] if np.isfinite(r["answers_per_stimulus"]) else math.nan
        ok = abs(rel) <= tolerance
        note = (f"${r['pay_per_block']:.2f} per {r['answers_per_block']:g} annotations: ${r['total_cost']:.2f} implies "
                f"{implied:,.0f} paid annotations; {r['workers']:g} workers x {r['mean_answers_per_worker']:g} answers "
                f"= {from_workers:,.1f}")
        if np.isfinite(stim):
            note += f" (and {r['n_stimuli']:g} stimuli x {r['answers_per_stimulus']:g} = {stim:,.0f})"
        note += f", which cost ${cost_at_rate:.2f} at that rate"
        if not ok:
            note += (f"; the reported cost is {100 * rel:+.1f} % off. The paper does not explain the difference "
                     "(platform fees, paid test questions or quiz answers are possible; none is stated)")
        rows.append({"check": "cost", "campaign": camp, "reported": float(r["total_cost"]),
                     "computed": float(cost_at_rate), "relative_difference": float(rel), "consistent": bool(ok),
                     "note": note, "implied_paid_annotations": float(implied),
                     "answers_from_workers": float(from_workers)})
        for cnt, pct in (("passed_quiz", "passed_quiz_pct"), ("above_threshold", "above_threshold_pct")):
            if not np.isfinite(r[cnt]):
                continue
            exact = 100.0 * r[cnt] / r["workers"]
            ok = abs(round(exact, 2) - r[pct]) < 0.005
            note = f"{r[cnt]:g} / {r['workers']:g} = {exact:.4f} %"
            if not ok:
                trunc = math.floor(exact * 100) / 100
                note += (f"; rounds to {exact:.2f}, the paper says {r[pct]:.2f}"
                         + (" (truncated, not rounded)" if abs(trunc - r[pct]) < 0.005 else ""))
            rows.append({"check": pct, "campaign": camp, "reported": float(r[pct]), "computed": float(exact),
                         "relative_difference": float((r[pct] - exact) / exact), "consistent": bool(ok), "note": note,
                         "implied_paid_annotations": math.nan, "answers_from_workers": math.nan})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Figure 1
# --------------------------------------------------------------------------------------------


def country_distribution(
    workers: pd.DataFrame,
    min_share: float = 0.01,
    *,
    basis: Literal["any", "each", "pooled"] = "any",
    other: str = "OTH",
) -> pd.DataFrame:
    """Share of workers per country and campaign, small countries grouped into ``"OTH"`` (Fig. 1).

    Seed 000, Figure 1: "Countries with less than 1% participants are grouped into OTH". A
    country is *small* when its share is ``< min_share`` (exactly 1 % is kept):

    * ``basis="any"`` (default): kept when it reaches ``min_share`` in at least one campaign, so
      the grouped bars show the same countries for both campaigns with their true shares;
    * ``basis="each"``: decided per campaign (a country may be shown for one campaign and be in
      OTH for the other);
    * ``basis="pooled"``: decided on all campaigns' workers together.

    Returns
    -------
    DataFrame
        ``campaign, country, n_workers, share`` (share of the campaign's workers; the shares of
        a campaign sum to 1), countries by decreasing pooled count, ``OTH`` last. Countries with
        no worker in a campaign appear with 0 under ``"any"`` / ``"pooled"``.

    Raises
    ------
    ValueError
        No ``country`` column, missing countries, bad ``min_share`` / ``basis``.
    """
    workers = _check_workers(workers)
    if "country" not in workers.columns:
        raise ValueError("workers: missing column 'country'")
    if workers["country"].isna().any():
        row = int(np.flatnonzero(workers["country"].isna().to_numpy())[0])
        raise ValueError(f"workers: row {row} has no country ({int(workers['country'].isna().sum())} such rows); "
                         "fill them (e.g. 'unknown') explicitly")
    if not (isinstance(min_share, numbers.Real) and 0 <= min_share < 1):
        raise ValueError(f"min_share must be in [0, 1), got {min_share!r}")
    if basis not in ("any", "each", "pooled"):
        raise ValueError(f"basis must be 'any', 'each' or 'pooled', got {basis!r}")
    counts = workers.groupby(["campaign", "country"], sort=False).size().unstack(fill_value=0)
    counts = counts.reindex(index=list(dict.fromkeys(workers["campaign"])))
    shares = counts.div(counts.sum(axis=1), axis=0)
    pooled = counts.sum(axis=0)
    eps = 1e-12
    order = sorted(counts.columns, key=lambda c: (-int(pooled[c]), str(c)))
    if other in counts.columns:
        raise ValueError(f"a country is literally named {other!r}; pass another `other` label")
    rows = []
    if basis == "each":
        for camp in counts.index:
            keep = [c for c in order if counts.at[camp, c] > 0 and shares.at[camp, c] >= min_share - eps]
            small = [c for c in order if c not in keep]
            for c in keep:
                rows.append((camp, c, int(counts.at[camp, c])))
            rows.append((camp, other, int(counts.loc[camp, small].sum())))
    else:
        if basis == "any":
            keep = [c for c in order if (shares[c] >= min_share - eps).any()]
        else:
            keep = [c for c in order if pooled[c] / pooled.sum() >= min_share - eps]
        small = [c for c in order if c not in keep]
        for camp in counts.index:
            for c in keep:
                rows.append((camp, c, int(counts.at[camp, c])))
            rows.append((camp, other, int(counts.loc[camp, small].sum())))
    out = pd.DataFrame(rows, columns=["campaign", "country", "n_workers"])
    out["share"] = out["n_workers"] / out.groupby("campaign")["n_workers"].transform("sum")
    return out
