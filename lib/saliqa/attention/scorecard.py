"""Seed 000's scorecard: which obtained number is checked against which reference claim.

The claims, paper values and verdict rules are rows of
``data/reference/01_crowd_vs_eyetracking_attention.csv`` (:mod:`saliqa.scorecard`); this module
only maps the analysis outputs onto them:

* Table 1: a study's comparison gets the paper's value only when the study declares it the same
  comparison the paper measured (``AttentionStudy.paper_comparisons``; on OSIE / BubbleView that
  is P_Free alone). Every other comparison, and SIM (not in the paper's Table 1), is reported
  without a paper value.
* Simulated observers: the directions of the planted effects (``sim_*`` claims).
* Real observers: eye / crowd agreement in free viewing (``real_eye_crowd_agree_free``).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from saliqa.scorecard import Scorecard

__all__ = ["TABLE1_MEASURE_KEYS", "table1_claim", "score_table1", "score_simulated_effects", "score_real_agreement"]

TABLE1_MEASURE_KEYS: Mapping[str, str] = {"DKL": "dkl", "DBhat": "bhat", "PCC": "pcc"}
"""Table 1 measure -> the key used in the reference claim ids (``table1_<key>_<column>``)."""


def table1_claim(measure: str, paper_column: str) -> str | None:
    """Reference claim id of a Table 1 cell, e.g. ``("PCC", "P_Free")`` -> ``"table1_pcc_free"``.

    ``None`` for a measure the paper's Table 1 does not have (SIM).
    """
    key = TABLE1_MEASURE_KEYS.get(measure)
    if key is None:
        return None
    return f"table1_{key}_{paper_column.removeprefix('P_').lower()}"


def score_table1(
    card: Scorecard, table: pd.DataFrame, paper_comparisons: Mapping[str, str], *, study: str, simulated: bool
) -> None:
    """Add every cell of a :func:`saliqa.attention.table1` output to ``card``.

    Parameters
    ----------
    card
        The run's scorecard (reference of notebook 01).
    table
        ``measure, comparison, mean, ...`` rows.
    paper_comparisons
        The study's comparison -> paper column map; comparisons not in it are reported only.
    study
        Name shown in the labels.
    simulated
        Simulated observers: the paper value is shown, with a note that sizes are not comparable.
    """
    for measure, column, mean in table[["measure", "comparison", "mean"]].itertuples(index=False):
        label = f"{study}: Table 1 {measure} {column}"
        paper_column = paper_comparisons.get(column)
        claim = table1_claim(measure, paper_column) if paper_column else None
        if claim is not None and card.reference is not None and claim in card.reference.index:
            card.check(
                claim, float(mean), label=label, note="simulated observers: size not comparable" if simulated else ""
            )
        else:
            card.report(label, float(mean), note="no counterpart in the paper's Table 1")


def score_simulated_effects(
    card: Scorecard,
    asymmetry: pd.DataFrame,
    table: pd.DataFrame,
    mos: pd.DataFrame,
    worker_status: pd.DataFrame | None,
    *,
    study: str,
) -> None:
    """The planted effects of the builtin study, judged by direction (``sim_*`` claims).

    Parameters
    ----------
    asymmetry
        :class:`saliqa.attention.KLAsymmetry` ``summary`` (``p, q, mean_d_pq, mean_d_qp``).
    table
        Table 1 rows (``measure, comparison, mean``).
    mos
        :func:`saliqa.attention.mos_vs_jpeg` output (``level, mos``), ``level`` the JPEG quality
        factor: the highest level is the mildest.
    worker_status
        Screening outcome per worker (:attr:`saliqa.crowd.WorkerScreening.status`: ``worker_type,
        campaign, removed_by``), or None.
    """
    summary = asymmetry.set_index(["p", "q"])
    for claim, (p, q) in (
        ("sim_task_maps_broader_eye", ("eye_iqa", "eye_free")),
        ("sim_task_maps_broader_crowd", ("crowd_iqa", "crowd_free")),
    ):
        r = summary.loc[(p, q)]
        card.check(claim, float(r["mean_d_pq"] - r["mean_d_qp"]), label=f"{study}: D({p}||{q}) - D({q}||{p})")
    pcc = table.set_index(["measure", "comparison"])["mean"]
    card.check("sim_eye_crowd_agree_free", float(pcc[("PCC", "P_Free")]), label=f"{study}: PCC P_Free")
    card.check("sim_eye_crowd_agree_iqa", float(pcc[("PCC", "P_IQA")]), label=f"{study}: PCC P_IQA")
    by_level = mos.groupby("level")["mos"].mean()
    card.check(
        "sim_mos_rises_with_quality",
        float(by_level.iloc[-1] - by_level.iloc[0]),
        label=f"{study}: MOS at the mildest - strongest JPEG level",
    )
    if worker_status is not None:
        spam = worker_status[(worker_status["worker_type"] == "spammer") & (worker_status["campaign"] == "iqa")]
        if len(spam):
            card.check(
                "sim_spammers_removed",
                float((spam["removed_by"] != "kept").mean()),
                label=f"{study}: share of planted IQA spammers removed",
            )


def score_real_agreement(
    card: Scorecard, table: pd.DataFrame, paper_comparisons: Mapping[str, str], *, study: str
) -> None:
    """Eye / crowd agreement on real observers: PCC of the comparison that is the paper's P_Free."""
    free = [c for c, paper in paper_comparisons.items() if paper == "P_Free"]
    if not free:
        return
    pcc = table.set_index(["measure", "comparison"])["mean"]
    card.check("real_eye_crowd_agree_free", float(pcc[("PCC", free[0])]), label=f"{study}: PCC {free[0]}")
