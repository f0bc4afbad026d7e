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
    assert D.names() == ("jpeg", "gaussian_blur", "motion_blur", "contrast_change", "white_noise")
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
    ],
)
def test_bad_input_raises_value_error_naming_argument(photo, call, argument):
    with pytest.raises(ValueError, match=argument):
        call(photo)
