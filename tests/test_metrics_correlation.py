"""Tests of saliqa.metrics.correlation against hand-computed values."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

from saliqa.metrics import correlation as C

# --------------------------------------------------------------------------------------------
# SRCC / KRCC / PLCC / RMSE by hand
# --------------------------------------------------------------------------------------------


def test_srcc_hand_no_ties() -> None:
    # ranks differ by d = (-1, 1, -1, 1, 0): rho = 1 - 6 * 4 / (5 * (25 - 1)) = 0.8
    assert C.srcc([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) == pytest.approx(0.8)


def test_srcc_hand_ties_average_ranks() -> None:
    # pred ranks (1, 2.5, 2.5, 4) vs (1, 2, 3, 4): r = 4.5 / sqrt(4.5 * 5) = 3 / sqrt(10)
    assert C.srcc([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(3 / math.sqrt(10))


def test_srcc_sign_and_monotone_invariance() -> None:
    x = np.array([0.1, 0.4, 0.2, 0.9, 0.5])
    assert C.srcc(x, np.exp(3 * x)) == pytest.approx(1.0)
    assert C.srcc(-x, x) == pytest.approx(-1.0)


def test_krcc_hand_no_ties() -> None:
    # 10 pairs, discordant: (1,2) and (3,4) -> (8 - 2) / 10
    assert C.krcc([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) == pytest.approx(0.6)


def test_krcc_hand_tau_b_with_ties() -> None:
    # C = 5, D = 0, one pair tied in pred: tau_b = 5 / sqrt((6 - 1) * (6 - 0))
    assert C.krcc([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(5 / math.sqrt(30))


def test_plcc_hand() -> None:
    # dx = (-1, 0, 1), dy = (-4/3, -1/3, 5/3): r = 3 / sqrt(2 * 14/3)
    assert C.plcc([1, 2, 3], [1, 2, 4]) == pytest.approx(3 / math.sqrt(28 / 3))


def test_rmse_hand() -> None:
    assert C.rmse([1, 2, 3], [1, 2, 5]) == pytest.approx(math.sqrt(4 / 3))
    assert C.rmse([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 0.0


# --------------------------------------------------------------------------------------------
# logistic mapping
# --------------------------------------------------------------------------------------------


def test_logistic5_formula() -> None:
    # at x = b3 the logistic term vanishes: f = b4 * b3 + b5
    assert C.logistic5(2.0, 10, 1, 2.0, 3, 5) == pytest.approx(11.0)
    # far right: b1/2 + b4 x + b5
    assert C.logistic5(1e4, 10, 1, 0, 0, 5) == pytest.approx(10.0)
    # the Sheikh et al. form, written naively, agrees where it does not overflow
    x = np.linspace(-3, 3, 7)
    naive = 4 * (0.5 - 1 / (1 + np.exp(1.5 * (x - 0.2)))) + 0.3 * x + 1
    np.testing.assert_allclose(C.logistic5(x, 4, 1.5, 0.2, 0.3, 1), naive)


def test_logistic4_formula() -> None:
    assert C.logistic4(0.5, 80, 10, 0.5, 2) == pytest.approx(45.0)
    assert C.logistic4(-1e6, 80, 10, 0.5, 2) == pytest.approx(10.0)
    assert C.logistic4(1e6, 80, 10, 0.5, -2) == pytest.approx(80.0)  # |b4|


@pytest.mark.parametrize("kind", ["logistic4", "logistic5"])
def test_plcc_perfect_logistic_relation(kind: str) -> None:
    x = np.linspace(10, 70, 40)
    if kind == "logistic4":
        mos = C.logistic4(x, 90, 5, 40, 6)
    else:
        mos = C.logistic5(x, 60, 0.15, 40, 0.2, 30)
    before = C.plcc(x, mos)
    after = C.plcc(x, mos, fit=kind)
    assert before < 0.99
    assert after == pytest.approx(1.0, abs=1e-8)
    assert C.rmse(x, mos, fit=kind) == pytest.approx(0.0, abs=1e-5)
    assert C.rmse(x, mos) > 1.0


def test_logistic_fit_recovers_parameters_in_original_units() -> None:
    x = np.linspace(10, 70, 40)
    true4 = np.array([90.0, 5.0, 40.0, 6.0])
    fit4 = C.logistic_fit(x, C.logistic4(x, *true4), "logistic4")
    np.testing.assert_allclose(fit4.params, true4, rtol=1e-5)
    true5 = np.array([60.0, 0.15, 40.0, 0.2, 30.0])
    fit5 = C.logistic_fit(x, C.logistic5(x, *true5), "logistic5")
    np.testing.assert_allclose(fit5(x), C.logistic5(x, *true5), atol=1e-6)
    np.testing.assert_allclose(fit5.params, true5, rtol=1e-4)


def test_logistic_fit_initial_guesses_documented() -> None:
    x = np.array([0.0, 1, 2, 3, 4])
    mos = np.array([10.0, 20, 40, 60, 70])
    p0 = C.logistic_fit(x, mos, "logistic5").p0
    np.testing.assert_allclose(p0, [60.0, 1 / np.std(x), 2.0, 0.0, 40.0])
    p0 = C.logistic_fit(x, mos, "logistic4").p0
    np.testing.assert_allclose(p0, [70.0, 10.0, 2.0, np.std(x)])
    # decreasing relation: logistic4 guesses swapped, logistic5 amplitude negative
    assert C.logistic_fit(-x, mos, "logistic4").p0[0] == 10.0
    assert C.logistic_fit(-x, mos, "logistic5").p0[0] == -60.0


def test_plcc_fit_on_decreasing_predictor() -> None:
    x = np.linspace(-2, 2, 30)
    mos = C.logistic5(x, 50, 2, 0.3, 1, 40)
    assert C.plcc(-x, mos, fit="logistic5") == pytest.approx(1.0, abs=1e-8)
    assert C.plcc(-x, mos) < -0.9


def test_fit_needs_enough_items_and_known_kind() -> None:
    with pytest.raises(ValueError, match="at least 5"):
        C.plcc([1, 2, 3, 4], [1, 2, 3, 5], fit="logistic5")
    with pytest.raises(ValueError, match="fit must be"):
        C.plcc([1, 2, 3, 4], [1, 2, 3, 5], fit="cubic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind must be"):
        C.logistic_fit([1, 2, 3, 4], [1, 2, 3, 5], "linear")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("func", [C.srcc, C.krcc, C.plcc, C.rmse])
def test_input_checks(func) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="equal length"):
        func([1, 2, 3], [1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"pred\[1\]"):
        func([1, np.nan, 3], [1, 2, 3])
    with pytest.raises(ValueError, match=r"mos\[2\]"):
        func([1, 2, 3], [1, 2, np.inf])
    with pytest.raises(ValueError, match="at least 3"):
        func([1, 2], [1, 2])
    with pytest.raises(ValueError, match="1-D"):
        func(np.ones((3, 2)), np.ones((3, 2)))


@pytest.mark.parametrize("func", [C.srcc, C.krcc, C.plcc])
def test_constant_input_raises(func) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="pred is constant"):
        func([2, 2, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="mos is constant"):
        func([1, 2, 3], [5, 5, 5])


# --------------------------------------------------------------------------------------------
# FracCP (seed 002)
# --------------------------------------------------------------------------------------------

# group A: unordered pairs (0,1) c, (0,2) c, (1,2) d              -> 2/3
# group B: (0,1) pred tie, (0,2) c, (0,3) c, (1,2) mos tie (not a pair), (1,3) c, (2,3) c
#          -> 4/5 ("discordant") or 4.5/5 ("half")
PRED = [0.9, 0.5, 0.1, 1.0, 1.0, 2.0, 0.0]
MOS = [3.0, 1.0, 2.0, 1.0, 2.0, 2.0, 0.0]
GROUPS = ["A", "A", "A", "B", "B", "B", "B"]


def test_frac_concordant_pairs_hand() -> None:
    assert C.frac_concordant_pairs(PRED, MOS, GROUPS) == pytest.approx((2 / 3 + 4 / 5) / 2)
    assert C.frac_concordant_pairs(PRED, MOS, GROUPS, pred_ties="half") == pytest.approx((2 / 3 + 0.9) / 2)


def test_concordant_pairs_by_group_counts_ordered_pairs() -> None:
    table = C.concordant_pairs_by_group(PRED, MOS, GROUPS)
    assert list(table["group"]) == ["A", "B"]
    assert list(table["n_items"]) == [3, 4]
    assert list(table["n_pairs"]) == [6, 10]
    assert list(table["n_concordant"]) == [4, 8]


def test_frac_concordant_pairs_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    pred = rng.integers(0, 4, 40).astype(float)
    mos = rng.integers(0, 4, 40).astype(float)
    groups = rng.integers(0, 5, 40)
    fracs = []
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        valid = conc = 0
        for i, j in itertools.permutations(idx, 2):
            if mos[i] != mos[j]:
                valid += 1
                conc += np.sign(pred[i] - pred[j]) == np.sign(mos[i] - mos[j])
        fracs.append(conc / valid)
    assert C.frac_concordant_pairs(pred, mos, groups) == pytest.approx(np.mean(fracs))


def test_frac_concordant_pairs_excludes_unusable_groups_with_warning() -> None:
    pred = PRED + [5.0, 1.0, 2.0]
    mos = MOS + [7.0, 3.0, 3.0]
    groups = GROUPS + ["single", "tied", "tied"]
    expected = r"2 of 4 groups excluded \(1 with fewer than 2 items, 1 with all mos tied\)"
    with pytest.warns(UserWarning, match=expected):
        value = C.frac_concordant_pairs(pred, mos, groups)
    assert value == pytest.approx((2 / 3 + 4 / 5) / 2)


def test_frac_concordant_pairs_errors() -> None:
    with pytest.raises(ValueError, match="no group"):
        C.frac_concordant_pairs([1, 2], [1, 1], ["a", "a"])
    with pytest.raises(ValueError, match=r"groups\[1\]"):
        C.frac_concordant_pairs([1, 2, 3], [1, 2, 3], ["a", None, "a"])
    with pytest.raises(ValueError, match="groups must be 1-D"):
        C.frac_concordant_pairs([1, 2, 3], [1, 2, 3], ["a", "a"])
    with pytest.raises(ValueError, match=r"pred\[0\]"):
        C.frac_concordant_pairs([np.nan, 2, 3], [1, 2, 3], ["a", "a", "a"])
    with pytest.raises(ValueError, match="pred_ties"):
        C.frac_concordant_pairs([1, 2, 3], [1, 2, 3], ["a"] * 3, pred_ties="skip")  # type: ignore[arg-type]


def test_frac_concordant_pairs_perfect_and_reversed_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert C.frac_concordant_pairs([1, 2, 3, 1, 5], [1, 2, 3, 0, 9], [0, 0, 0, 1, 1]) == 1.0
        assert C.frac_concordant_pairs([3, 2, 1], [1, 2, 3], [0, 0, 0]) == 0.0
