"""Tests of saliqa.attention (seed 000: pooled maps, Table 1, KL asymmetry, MOS vs JPEG, Fig. 4 selection)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from saliqa import attention as at
from saliqa import saliency as sal
from saliqa.metrics import saliency as msal


def _gauss(shape: tuple[int, int], cx: float, cy: float, s: float) -> np.ndarray:
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    return np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s))


def _images(n_contents: int, levels=(90, 50, 30, 10), shape=(40, 60)) -> pd.DataFrame:
    rows = []
    for c in range(n_contents):
        for lv in levels:
            rows.append(
                {
                    "image_id": f"c{c}_{lv}",
                    "path": f"c{c}_{lv}.png",
                    "width": shape[1],
                    "height": shape[0],
                    "content_id": f"c{c}",
                    "distortion": "jpeg",
                    "level": float(lv),
                }
            )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------ maps


def test_sigma_px_from_geometry():
    ppd = sal.pixels_per_degree(70.0, 30.0, 320)
    assert at.sigma_px_from_geometry(
        2.0, viewing_distance=70.0, screen_width=30.0, screen_width_px=320
    ) == pytest.approx(2.0 * ppd)
    assert at.sigma_px_from_geometry(
        1.0, viewing_distance=57.0, screen_width=40.0, screen_width_px=1000, image_scale=0.5
    ) == pytest.approx(0.5 * sal.pixels_per_degree(57.0, 40.0, 1000))
    with pytest.raises(ValueError, match="image_scale"):
        at.sigma_px_from_geometry(2.0, viewing_distance=70.0, screen_width=30.0, screen_width_px=320, image_scale=0)


def test_pooled_maps_pool_all_participants():
    images = _images(1, levels=(90,))
    fix = pd.DataFrame(
        {
            "image_id": "c0_90",
            "observer_id": ["a", "a", "b", "c"],
            "x": [10.0, 20.0, 30.0, 5.0],
            "y": [5.0, 15.0, 25.0, 5.0],
            "source": ["eye", "eye", "eye", "click"],
            "task": ["free", "free", "free", "iqa"],
        }
    )
    maps = at.pooled_saliency_maps(fix, images, 3.0)
    assert set(maps) == {("c0_90", "eye", "free"), ("c0_90", "click", "iqa")}
    expected = sum(_gauss((40, 60), x, y, 3.0) for x, y in [(10, 5), (20, 15), (30, 25)])
    np.testing.assert_allclose(maps[("c0_90", "eye", "free")], expected, rtol=1e-10, atol=1e-12)
    by_obs = at.pooled_saliency_maps(fix, images, 3.0, by=("image_id", "observer_id"))
    assert set(by_obs) == {("c0_90", "a"), ("c0_90", "b"), ("c0_90", "c")}


def test_pooled_maps_errors():
    images = _images(1, levels=(90,))
    fix = pd.DataFrame(
        {"image_id": ["nope"], "observer_id": ["a"], "x": [1.0], "y": [1.0], "source": ["eye"], "task": ["free"]}
    )
    with pytest.raises(ValueError, match="not in images"):
        at.pooled_saliency_maps(fix, images, 3.0)
    outside = fix.assign(image_id="c0_90", x=100.0)
    with pytest.raises(ValueError, match="outside"):
        at.pooled_saliency_maps(outside, images, 3.0)
    with pytest.raises(ValueError, match="image_id"):
        at.pooled_saliency_maps(fix.assign(image_id="c0_90"), images, 3.0, by=("source",))


def test_experiment_maps_names_and_missing_warning():
    images = _images(1, levels=(90, 10))
    fix = pd.DataFrame(
        {
            "image_id": ["c0_90", "c0_10", "c0_90"],
            "observer_id": "a",
            "x": 3.0,
            "y": 3.0,
            "source": ["eye", "eye", "click"],
            "task": "free",
        }
    )
    with pytest.warns(UserWarning):
        maps = at.experiment_maps(fix, images, 2.0)
    assert set(maps) == {"eye_free", "crowd_free"}
    assert set(maps["eye_free"]) == {"c0_90", "c0_10"} and set(maps["crowd_free"]) == {"c0_90"}


# ------------------------------------------------------------------------------ comparisons


def test_compare_maps_identical_and_values():
    a = {"i1": _gauss((30, 30), 10, 10, 3) + 1e-3, "i2": _gauss((30, 30), 20, 15, 4) + 1e-3}
    b = {"i1": _gauss((30, 30), 12, 10, 5) + 1e-3, "i2": a["i2"].copy()}
    df = at.compare_maps(a, b).set_index("image_id")
    row = df.loc["i2"]
    assert row["pcc"] == pytest.approx(1.0) and row["sim"] == pytest.approx(1.0)
    assert abs(row["kl_ab"]) < 1e-12 and abs(row["bhattacharyya"]) < 1e-12
    r1 = df.loc["i1"]
    assert r1["kl_ab"] == pytest.approx(msal.kld(a["i1"], b["i1"]))
    assert r1["kl_ba"] == pytest.approx(msal.kld(b["i1"], a["i1"]))
    assert r1["kl_sym"] == pytest.approx((r1["kl_ab"] + r1["kl_ba"]) / 2)
    assert r1["bhattacharyya"] == pytest.approx(msal.bhattacharyya(a["i1"], b["i1"]))
    assert r1["pcc"] == pytest.approx(msal.cc(a["i1"], b["i1"]))
    assert df.attrs["eps"] == msal.MATLAB_EPS


def test_compare_maps_missing_versions():
    m = _gauss((10, 10), 5, 5, 2)
    with pytest.raises(ValueError, match="only in the first"):
        at.compare_maps({"a": m, "b": m}, {"a": m})
    with pytest.warns(UserWarning, match="skipped"):
        df = at.compare_maps({"a": m, "b": m}, {"a": m}, missing="skip")
    assert list(df["image_id"]) == ["a"]


def test_kl_of_two_gaussians_matches_closed_form():
    # 2-D isotropic Gaussians with equal centres: D(P||Q) = 2 ln(sq/sp) + sp^2/sq^2 - 1
    shape, c = (301, 301), 150.0
    sp, sq = 20.0, 10.0
    broad, narrow = _gauss(shape, c, c, sp), _gauss(shape, c, c, sq)
    d_pq = msal.kld(broad, narrow)
    d_qp = msal.kld(narrow, broad)
    assert d_pq == pytest.approx(2 * math.log(sq / sp) + sp**2 / sq**2 - 1, rel=0.01)  # 1.614
    assert d_qp == pytest.approx(2 * math.log(sp / sq) + sq**2 / sp**2 - 1, rel=0.01)  # 0.636
    code, text = at.read_asymmetry(d_pq, d_qp, 0.001, at.AsymmetryRules(), "broad", "narrow")
    assert code == "p_broader" and "broad is broader than and overlaps narrow" == text


def _broad_narrow(n: int, shape=(60, 80), jitter: float = 0.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    broad, narrow = {}, {}
    images = _images(n // 2, levels=(90, 10), shape=shape)
    for img in images["image_id"]:
        cx, cy = rng.uniform(30, 50), rng.uniform(25, 35)
        broad[img] = _gauss(shape, cx, cy, 12 + jitter * rng.random())
        narrow[img] = _gauss(shape, cx, cy, 6)
    return images, {"broad": broad, "narrow": narrow}


def test_kl_asymmetry_constructed_broad_and_narrow():
    images, maps = _broad_narrow(16)
    res = at.kl_asymmetry(maps, pairs=[("broad", "narrow")], images=images, unit="image")
    row = res.summary.iloc[0]
    assert row["mean_d_pq"] > 1.5 * row["mean_d_qp"]
    assert row["p_value"] == pytest.approx(2 / 2**16)  # all 16 differences positive: exact Wilcoxon
    assert row["effect_size"] == 1.0
    assert row["readout"] == "p_broader" and "broad is broader than and overlaps narrow" in row["readout_text"]
    assert len(res.per_image) == 16 and set(res.per_image.columns) >= {"p", "q", "image_id", "d_pq", "d_qp"}
    by_content = at.kl_asymmetry(maps, pairs=[("broad", "narrow")], images=images)
    r = by_content.summary.iloc[0]
    assert r["unit"] == "content" and r["n_units"] == 8 and r["n_images"] == 16
    assert r["p_value"] == pytest.approx(2 / 2**8)
    assert r["mean_d_pq"] == pytest.approx(row["mean_d_pq"])


def test_kl_asymmetry_closely_related_and_errors():
    images, maps = _broad_narrow(8)
    same = {"a": maps["narrow"], "b": {k: v * 2.0 for k, v in maps["narrow"].items()}}
    with pytest.warns(UserWarning, match="zero"):
        res = at.kl_asymmetry(same, pairs=[("a", "b")], images=images)
    assert res.summary.iloc[0]["readout"] == "closely_related"
    with pytest.raises(ValueError, match="needs images"):
        at.kl_asymmetry(maps, pairs=[("broad", "narrow")])
    with pytest.warns(UserWarning, match="left out"), pytest.raises(ValueError, match="no pair"):
        at.kl_asymmetry(maps, pairs=[("broad", "absent")], images=images)


@pytest.mark.parametrize(
    "d_pq, d_qp, p, code",
    [
        (0.50, 0.40, 0.01, "closely_related"),  # ratio 1.25 <= 1.5, both small
        (2.50, 2.00, 0.01, "comparable_large"),
        (0.90, 0.30, 0.01, "p_broader"),
        (0.30, 0.90, 0.01, "q_broader"),
        (0.90, 0.30, 0.20, "asymmetric"),  # not significant
        (3.00, 1.20, 0.01, "asymmetric"),  # reverse direction not small
    ],
)
def test_read_asymmetry_rules(d_pq, d_qp, p, code):
    assert at.read_asymmetry(d_pq, d_qp, p)[0] == code


def test_asymmetry_rules_validated():
    with pytest.raises(ValueError, match="ratio"):
        at.AsymmetryRules(ratio=1.0)
    with pytest.raises(ValueError, match="alpha"):
        at.AsymmetryRules(alpha=0.0)


# ----------------------------------------------------------------------------------- table 1


def _comparison(values: dict[str, list[float]], contents: list[str]) -> pd.DataFrame:
    n = len(contents)
    df = pd.DataFrame({"image_id": [f"i{k}" for k in range(n)], "content_id": contents})
    for col in ("pcc", "bhattacharyya", "kl_sym", "sim"):
        df[col] = values.get(col, [0.5] * n)
    return df


def test_table1_exact_means_and_cis():
    contents = ["a", "a", "b", "b", "c", "c"]
    comps = {
        "P_Free": _comparison({"pcc": [0.8, 0.9, 0.7, 0.6, 0.9, 1.0], "kl_sym": [1, 2, 3, 4, 5, 6]}, contents),
        "P_IQA": _comparison({"pcc": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}, contents),
    }
    t = at.table1(comps, n_boot=999, seed=1)
    assert list(t["measure"].unique()) == ["DKL", "DBhat", "PCC", "SIM"]
    cell = t.set_index(["measure", "comparison"])
    assert cell.at[("PCC", "P_Free"), "mean"] == pytest.approx(0.8166666666666667)
    assert cell.at[("DKL", "P_Free"), "mean"] == pytest.approx(3.5)
    assert cell.at[("PCC", "P_IQA"), "mean"] == pytest.approx(0.35)
    for _, r in t.iterrows():
        assert r["ci_low"] <= r["mean"] <= r["ci_high"]
    assert (t["resampled"] == "clusters").all() and (t["n_clusters"] == 3).all() and (t["n_images"] == 6).all()
    # cluster bootstrap of DKL: content means 1.5, 3.5, 5.5 -> CI within [1.5, 5.5]
    assert cell.at[("DKL", "P_Free"), "ci_low"] >= 1.5 and cell.at[("DKL", "P_Free"), "ci_high"] <= 5.5
    assert t.equals(at.table1(comps, n_boot=999, seed=1))  # deterministic
    plain = at.table1(comps, n_boot=999, cluster=None)
    assert (plain["resampled"] == "observations").all() and (plain["n_clusters"] == 6).all()


def test_table1_errors_and_format():
    comps = {"P_Free": _comparison({}, ["a", "b"])}
    with pytest.raises(ValueError, match="unknown measure"):
        at.table1(comps, measures=("AUC",))
    with pytest.raises(ValueError, match="content_id"):
        at.table1({"P_Free": comps["P_Free"].drop(columns="content_id")})
    bad = _comparison({"bhattacharyya": [math.inf, 0.1]}, ["a", "b"])
    with pytest.raises(ValueError, match="non-finite"):
        at.table1({"P_Free": bad})
    t = at.table1(
        {"P_Free": _comparison({"pcc": [0.8, 0.9]}, ["a", "b"]), "P_Eye": _comparison({}, ["a", "b"])}, n_boot=199
    )
    wide = at.format_table1(t, digits=2)
    assert list(wide.index) == ["DKL", "DBhat", "PCC", "SIM"] and list(wide.columns) == ["P_Free", "P_Eye"]
    assert wide.at["PCC", "P_Free"].startswith("0.85 [")
    assert at.format_table1(t, with_ci=False).at["PCC", "P_Free"] == "0.85"


def test_table1_comparisons_pairs():
    images, maps = _broad_narrow(4)
    exp = {"eye_free": maps["broad"], "crowd_free": maps["narrow"], "eye_iqa": maps["broad"]}
    with pytest.warns(UserWarning, match="left out"):
        comps = at.table1_comparisons(exp, images=images)
    assert set(comps) == {"P_Free", "P_Eye"}
    assert comps["P_Eye"]["pcc"].to_numpy() == pytest.approx(1.0)
    assert "content_id" in comps["P_Free"].columns


# --------------------------------------------------------------------------------- figure 2


def test_mos_vs_jpeg_raw_linear_scale():
    images = _images(1, levels=(90, 10))
    ratings = pd.DataFrame(
        {
            "image_id": ["c0_90", "c0_90", "c0_10", "c0_10", "c0_10"],
            "rater_id": ["a", "b", "a", "b", "c"],
            "score": [5, 4, 1, 2, 3],
            "is_gold": [False, False, False, False, True],
        }
    )
    m = at.mos_vs_jpeg(ratings, images).set_index("image_id")
    assert m.at["c0_90", "mos"] == pytest.approx(87.5)  # mean 4.5 on 1..5 -> 0..100
    assert m.at["c0_10", "mos"] == pytest.approx(12.5)  # gold rating left out
    assert m.at["c0_10", "n_ratings"] == 2 and m.at["c0_90", "level"] == 90.0
    assert m.at["c0_90", "std"] == pytest.approx(np.std([5, 4], ddof=1) * 25)
    assert m.at["c0_90", "content_id"] == "c0"


def test_mos_vs_jpeg_unrated_and_unknown():
    images = _images(1, levels=(90, 50, 10))
    ratings = pd.DataFrame({"image_id": ["c0_90", "c0_10"], "rater_id": ["a", "a"], "score": [5, 1]})
    with pytest.warns(UserWarning, match="no \\(non-gold\\) ratings"):
        m = at.mos_vs_jpeg(ratings, images)
    assert len(m) == 3 and m.set_index("image_id").at["c0_50", "n_ratings"] == 0
    with pytest.raises(ValueError, match="not in images"):
        at.mos_vs_jpeg(ratings.assign(image_id=["zz", "c0_10"]), images)


def test_lab_mos_vs_jpeg_rescales_and_flips():
    lab = pd.DataFrame({"img": ["a", "b"], "quality": [10, 90], "dmos": [80.0, 20.0]})
    out = at.lab_mos_vs_jpeg(
        lab, dataset="LIVE", level_col="quality", mos_col="dmos", mos_range=(0, 100), higher_is_better=False
    )
    assert list(out["mos"]) == pytest.approx([20.0, 80.0]) and list(out["level"]) == [10.0, 90.0]
    five = pd.DataFrame({"level": [1, 2], "mos": [1.0, 5.0]})
    assert list(at.lab_mos_vs_jpeg(five, dataset="x", mos_range=(1, 5))["mos"]) == pytest.approx([0.0, 100.0])
    with pytest.raises(ValueError, match="outside"):
        at.lab_mos_vs_jpeg(five.assign(mos=[1.0, 150.0]), dataset="x")  # default range: already on 0..100
    with pytest.raises(ValueError, match="missing column"):
        at.lab_mos_vs_jpeg(five, dataset="x", mos_col="MOS")


# --------------------------------------------------------------------------------- figure 4


def test_map_grid_selection_highest_and_lowest_quality():
    images = pd.concat(
        [
            pd.DataFrame(
                [
                    {
                        "image_id": "c0_none",
                        "path": "p",
                        "width": 60,
                        "height": 40,
                        "content_id": "c0",
                        "distortion": "none",
                        "level": np.nan,
                    }
                ]
            ),
            _images(3),
        ]
    )
    sel = at.map_grid_selection(images, 2)
    assert list(sel["role"]) == ["highest", "lowest", "highest", "lowest"]
    assert list(sel["image_id"]) == ["c0_90", "c0_10", "c1_90", "c1_10"]
    sel = at.map_grid_selection(images, 1, contents=["c2"], levels=("lowest",))
    assert list(sel["image_id"]) == ["c2_10"]
    blur = _images(1).assign(distortion="gaussian_blur")
    assert at.map_grid_selection(blur, 1)["image_id"].iloc[0] == "c0_10"  # blur: low sigma = high quality
    with pytest.raises(ValueError, match="only 3 contents"):
        at.map_grid_selection(images, 4)
    with pytest.raises(ValueError, match="quality_increases_with_level"):
        at.map_grid_selection(_images(1).assign(distortion="mystery"), 1)
