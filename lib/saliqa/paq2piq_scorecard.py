"""Seed 003's scorecard: which obtained number is checked against which reference claim.

Claims, paper values and verdict rules are rows of ``data/reference/02_paq2piq.csv``
(:mod:`saliqa.scorecard`); this module maps the analysis outputs onto them:

* Table 8 (parameter counts): :func:`score_table8`, from :func:`saliqa.models.paq2piq.parameter_table`;
* the database figures on the real FLIVE label files (picture vs patch LCC per patch size, the
  paper's values on the whole database beside ours on the test pictures): :func:`score_database`;
* the planted effects of the builtin simulator (scope ``planted``): :func:`score_simulated`;
* Table 2 paper values, only when the models were trained and tested on FLIVE itself:
  :func:`score_table2`;
* the paper's findings about the models (scope ``finding``, reported as they come out):
  :func:`score_findings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from saliqa.paq2piq_study import correlations
from saliqa.scorecard import Scorecard

__all__ = ["score_table8", "score_database", "score_simulated", "score_table2", "score_findings", "split_srcc"]

_DEEP = ("baseline", "roipool", "feedback")


def score_table8(card: Scorecard, table8: pd.DataFrame) -> None:
    """Every Table 8 number (``table8_*`` claims) with our count in the paper's unit."""
    for claim, row in table8.set_index("claim").iterrows():
        card.check(str(claim), float(row["ours"]), label=f"Table 8: {row['model']} {row['part']} ({row['unit']})")


def score_database(card: Scorecard, lcc_by_fraction: Mapping[float, float], *, source: str) -> None:
    """Picture MOS vs patch MOS LCC per patch size on real label files (Fig. 7 right / 12)."""
    for fraction, key in ((0.4, "40"), (0.3, "30"), (0.2, "20")):
        if fraction in lcc_by_fraction:
            card.check(f"db_picture_patch_lcc_{key}", float(lcc_by_fraction[fraction]), label=f"{source}: LCC {key}%")
    if 0.4 in lcc_by_fraction and 0.2 in lcc_by_fraction:
        card.check(
            "db_lcc_falls_with_patch_size",
            float(lcc_by_fraction[0.4] - lcc_by_fraction[0.2]),
            label=f"{source}: LCC 40% - LCC 20%",
        )


def score_simulated(card: Scorecard, recovered: Mapping[str, Any]) -> None:
    """The builtin simulator's planted effects (:func:`saliqa.simulate.paq2piq.recovered_effects`)."""
    lcc = recovered["picture_patch_lcc"]
    card.check("sim_lcc_falls_with_patch_size", float(lcc[0.4] - lcc[0.2]), label="builtin: LCC 40% - LCC 20%")
    half = recovered["split_half"]
    card.check(
        "sim_patches_more_consistent",
        float(half["patch"] - half["picture"]),
        label="builtin: split-half LCC patches - pictures",
    )
    card.check(
        "sim_spammers_removed",
        float(min(recovered["spammer_units_removed"])),
        label="builtin: spammer units removed (lower of the two tasks)",
    )
    card.check(
        "sim_mos_tracks_latent",
        float(recovered["mos_latent_srcc"]["picture"]),
        label="builtin: SRCC(picture MOS, latent quality)",
    )


def split_srcc(
    predictions: pd.DataFrame, unit: str = "picture", fraction: float | None = None, *, split: str = "test"
) -> dict[str, float]:
    """SRCC per model on one split, for pictures or for the patches of one size."""
    sel = predictions[(predictions["split"] == split) & (predictions["unit"] == unit)]
    if fraction is not None:
        sel = sel[np.isclose(sel["fraction"].astype(float), fraction)]
    corr = correlations(sel, by=("model",))
    return {str(m): float(s) for m, s in zip(corr["model"], corr["srcc"])}


def score_table2(card: Scorecard, predictions: pd.DataFrame, *, trained_on: str) -> None:
    """Table 2 cells beside the paper's, only for a run trained and tested on FLIVE."""
    if trained_on != "flive":
        return
    pictures = predictions[predictions["unit"] == "picture"]
    corr = correlations(pictures, by=("model", "split"))
    for row in corr.itertuples(index=False):
        for metric in ("srcc", "lcc"):
            claim = f"table2_{row.model}_{row.split}_{metric}"
            if card.reference is not None and claim in card.reference.index:
                card.check(claim, float(getattr(row, metric)), label=f"FLIVE {row.split} {metric.upper()} {row.model}")


def score_findings(card: Scorecard, predictions: pd.DataFrame, *, data: str) -> None:
    """The paper's orderings of the models (scope ``finding``), on the run's test split."""
    pic = split_srcc(predictions, "picture")
    if {"feedback", "roipool"} <= set(pic):
        card.check("finding_feedback_ge_roipool", pic["feedback"] - pic["roipool"], label=f"{data}: Feedback - RoIPool")
    if {"roipool", "baseline"} <= set(pic):
        card.check("finding_roipool_ge_baseline", pic["roipool"] - pic["baseline"], label=f"{data}: RoIPool - Baseline")
    small, large = split_srcc(predictions, "patch", 0.2), split_srcc(predictions, "patch", 0.4)
    if all({"roipool", "baseline"} <= set(d) for d in (small, large)):
        gain = (small["roipool"] - small["baseline"]) - (large["roipool"] - large["baseline"])
        card.check("finding_roipool_gains_most_on_small_patches", gain, label=f"{data}: RoIPool gain 20% - 40%")
    deep = [pic[m] for m in _DEEP if m in pic]
    for name in ("brisque", "niqe"):
        if deep and name in pic:
            card.check(f"finding_deep_above_{name}", min(deep) - pic[name], label=f"{data}: deep models - {name}")
