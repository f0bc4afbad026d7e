"""saliqa.explain.masking (MoRF / LeRF, curves, area) and saliqa.explain.halfimage: exact masked
sets on hand-made images, the blur's tie-breaking property, counts, curves, bad input."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from saliqa.explain import area_between, halfimage_explanation, mask_image, masked_batch, masking_curve
from saliqa.explain.halfimage import patch_labels, sample_combinations
from saliqa.explain.masking import blur_explanation, n_masked, pixel_masks, relevance_rank
from saliqa.metrics.correlation import srcc

MEAN_U8 = np.array([124, 116, 104], dtype=np.uint8)  # round(255 * (0.485, 0.456, 0.406))
MEAN_F = np.array([0.485, 0.456, 0.406])


def _image(shape: tuple[int, int], dtype: type) -> np.ndarray:
    rng = np.random.default_rng(0)
    img = rng.integers(150, 256, size=(*shape, 3)).astype(np.uint8)  # never equal to a fill colour
    return img if dtype == np.uint8 else (img / 255.0).astype(dtype)


def _masked(original: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.any(out != original, axis=-1)


# ------------------------------------------------------------------ exact masked sets


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("fill", ["black", "imagenet_mean"])
def test_4x4_morf_lerf_exact(dtype, fill):
    img = _image((4, 4), dtype)
    expl = np.arange(16, dtype=float).reshape(4, 4)  # distinct values, row-major increasing
    colour = np.zeros(3) if fill == "black" else (MEAN_U8 if dtype == np.uint8 else MEAN_F)
    for order, rows in (("morf", [3]), ("lerf", [0])):
        out = mask_image(img, expl, 0.25, order, fill, ksize=1)
        assert out.dtype == img.dtype and out.shape == img.shape
        expected = np.zeros((4, 4), bool)
        expected[rows] = True
        assert np.array_equal(_masked(img, out), expected)
        assert np.allclose(out[expected], np.asarray(colour, dtype=img.dtype))
        assert np.array_equal(out[~expected], img[~expected])
    # 3 of 16 pixels (0.1875 * 16 = 3): MoRF masks the values 13, 14, 15
    out = mask_image(img, expl, 0.1875, "morf", fill, ksize=1)
    assert np.array_equal(np.flatnonzero(_masked(img, out)), [13, 14, 15])


def test_fill_values_on_the_image_scale():
    img = _image((2, 2), np.uint8)
    out = mask_image(img, np.ones((2, 2)), 1.0, "morf", "imagenet_mean")
    assert out.dtype == np.uint8 and np.array_equal(out, np.broadcast_to(MEAN_U8, (2, 2, 3)))
    f = mask_image(img / 255.0, np.ones((2, 2)), 1.0, "lerf", "imagenet_mean")
    assert f.dtype == np.float64 and np.allclose(f, MEAN_F)
    assert np.array_equal(mask_image(img, np.ones((2, 2)), 1.0, fill="black"), np.zeros_like(img))


@pytest.mark.parametrize("order", ["morf", "lerf"])
def test_fraction_zero_and_one(order):
    img = _image((10, 10), np.uint8)
    expl = np.random.default_rng(1).random((10, 10))
    assert np.array_equal(mask_image(img, expl, 0.0, order), img)
    assert np.array_equal(mask_image(img, expl, 1.0, order), np.zeros_like(img))


def test_ties_broken_by_pixel_index_and_counts_exact():
    img = _image((10, 10), np.uint8)
    flat = np.zeros((10, 10))  # all ties: an all-zero map is allowed and ordered by position only
    lerf = _masked(img, mask_image(img, flat, 0.3, "lerf", ksize=1))
    morf = _masked(img, mask_image(img, flat, 0.3, "morf", ksize=1))
    assert np.array_equal(np.flatnonzero(lerf), np.arange(30))  # first 30 in row-major order
    assert np.array_equal(np.flatnonzero(morf), np.arange(70, 100))  # the later pixel is "more relevant"
    levels = np.random.default_rng(2).integers(0, 3, (10, 10)).astype(float)  # many ties
    fractions = np.linspace(0, 1, 21)
    masks = pixel_masks(levels, fractions, "both", ksize=1)
    counts = masks.reshape(2, 21, -1).sum(-1)
    expected = np.floor(fractions * 100 + 0.5)
    assert np.array_equal(counts[0], expected) and np.array_equal(counts[1], expected)
    assert n_masked(0.125, 100) == 13 and n_masked(0.124, 100) == 12  # round half up
    # MoRF at f masks exactly what LeRF keeps at 1 - f (one total order)
    assert np.array_equal(masks[:21][::-1], ~masks[21:])
    # LeRF masks lower levels before higher ones
    lerf40 = masks[21 + 8]
    assert levels[lerf40].max() <= levels[~lerf40].min()


def test_blur_is_opencv_gaussian_with_reflect101():
    e = np.random.default_rng(3).random((60, 70))
    sigma, radius = 10.0, 50
    g = np.exp(-(np.arange(-radius, radius + 1) ** 2) / (2 * sigma**2))
    g /= g.sum()
    expected = ndimage.convolve1d(ndimage.convolve1d(e, g, axis=0, mode="mirror"), g, axis=1, mode="mirror")
    assert np.allclose(blur_explanation(e), expected, atol=1e-12)
    assert np.array_equal(blur_explanation(e, ksize=1), e)


def test_blur_ranks_a_plateau_by_distance_to_the_other_level():
    expl = np.zeros((20, 200))
    expl[:, :100] = 1.0  # two levels, boundary between columns 99 and 100
    b = blur_explanation(expl)
    assert np.all(b == b[:1])  # constant along columns
    row = b[0]
    # within 50 px (the kernel radius) of the other level every pixel has its own value, ordered
    # by its distance to it; farther pixels keep the plateau value exactly
    assert np.all(np.diff(row[49:100]) < 0) and np.all(np.diff(row[100:151]) < 0)
    assert np.all(row[:50] == row[0]) and np.all(row[150:] == 0.0)
    assert row[99] > 0.5 > row[100]
    img = _image((20, 200), np.uint8)
    morf = _masked(img, mask_image(img, expl, 0.25, "morf"))  # 1000 px: the 50 columns farthest inside
    assert np.array_equal(morf, np.repeat((np.arange(200) < 50)[None], 20, 0))
    lerf = _masked(img, mask_image(img, expl, 0.26, "lerf"))  # 1040 px: columns 150..199, then 148, 149
    assert np.array_equal(lerf.sum(0) > 0, np.arange(200) >= 148)
    assert lerf[:, 150:].all() and lerf[:, 149].all() and lerf[:, 148].sum() == 20
    rank = relevance_rank(expl)
    assert rank[0, 0] > rank[0, 99] > rank[0, 100] > rank[0, 199]


def test_masked_batch_equals_single_calls():
    img = _image((12, 9), np.float32)
    expl = np.random.default_rng(4).random((12, 9))
    fractions = [0.0, 0.1, 0.5, 0.9, 1.0]
    batch = masked_batch(img, expl, fractions, "both", "imagenet_mean", ksize=5, sigma=1.0)
    assert batch.shape == (10, 12, 9, 3) and batch.dtype == np.float32
    singles = [
        mask_image(img, expl, f, o, "imagenet_mean", ksize=5, sigma=1.0) for o in ("morf", "lerf") for f in fractions
    ]
    assert np.array_equal(batch, np.stack(singles))


def test_bad_inputs():
    img = _image((4, 4), np.uint8)
    with pytest.raises(ValueError, match="shape mismatch"):
        mask_image(img, np.ones((4, 5)), 0.5)
    with pytest.raises(ValueError, match="negative"):
        mask_image(img, -np.ones((4, 4)), 0.5)
    with pytest.raises(ValueError, match="non-finite"):
        mask_image(img, np.full((4, 4), np.nan), 0.5)
    with pytest.raises(ValueError, match=r"fractions must lie in \[0, 1\]"):
        mask_image(img, np.ones((4, 4)), 1.5)
    with pytest.raises(ValueError, match="order must be one of"):
        mask_image(img, np.ones((4, 4)), 0.5, order="both")
    with pytest.raises(ValueError, match="fill must be one of"):
        mask_image(img, np.ones((4, 4)), 0.5, fill="white")
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        mask_image(img[..., 0], np.ones((4, 4)), 0.5)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        mask_image(img * 2.0, np.ones((4, 4)), 0.5)
    with pytest.raises(ValueError, match="uint8 or float"):
        mask_image(img.astype(np.int32), np.ones((4, 4)), 0.5)
    with pytest.raises(ValueError, match="odd"):
        mask_image(img, np.ones((4, 4)), 0.5, ksize=100)


def test_masking_does_not_import_torch():
    import subprocess

    code = "import sys, saliqa.explain.masking, saliqa.explain; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


# ------------------------------------------------------------------ curves


def _quality_pictures(n: int = 6):
    """Pictures whose 'quality' lives in the top-left 8x8 block R; the bottom-right 8x8 block B
    is anti-ordered. predict = mean(R) + 0.01 mean(B); the explanation marks R."""
    rng = np.random.default_rng(5)
    mos = np.arange(n, dtype=float)
    images = []
    for q in mos:
        img = rng.integers(100, 120, size=(16, 16, 3)).astype(np.uint8)
        img[:8, :8] = 130 + 20 * q
        img[8:, 8:] = 230 - 20 * q
        images.append(img)
    expl = np.zeros((16, 16))
    expl[:8, :8] = 1.0
    return images, [expl] * n, mos


def _predict_r(batch: np.ndarray) -> np.ndarray:
    b = batch.astype(float)
    return b[:, :8, :8].mean(axis=(1, 2, 3)) + 0.01 * b[:, 8:, 8:].mean(axis=(1, 2, 3))


def test_masking_curve_recovers_a_known_effect_and_batches_per_picture():
    images, expls, mos = _quality_pictures()
    calls = []

    def predict(batch):
        calls.append(batch.shape)
        return _predict_r(batch)

    curve = masking_curve(predict, images, expls, mos, [0.0, 0.5], "both", ksize=1)
    assert list(curve.columns) == ["order", "fraction", "srocc", "n", "mean_score"]
    assert calls == [(4, 16, 16, 3)] * 6  # all levels of one picture in one call
    morf = curve[curve.order == "morf"].set_index("fraction").srocc
    lerf = curve[curve.order == "lerf"].set_index("fraction").srocc
    assert morf[0.0] == lerf[0.0] == pytest.approx(srcc(_predict_r(np.stack(images)), mos)) == pytest.approx(1.0)
    assert lerf[0.5] == pytest.approx(1.0)  # R (25 %) kept
    assert morf[0.5] == pytest.approx(-1.0)  # R masked: only the anti-ordered block B is left
    assert area_between(curve[curve.order == "lerf"], curve[curve.order == "morf"]) == pytest.approx(0.5)
    calls.clear()
    again = masking_curve(predict, images, expls, mos, [0.0, 0.5], "both", batch=4, ksize=1)
    assert calls == [(16, 16, 16, 3), (8, 16, 16, 3)]
    pd.testing.assert_frame_equal(curve, again)


def test_masking_curve_constant_level_is_nan_with_warning():
    images, expls, mos = _quality_pictures()
    with pytest.warns(RuntimeWarning, match="constant predictions"):
        curve = masking_curve(_predict_r, images, expls, mos, [0.0, 1.0], "morf")
    assert np.isnan(curve.srocc.iloc[1]) and curve.n.tolist() == [6, 6]


def test_masking_curve_bad_inputs():
    images, expls, mos = _quality_pictures()
    with pytest.raises(ValueError, match="same length"):
        masking_curve(_predict_r, images, expls[:-1], mos, [0.5])
    with pytest.raises(ValueError, match="one score per image"):
        masking_curve(lambda b: np.zeros(3), images, expls, mos, [0.5])
    bad = list(expls)
    bad[2] = np.ones((4, 4))
    with pytest.raises(ValueError, match="picture 2: shape mismatch"):
        masking_curve(_predict_r, images, bad, mos, [0.5])


def test_area_between_hand_computed():
    fr = [0.0, 0.5, 1.0]
    lerf = pd.DataFrame({"fraction": fr, "srocc": [1.0, 0.8, 0.6]})
    morf = pd.DataFrame({"fraction": fr[::-1], "srocc": [0.0, 0.4, 1.0]})  # unsorted on purpose
    # differences 0, 0.4, 0.6 -> 0.5 * (0 + 0.4) / 2 + 0.5 * (0.4 + 0.6) / 2 = 0.35
    assert area_between(lerf, morf) == pytest.approx(0.35)
    assert area_between(morf, lerf) == pytest.approx(-0.35)
    with pytest.raises(ValueError, match="share their fractions"):
        area_between(lerf, morf.assign(fraction=[1.0, 0.4, 0.0]))
    nan_end = lerf.assign(srocc=[1.0, 0.8, np.nan])
    with pytest.warns(RuntimeWarning, match="dropped 1 fraction"):
        assert area_between(nan_end, morf) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="several orders"):
        area_between(pd.concat([lerf.assign(order="lerf"), morf.assign(order="morf")]), morf)


# ------------------------------------------------------------------ HalfImage


def test_halfimage_one_patch_predictor_exact():
    img = _image((60, 80), np.uint8)  # landscape: 3 x 4 grid of 20 x 20 patches
    labels = patch_labels((60, 80), (3, 4))
    assert np.array_equal(labels[::20, ::20], np.arange(12).reshape(3, 4))
    calls = []

    def predict(batch):  # the score depends on patch 5 only (row 1, column 1)
        calls.append(batch.shape[0])
        return batch[:, 20:40, 20:40].astype(float).mean(axis=(1, 2, 3))

    m = halfimage_explanation(predict, img, n_combinations=1000)  # all C(12, 6) = 924 subsets
    assert calls == [925]
    full = img[20:40, 20:40].astype(float).mean()
    # closeness is 0 when patch 5 is kept and -full when it is masked. Patch 5: 0 - (-full) = full. Any
    # other patch p: patch 5 is masked in 6/11 of the subsets keeping p and in 5/11 of those masking p
    # -> -6/11 full + 5/11 full = -full/11. Shifted by the minimum: patch 5 -> full + full/11, others 0.
    expected = np.zeros((3, 4))
    expected[1, 1] = full + full / 11
    assert np.allclose(m, expected.ravel()[labels]) and m.min() == 0
    sampled = halfimage_explanation(predict, img, n_combinations=64)
    assert np.unravel_index(np.argmax(sampled), sampled.shape)[0] // 20 == 1
    assert sampled[30, 30] == sampled.max() and np.sum(sampled == sampled.max()) == 400


def test_halfimage_deterministic_portrait_and_constant():
    img = _image((80, 60), np.float32)  # portrait: 4 x 3

    def predict(batch):
        return batch.reshape(len(batch), -1).mean(1) + batch[:, :20, :20].reshape(len(batch), -1).mean(1)

    a = halfimage_explanation(predict, img, seed=3)
    assert np.array_equal(a, halfimage_explanation(predict, img, seed=3))
    assert len(np.unique(a)) <= 12 and a.shape == (80, 60) and a[0, 0] == a.max()
    assert not np.array_equal(sample_combinations(12, 6, 64, 0), sample_combinations(12, 6, 64, 1))
    kept = sample_combinations(12, 6, 64, 0)
    assert kept.shape == (64, 12) and (kept.sum(1) == 6).all() and len(np.unique(kept, axis=0)) == 64
    flat = halfimage_explanation(lambda b: np.ones(len(b)), img)
    assert np.array_equal(flat, np.zeros((80, 60)))
    with pytest.raises(ValueError, match="keep"):
        halfimage_explanation(predict, img, keep=12)
    with pytest.raises(ValueError, match="finite scores"):
        halfimage_explanation(lambda b: np.ones(3), img)
