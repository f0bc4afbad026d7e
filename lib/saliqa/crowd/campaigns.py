"""Seed 000's campaign bookkeeping (sections 2.1, 2.2): answers, cost, the paper's own numbers.

:func:`answers_table` lists the answers (a worker's rating and clicks on one version),
:func:`campaign_summary` computes section 2's campaign numbers (workers, countries, qualified %,
cost, ...) from the tables, :func:`seed000_reported_campaigns` holds the paper's own numbers
and :func:`check_reported_campaigns` checks their arithmetic (the paper's costs do not follow
from its pay rates; the check reports by how much).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from saliqa.checks import check_positive, is_real, require_columns
from saliqa.crowd.screening import TestAccuracy
from saliqa.crowd.workers import check_known, check_workers, click_units, ratings_units

__all__ = [
    "SEED000_PAY",
    "SEED000_DURATION_HOURS",
    "answers_table",
    "campaign_summary",
    "seed000_reported_campaigns",
    "check_reported_campaigns",
]

SEED000_PAY: Mapping[str, tuple[float, int]] = {"free": (0.01, 10), "iqa": (0.02, 5)}
"""Seed 000's pay: campaign -> (dollars per block, answers per block): "$0.01 for 10
annotations" (free viewing), "$0.02 for 5 annotations" (IQA)."""

SEED000_DURATION_HOURS: Mapping[str, float] = {"free": 1.5, "iqa": 44.0}
"""Seed 000's turnaround: "approximately 90 minutes" (free), "the 44 hour experiment" (IQA)."""


def answers_table(
    ratings: pd.DataFrame | None = None, fixations: pd.DataFrame | None = None, *, include_gold: bool = False
) -> pd.DataFrame:
    """One row per answer ``(campaign, worker_id, image_id)`` from ratings and / or clicks.

    A rating and the clicks of the same worker on the same version in the same campaign are one
    answer. Gold rows are left out unless ``include_gold`` (then a gold rating of a version the
    worker also answered normally counts once).

    Returns
    -------
    DataFrame
        ``campaign``, ``worker_id``, ``image_id``, ``has_rating``, ``has_clicks``.
    """
    r = ratings_units(ratings)
    if not include_gold:
        r = r.loc[~r["_gold"].astype(bool)]
    c, _ = click_units(fixations)
    cols = ["campaign", "worker_id", "image_id"]
    rr = r[cols].drop_duplicates().assign(has_rating=True)
    cc = c[cols].drop_duplicates().assign(has_clicks=True)
    out = rr.merge(cc, on=cols, how="outer")
    out["has_rating"] = out["has_rating"].astype("boolean").fillna(False).astype(bool)
    out["has_clicks"] = out["has_clicks"].astype("boolean").fillna(False).astype(bool)
    return out.reset_index(drop=True)


def _per_campaign(value: float | Mapping[str, float] | None, campaign: str, name: str) -> float:
    """``value`` for ``campaign`` (a number, or ``{campaign: number}``): non-negative or NaN."""
    if value is None:
        return math.nan
    if isinstance(value, Mapping):
        if campaign not in value:
            raise ValueError(f"{name} has no entry for campaign {campaign!r} (keys {list(value)})")
        value = value[campaign]
    if is_real(value) and math.isnan(float(value)):
        return math.nan
    return check_positive(value, f"{name} for campaign {campaign!r}", allow_zero=True)


def _pay_rates(
    pay: Mapping[str, tuple[float, float]] | None,
    pay_per_block: float | Mapping[str, float] | None,
    answers_per_block: float | Mapping[str, float] | None,
) -> tuple[Any, Any]:
    """``(pay_per_block, answers_per_block)`` from ``pay`` (``{campaign: (dollars, answers)}``) or as given."""
    if pay is None:
        if pay_per_block is None or answers_per_block is None:
            raise ValueError(
                "campaign_summary needs pay={campaign: (dollars per block, answers per block)} "
                "(e.g. SEED000_PAY) or both pay_per_block and answers_per_block"
            )
        return pay_per_block, answers_per_block
    if pay_per_block is not None or answers_per_block is not None:
        raise ValueError("pass either pay or pay_per_block / answers_per_block, not both")
    if not isinstance(pay, Mapping) or any(not (isinstance(v, tuple | list) and len(v) == 2) for v in pay.values()):
        raise ValueError(f"pay must map each campaign to (dollars per block, answers per block), got {pay!r}")
    return {c: v[0] for c, v in pay.items()}, {c: v[1] for c, v in pay.items()}


def campaign_summary(
    workers: pd.DataFrame,
    answers: pd.DataFrame,
    *,
    pay: Mapping[str, tuple[float, float]] | None = None,
    pay_per_block: float | Mapping[str, float] | None = None,
    answers_per_block: float | Mapping[str, float] | None = None,
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
    pay
        ``{campaign: (dollars per block, answers per block)}``, e.g. ``pay=SEED000_PAY``:
        ``total_cost = answers / answers_per_block * pay_per_block``. Partial blocks are paid pro
        rata.
    pay_per_block, answers_per_block
        Instead of ``pay``: a number each, or ``{campaign: number}``.
    duration_hours
        Turnaround (not derivable from the tables); NaN when None.
    trusted_answers
        Optional answers kept after screening (``answers_table`` of the screened tables).
    n_stimuli
        Stimuli per campaign; default the distinct ``image_id`` of the campaign's answers.
    min_test_accuracy
        Threshold of "staying above" (seed: 70 %), judged by :class:`TestAccuracy`.

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
    workers = check_workers(workers)
    pay_per_block, answers_per_block = _pay_rates(pay, pay_per_block, answers_per_block)
    test_rule = TestAccuracy(min_test_accuracy)
    require_columns(answers, ["campaign", "worker_id", "image_id"], "answers", hint="build it with answers_table()")
    check_known(answers, workers, "answers")
    if trusted_answers is not None:
        check_known(trusted_answers, workers, "trusted_answers")
    rows = []
    for camp in dict.fromkeys(workers["campaign"]):
        w = workers.loc[workers["campaign"] == camp]
        a = answers.loc[answers["campaign"] == camp].drop_duplicates(["worker_id", "image_id"])
        n_w = len(w)
        n_s = _per_campaign(n_stimuli, camp, "n_stimuli") if n_stimuli is not None else float(a["image_id"].nunique())
        if "passed_quiz" in w.columns and w["passed_quiz"].notna().any():
            passed = float(w["passed_quiz"].astype("boolean").fillna(False).sum())
        else:
            passed = math.nan
        if "test_accuracy" in w.columns and w["test_accuracy"].notna().any():
            ta = pd.to_numeric(w["test_accuracy"], errors="coerce")
            above = float((ta.notna().to_numpy() & ~test_rule.rejects(ta)).sum())
            mean_ta = float(ta.mean())
        else:
            above = mean_ta = math.nan
        pay = _per_campaign(pay_per_block, camp, "pay_per_block")
        per_block = check_positive(
            _per_campaign(answers_per_block, camp, "answers_per_block"), f"answers_per_block for campaign {camp!r}"
        )
        trusted = math.nan
        if trusted_answers is not None:
            trusted = float(
                len(trusted_answers.loc[trusted_answers["campaign"] == camp].drop_duplicates(["worker_id", "image_id"]))
            )
        rows.append(
            {
                "campaign": camp,
                "workers": n_w,
                "countries": int(w["country"].nunique()) if "country" in w.columns else math.nan,
                "passed_quiz": passed,
                "passed_quiz_pct": 100.0 * passed / n_w if n_w else math.nan,
                "above_threshold": above,
                "above_threshold_pct": 100.0 * above / n_w if n_w else math.nan,
                "answers": len(a),
                "mean_answers_per_worker": len(a) / n_w if n_w else math.nan,
                "n_stimuli": n_s,
                "answers_per_stimulus": len(a) / n_s if n_s else math.nan,
                "trusted_answers": trusted,
                "trusted_answers_per_stimulus": trusted / n_s if n_s else math.nan,
                "mean_test_accuracy": mean_ta,
                "pay_per_block": pay,
                "answers_per_block": per_block,
                "total_cost": len(a) / per_block * pay,
                "duration_hours": _per_campaign(duration_hours, camp, "duration_hours"),
            }
        )
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
    return pd.DataFrame(
        [
            {
                "campaign": "free",
                "workers": 121,
                "countries": 36,
                "passed_quiz": nan,
                "passed_quiz_pct": nan,
                "above_threshold": nan,
                "above_threshold_pct": nan,
                "answers": nan,
                "mean_answers_per_worker": 39.7,
                "n_stimuli": 160.0,
                "answers_per_stimulus": 30.0,
                "trusted_answers": nan,
                "trusted_answers_per_stimulus": nan,
                "mean_test_accuracy": nan,
                "pay_per_block": 0.01,
                "answers_per_block": 10.0,
                "total_cost": 5.83,
                "duration_hours": 1.5,
            },
            {
                "campaign": "iqa",
                "workers": 620,
                "countries": nan,
                "passed_quiz": 562.0,
                "passed_quiz_pct": 90.64,
                "above_threshold": 556.0,
                "above_threshold_pct": 89.68,
                "answers": nan,
                "mean_answers_per_worker": 14.6,
                "n_stimuli": 160.0,
                "answers_per_stimulus": nan,
                "trusted_answers": nan,
                "trusted_answers_per_stimulus": 51.0,
                "mean_test_accuracy": 0.955,
                "pay_per_block": 0.02,
                "answers_per_block": 5.0,
                "total_cost": 56.80,
                "duration_hours": 44.0,
            },
        ]
    )


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
        note = (
            f"${r['pay_per_block']:.2f} per {r['answers_per_block']:g} annotations: ${r['total_cost']:.2f} implies "
            f"{implied:,.0f} paid annotations; {r['workers']:g} workers x {r['mean_answers_per_worker']:g} answers "
            f"= {from_workers:,.1f}"
        )
        if np.isfinite(stim):
            note += f" (and {r['n_stimuli']:g} stimuli x {r['answers_per_stimulus']:g} = {stim:,.0f})"
        note += f", which cost ${cost_at_rate:.2f} at that rate"
        if not ok:
            note += (
                f"; the reported cost is {100 * rel:+.1f} % off. The paper does not explain the difference "
                "(platform fees, paid test questions or quiz answers are possible; none is stated)"
            )
        rows.append(
            {
                "check": "cost",
                "campaign": camp,
                "reported": float(r["total_cost"]),
                "computed": float(cost_at_rate),
                "relative_difference": float(rel),
                "consistent": bool(ok),
                "note": note,
                "implied_paid_annotations": float(implied),
                "answers_from_workers": float(from_workers),
            }
        )
        for cnt, pct in (("passed_quiz", "passed_quiz_pct"), ("above_threshold", "above_threshold_pct")):
            if not np.isfinite(r[cnt]):
                continue
            exact = 100.0 * r[cnt] / r["workers"]
            ok = abs(round(exact, 2) - r[pct]) < 0.005
            note = f"{r[cnt]:g} / {r['workers']:g} = {exact:.4f} %"
            if not ok:
                trunc = math.floor(exact * 100) / 100
                note += f"; rounds to {exact:.2f}, the paper says {r[pct]:.2f}" + (
                    " (truncated, not rounded)" if abs(trunc - r[pct]) < 0.005 else ""
                )
            rows.append(
                {
                    "check": pct,
                    "campaign": camp,
                    "reported": float(r[pct]),
                    "computed": float(exact),
                    "relative_difference": float((r[pct] - exact) / exact),
                    "consistent": bool(ok),
                    "note": note,
                    "implied_paid_annotations": math.nan,
                    "answers_from_workers": math.nan,
                }
            )
    return pd.DataFrame(rows)
