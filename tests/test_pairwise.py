"""Simulated pairwise comparisons, verification screening and Bradley-Terry scores (saliqa.subjective.pairwise)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from saliqa.subjective import pairwise as pw


def _table(left, right, answer, reference="r", verification=None, expected=None):
    n = len(answer)
    out = pd.DataFrame(
        {
            "assessor_id": [f"a{i % 3}" for i in range(n)],
            "reference": reference,
            "left": left,
            "right": right,
            "answer": answer,
            "is_verification": [False] * n if verification is None else verification,
        }
    )
    if expected is not None:
        out["expected"] = expected
    return out


def _items(n_refs=3, n_items=8, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(n_refs):
        latent = rng.normal(0, 1.5, n_items)
        rows += [
            {"item": f"r{r}_i{i}", "reference": f"r{r}", "latent": v, "in_study": True} for i, v in enumerate(latent)
        ]
        rows.append({"item": f"r{r}_ref", "reference": f"r{r}", "latent": 10.0, "in_study": False})
    items = pd.DataFrame(rows)
    worst = items.loc[items["in_study"]].sort_values("latent").groupby("reference").head(1)
    ver = pd.DataFrame({"reference": worst["reference"], "better": worst["reference"] + "_ref", "worse": worst["item"]})
    return items, ver


def test_two_items_log_odds():
    # 7 wins of 10: BT log-odds log(7/3), split +-half around the mean
    c = _table(["x"] * 10, ["y"] * 10, ["left"] * 7 + ["right"] * 3)
    bt = pw.bradley_terry_scores(c, alpha=0.0).set_index("item")
    assert bt.loc["x", "score"] - bt.loc["y", "score"] == pytest.approx(np.log(7 / 3), abs=1e-6)
    assert bt["score"].sum() == pytest.approx(0.0, abs=1e-12)
    assert bt["n_comparisons"].tolist() == [10, 10]
    # sides do not matter: y on the left losing is the same as x on the left winning
    c2 = _table(["y"] * 10, ["x"] * 10, ["right"] * 7 + ["left"] * 3)
    bt2 = pw.bradley_terry_scores(c2, alpha=0.0).set_index("item")
    assert bt2.loc["x", "score"] == pytest.approx(bt.loc["x", "score"], abs=1e-6)


def test_same_answers_half_or_dropped():
    answers = ["left"] * 6 + ["same"] * 2 + ["right"] * 2
    c = _table(["x"] * 10, ["y"] * 10, answers)
    half = pw.bradley_terry_scores(c, alpha=0.0).set_index("item")["score"]
    assert half["x"] - half["y"] == pytest.approx(np.log(7 / 3), abs=1e-6)  # 6 + 1 wins of 10
    drop = pw.bradley_terry_scores(c, same="drop", alpha=0.0).set_index("item")["score"]
    assert drop["x"] - drop["y"] == pytest.approx(np.log(6 / 2), abs=1e-6)
    # regularisation pulls the strengths together
    reg = pw.bradley_terry_scores(c, alpha=1.0).set_index("item")["score"]
    assert 0 < reg["x"] - reg["y"] < half["x"] - half["y"]


def test_three_items_known_solution():
    # a circular design x>y, y>z, z>x twice each way as often: equal strengths
    left = ["x", "y", "z"] * 4
    right = ["y", "z", "x"] * 4
    c = _table(left, right, ["left", "right"] * 6)
    bt = pw.bradley_terry_scores(c, alpha=0.0)
    assert np.allclose(bt["score"], 0.0, atol=1e-8)


def test_groups_are_fitted_separately():
    c = pd.concat(
        [
            _table(["a"] * 4, ["b"] * 4, ["left"] * 3 + ["right"], "g1"),
            _table(["c"] * 4, ["d"] * 4, ["left"] * 2 + ["right"] * 2, "g2"),
        ],
        ignore_index=True,
    )
    bt = pw.bradley_terry_scores(c, alpha=0.0).set_index("item")
    assert bt.loc["a", "reference"] == "g1" and bt.loc["d", "reference"] == "g2"
    assert bt.loc["a", "score"] - bt.loc["b", "score"] == pytest.approx(np.log(3), abs=1e-6)
    assert bt.loc["c", "score"] == pytest.approx(0.0, abs=1e-8)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda c: c.assign(answer=["left", "both", "right"]), r"row 1 field 'answer' = 'both'"),
        (lambda c: c.assign(right=["y", "x", "y"]), r"row 1 compares item 'x' with itself"),
        (lambda c: c.drop(columns=["reference"]), r"missing column\(s\) \['reference'\]"),
        (lambda c: c.assign(is_verification=[0, 1, 0]), "must be boolean"),
        (lambda c: c.assign(is_verification=[False, True, False]), "'expected' column"),
        (
            lambda c: c.assign(is_verification=[False, True, False], expected=["", "same", ""]),
            "row 1 is a verification",
        ),
        (lambda c: c.assign(left=["x", None, "x"]), "row 1 field 'left' is missing"),
    ],
)
def test_bad_tables_name_the_row(change, match):
    c = _table(["x", "x", "x"], ["y", "y", "y"], ["left", "right", "same"])
    with pytest.raises(ValueError, match=match):
        pw.bradley_terry_scores(change(c))


def test_item_in_two_groups_and_bad_options():
    c = pd.concat([_table(["a"], ["b"], ["left"], "g1"), _table(["a"], ["c"], ["left"], "g2")], ignore_index=True)
    with pytest.raises(ValueError, match="item 'a' appears under two references"):
        pw.bradley_terry_scores(c)
    c = _table(["x"], ["y"], ["same"])
    with pytest.raises(ValueError, match="no comparison left"):
        pw.bradley_terry_scores(c, same="drop")
    with pytest.raises(ValueError, match="same"):
        pw.bradley_terry_scores(c, same="tie")


def test_screening_counts_exact():
    # a0 answers both verification pairs right, a1 fails one, a2 says "same" on one
    c = pd.DataFrame(
        {
            "assessor_id": ["a0", "a0", "a0", "a1", "a1", "a1", "a2", "a2"],
            "reference": "r",
            "left": ["x", "y", "x", "x", "y", "x", "x", "y"],
            "right": ["y", "x", "y", "y", "x", "y", "y", "x"],
            "answer": ["left", "right", "left", "right", "right", "left", "same", "right"],
            "is_verification": [True, True, False, True, True, False, True, True],
            "expected": ["left", "right", "", "left", "right", "", "left", "right"],
        }
    )
    s = pw.screen_assessors(c)
    status = s.status.set_index("assessor_id")
    assert status["n_failed"].to_dict() == {"a0": 0, "a1": 1, "a2": 1}
    assert status["removed_by"].to_dict() == {"a0": "kept", "a1": "verification", "a2": "verification"}
    counts = s.counts.set_index("step")
    assert counts.loc["input", "assessors"] == 3 and counts.loc["input", "answers"] == 8
    assert counts.loc["verification", "assessors"] == 2 and counts.loc["verification", "answers"] == 5
    assert counts.loc["kept", "assessors"] == 1 and counts.loc["kept", "answers"] == 3
    lenient = pw.screen_assessors(c, rules=(pw.VerificationPairs(max_failures=1),))
    assert (lenient.status["removed_by"] == "kept").all()


def test_simulation_layout_determinism_and_screening():
    items, ver = _items()
    a = pw.simulate_comparisons(items, ver, n_assessors=50, spammer_fraction=0.2, seed=3)
    b = pw.simulate_comparisons(items, ver, n_assessors=50, spammer_fraction=0.2, seed=3)
    pd.testing.assert_frame_equal(a.comparisons, b.comparisons)
    c = a.comparisons
    assert len(c) == 50 * 28 and list(c.columns[:6]) == list(pw.COMPARISON_COLUMNS)
    per = c.groupby("assessor_id")["is_verification"].agg(["size", "sum"])
    assert (per["size"] == 28).all() and (per["sum"] == 3).all()
    # random pairs stay within a reference and never involve the out-of-study reference items
    study = c.loc[~c["is_verification"]]
    assert not study["left"].str.endswith("_ref").any() and not study["right"].str.endswith("_ref").any()
    assert (study["left"].str[:2] == study["reference"]).all() and (study["right"].str[:2] == study["reference"]).all()
    assert set(c["answer"]) == {"left", "right", "same"}
    # verification items: the obviously better one sits on the 'expected' side
    v = c.loc[c["is_verification"]]
    better = np.where(v["expected"] == "left", v["left"], v["right"])
    assert pd.Series(better).str.endswith("_ref").all()
    # diligent assessors pass (latent gap >= 10 logits); most spammers fail (1 - (1/3)^3)
    s = pw.screen_assessors(c).status.merge(a.assessors, on="assessor_id")
    diligent = s.loc[s["kind"] == "diligent"]
    assert (diligent["removed_by"] == "kept").all()
    spam = s.loc[s["kind"] == "spammer"]
    assert len(spam) > 0 and (spam["removed_by"] == "verification").mean() > 0.7
    assert (
        pw.simulate_comparisons(items, ver, n_assessors=50, seed=4).comparisons["answer"].tolist()
        != c["answer"].tolist()
    )


def test_same_band_rate_matches_the_model():
    # two items with equal latent quality: P(same) = P(|e| < tau) for logistic e of scale 1
    items = pd.DataFrame({"item": ["x", "y"], "reference": "r", "latent": [0.0, 0.0]})
    ver = pd.DataFrame({"reference": ["r"], "better": ["x"], "worse": ["y"]})
    c = pw.simulate_comparisons(items, ver, n_assessors=2000, verification_per_assessor=0, spammer_fraction=0.0, seed=0)
    rate = (c.comparisons["answer"] == "same").mean()
    expected = 2 / (1 + np.exp(-0.5)) - 1
    assert rate == pytest.approx(expected, abs=0.01)


def test_bt_recovers_planted_strengths():
    items, ver = _items(n_refs=3, n_items=10, seed=1)
    study = pw.simulate_comparisons(items, ver, n_assessors=600, spammer_fraction=0.0, seed=2)
    bt = pw.bradley_terry_scores(study.comparisons).merge(items, on=["item", "reference"])
    centred = bt["latent"] - bt.groupby("reference")["latent"].transform("mean")
    rho = stats.spearmanr(bt["score"], centred).statistic
    assert rho > 0.95
    for _, g in bt.groupby("reference"):
        assert stats.spearmanr(g["score"], g["latent"]).statistic > 0.9
    # the same band shrinks the BT scale but keeps it roughly linear in the latent
    assert stats.pearsonr(bt["score"], centred).statistic > 0.97


def test_bad_items_and_verification():
    items, ver = _items()
    with pytest.raises(ValueError, match="row 2 repeats item"):
        pw.simulate_comparisons(items.assign(item=["a", "b", "a"] + list(items["item"][3:])), ver)
    with pytest.raises(ValueError, match="field 'worse' = 'nope' is not an item"):
        pw.simulate_comparisons(items, ver.assign(worse="nope"))
    with pytest.raises(ValueError, match="verification_per_assessor"):
        pw.simulate_comparisons(items, ver, verification_per_assessor=4)
    with pytest.raises(ValueError, match="field 'latent'"):
        pw.simulate_comparisons(items.assign(latent=np.nan), ver)
