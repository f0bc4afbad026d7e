"""Notebook 03's scorecard: the claims of ``data/reference/03_iqa_saliency_gradcam.csv`` from its tables.

Every claim is a direction on the data the run used (OSIE's real fixations or builtin simulated
ones; the builtin IQA pictures or KonIQ-10k; the builtin SACID-like set or SACID): the paper
measured SALICON, CAT2000, KonIQ-10k and SACID, none of which is at hand, so its numbers appear
in the reference notes only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from saliqa.scorecard import Scorecard

__all__ = ["score", "table1_gains", "table2_changes", "table3_gains"]


def _table1_rows(table1: pd.DataFrame, set_name: str) -> pd.DataFrame:
    sets = table1.index.get_level_values("set")
    maps = table1.index.get_level_values("maps")
    level = "processed" if "processed" in set(maps[sets == set_name]) else "raw"
    return table1[(sets == set_name) & (maps == level)].droplevel(["set", "maps"])


def table1_gains(table1: pd.DataFrame, set_name: str) -> dict[str, float]:
    """Primary Baseline CAM and proxy predictor vs the Center Prior on ``set_name`` (processed maps when present)."""
    rows = _table1_rows(table1, set_name)
    cams = rows.index[rows["type"] == "GradCAM from IQA"]
    if len(cams) == 0:
        raise ValueError(f"Table I has no 'GradCAM from IQA' row for {set_name!r}")
    cam, cp = rows.loc[cams[0]], rows.loc["Center Prior"]
    pred = rows.loc[rows["type"] == "Saliency predictor"].iloc[0]
    return {
        "table1_cam_cc_gain": float(cam["cc"] - cp["cc"]),
        "table1_cam_nss_gain": float(cam["nss"] - cp["nss"]),
        "table1_cam_kld_gain": float(cp["kld"] - cam["kld"]),
        "table1_predictor_cc_gain": float(pred["cc"] - cp["cc"]),
    }


def table2_changes(table2: pd.DataFrame, set_name: str) -> dict[str, float]:
    """Dual-task variants vs the Baseline: SROCC change on the IQA test pictures, CC gain on ``set_name``."""
    out: dict[str, float] = {}
    base_srocc = table2.loc["Baseline", ("IQA", "srocc", "mean")]
    base_cc = table2.loc["Baseline", (set_name, "cc", "mean")]
    for label, key in (("Baseline-Sal-Loss", "sal_loss"), ("Baseline-GradCAM-Loss", "gradcam_loss")):
        if label not in table2.index:
            continue
        out[f"table2_{key}_srocc_change"] = float(table2.loc[label, ("IQA", "srocc", "mean")] - base_srocc)
        out[f"table2_{key}_cc_gain"] = float(table2.loc[label, (set_name, "cc", "mean")] - base_cc)
    return out


def table3_gains(table3: pd.DataFrame) -> dict[str, float]:
    """EW-PSNR / EW-SSIM vs PSNR / SSIM: SROCC and FracCP differences."""
    t = table3.set_index("method")
    return {
        "table3_ew_psnr_gain": float(t.loc["EW-PSNR", "SROCC"] - t.loc["PSNR", "SROCC"]),
        "table3_ew_ssim_gain": float(t.loc["EW-SSIM", "SROCC"] - t.loc["SSIM", "SROCC"]),
        "table3_ew_psnr_fraccp_gain": float(t.loc["EW-PSNR", "FracCP"] - t.loc["PSNR", "FracCP"]),
    }


def _area(areas: pd.DataFrame, name: str, fill: str = "black") -> float:
    row = areas.loc[(areas["explanation"] == name) & (areas["fill"] == fill), "area_lerf_minus_morf"]
    if row.empty:
        raise ValueError(f"no masking area for {name!r} with {fill!r} fill")
    return float(row.iloc[0])


def score(
    card: Scorecard,
    *,
    table1: pd.DataFrame,
    table2: pd.DataFrame,
    areas: pd.DataFrame,
    table3: pd.DataFrame,
    sacid: Any,
    sets: Sequence[Any],
) -> dict[str, float]:
    """Check every claim of the reference on the run's tables (``sets[0]`` is the primary fixation set).

    Returns
    -------
    dict
        Every obtained value by claim (for ``metrics.json``).
    """
    primary = sets[0].name
    suffix = f" ({primary})"
    values: dict[str, float] = {}
    for claim, value in {**table1_gains(table1, primary), **table2_changes(table2, primary)}.items():
        card.check(claim, value, label=claim + suffix)
        values[claim] = value
    fig2 = {
        "fig2_saliency_area": _area(areas, "Saliency"),
        "fig2_gradcam_area": _area(areas, "GradCAM"),
        "fig2_saliency_vs_halfimage": _area(areas, "Saliency") - _area(areas, "HalfImage"),
    }
    for claim, value in {**fig2, **table3_gains(table3)}.items():
        card.check(claim, value)
        values[claim] = value
    if sacid.recovery is not None:
        card.check("sim_bt_recovery", sacid.recovery)
        values["sim_bt_recovery"] = float(sacid.recovery)
    for s in sets[1:]:
        for claim, value in table1_gains(table1, s.name).items():
            card.report(f"{claim} ({s.name})", value)
            values[f"{claim}_{s.name}"] = value
    return values
