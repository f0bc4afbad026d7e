"""Tests of saliqa.metrics.fidelity: PSNR, SSIM, MS-SSIM, EW-PSNR, EW-SSIM.

Two kinds of checks:

- hand-computed values (constant offsets, constant images, identical images, uniform saliency);
- agreement with the official MATLAB values of ``tid2013-calibration/ResultsCalibra`` (5 TID2013
  pairs): PSNR (skimage on RGB), SSIM (Wang's ``ssim.m`` on ``rgb2gray`` input without the
  automatic downsampling) and MS-SSIM (Wang's ``msssim.m`` on ``rgb2gray`` input, weighted-sum
  pooling), each within a per-metric tolerance set by the precision the official values are
  printed with.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import tid2013_calibration

from saliqa.metrics import fidelity as F

PAIRS = ("I03.bmp", "I04.bmp", "I06.bmp", "I08.bmp", "I19.bmp")


# --------------------------------------------------------------------------- fixtures / helpers


def _texture(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """A smooth-plus-noise uint8 test image (values well inside 10..245)."""
    rng = np.random.default_rng(seed)
    h, w = shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    base = 128 + 60 * np.sin(xx / 7.0) * np.cos(yy / 11.0)
    if len(shape) == 3:
        base = base[..., None] + np.array([-20.0, 0.0, 20.0])
    noise = rng.normal(0, 15, size=shape)
    return np.clip(base + noise, 10, 245).round().astype(np.uint8)


@pytest.fixture(scope="module")
def calib(shared_data: Path) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Official values (rows: metric) and the 5 (ref, dist) uint8 RGB pairs (conftest.tid2013_calibration)."""
    return tid2013_calibration(shared_data, PAIRS)


# --------------------------------------------------------------------------- official MATLAB values

# How each official value of ResultsCalibra/results_official.csv was produced, in our conventions:
# - psnr: skimage peak_signal_noise_ratio on the 3 RGB channels, printed to 2 decimals;
# - ssim: ssim.m with its downsampling removed, on MATLAB rgb2gray(uint8) (rounded) input, 4 decimals;
# - ms_ssim: msssim.m on rgb2gray(uint8) input with method='wtd_sum' (weights / sum(weights), weighted
#   mean of the per-scale terms), 4 decimals. The default 'product' pooling (eq. 7) on the same input
#   is 0.0033 (I03) and 0.0044 (I19) below the official values; 'wtd_sum' matches all five to 3.4e-5.
#   Grey rounding (half away / to even / none / floor), uint8 rounding of the pyramid, the 2x2
#   downsampling variants (imfilter symmetric, filter2 zero pad, block means: identical on 512 x 384),
#   'same' filtering, MATLAB's multissim, K1 / K2, normalised weights and clamping cs >= 0 all leave
#   a gap >= 2.7e-3 on I03 with product pooling (README, "Fidelity metrics vs official MATLAB values").
OFFICIAL_CONVENTIONS = {
    "psnr": lambda ref, dist: F.psnr(ref, dist, data_range=255, color="rgb"),
    "ssim": lambda ref, dist: F.ssim(ref, dist, color="rgb2gray", quantize=True, downsample=False),
    "ms_ssim": lambda ref, dist: F.ms_ssim(ref, dist, color="rgb2gray", quantize=True, pooling="wtd_sum"),
}
# Tolerance = half a unit of the last printed decimal (the rounding of the official value) + 1e-5.
# Measured max |ours - official| over the 5 pairs: psnr 3.9e-3 dB, ssim 4.7e-5, ms_ssim 3.4e-5.
OFFICIAL_DECIMALS = {"psnr": 2, "ssim": 4, "ms_ssim": 4}
OFFICIAL_TOL = {metric: 0.5 * 10.0**-d + 1e-5 for metric, d in OFFICIAL_DECIMALS.items()}


@pytest.mark.shared_data
@pytest.mark.parametrize("metric", sorted(OFFICIAL_CONVENTIONS))
@pytest.mark.parametrize("name", PAIRS)
def test_matches_official_matlab(calib, metric: str, name: str) -> None:
    official, pairs = calib
    value = OFFICIAL_CONVENTIONS[metric](*pairs[name])
    assert abs(value - official.loc[metric, name]) <= OFFICIAL_TOL[metric]


# The same msssim.m run earlier on the Y channel of rgb2ycbcr (double input) with its default
# 'product' pooling gave these (IQA-PyTorch @ e144d24, ResultsCalibra/ms_ssim_org_result.txt,
# 4 decimals); our product pooling matches them to 3.1e-5.
MS_SSIM_YCBCR_MATLAB = {"I03.bmp": 0.6981, "I04.bmp": 0.9998, "I06.bmp": 0.9999, "I08.bmp": 0.9570, "I19.bmp": 0.8547}


@pytest.mark.shared_data
@pytest.mark.parametrize("name", PAIRS)
def test_ms_ssim_product_matches_matlab_on_ycbcr(calib, name: str) -> None:
    _, pairs = calib
    value = F.ms_ssim(*pairs[name], color="ycbcr_y", quantize=False, pooling="product")
    assert abs(value - MS_SSIM_YCBCR_MATLAB[name]) <= OFFICIAL_TOL["ms_ssim"]


@pytest.mark.shared_data
def test_ms_ssim_defaults_round_uint8_grey(calib) -> None:
    # quantize=None rounds rgb2gray on uint8 input, so the defaults plus pooling="wtd_sum" are
    # the official convention
    _, pairs = calib
    ref, dist = pairs["I03.bmp"]
    assert F.ms_ssim(ref, dist, pooling="wtd_sum") == F.ms_ssim(ref, dist, quantize=True, pooling="wtd_sum")


# --------------------------------------------------------------------------- PSNR, hand-computed


def test_psnr_constant_offset_uint8() -> None:
    ref = _texture((32, 40, 3))
    dist = ref + np.uint8(5)  # values <= 250: no wrap-around; error 5 everywhere, MSE = 25
    assert F.psnr(ref, dist) == pytest.approx(10 * math.log10(255**2 / 25), abs=1e-12)
    assert F.mse(ref, dist) == pytest.approx(25.0)


def test_psnr_constant_offset_float_unit_range() -> None:
    ref = _texture((16, 16)).astype(np.float64) / 255
    dist = ref + 0.01
    assert F.psnr(ref, dist, data_range=1.0) == pytest.approx(10 * math.log10(1 / 1e-4), abs=1e-9)


def test_psnr_identical_is_inf() -> None:
    img = _texture((8, 8, 3))
    assert F.psnr(img, img) == math.inf


def test_psnr_luma_conventions() -> None:
    ref = np.full((4, 4, 3), 100, np.uint8)
    dist = np.full((4, 4, 3), 110, np.uint8)
    # rgb2gray weights sum to 1: a grey offset of 10 stays 10 -> MSE 100
    assert F.psnr(ref, dist, color="rgb2gray") == pytest.approx(10 * math.log10(255**2 / 100))
    # BT.601 studio range: Y = 16 + 219 v / 255; 100 -> 101.882 and 110 -> 110.471, rounded on
    # uint8 input to 102 and 110 (MSE 64), unrounded a difference of 10 * 219 / 255
    assert F.psnr(ref, dist, color="ycbcr_y", quantize=True) == pytest.approx(10 * math.log10(255**2 / 64))
    exact = 10 * 219 / 255
    assert F.psnr(ref, dist, color="ycbcr_y", quantize=False) == pytest.approx(10 * math.log10(255**2 / exact**2))


# --------------------------------------------------------------------------- building blocks


def test_rgb2gray_weights_are_matlabs() -> None:
    ntsc = np.array([[1.0, 0.956, 0.621], [1.0, -0.272, -0.647], [1.0, -1.106, 1.703]])
    np.testing.assert_allclose(F.RGB2GRAY_WEIGHTS, np.linalg.inv(ntsc)[0], atol=1e-15)


def test_ycbcr_weights_are_matlabs() -> None:
    # rgb2ycbcr's luma row is BT.601 luma times 219 studio-range levels, exactly MATLAB's literals
    assert F.YCBCR_Y_WEIGHTS == (65.481, 128.553, 24.966)


def test_convert_color_values() -> None:
    img = np.array([[[255, 255, 255], [0, 0, 0]]], np.uint8)
    np.testing.assert_array_equal(F.convert_color(img, "ycbcr_y", quantize=True), [[235.0, 16.0]])
    np.testing.assert_array_equal(F.convert_color(img, "rgb2gray", quantize=True), [[255.0, 0.0]])
    # halves round away from zero (MATLAB), not to even (numpy)
    np.testing.assert_array_equal(F._round_half_away(np.array([0.5, 1.5, 2.5, -0.5])), [1.0, 2.0, 3.0, -1.0])


def test_gaussian_window_is_fspecial() -> None:
    g = F.gaussian_window(11, 1.5)
    x = np.arange(-5, 6)
    w2 = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * 1.5**2))
    np.testing.assert_allclose(np.outer(g, g), w2 / w2.sum(), atol=1e-16)
    with pytest.raises(ValueError, match="window_size"):
        F.gaussian_window(10, 1.5)


@pytest.mark.parametrize(("shape", "factor"), [((384, 512), 2), ((640, 700), 3), ((255, 900), 1), ((100, 100), 1)])
def test_auto_downsample_factor(shape: tuple[int, int], factor: int) -> None:
    # 384/256 = 1.5 -> 2 and 640/256 = 2.5 -> 3: MATLAB rounds halves away from zero
    assert F.auto_downsample_factor(shape) == factor


def test_box_downsample_matches_matlab_anchor() -> None:
    a = np.arange(20, dtype=float).reshape(4, 5)
    out = F.box_downsample(a, 2)
    # even rows: exact 2x2 block means; last odd column: symmetric pad repeats column 4
    expected = np.array([[3.0, 5.0, 6.5], [13.0, 15.0, 16.5]])
    np.testing.assert_allclose(out, expected)
    # odd f = 3: kernel centred (offsets -1..1), pixels 0 and 3 kept; a3[r, c] = 6 r + c and the
    # symmetric pad repeats row / column 0, so the first mean is 6 * 1/3 + 1/3
    a3 = np.arange(36, dtype=float).reshape(6, 6)
    np.testing.assert_allclose(F.box_downsample(a3, 3), [[7 / 3, 5.0], [55 / 3, 21.0]])


# --------------------------------------------------------------------------- SSIM, hand-computed


@pytest.mark.parametrize("shape", [(40, 48), (40, 48, 3)])
@pytest.mark.parametrize("downsample", ["auto", False])
def test_ssim_identical_is_one(shape: tuple[int, ...], downsample) -> None:
    img = _texture(shape)
    value, smap = F.ssim(img, img, downsample=downsample, color="rgb", return_map=True)
    assert value == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(smap, 1.0, atol=1e-12)
    assert smap.shape == (30, 38)


def test_ssim_constant_images_is_luminance_term() -> None:
    a, b = 100.0, 140.0
    c1 = (0.01 * 255) ** 2
    value = F.ssim(np.full((20, 20), a), np.full((20, 20), b), downsample=False)
    assert value == pytest.approx((2 * a * b + c1) / (a**2 + b**2 + c1), abs=1e-12)


def test_ssim_map_shape_with_auto_downsampling() -> None:
    img = _texture((600, 530))
    dist = np.clip(img.astype(int) + 3, 0, 255).astype(np.uint8)
    _, smap = F.ssim(img, dist, downsample="auto", return_map=True)  # f = round(530/256) = 2
    assert smap.shape == (300 - 10, 265 - 10)
    _, smap3 = F.ssim(img, dist, downsample=3, return_map=True)
    assert smap3.shape == (200 - 10, 177 - 10)


def test_ssim_is_symmetric_and_below_one() -> None:
    ref = _texture((48, 48), seed=1)
    dist = _texture((48, 48), seed=2)
    assert F.ssim(ref, dist) == pytest.approx(F.ssim(dist, ref), abs=1e-12)
    assert F.ssim(ref, dist) < 1.0


# --------------------------------------------------------------------------- MS-SSIM


def test_ms_ssim_identical_is_one() -> None:
    img = _texture((180, 190, 3))
    assert F.ms_ssim(img, img) == pytest.approx(1.0, abs=1e-12)


def test_ms_ssim_constant_images() -> None:
    # cs = 1 at every scale (no variance), so MS-SSIM = l^w5 at the coarsest scale
    a, b = 100.0, 140.0
    c1 = (0.01 * 255) ** 2
    value = F.ms_ssim(np.full((176, 176), a), np.full((176, 176), b))
    assert value == pytest.approx(((2 * a * b + c1) / (a**2 + b**2 + c1)) ** 0.1333, abs=1e-12)


def test_ms_ssim_weighted_sum_pooling_constant_images() -> None:
    # cs = 1 at scales 1..4 and SSIM = l at scale 5: wtd_sum = (w1 + .. + w4 + w5 l) / sum(w)
    a, b = 100.0, 140.0
    c1 = (0.01 * 255) ** 2
    lum = (2 * a * b + c1) / (a**2 + b**2 + c1)
    w = np.asarray(F.MS_SSIM_WEIGHTS)
    value = F.ms_ssim(np.full((176, 176), a), np.full((176, 176), b), pooling="wtd_sum")
    assert value == pytest.approx((w[:4].sum() + w[4] * lum) / w.sum(), abs=1e-12)


def test_ms_ssim_weighted_sum_needs_no_positive_terms() -> None:
    ref = _texture((176, 176), seed=3)
    dist = 255 - ref  # negative cs terms: defined for the weighted mean, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = F.ms_ssim(ref, dist, pooling="wtd_sum")
    assert math.isfinite(value) and value < 0.5


def test_ms_ssim_bad_pooling_raises() -> None:
    img = _texture((176, 176))
    with pytest.raises(ValueError, match="pooling"):
        F.ms_ssim(img, img, pooling="mean")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive sum"):
        F.ms_ssim(img, img, weights=(0.0,) * 5, pooling="wtd_sum")


def test_ms_ssim_too_small_raises() -> None:
    img = _texture((170, 200))
    with pytest.raises(ValueError, match="too small"):
        F.ms_ssim(img, img)


def test_ms_ssim_negative_cs_warns_nan() -> None:
    ref = _texture((176, 176), seed=3)
    dist = 255 - ref  # anti-correlated structure: negative contrast-structure terms
    with pytest.warns(RuntimeWarning, match="negative"):
        assert math.isnan(F.ms_ssim(ref, dist))


# --------------------------------------------------------------------------- EW-PSNR / EW-SSIM


@pytest.mark.parametrize("shape", [(30, 40), (30, 40, 3)])
def test_ew_psnr_uniform_saliency_equals_psnr(shape: tuple[int, ...]) -> None:
    ref, dist = _texture(shape, seed=4), _texture(shape, seed=5)
    for level in (1.0, 0.37):
        assert F.ew_psnr(ref, dist, np.full((30, 40), level)) == pytest.approx(F.psnr(ref, dist), abs=1e-10)


def test_ew_psnr_concentrated_saliency() -> None:
    ref = _texture((30, 40))
    dist = ref.astype(np.float64)
    dist[:, 20:] += 4.0  # error 4 on the right half, none on the left
    sal = np.zeros((30, 40))
    sal[5:25, 2:15] = 1.0
    # all weight on an error-free region: weighted MSE = 0 -> +inf (documented, no warning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert F.ew_psnr(ref, dist, sal) == math.inf
    # all weight on the distorted half: WMSE = 16
    sal_right = np.zeros((30, 40))
    sal_right[:, 25:] = 3.0
    assert F.ew_psnr(ref, dist, sal_right) == pytest.approx(10 * math.log10(255**2 / 16))


def test_ew_psnr_resized_saliency() -> None:
    ref, dist = _texture((30, 40), seed=6), _texture((30, 40), seed=7)
    small = np.ones((15, 20))
    with pytest.raises(ValueError, match="saliency shape"):
        F.ew_psnr(ref, dist, small)
    assert F.ew_psnr(ref, dist, small, resize_saliency=True) == pytest.approx(F.psnr(ref, dist))


@pytest.mark.parametrize("downsample", [False, "auto"])
def test_ew_ssim_uniform_saliency_equals_mean_map(downsample) -> None:
    # 392 x 400: the "auto" factor is round(392 / 256) = 2, so the saliency is downsampled too
    ref, dist = _texture((392, 400), seed=8), _texture((392, 400), seed=9)
    value, smap = F.ssim(ref, dist, downsample=downsample, return_map=True)
    assert value == pytest.approx(float(smap.mean()), abs=1e-15)
    for alignment in ("crop", "window"):
        ew = F.ew_ssim(ref, dist, np.full((392, 400), 2.0), downsample=downsample, alignment=alignment)
        assert ew == pytest.approx(value, abs=1e-12)


def test_ew_ssim_crop_alignment_is_centre_pixel_weighting() -> None:
    ref, dist = _texture((40, 50), seed=10), _texture((40, 50), seed=11)
    rng = np.random.default_rng(0)
    sal = rng.random((40, 50))
    _, smap = F.ssim(ref, dist, downsample=False, return_map=True)
    crop = sal[5:-5, 5:-5]
    expected = float(np.sum(crop * smap) / crop.sum())
    assert F.ew_ssim(ref, dist, sal, downsample=False) == pytest.approx(expected, abs=1e-12)


def test_ew_ssim_concentrated_on_identical_region() -> None:
    ref = _texture((60, 60))
    dist = ref.copy()
    dist[:, 30:] = _texture((60, 30), seed=12)
    sal = np.zeros((60, 60))
    sal[10:50, 5:15] = 1.0  # windows centred here (radius 5) never reach column 30
    assert F.ew_ssim(ref, dist, sal, downsample=False) == pytest.approx(1.0, abs=1e-12)
    assert F.ssim(ref, dist, downsample=False) < 0.9


def test_ew_ssim_saliency_only_in_cropped_border_raises() -> None:
    ref, dist = _texture((30, 30), seed=13), _texture((30, 30), seed=14)
    sal = np.zeros((30, 30))
    sal[:3, :] = 1.0
    with pytest.raises(ValueError, match="saliency"):
        F.ew_ssim(ref, dist, sal, downsample=False, alignment="crop")


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "func",
    [
        F.psnr,
        F.ssim,
        F.ms_ssim,
        lambda r, d: F.ew_psnr(r, d, np.ones(r.shape[:2])),
        lambda r, d: F.ew_ssim(r, d, np.ones(r.shape[:2])),
    ],
)
def test_bad_images_raise(func) -> None:
    ref = _texture((180, 180))
    with pytest.raises(ValueError, match="ref and dist"):
        func(ref, ref[:-1])
    bad = ref.astype(float)
    bad[3, 3] = np.nan
    with pytest.raises(ValueError, match="ref contains NaN"):
        func(bad, ref)
    with pytest.raises(ValueError, match="dist contains NaN"):
        func(ref, bad)
    with pytest.raises(ValueError, match=r"ref must have shape"):
        func(np.zeros((180, 180, 4)), np.zeros((180, 180, 4)))


@pytest.mark.parametrize("func", [F.ew_psnr, F.ew_ssim])
def test_bad_saliency_raises(func) -> None:
    ref, dist = _texture((30, 30), seed=15), _texture((30, 30), seed=16)
    neg = np.ones((30, 30))
    neg[0, 0] = -1
    nan = np.ones((30, 30))
    nan[1, 1] = np.nan
    for sal, msg in [
        (neg, "saliency must be non-negative"),
        (np.zeros((30, 30)), "saliency is all zero"),
        (nan, "saliency contains NaN"),
        (np.ones((30, 31)), "saliency shape"),
        (np.ones((30, 30, 3)), "saliency must be a 2-D map"),
    ]:
        with pytest.raises(ValueError, match=msg):
            func(ref, dist, sal)


def test_bad_parameters_raise() -> None:
    img = _texture((30, 30))
    with pytest.raises(ValueError, match="data_range"):
        F.psnr(img, img, data_range=0)
    with pytest.raises(ValueError, match="color"):
        F.ssim(img, img, color="lab")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="downsample"):
        F.ssim(img, img, downsample="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="window_size"):
        F.ssim(img, img, window_size=8)
    with pytest.raises(ValueError, match="smaller than"):
        F.ssim(img[:8, :8], img[:8, :8], downsample=False)
    with pytest.raises(ValueError, match="alignment"):
        F.ew_ssim(img, img, np.ones((30, 30)), alignment="centre")  # type: ignore[arg-type]


def test_scale_warnings() -> None:
    img = _texture((20, 20)).astype(np.float64) / 255
    with pytest.warns(UserWarning, match="data_range=1"):
        F.psnr(img, img * 0.9, data_range=255)
    with pytest.warns(UserWarning, match="outside"):
        F.psnr(img * 255, img * 200, data_range=1.0)
