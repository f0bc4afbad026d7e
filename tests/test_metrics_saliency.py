"""Tests of saliqa.metrics.saliency (numpy): hand-computed values, MIT conventions, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from saliqa.metrics import saliency as M
from saliqa.saliency import centre_prior, fixation_map, saliency_map

EPS = 2.220446049250313e-16


@pytest.fixture(scope="module")
def rand_maps() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    sal = rng.random((40, 50))
    other = rng.random((40, 50))
    fix = np.zeros((40, 50))
    fix.flat[rng.choice(2000, 60, replace=False)] = rng.integers(1, 4, 60)
    return sal, other, fix


# ------------------------------------------------------------------------------------------
# KLD
# ------------------------------------------------------------------------------------------


def test_kld_hand_2x2() -> None:
    p = np.array([[1.0, 1.0], [1.0, 1.0]])  # P = [1/4, 1/4, 1/4, 1/4]
    q = np.array([[1.0, 1.0], [1.0, 5.0]])  # Q = [1/8, 1/8, 1/8, 5/8]
    # D(P||Q) = 3 * 1/4 * ln((1/4) / (1/8)) + 1/4 * ln((1/4) / (5/8)) = 0.75 ln 2 + 0.25 ln 0.4
    d_pq = 0.75 * math.log(2) + 0.25 * math.log(0.4)  # = 0.290786...
    # D(Q||P) = 3 * 1/8 * ln((1/8) / (1/4)) + 5/8 * ln((5/8) / (1/4)) = -0.375 ln 2 + 0.625 ln 2.5
    d_qp = -0.375 * math.log(2) + 0.625 * math.log(2.5)  # = 0.312745...
    assert M.kld(p, q) == pytest.approx(d_pq, rel=1e-12)
    assert M.kld(q, p) == pytest.approx(d_qp, rel=1e-12)
    assert M.kld(p, q) != pytest.approx(M.kld(q, p), rel=1e-3)  # asymmetric
    assert M.symmetric_kld(p, q) == pytest.approx((d_pq + d_qp) / 2, rel=1e-12)
    assert M.symmetric_kld(p, q) == pytest.approx(M.symmetric_kld(q, p), rel=1e-14)
    # only the normalised maps matter
    assert M.kld(3 * p, 0.1 * q) == pytest.approx(d_pq, rel=1e-12)
    assert M.kld(p, p) == pytest.approx(0.0, abs=1e-14)


def test_kld_eps_sensitivity_on_sparse_maps() -> None:
    p = np.array([[1.0, 0.0], [0.0, 1.0]])  # P = [0.5, 0, 0, 0.5]
    q = np.array([[1.0, 0.0], [0.0, 0.0]])  # Q = [1, 0, 0, 0]: zero where P has mass

    def hand(eps: float) -> float:
        # 0.5 ln(eps + 0.5 / (1 + eps)) + 0.5 ln(eps + 0.5 / (0 + eps)); zero-P terms vanish
        return 0.5 * math.log(eps + 0.5 / (1 + eps)) + 0.5 * math.log(eps + 0.5 / eps)

    k_mit = M.kld(p, q)  # ~ 17.33
    k_ssp = M.kld(p, q, eps=1e-8)  # ~ 8.52 (SSPNet's eps)
    assert k_mit == pytest.approx(hand(EPS), rel=1e-12)
    assert k_ssp == pytest.approx(hand(1e-8), rel=1e-12)
    assert k_mit / k_ssp > 1.9
    with pytest.raises(ValueError, match="eps must be"):
        M.kld(p, q, eps=-1.0)


# ------------------------------------------------------------------------------------------
# CC, SIM, Bhattacharyya
# ------------------------------------------------------------------------------------------


def test_cc_values(rand_maps: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    a = rand_maps[0]
    assert M.cc(a, a) == pytest.approx(1.0, abs=1e-12)
    assert M.cc(a, 2.5 * a + 3.0) == pytest.approx(1.0, abs=1e-12)
    assert M.cc(a, a.max() - a) == pytest.approx(-1.0, abs=1e-12)  # negated structure
    # hand: centred [-1.5, -0.5, 0.5, 1.5] . [-0.5, 0.5, 0.5, -0.5] = 0.75 - 0.25 + 0.25 - 0.75 = 0
    assert M.cc([[0, 1], [2, 3]], [[0, 1], [1, 0]]) == pytest.approx(0.0, abs=1e-15)
    # hand: centred [-1.5, -0.5, 0.5, 1.5] . [-1, -1, 1, 1] = 4; norms sqrt(5) * sqrt(4)
    assert M.cc([[0, 1], [2, 3]], [[0, 0], [2, 2]]) == pytest.approx(4 / (math.sqrt(5) * 2), rel=1e-14)
    with pytest.raises(ValueError, match="b is constant"):
        M.cc(a, np.ones_like(a))


def test_sim_values(rand_maps: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    a = rand_maps[0]
    assert M.sim(a, a) == pytest.approx(1.0, abs=1e-12)
    assert M.sim([[1, 0], [0, 0]], [[0, 0], [0, 1]]) == 0.0  # disjoint
    # hand: a -> minmax [.5, .5, 0, 1] / 2 = [.25, .25, 0, .5]; b -> [1, 0, .5, .5] / 2 = [.5, 0, .25, .25]
    # sum min = .25 + 0 + 0 + .25 = 0.5 (the same without min-max, since both minima are 0)
    a2, b2 = [[1, 1], [0, 2]], [[2, 0], [1, 1]]
    assert M.sim(a2, b2) == pytest.approx(0.5, rel=1e-14)
    assert M.sim(a2, b2, minmax=False) == pytest.approx(0.5, rel=1e-14)
    # min-max matters when the minimum is not 0: [1, 2] -> [0, 1] vs sum-normalised [1/3, 2/3]
    assert M.sim([[1, 2]], [[1, 1.5]], minmax=False) == pytest.approx(1 / 3 + 0.6, rel=1e-14)
    assert M.sim([[1, 2]], [[1, 1.5]]) == pytest.approx(1.0, rel=1e-14)
    with pytest.raises(ValueError, match="a is constant.*min-max"):
        M.sim(np.ones((3, 3)), a[:3, :3])
    assert M.sim(np.ones((3, 3)), a[:3, :3], minmax=False) <= 1.0


def test_bhattacharyya_values(rand_maps: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    a, b, _ = rand_maps
    assert M.bhattacharyya(a, a) == pytest.approx(0.0, abs=1e-12)
    # hand: P = [1/2, 1/2], Q = [1/4, 3/4]; BC = sqrt(1/8) + sqrt(3/8) = 0.9659258... = cos(15 deg)
    bc = math.sqrt(1 / 8) + math.sqrt(3 / 8)
    assert M.bhattacharyya([[1, 1]], [[1, 3]]) == pytest.approx(-math.log(bc), rel=1e-12)  # 0.034668...
    assert M.bhattacharyya([[1, 1]], [[1, 3]]) == pytest.approx(-math.log(math.cos(math.radians(15))), rel=1e-12)
    assert M.bhattacharyya(a, b) > 0
    with pytest.warns(UserWarning, match="disjoint support"):
        assert M.bhattacharyya([[1, 0]], [[0, 1]]) == math.inf


# ------------------------------------------------------------------------------------------
# NSS
# ------------------------------------------------------------------------------------------


def test_nss_hand_3x3() -> None:
    s = np.zeros((3, 3))
    s[1, 1] = 9.0
    # mean = 9 / 9 = 1; sample variance (ddof = 1) = (8 * (0 - 1)^2 + (9 - 1)^2) / 8 = 72 / 8 = 9 -> std 3
    # z(centre) = (9 - 1) / 3 = 8/3; z(corner) = (0 - 1) / 3 = -1/3
    fix = np.zeros((3, 3))
    fix[1, 1] = 2  # two fixations on the centre
    fix[0, 0] = 1
    assert M.nss(s, fix) == pytest.approx((8 / 3 - 1 / 3) / 2, rel=1e-14)  # 7/6: each pixel once
    assert M.nss(s, fix > 0) == pytest.approx(7 / 6, rel=1e-14)
    assert M.nss(s, fix, per_fixation=True) == pytest.approx((2 * 8 / 3 - 1 / 3) / 3, rel=1e-14)  # 5/3
    # ddof = 0: std = sqrt(72 / 9) = sqrt(8)
    assert M.nss(s, fix, ddof=0) == pytest.approx((8 - 1) / math.sqrt(8) / 2, rel=1e-14)
    with pytest.raises(ValueError, match="saliency is constant"):
        M.nss(np.ones((3, 3)), fix)


# ------------------------------------------------------------------------------------------
# AUC-Judd
# ------------------------------------------------------------------------------------------


def test_auc_judd_hand_example() -> None:
    s = np.array([[0.0, 0.25, 0.5, 0.75, 1.0]])
    fix = np.array([[0, 0, 1, 0, 1]])
    # thresholds (fixated values, descending): 1, 0.5; n_f = 2, n_pix = 5, negatives = 3
    # t = 1.0: #{S >= 1} = 1 -> TP = 1/2, FP = (1 - 1) / 3 = 0
    # t = 0.5: #{S >= .5} = 3 -> TP = 2/2, FP = (3 - 2) / 3 = 1/3
    # curve (0,0) (0,.5) (1/3,1) (1,1): area = 0 + 1/3 * (.5 + 1) / 2 + 2/3 * 1 = 0.25 + 2/3 = 11/12
    assert M.auc_judd(s, fix, jitter=False) == pytest.approx(11 / 12, rel=1e-14)
    # min-max normalisation makes the scale irrelevant
    assert M.auc_judd(3 * s + 1, fix, jitter=False) == pytest.approx(11 / 12, rel=1e-14)
    # MIT's tiny jitter does not change a map without ties
    assert M.auc_judd(s, fix) == pytest.approx(11 / 12, abs=1e-6)


def test_auc_judd_matches_loop_reference(rand_maps: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    sal, _, fix = rand_maps
    # MIT AUC_Judd.m written as its loop over thresholds (test reference)
    s = ((sal - sal.min()) / (sal.max() - sal.min())).ravel()
    sth = np.sort(s[fix.ravel() > 0])[::-1]
    nf, n = sth.size, s.size
    tp, fp = [0.0], [0.0]
    for i, t in enumerate(sth, start=1):
        tp.append(i / nf)
        fp.append((np.sum(s >= t) - i) / (n - nf))
    tp.append(1.0)
    fp.append(1.0)
    ref = sum((fp[k + 1] - fp[k]) * (tp[k + 1] + tp[k]) / 2 for k in range(len(tp) - 1))
    assert M.auc_judd(sal, fix, jitter=False) == pytest.approx(ref, rel=1e-13)


def test_auc_judd_perfect_reverse_constant() -> None:
    rng = np.random.default_rng(3)
    pts = np.column_stack([rng.uniform(5, 55, 30), rng.uniform(5, 35, 30)])
    fix = fixation_map(pts, (40, 60))
    perfect = saliency_map(pts, (40, 60), 0.3)  # peaks exactly on the fixated pixels
    assert M.auc_judd(perfect, fix) > 0.99
    assert M.auc_judd(perfect.max() - perfect, fix) < 0.05  # reversed
    const = np.ones((40, 60))  # jitter only: chance level
    assert abs(M.auc_judd(const, fix) - 0.5) < 0.15
    assert M.auc_judd(const, fix, seed=1) != M.auc_judd(const, fix, seed=2)
    assert M.auc_judd(const, fix, seed=1) == M.auc_judd(const, fix, seed=1)  # deterministic
    with pytest.raises(ValueError, match="saliency is constant"):
        M.auc_judd(const, fix, jitter=False)
    with pytest.raises(ValueError, match="every pixel"):
        M.auc_judd(perfect, np.ones((40, 60)))


# ------------------------------------------------------------------------------------------
# AUC-Borji
# ------------------------------------------------------------------------------------------


def test_auc_borji_matches_loop_reference(rand_maps: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    sal, _, fix = rand_maps
    # MIT AUC_Borji.m as a loop, with per-split thresholds fliplr(0:step:max) (test reference)
    s = ((sal - sal.min()) / (sal.max() - sal.min())).ravel()
    sth = s[fix.ravel() > 0]
    nf = sth.size
    rand = s[np.random.default_rng(5).integers(0, s.size, size=(20, nf))]
    aucs = []
    for cur in rand:
        mx = max(sth.max(), cur.max())
        thr = (np.arange(int(math.floor(mx / 0.1 + 1e-10)) + 1) * 0.1)[::-1]
        tp = [0.0] + [np.mean(sth >= t) for t in thr] + [1.0]
        fp = [0.0] + [np.mean(cur >= t) for t in thr] + [1.0]
        aucs.append(sum((fp[k + 1] - fp[k]) * (tp[k + 1] + tp[k]) / 2 for k in range(len(tp) - 1)))
    assert M.auc_borji(sal, fix, n_splits=20, seed=5) == pytest.approx(np.mean(aucs), rel=1e-13)


def test_auc_borji_chance_and_perfect() -> None:
    rng = np.random.default_rng(7)
    sal = rng.random((100, 100))
    fix = np.zeros((100, 100))
    fix.flat[rng.choice(10000, 500, replace=False)] = 1
    a = M.auc_borji(sal, fix)
    assert 0.0 <= a <= 1.0
    assert abs(a - 0.5) < 0.03
    assert M.auc_borji(sal, fix) == a  # deterministic for a seed
    perfect = 0.01 * sal + fix
    assert M.auc_borji(perfect, fix) > 0.9
    assert 0.0 <= M.auc_borji(perfect, fix, n_splits=3, step=0.01, seed=1) <= 1.0
    with pytest.raises(ValueError, match="n_splits must be"):
        M.auc_borji(sal, fix, n_splits=0)
    with pytest.raises(ValueError, match="step must be"):
        M.auc_borji(sal, fix, step=0.0)


# ------------------------------------------------------------------------------------------
# Information gain
# ------------------------------------------------------------------------------------------


def test_information_gain() -> None:
    prior = centre_prior((30, 40))
    fix = np.zeros((30, 40))
    fix[15, 20] = 3
    fix[5, 5] = 1
    assert M.information_gain(prior, fix, prior) == 0.0
    assert M.information_gain(5 * prior + 1e-3, fix, prior + 1e-3 / 5) == pytest.approx(0.0, abs=1e-12)
    # hand: 1x3 maps; S = minmax [0, .5, 1] / 1.5 = [0, 1/3, 2/3], B = [1, 0, .5] / 1.5 = [2/3, 0, 1/3]
    s, b = np.array([[0.0, 1.0, 2.0]]), np.array([[4.0, 2.0, 3.0]])
    f = np.array([[0, 1, 2]])
    g1 = math.log2(EPS + 1 / 3) - math.log2(EPS + 0.0)  # 1/3 vs 0: log2(eps) ~ -52
    g2 = math.log2(EPS + 2 / 3) - math.log2(EPS + 1 / 3)  # = 1 bit
    assert M.information_gain(s, f, b) == pytest.approx((g1 + g2) / 2, rel=1e-12)
    assert M.information_gain(s, f, b, per_fixation=True) == pytest.approx((g1 + 2 * g2) / 3, rel=1e-12)
    assert M.information_gain(s, f, b, eps=1e-8) < M.information_gain(s, f, b)
    with pytest.raises(ValueError, match="baseline is constant"):
        M.information_gain(s, f, np.ones((1, 3)))


# ------------------------------------------------------------------------------------------
# validation, shared by every metric
# ------------------------------------------------------------------------------------------

PAIR_METRICS = [M.kld, M.symmetric_kld, M.cc, M.sim, M.bhattacharyya]
FIX_METRICS = [M.nss, M.auc_judd, M.auc_borji, lambda s, f: M.information_gain(s, f, centre_prior(s.shape))]


@pytest.mark.parametrize("metric", PAIR_METRICS)
def test_pair_metrics_validate(metric: object) -> None:
    good = np.arange(1.0, 7.0).reshape(2, 3)
    with pytest.raises(ValueError, match="shape mismatch"):
        metric(good, np.ones((3, 2)))  # type: ignore[operator]
    with pytest.raises(ValueError, match="negative"):
        metric(good, good - 2)  # type: ignore[operator]
    with pytest.raises(ValueError, match="all zero"):
        metric(np.zeros((2, 3)), good)  # type: ignore[operator]
    with pytest.raises(ValueError, match="non-finite"):
        metric(good, np.where(good > 5, np.nan, good))  # type: ignore[operator]
    with pytest.raises(ValueError, match="2-D"):
        metric(good[None], good[None])  # type: ignore[operator]


@pytest.mark.parametrize("metric", FIX_METRICS)
def test_fixation_metrics_validate(metric: object) -> None:
    good = np.arange(1.0, 13.0).reshape(3, 4)
    fix = np.zeros((3, 4))
    fix[1, 2] = 1
    with pytest.raises(ValueError, match="fixations is an empty fixation map"):
        metric(good, np.zeros((3, 4)))  # type: ignore[operator]
    with pytest.raises(ValueError, match="shape mismatch: fixations"):
        metric(good, np.ones((4, 3)))  # type: ignore[operator]
    with pytest.raises(ValueError, match="saliency contains 1 negative"):
        metric(good - 1.5, fix)  # type: ignore[operator]
    with pytest.raises(ValueError, match="saliency is all zero"):
        metric(np.zeros((3, 4)), fix)  # type: ignore[operator]
    with pytest.raises(ValueError, match="fixations contains 1 negative"):
        metric(good, fix - 2 * (np.arange(12).reshape(3, 4) == 0))  # type: ignore[operator]
    with pytest.raises(ValueError, match="fixations contains 1 non-finite"):
        metric(good, np.where(fix > 0, np.nan, fix) + (np.arange(12).reshape(3, 4) == 5))  # type: ignore[operator]
    assert math.isfinite(metric(good, fix))  # type: ignore[operator]


def test_information_gain_baseline_mismatch() -> None:
    with pytest.raises(ValueError, match="shape mismatch: saliency has shape"):
        M.information_gain(np.ones((3, 4)) + np.eye(3, 4), np.eye(3, 4), centre_prior((4, 4)))
