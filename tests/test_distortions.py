"""Tests of saliqa.distortions: shapes, determinism, hand-checked kernels, validation."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data

from saliqa import distortions as D


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A real RGB photograph (the cat of skimage.data), 150 x 226 (every second pixel)."""
    return skimage.data.chelsea()[::2, ::2].copy()


@pytest.fixture(scope="module")
def grey() -> np.ndarray:
    return skimage.data.camera()[::2, ::2].copy()


CALLS = {
    "jpeg": lambda im: D.jpeg(im, 30),
    "gaussian_blur": lambda im: D.gaussian_blur(im, 1.5),
    "motion_blur": lambda im: D.motion_blur(im, 7, 30),
    "contrast_change": lambda im: D.contrast_change(im, 0.5),
    "white_noise": lambda im: D.white_noise(im, 10, seed=3),
    "exposure": lambda im: D.exposure(im, -1.0),
    "nonuniform_jpeg": lambda im: D.nonuniform_jpeg(im, 10, seed=3),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_dtype_shape_and_determinism(name, photo, grey):
    for image in (photo, grey):
        before = image.copy()
        out = CALLS[name](image)
        assert out.dtype == np.uint8 and out.shape == image.shape
        assert not np.shares_memory(out, image)
        np.testing.assert_array_equal(out, CALLS[name](image))
        np.testing.assert_array_equal(image, before)  # input untouched
        assert np.any(out != image)


def test_registry_apply_matches_functions(photo):
    assert D.names() == (
        "jpeg",
        "gaussian_blur",
        "motion_blur",
        "contrast_change",
        "white_noise",
        "exposure",
        "nonuniform_jpeg",
    )
    np.testing.assert_array_equal(D.apply(photo, "jpeg", 30), D.jpeg(photo, 30))
    np.testing.assert_array_equal(D.apply(photo, "motion_blur", 7, options={"angle": 30}), D.motion_blur(photo, 7, 30))
    np.testing.assert_array_equal(D.apply(photo, "white_noise", 10, seed=3), D.white_noise(photo, 10, seed=3))
    for entry in D.REGISTRY.values():
        for level in entry.default_levels:
            entry.check(level)


def test_jpeg_quality_monotonic_on_real_photo(photo):
    qualities = [5, 10, 20, 40, 60, 80, 95]
    mse = [np.mean((D.jpeg(photo, q).astype(float) - photo) ** 2) for q in qualities]
    sizes = [D.jpeg_bytes_size(photo, q) for q in qualities]
    assert all(a > b for a, b in zip(mse, mse[1:])), mse
    assert all(a < b for a, b in zip(sizes, sizes[1:])), sizes
    assert mse[-1] < 10 < mse[0]


def test_jpeg_accepts_integral_float_and_subsampling(photo):
    np.testing.assert_array_equal(D.jpeg(photo, 30.0), D.jpeg(photo, 30))
    err420 = np.mean((D.jpeg(photo, 90, "4:2:0").astype(float) - photo) ** 2)
    err444 = np.mean((D.jpeg(photo, 90, "4:4:4").astype(float) - photo) ** 2)
    assert err444 < err420


def _impulse(size: int = 21) -> np.ndarray:
    image = np.zeros((size, size), np.uint8)
    image[size // 2, size // 2] = 255
    return image


def test_motion_blur_impulse_axis_aligned():
    c = 10
    out = D.motion_blur(_impulse(), 5, 0)
    expected = np.zeros_like(out)
    expected[c, c - 2 : c + 3] = 51  # 255 / 5 on five pixels of the centre row
    np.testing.assert_array_equal(out, expected)
    vertical = D.motion_blur(_impulse(), 5, 90)
    np.testing.assert_array_equal(vertical, expected.T)
    # even length 4: three full pixels and two half-weight end pixels (weights 1,1,1 / 0.5 x 2)
    kernel = D.motion_blur_kernel(4, 0)
    row = kernel[kernel.shape[0] // 2]
    np.testing.assert_allclose(row[row > 0], np.array([0.5, 1, 1, 1, 0.5]) / 4)


def test_motion_blur_impulse_diagonal_direction_and_length():
    out = D.motion_blur(_impulse(41), 15, 45).astype(float)
    rows, cols = np.nonzero(out)
    w = out[rows, cols]
    x = cols - 20.0
    y = -(rows - 20.0)  # displayed y axis points up
    assert abs(np.average(x, weights=w)) < 1e-9 and abs(np.average(y, weights=w)) < 1e-9
    cov = np.cov(np.stack([x, y]), aweights=w)
    evals, evecs = np.linalg.eigh(cov)
    major = evecs[:, 1]
    angle = np.degrees(np.arctan2(major[1], major[0])) % 180
    assert abs(angle - 45) < 1.0
    # extent along the line: for a segment of length L, std = L / sqrt(12) (here ~ +- 0.5 px)
    assert abs(np.sqrt(12 * evals[1]) - 15) < 1.0
    assert np.sqrt(evals[0]) < 0.6  # about one pixel wide
    # up-right / down-left pixels lit, up-left / down-right dark
    assert out[15, 25] > 0 and out[25, 15] > 0 and out[15, 15] == 0 and out[25, 25] == 0


def test_motion_blur_length_one_is_identity(photo):
    np.testing.assert_array_equal(D.motion_blur(photo, 1, 33), photo)


@pytest.mark.parametrize("value", [0, 77, 255])
def test_blur_of_constant_image_is_constant(value):
    image = np.full((17, 23, 3), value, np.uint8)
    np.testing.assert_array_equal(D.gaussian_blur(image, 2.7), image)
    np.testing.assert_array_equal(D.motion_blur(image, 9, 30), image)


def test_gaussian_blur_sigma_zero_identity_and_smoothing(photo):
    np.testing.assert_array_equal(D.gaussian_blur(photo, 0), photo)
    grad = lambda im: np.abs(np.diff(im.astype(float), axis=1)).mean()  # noqa: E731
    assert grad(D.gaussian_blur(photo, 3)) < grad(D.gaussian_blur(photo, 1)) < grad(photo)


def test_contrast_change(photo, grey):
    np.testing.assert_array_equal(D.contrast_change(photo, 1), photo)
    np.testing.assert_array_equal(D.contrast_change(grey, 1.0, about="mid-grey"), grey)
    flat = D.contrast_change(grey, 0)
    assert np.unique(flat).size == 1 and abs(int(flat[0, 0]) - grey.mean()) <= 0.5
    low = D.contrast_change(grey, 0.5)
    assert low.std() == pytest.approx(grey.std() / 2, rel=0.02)
    assert low.mean() == pytest.approx(grey.mean(), abs=0.5)
    np.testing.assert_array_equal(D.contrast_change(np.array([[0, 255]], np.uint8), 0.5, about="mid-grey"), [[64, 191]])


def test_white_noise(photo):
    np.testing.assert_array_equal(D.white_noise(photo, 0, seed=5), photo)
    a, b = D.white_noise(photo, 8, seed=1), D.white_noise(photo, 8, seed=2)
    assert np.any(a != b)
    mid = np.full((200, 200), 128, np.uint8)
    diff = D.white_noise(mid, 8, seed=0).astype(float) - 128
    assert abs(diff.mean()) < 0.2 and diff.std() == pytest.approx(8, rel=0.03)


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda im: D.jpeg(im.astype(float), 50), "image"),
        (lambda im: D.jpeg(im, 0), "quality"),
        (lambda im: D.jpeg(im, 101), "quality"),
        (lambda im: D.jpeg(im, 50.5), "quality"),
        (lambda im: D.jpeg(im, 50, subsampling="4:1:1"), "subsampling"),
        (lambda im: D.jpeg_bytes_size(im, 0), "quality"),
        (lambda im: D.gaussian_blur(im, -1), "sigma"),
        (lambda im: D.gaussian_blur(im, float("nan")), "sigma"),
        (lambda im: D.motion_blur(im, 0.5, 0), "length"),
        (lambda im: D.motion_blur(im, 5, float("inf")), "angle"),
        (lambda im: D.contrast_change(im, -0.1), "factor"),
        (lambda im: D.contrast_change(im, 0.5, about="median"), "about"),
        (lambda im: D.white_noise(im, -2), "sigma"),
        (lambda im: D.white_noise(im, 2, seed=-1), "seed"),
        (lambda im: D.gaussian_blur(im[None], 1), "image"),
        (lambda im: D.gaussian_blur(im[..., :2], 1), "image"),
        (lambda im: D.white_noise(im[:4, :4].tolist(), 1), "image"),
        (lambda im: D.apply(im, "pixelate", 3), "name"),
        (lambda im: D.apply(im, "jpeg", 30, options={"angle": 3}), "options"),
        (lambda im: D.exposure(im, 11), "stops"),
        (lambda im: D.random_mask((10, 10), coverage=1.5), "coverage"),
        (lambda im: D.random_mask((10, 10), cells=0), "cells"),
        (lambda im: D.random_mask((10, 0)), "shape"),
        (lambda im: D.blend(im, im, np.zeros(im.shape[:2]) + 2), "mask"),
        (lambda im: D.blend(im, im, np.zeros((3, 3))), "mask"),
        (lambda im: D.blend(im, im[:, :-1], np.zeros(im.shape[:2])), "distorted"),
        (lambda im: D.regional(im, "jpeg", 0, np.zeros(im.shape[:2])), "quality"),
        (lambda im: D.nonuniform_jpeg(im, 30, coverage=-0.1), "coverage"),
    ],
)
def test_bad_input_raises_value_error_naming_argument(photo, call, argument):
    with pytest.raises(ValueError, match=argument):
        call(photo)


def test_exposure_hand_values_and_direction(photo, grey):
    np.testing.assert_array_equal(D.exposure(photo, 0), photo)
    # sRGB 188 is linear 0.5029 (IEC 61966-2-1); one stop down: linear 0.2514 -> 137; 255 -> 0.5 -> 187.5
    ramp = np.array([[0, 188, 255]], np.uint8)
    np.testing.assert_array_equal(D.exposure(ramp, -1), [[0, 137, 188]])
    # one stop up doubles the light: 137 -> linear 0.2502 -> 0.5004 -> 188; 188 and 255 clip to white
    np.testing.assert_array_equal(D.exposure(np.array([[137, 188, 255]], np.uint8), 1), [[188, 255, 255]])
    assert D.exposure(grey, 1).mean() > grey.mean() > D.exposure(grey, -1).mean()
    assert (D.exposure(photo, 2) == 255).mean() > (photo == 255).mean() + 0.1  # blown highlights


def test_random_mask_coverage_smoothness_and_determinism():
    m = D.random_mask((120, 200), coverage=0.3, cells=4, seed=7)
    assert m.shape == (120, 200) and m.min() >= 0 and m.max() <= 1
    assert (m > 0.5).mean() == pytest.approx(0.3, abs=0.01)
    np.testing.assert_array_equal(m, D.random_mask((120, 200), coverage=0.3, cells=4, seed=7))
    assert np.any(m != D.random_mask((120, 200), coverage=0.3, cells=4, seed=8))
    # smooth: neighbouring pixels differ little; more cells, smaller blobs (more edges)
    assert np.abs(np.diff(m, axis=1)).max() < 0.5
    fine = D.random_mask((120, 200), coverage=0.3, cells=16, seed=7)
    assert np.abs(np.diff(fine, axis=1)).sum() > np.abs(np.diff(m, axis=1)).sum()
    np.testing.assert_array_equal(D.random_mask((5, 6), coverage=1.0), np.ones((5, 6)))
    np.testing.assert_array_equal(D.random_mask((5, 6), coverage=0.0), np.zeros((5, 6)))


def test_blend_and_regional(photo, grey):
    dist = D.jpeg(photo, 10)
    zeros, ones = np.zeros(photo.shape[:2]), np.ones(photo.shape[:2])
    np.testing.assert_array_equal(D.blend(photo, dist, zeros), photo)
    np.testing.assert_array_equal(D.blend(photo, dist, ones), dist)
    half = D.blend(np.array([[10, 200]], np.uint8), np.array([[20, 101]], np.uint8), np.full((1, 2), 0.5))
    np.testing.assert_array_equal(half, [[15, 150]])  # 150.5 rounds to even
    left = np.zeros(photo.shape[:2])
    left[:, : photo.shape[1] // 2] = 1.0
    out = D.regional(photo, "gaussian_blur", 3.0, left)
    half_w = photo.shape[1] // 2
    np.testing.assert_array_equal(out[:, :half_w], D.gaussian_blur(photo, 3.0)[:, :half_w])
    np.testing.assert_array_equal(out[:, half_w:], photo[:, half_w:])
    g = D.regional(grey, "white_noise", 20, np.ones(grey.shape), seed=4)
    np.testing.assert_array_equal(g, D.white_noise(grey, 20, seed=4))


def test_nonuniform_jpeg_is_regional(photo):
    out = D.apply(photo, "nonuniform_jpeg", 10, seed=5, options={"coverage": 0.3})
    np.testing.assert_array_equal(out, D.nonuniform_jpeg(photo, 10, seed=5, coverage=0.3))
    mask = D.random_mask(photo.shape[:2], 0.3, seed=5)
    err = np.abs(out.astype(float) - photo).mean(axis=2)
    full = np.abs(D.jpeg(photo, 10).astype(float) - photo).mean(axis=2)
    assert err[mask < 0.01].max() <= 0.5  # untouched outside the region (up to rounding)
    np.testing.assert_allclose(err[mask > 0.99].mean(), full[mask > 0.99].mean(), rtol=0.05)
    assert np.any(out != D.nonuniform_jpeg(photo, 10, seed=6, coverage=0.3))
