"""Tests of saliqa.subjective: Z-scores, MOS, rater screening, split-half consistency."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from saliqa import subjective as S


def _table(scores: dict[str, list[float]], images: list[str]) -> pd.DataFrame:
    """Long ratings table: every rater rates ``images`` in order."""
    rows = [(img, rater, s) for rater, ss in scores.items() for img, s in zip(images, ss, strict=True)]
    return pd.DataFrame(rows, columns=["image_id", "rater_id", "score"])


def _append(table: pd.DataFrame, **row: object) -> pd.DataFrame:
    """``table`` with one more row."""
    return pd.concat([table, pd.DataFrame([row])], ignore_index=True)


# three raters, three images: per-rater z = (-1, 0, 1), (-1, 1, 0), (-1, 0, 1)
TINY = _table({"r1": [1, 2, 3], "r2": [10, 50, 30], "r3": [4, 6, 8]}, ["a", "b", "c"])


# --------------------------------------------------------------------------------------------
# Z-scores and MOS
# --------------------------------------------------------------------------------------------


def test_zscore_hand() -> None:
    z = S.zscore_ratings(TINY)
    np.testing.assert_allclose(z["z"], [-1, 0, 1, -1, 1, 0, -1, 0, 1])
    assert list(z.columns) == ["image_id", "rater_id", "score", "z"]


def test_zscore_ddof0() -> None:
    z = S.zscore_ratings(TINY.iloc[:3], ddof=0)
    np.testing.assert_allclose(z["z"], np.array([-1, 0, 1]) / math.sqrt(2 / 3))


def test_zscore_unequal_scales() -> None:
    # rater 2: mean 5, deviations (-3, -1, 4), sample variance 13
    t = _table({"r1": [1, 2, 3], "r2": [2, 4, 9]}, ["a", "b", "c"])
    np.testing.assert_allclose(S.zscore_ratings(t)["z"].iloc[3:], np.array([-3, -1, 4]) / math.sqrt(13))


def test_zscore_constant_rater() -> None:
    t = pd.concat([TINY, _table({"lazy": [5, 5, 5]}, ["a", "b", "c"])], ignore_index=True)
    with pytest.raises(ValueError, match="lazy"):
        S.zscore_ratings(t)
    with pytest.warns(UserWarning, match="1 rater"):
        z = S.zscore_ratings(t, constant="nan")
    assert z["z"].iloc[-3:].isna().all()
    assert z["z"].iloc[:-3].notna().all()


def test_mos_zscore_minmax_hand() -> None:
    # mean z per image: a = -1, b = 1/3, c = 2/3 -> min-max onto [0, 100]: 0, 80, 100
    mos = S.mos_from_ratings(TINY)
    assert list(mos.columns) == ["image_id", "mos", "std", "n_ratings", "n_raters"]
    assert list(mos["image_id"]) == ["a", "b", "c"]
    np.testing.assert_allclose(mos["mos"], [0.0, 80.0, 100.0])
    # std of z on b = (0, 1, 0) is sqrt(1/3), times the slope 100 / (5/3) = 60
    np.testing.assert_allclose(mos["std"], [0.0, 60 * math.sqrt(1 / 3), 60 * math.sqrt(1 / 3)])
    assert list(mos["n_ratings"]) == [3, 3, 3]


def test_mos_fixed_rescale_and_custom_scale() -> None:
    mos = S.mos_from_ratings(TINY, rescale="fixed")
    np.testing.assert_allclose(mos["mos"], 100 * (np.array([-1, 1 / 3, 2 / 3]) + 3) / 6)
    mos = S.mos_from_ratings(TINY, scale=(1, 5))
    np.testing.assert_allclose(mos["mos"], [1.0, 4.2, 5.0])


def test_mos_raw_hand() -> None:
    mos = S.mos_from_ratings(TINY, method="raw")
    np.testing.assert_allclose(mos["mos"], [15 / 3, 58 / 3, 41 / 3])
    np.testing.assert_allclose(mos["std"].iloc[0], np.std([1, 10, 4], ddof=1))
    with pytest.raises(ValueError, match="method='zscore'"):
        S.mos_from_ratings(TINY, method="raw", rescale="fixed")


def test_mos_drops_gold_and_collapses_repeats() -> None:
    t = TINY.assign(is_gold=[False, False, True] * 3, is_repeat=False)
    # r1 sees image a again, giving 2 instead of 1: its z are recomputed over 4 rows
    t = _append(t, image_id="a", rater_id="r1", score=2.0, is_gold=False, is_repeat=True)
    mos = S.mos_from_ratings(t, rescale="none")
    assert list(mos["image_id"]) == ["a", "b"]
    row_a = mos.iloc[0]
    assert row_a["n_ratings"] == 4 and row_a["n_raters"] == 3
    z_r1 = (np.array([1, 2, 3, 2]) - 2) / np.std([1, 2, 3, 2], ddof=1)
    assert row_a["mos"] == pytest.approx((np.mean([z_r1[0], z_r1[3]]) - 1 - 1) / 3)
    mos_all = S.mos_from_ratings(t, rescale="none", drop_gold=False, collapse_repeats=False)
    assert list(mos_all["image_id"]) == ["a", "b", "c"]
    assert mos_all.iloc[0]["mos"] == pytest.approx((z_r1[0] + z_r1[3] - 2) / 4)


def test_mos_bad_input() -> None:
    bad = TINY.copy()
    bad.loc[2, "score"] = np.nan
    with pytest.raises(ValueError, match=r"row 2 field 'score'"):
        S.mos_from_ratings(bad)
    with pytest.raises(ValueError, match="rater_id"):
        S.mos_from_ratings(TINY.drop(columns="rater_id"))
    with pytest.raises(ValueError, match=r"row 4 field 'image_id'"):
        S.mos_from_ratings(TINY.assign(image_id=["a", "b", "c", "a", None, "c", "a", "b", "c"]))
    with pytest.raises(ValueError, match=r"row 1 field 'is_gold'"):
        S.mos_from_ratings(TINY.assign(is_gold=[False, "yes"] + [False] * 7))
    with pytest.raises(ValueError, match="all per-image mean Z-scores are equal"):
        S.mos_from_ratings(_table({"r1": [1, 2], "r2": [2, 1]}, ["a", "b"]))
    with pytest.raises(ValueError, match="empty"):
        S.mos_from_ratings(TINY.iloc[:0])


# --------------------------------------------------------------------------------------------
# subject rejection (seed 003)
# --------------------------------------------------------------------------------------------


def _repeat_table() -> pd.DataFrame:
    """Four raters rate images 0..5; raters 'good' and 'bad' see images 0 and 1 again."""
    base = [10.0, 30, 50, 70, 90, 60]
    rows = []
    for rater, offset in [("good", 0), ("bad", 5), ("other1", -5), ("other2", 3)]:
        rows += [(i, rater, s + offset, False) for i, s in enumerate(base)]
    rows += [(0, "good", 14.0, True), (1, "good", 28.0, True)]  # |diff| 4, 2
    rows += [(0, "bad", 85.0, True), (1, "bad", 0.0, True)]  # |diff| 70, 35
    return pd.DataFrame(rows, columns=["image_id", "rater_id", "score", "is_repeat"])


def test_repeat_consistency_overall_reference_hand() -> None:
    t = _repeat_table()
    sd = np.std(t["score"], ddof=1)
    with pytest.warns(UserWarning, match="2 of 4 raters have no repeated images"):
        res = S.repeat_consistency(t)
    res = res.set_index("rater_id")
    assert res.loc["good", "n_repeats"] == 2
    assert res.loc["good", "mean_abs_diff"] == pytest.approx(3.0)
    assert res.loc["good", "ratio"] == pytest.approx(3.0 / sd)
    assert res.loc["bad", "ratio"] == pytest.approx(52.5 / sd)
    assert not res.loc["good", "rejected"]
    assert res.loc["bad", "rejected"]
    assert res.loc["other1", "n_repeats"] == 0 and np.isnan(res.loc["other1", "ratio"])
    assert not res.loc["other1", "rejected"]


def test_repeat_consistency_image_reference_hand() -> None:
    t = _repeat_table()
    sd0 = np.std(t.loc[t.image_id == 0, "score"], ddof=1)
    sd1 = np.std(t.loc[t.image_id == 1, "score"], ddof=1)
    with pytest.warns(UserWarning):
        res = S.repeat_consistency(t, reference="image").set_index("rater_id")
    assert res.loc["good", "ratio"] == pytest.approx((4 / sd0 + 2 / sd1) / 2)


def test_repeat_consistency_errors() -> None:
    t = _repeat_table()
    with pytest.raises(ValueError, match="is_repeat"):
        S.repeat_consistency(t.drop(columns="is_repeat"))
    orphan = _append(t, image_id=99, rater_id="good", score=1.0, is_repeat=True)
    with pytest.raises(ValueError, match=f"row {len(t)} .*no first presentation"):
        S.repeat_consistency(orphan)
    twice = t.copy()
    twice.loc[len(twice)] = [0, "other1", 7.0, False]
    twice.loc[len(twice)] = [0, "other1", 9.0, True]
    with pytest.raises(ValueError, match="mark all but the first"):
        S.repeat_consistency(twice)


def test_identical_scores_rule() -> None:
    images = list(range(10))
    t = _table(
        {
            "spam": [3, 3, 3, 3, 3, 3, 1, 2, 4, 5],  # 6/10 identical -> rejected
            "edge": [3, 3, 3, 3, 3, 1, 2, 4, 5, 1],  # 5/10 -> exactly 50 %, kept
            "fine": [1, 2, 3, 4, 5, 1, 2, 3, 4, 5],  # 2/10
        },
        images,
    )
    res = S.identical_scores(t).set_index("rater_id")
    assert res["identical_fraction"].to_dict() == pytest.approx({"spam": 0.6, "edge": 0.5, "fine": 0.2})
    assert res["rejected"].to_dict() == {"spam": True, "edge": False, "fine": False}
    assert res.loc["fine", "mode_score"] == 1.0
    assert res.loc["spam", "mode_score"] == 3.0
    assert S.identical_scores(t, max_fraction=0.4).set_index("rater_id")["rejected"]["edge"]


def _gold_table() -> tuple[pd.DataFrame, dict[str, float]]:
    gold = {"g1": 20.0, "g2": 50.0, "g3": 80.0, "g4": 65.0}
    images = ["g1", "g2", "g3", "g4", "x1", "x2"]
    t = _table(
        {
            "good": [25, 45, 85, 60, 10, 90],  # all within 5 -> accuracy 1, srcc 1
            "half": [20, 70, 80, 40, 50, 50],  # 2 of 4 within 10
            "reverse": [80, 50, 20, 35, 40, 60],  # 1 of 4 (g2), srcc -1
        },
        images,
    )
    return t.assign(is_gold=t["image_id"].str.startswith("g")), gold


def test_gold_accuracy_hand() -> None:
    t, gold = _gold_table()
    res = S.gold_accuracy(t, gold, tolerance=10, min_accuracy=0.6).set_index("rater_id")
    assert res["n_gold"].to_dict() == {"good": 4, "half": 4, "reverse": 4}
    assert res["accuracy"].to_dict() == pytest.approx({"good": 1.0, "half": 0.5, "reverse": 0.25})
    assert res["rejected"].to_dict() == {"good": False, "half": True, "reverse": True}
    assert res.loc["good", "mean_abs_error"] == pytest.approx(5.0)
    assert res.loc["good", "gold_srcc"] == pytest.approx(1.0)
    assert res.loc["reverse", "gold_srcc"] == pytest.approx(-1.0)
    # without is_gold, gold rows are the images listed in gold
    res2 = S.gold_accuracy(t.drop(columns="is_gold"), gold, tolerance=10, min_accuracy=0.6)
    pd.testing.assert_frame_equal(res2, res.reset_index())


def test_gold_accuracy_errors_and_unjudged() -> None:
    t, gold = _gold_table()
    with pytest.raises(ValueError, match=r"row 3 has is_gold=True but image_id='g4'"):
        S.gold_accuracy(t, {k: v for k, v in gold.items() if k != "g4"}, tolerance=10, min_accuracy=0.5)
    with pytest.raises(ValueError, match=r"gold\['g2'\]"):
        S.gold_accuracy(t, {**gold, "g2": np.nan}, tolerance=10, min_accuracy=0.5)
    extra = _append(t, image_id="x1", rater_id="new", score=3.0, is_gold=False)
    with pytest.warns(UserWarning, match="1 of 4 raters have no gold"):
        res = S.gold_accuracy(extra, gold, tolerance=10, min_accuracy=0.5)
    assert not res.set_index("rater_id").loc["new", "rejected"]


def test_screen_raters_combined() -> None:
    t = _repeat_table()
    spam = pd.DataFrame(
        {"image_id": range(6), "rater_id": "spam", "score": [50.0] * 4 + [40.0, 60.0], "is_repeat": False}
    )
    t = pd.concat([t, spam], ignore_index=True)
    with pytest.warns(UserWarning):
        res = S.screen_raters(t)
    st = res.status.set_index("rater_id")
    assert st.loc["bad", "rejected_repeat"] and not st.loc["bad", "rejected_identical"]
    assert st.loc["spam", "rejected_identical"] and not st.loc["spam", "rejected_repeat"]
    expected = {"good": "kept", "bad": "repeat", "other1": "kept", "other2": "kept", "spam": "identical"}
    assert st["removed_by"].to_dict() == expected
    assert st.loc["good", "n_ratings"] == 8
    assert list(res.kept["rater_id"]) == ["good", "other1", "other2"]
    assert res.rules == ("repeat", "identical") and res.id_columns == ("rater_id",)
    counts = res.counts.set_index("step")
    assert counts["raters"].to_dict() == {"input": 5, "repeat": 1, "identical": 1, "kept": 3}
    assert counts.loc["input", "ratings"] == len(t) and counts.loc["repeat", "ratings"] == 8
    assert res.parameters["identical"] == {"max_fraction": 0.5}
    with pytest.raises(TypeError):
        S.GoldAccuracy()  # type: ignore[call-arg]  # gold values and thresholds are required
    with pytest.raises(ValueError, match=r"rules\[0\] must be a rater rule"):
        S.screen_raters(t, rules=("mood",))
    with pytest.raises(ValueError, match="rules is empty"):
        S.screen_raters(t, rules=())


def test_screen_raters_order_decides_removed_by() -> None:
    t = _repeat_table()
    with pytest.warns(UserWarning):
        strict = S.screen_raters(t, rules=(S.IdenticalScores(0.1), S.RepeatConsistency(threshold=0.5)))
    st = strict.status.set_index("rater_id")
    # every rater has 2 of 8 (or 1 of 6) equal scores > 10 %: identical removes all, first
    assert set(st["removed_by"]) == {"identical"}
    assert st.loc["bad", "rejected_repeat"]  # the repeat rule's own verdict is still recorded


def test_screen_raters_with_gold() -> None:
    t, gold = _gold_table()
    res = S.screen_raters(t, rules=(S.IdenticalScores(), S.GoldAccuracy(gold, tolerance=10, min_accuracy=0.5)))
    st = res.status.set_index("rater_id")
    assert {"gold_accuracy", "gold_srcc", "rejected_gold", "rejected_identical"} <= set(st.columns)
    assert st["removed_by"].to_dict() == {"good": "kept", "half": "kept", "reverse": "gold"}
    with pytest.warns(UserWarning, match=r"dropped 1 of 3 units \(6 of 18 ratings\)"):
        kept = S.drop_removed(t, res)
    assert set(kept["rater_id"]) == {"good", "half"}


# --------------------------------------------------------------------------------------------
# split-half consistency (seed 003)
# --------------------------------------------------------------------------------------------


def _simulated(n_images: int, n_raters: int, noise: float, signal: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    quality = rng.normal(size=n_images)
    bias = rng.normal(50, 5, n_raters)
    gain = rng.uniform(5, 15, n_raters)
    latent = signal * quality[:, None] + noise * rng.normal(size=(n_images, n_raters))
    scores = bias[None, :] + gain[None, :] * latent
    img, rat = np.meshgrid(np.arange(n_images), np.arange(n_raters), indexing="ij")
    return pd.DataFrame({"image_id": img.ravel(), "rater_id": rat.ravel(), "score": scores.ravel()})


def test_split_half_noiseless_raters_is_one() -> None:
    t = _simulated(60, 21, noise=0.0, signal=1.0, seed=1)  # odd rater count: halves 10 / 11
    res = S.split_half_consistency(t, n_splits=10, seed=0)
    assert res.values.shape == (10,)
    assert res.mean == pytest.approx(1.0, abs=1e-12)
    assert res.std == pytest.approx(0.0, abs=1e-12)
    assert (res.n_images == 60).all()
    assert S.split_half_consistency(t, n_splits=3, method="srcc").mean == pytest.approx(1.0)


def test_split_half_pure_noise_is_near_zero() -> None:
    t = _simulated(300, 20, noise=1.0, signal=0.0, seed=2)
    res = S.split_half_consistency(t, n_splits=25, seed=0)
    assert abs(res.mean) < 0.1
    assert res.std > 0


def test_split_half_deterministic_and_seed_dependent() -> None:
    t = _simulated(80, 12, noise=1.0, signal=1.0, seed=3)
    a = S.split_half_consistency(t, n_splits=5, seed=7)
    b = S.split_half_consistency(t, n_splits=5, seed=7)
    c = S.split_half_consistency(t, n_splits=5, seed=8)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.values, c.values)
    assert 0.7 < a.mean < 1.0


def test_split_half_matches_mos_of_each_half() -> None:
    t = _simulated(30, 6, noise=1.0, signal=1.0, seed=4)
    res = S.split_half_consistency(t, n_splits=2, seed=5)
    rng = np.random.default_rng(5)
    half_a = rng.permutation(6)[:3]  # first split; raters 0..5 appear in order
    z = S.zscore_ratings(t)
    in_a = z["rater_id"].isin(half_a)
    mos_a = z[in_a].groupby("image_id")["z"].mean()
    mos_b = z[~in_a].groupby("image_id")["z"].mean()
    assert res.values[0] == pytest.approx(np.corrcoef(mos_a, mos_b)[0, 1])


def test_split_half_missing_images_warned_and_errors() -> None:
    t = _simulated(20, 4, noise=1.0, signal=1.0, seed=6)
    sparse = t[~((t.image_id < 5) & (t.rater_id > 0))]  # images 0..4 rated by rater 0 only
    with pytest.warns(UserWarning, match="rated in one half only"):
        res = S.split_half_consistency(sparse, n_splits=4, seed=0)
    assert (res.n_images == 15).all()
    with pytest.raises(ValueError, match="at least 2 raters"):
        S.split_half_consistency(t[t.rater_id == 0], n_splits=2)
    with pytest.raises(ValueError, match="n_splits"):
        S.split_half_consistency(t, n_splits=1)
    bad = t.copy()
    bad.loc[7, "score"] = np.inf
    with pytest.raises(ValueError, match=r"row 7 field 'score'"):
        S.split_half_consistency(bad)


def test_no_warning_on_clean_input() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        S.mos_from_ratings(TINY)
        S.identical_scores(TINY)
        S.split_half_consistency(_simulated(10, 4, 1.0, 1.0, 0), n_splits=2)


def _random_table(seed: int) -> pd.DataFrame:
    """Random ratings with string ids, repeats (duplicate (image, rater) rows) and gold rows."""
    rng = np.random.default_rng(seed)
    n = 400
    t = pd.DataFrame(
        {
            "image_id": [f"img{i}" for i in rng.integers(0, 30, n)],
            "rater_id": [f"w{i}" for i in rng.integers(0, 15, n)],
            "score": rng.integers(1, 6, n).astype(float),
        }
    )
    return t.assign(is_gold=t["image_id"].isin(["img0", "img1"]))


def test_mos_matches_pandas_reference() -> None:
    t = _random_table(11)
    got = S.mos_from_ratings(t, rescale="none").set_index("image_id")
    g = t.groupby("rater_id")["score"]
    ref = t.assign(z=(t["score"] - g.transform("mean")) / g.transform("std"))
    ref = ref[~ref["is_gold"]].groupby(["image_id", "rater_id"], sort=False)["z"].mean()
    ref = ref.groupby(level="image_id", sort=False).agg(["mean", "std", "size"])
    assert list(got.index) == list(ref.index)  # first-appearance order
    np.testing.assert_allclose(got["mos"], ref["mean"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got["std"], ref["std"], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(got["n_raters"], ref["size"])
    n_rows = t[~t["is_gold"]].groupby("image_id", sort=False).size()
    np.testing.assert_array_equal(got["n_ratings"], n_rows.loc[got.index])


def test_identical_scores_matches_pandas_reference() -> None:
    t = _random_table(12)
    got = S.identical_scores(t).set_index("rater_id")
    counts = t.groupby(["rater_id", "score"]).size()
    frac = counts.groupby(level="rater_id").max() / t.groupby("rater_id").size()
    np.testing.assert_allclose(got["identical_fraction"], frac.loc[got.index])
    assert list(got.index) == list(pd.unique(t["rater_id"]))
