"""Tests of saliqa.saliency: fixation maps, Gaussian saliency maps, geometry, centre prior, validation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from saliqa import saliency as S


def direct_map(points: np.ndarray, shape: tuple[int, int], sigma: float, denom_factor: float = 2.0) -> np.ndarray:
    """The per-pixel formula of seed 000 (section 2.3), written out independently (test reference)."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    d2 = (xx[None] - points[:, 0, None, None]) ** 2 + (yy[None] - points[:, 1, None, None]) ** 2
    return np.exp(-d2 / (denom_factor * sigma**2)).sum(axis=0)


# ------------------------------------------------------------------------------------------
# saliency_map
# ------------------------------------------------------------------------------------------


def test_single_point_hand_values() -> None:
    # one point at (x, y) = (3, 2), sigma = 2 -> 2 sigma^2 = 8
    m = S.saliency_map([[3, 2]], (5, 7), 2.0)
    assert m.shape == (5, 7) and m.dtype == np.float64
    assert m[2, 3] == pytest.approx(1.0, abs=1e-15)  # d^2 = 0
    assert m[2, 4] == pytest.approx(math.exp(-1 / 8), rel=1e-14)  # d^2 = 1
    assert m[4, 5] == pytest.approx(math.exp(-8 / 8), rel=1e-14)  # d^2 = 2^2 + 2^2 = 8
    assert m[0, 0] == pytest.approx(math.exp(-13 / 8), rel=1e-14)  # d^2 = 3^2 + 2^2 = 13
    assert np.unravel_index(np.argmax(m), m.shape) == (2, 3)


def test_two_points_hand_values() -> None:
    # points (1, 1) and (3, 1), sigma = 1 -> 2 sigma^2 = 2
    m = S.saliency_map(np.array([[1.0, 1.0], [3.0, 1.0]]), (3, 5), 1.0)
    assert m[1, 2] == pytest.approx(2 * math.exp(-1 / 2), rel=1e-14)  # d^2 = 1 to each
    assert m[1, 1] == pytest.approx(1 + math.exp(-4 / 2), rel=1e-14)  # d^2 = 0 and 4
    assert m[0, 0] == pytest.approx(math.exp(-2 / 2) + math.exp(-10 / 2), rel=1e-14)  # d^2 = 1+1, 9+1


def test_kernel_sigma2_variant() -> None:
    # seed 004 / SSPNet: exp(-d^2 / sigma^2); sigma = 2 -> sigma^2 = 4
    m = S.saliency_map([[3, 2]], (5, 7), 2.0, kernel="sigma2")
    assert m[2, 4] == pytest.approx(math.exp(-1 / 4), rel=1e-14)
    assert m[4, 5] == pytest.approx(math.exp(-8 / 4), rel=1e-14)
    # equals the default kernel with sigma / sqrt(2)
    np.testing.assert_allclose(m, S.saliency_map([[3, 2]], (5, 7), 2.0 / math.sqrt(2)), rtol=1e-13)


def test_subpixel_points_match_direct_formula() -> None:
    rng = np.random.default_rng(0)
    shape = (60, 80)
    pts = np.column_stack([rng.uniform(-0.5, 79.49, 50), rng.uniform(-0.5, 59.49, 50)])
    for kernel, factor in (("2sigma2", 2.0), ("sigma2", 1.0)):
        m = S.saliency_map(pts, shape, 4.3, kernel=kernel)
        ref = direct_map(pts, shape, 4.3, factor)
        assert np.max(np.abs(m - ref)) < 1e-6 * ref.max()


def test_weights_and_chunking() -> None:
    rng = np.random.default_rng(1)
    pts = np.column_stack([rng.uniform(0, 29, 23), rng.uniform(0, 19, 23)])
    wts = rng.uniform(0, 3, 23)
    m = S.saliency_map(pts, (20, 30), 3.0, weights=wts)
    ref = sum(wj * direct_map(pts[j : j + 1], (20, 30), 3.0) for j, wj in enumerate(wts))
    np.testing.assert_allclose(m, ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(S.saliency_map(pts, (20, 30), 3.0, weights=wts, chunk=5), m, rtol=1e-12, atol=1e-14)


def test_saliency_map_bad_parameters() -> None:
    for sigma in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="sigma must be a positive"):
            S.saliency_map([[1, 1]], (3, 3), sigma)
    with pytest.raises(ValueError, match="kernel must be"):
        S.saliency_map([[1, 1]], (3, 3), 1.0, kernel="gauss")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="chunk must be an integer >= 1"):
        S.saliency_map([[1, 1]], (3, 3), 1.0, chunk=0)
    with pytest.raises(ValueError, match="weights must have shape"):
        S.saliency_map([[1, 1]], (3, 3), 1.0, weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="weights contains 1 negative"):
        S.saliency_map([[1, 1]], (3, 3), 1.0, weights=[-1.0])


def test_tiny_sigma_underflow_warns() -> None:
    # point half-way between pixel centres: d^2 >= 0.25, exp(-0.25 / (2e-4)) underflows to 0
    with pytest.warns(UserWarning, match="underflow to zero"):
        S.saliency_map([[0.5, 0.0]], (3, 3), 0.01)


# ------------------------------------------------------------------------------------------
# fixation_map
# ------------------------------------------------------------------------------------------


def test_fixation_map_counts_duplicates_and_half_rounding() -> None:
    pts = [
        (0.0, 0.0),
        (0.0, 0.0),  # duplicate: pixel (0, 0) gets 2
        (1.5, 0.0),  # x = 1.5 rounds half up to column 2
        (1.49, 0.5),  # column floor(1.99) = 1, row floor(1.0) = 1
        (2.5, 1.5),  # column 3, row 2
        (-0.5, -0.5),  # lower edge of pixel (0, 0): rounds to 0 -> (0, 0) gets 3
    ]
    f = S.fixation_map(pts, (3, 4))
    expected = np.zeros((3, 4))
    expected[0, 0] = 3
    expected[0, 2] = 1
    expected[1, 1] = 1
    expected[2, 3] = 1
    np.testing.assert_array_equal(f, expected)
    assert f.dtype == np.float64 and f.sum() == len(pts)


def test_fixation_map_weights() -> None:
    f = S.fixation_map([(0, 0), (0, 0), (1, 1)], (2, 2), weights=[200.0, 300.0, 50.0])
    np.testing.assert_array_equal(f, [[500.0, 0.0], [0.0, 50.0]])


def test_points_outside_raise_with_count_and_first() -> None:
    pts = [(1, 1), (4.5, 0), (-0.6, 1), (2, 2)]  # W = 5: x = 4.5 is outside ([-0.5, 4.5))
    with pytest.raises(ValueError, match=r"2 of 4 points lie outside.*first at row 1: \(x, y\) = \(4.5, 0\)"):
        S.fixation_map(pts, (3, 5))
    with pytest.raises(ValueError, match="outside"):
        S.saliency_map(pts, (3, 5), 1.0)


def test_points_outside_clip_and_drop_warn() -> None:
    pts = [(1, 1), (7.0, 0), (-3, 2.2)]
    with pytest.warns(UserWarning, match="2 of 3 points lie outside.*clipped"):
        f = S.fixation_map(pts, (3, 5), outside="clip")
    expected = np.zeros((3, 5))
    expected[1, 1] = expected[0, 4] = expected[2, 0] = 1
    np.testing.assert_array_equal(f, expected)
    with pytest.warns(UserWarning, match="dropped 2"):
        f = S.fixation_map(pts, (3, 5), outside="drop")
    assert f.sum() == 1 and f[1, 1] == 1
    with pytest.warns(UserWarning, match="dropped 1"):
        m = S.saliency_map([(1, 1), (9, 9)], (3, 5), 1.0, outside="drop", weights=[2.0, 5.0])
    assert m[1, 1] == pytest.approx(2.0)
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="empty point set after dropping 1"):
        S.fixation_map([(9, 9)], (3, 5), outside="drop")
    with pytest.raises(ValueError, match="outside must be"):
        S.fixation_map(pts, (3, 5), outside="ignore")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("points", "match"),
    [
        (np.zeros((0, 2)), "empty point set"),
        ([], "empty point set"),
        ([(1.0, float("nan"))], "non-finite points"),
        ([(1.0, 2.0, 3.0)], r"shape \(N, 2\)"),
        ([1.0, 2.0], r"shape \(N, 2\)"),
        ([("a", "b")], "numeric"),
    ],
)
def test_bad_points(points: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        S.fixation_map(points, (4, 4))  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", [(0, 5), (5, -1), (5,), (2, 3, 4), (2.0, 3), (True, 3), 7])
def test_bad_shape(shape: object) -> None:
    with pytest.raises(ValueError, match=r"shape must be a pair \(H, W\) of positive ints"):
        S.fixation_map([(0, 0)], shape)  # type: ignore[arg-type]


def test_numpy_int_shape_ok() -> None:
    f = S.fixation_map([(0, 0)], (np.int64(2), np.int32(3)))
    assert f.shape == (2, 3)


# ------------------------------------------------------------------------------------------
# viewing geometry
# ------------------------------------------------------------------------------------------


def test_pixels_per_degree_exact_geometry() -> None:
    # screen as wide as twice the distance: atan(w / 2d) = atan(1) = 45 deg -> 90 deg across
    assert S.pixels_per_degree(50.0, 100.0, 1800) == pytest.approx(1800 / 90, rel=1e-14)


def test_pixels_per_degree_57_3_cm() -> None:
    # 1 cm at 57.3 cm subtends ~1 degree: 2 atan(0.5 / 57.3) by the series x - x^3/3 + x^5/5
    x = 0.5 / 57.3
    angle_deg = 2 * (x - x**3 / 3 + x**5 / 5) * 180 / math.pi  # = 0.999906... degrees
    ppd = S.pixels_per_degree(57.3, 1.0, 40)
    assert ppd == pytest.approx(40 / angle_deg, rel=1e-12)
    assert ppd == pytest.approx(40.0, rel=2e-4)  # about one cm per degree


def test_sigma_from_degrees() -> None:
    ppd = S.pixels_per_degree(50.0, 100.0, 1800)  # 20 px / deg
    assert S.sigma_from_degrees(2.0, ppd) == pytest.approx(40.0)
    with pytest.raises(ValueError, match="ppd must be a positive"):
        S.sigma_from_degrees(2.0, 0.0)
    with pytest.raises(ValueError, match="viewing_distance must be a positive"):
        S.pixels_per_degree(-1.0, 1.0, 10)


# ------------------------------------------------------------------------------------------
# centre prior, normalisation
# ------------------------------------------------------------------------------------------


def test_centre_prior_anisotropic() -> None:
    c = S.centre_prior((40, 80), 0.25)
    assert c.sum() == pytest.approx(1.0, rel=1e-14)
    np.testing.assert_allclose(c, c[::-1, ::-1], rtol=1e-13)  # centred at ((W-1)/2, (H-1)/2)
    # sigma_y = 0.25 * 40 = 10, sigma_x = 0.25 * 80 = 20: one sigma away -> exp(-1/2)
    c2 = S.centre_prior((40, 80), 0.25, centre=(40.0, 20.0))
    assert c2[20, 60] / c2[20, 40] == pytest.approx(math.exp(-0.5), rel=1e-13)
    assert c2[30, 40] / c2[20, 40] == pytest.approx(math.exp(-0.5), rel=1e-13)
    c3 = S.centre_prior((40, 80), (0.5, 0.25), centre=(40.0, 20.0))  # sigma_y = 20
    assert c3[40 - 1, 40] / c3[20, 40] == pytest.approx(math.exp(-(19**2) / (2 * 20**2)), rel=1e-13)
    with pytest.raises(ValueError, match="sigma_frac must be a positive"):
        S.centre_prior((4, 4), 0.0)


def test_normalize_map() -> None:
    m = np.array([[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_allclose(S.normalize_map(m), m / 12)
    np.testing.assert_allclose(S.normalize_map(m, "minmax"), [[0, 0.2], [0.4, 1.0]])
    np.testing.assert_allclose(S.normalize_map(m, "max"), m / 6)
    # mean 3, sample var (4 + 1 + 0 + 9) / 3 = 14 / 3
    np.testing.assert_allclose(S.normalize_map(m, "std"), (m - 3) / math.sqrt(14 / 3))
    with pytest.raises(ValueError, match="constant"):
        S.normalize_map(np.ones((2, 2)), "minmax")
    with pytest.raises(ValueError, match="constant"):
        S.normalize_map(np.ones((2, 2)), "std")
    with pytest.raises(ValueError, match="method must be"):
        S.normalize_map(m, "l2")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="m contains 1 negative"):
        S.normalize_map(-m * np.array([[1, 0], [0, 0]]), "sum")


# ------------------------------------------------------------------------------------------
# map validation
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("m", "match"),
    [
        (np.array([[1.0, -0.5]]), "sal contains 1 negative values"),
        (np.zeros((2, 2)), "sal is all zero"),
        (np.array([[1.0, np.nan]]), "sal contains 1 non-finite"),
        (np.array([[1.0, np.inf]]), "sal contains 1 non-finite"),
        (np.ones((2, 2, 2)), "sal must be a 2-D"),
        (np.ones(4), "sal must be a 2-D"),
        (np.ones((0, 3)), "sal is empty"),
        (np.ones((3, 2)), "shape mismatch: sal has shape"),
    ],
)
def test_check_map_errors(m: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        S.check_map(m, "sal", shape=(2, 2) if m.shape == (3, 2) else None)


def test_check_map_ok_and_fixations() -> None:
    a = S.check_map(np.array([[0, 1]], dtype=np.int32), "x")
    assert a.dtype == np.float64
    with pytest.raises(ValueError, match="fix is an empty fixation map"):
        S.check_fixations(np.zeros((2, 2)), "fix")
    with pytest.raises(ValueError, match="shape mismatch: fix"):
        S.check_fixations(np.ones((2, 2)), "fix", shape=(2, 3))
    assert S.check_fixations(np.array([[True, False]]), "fix").sum() == 1


def test_no_warnings_on_valid_input() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        S.saliency_map([[1.2, 3.4]], (10, 10), 2.0)
        S.fixation_map([[1.2, 3.4]], (10, 10))
