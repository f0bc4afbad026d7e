"""Tests of the saliency-map post-processing (seed 002's "map transforms [37]")."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from saliqa import map_transforms as mt
from saliqa.saliency import centre_prior


def test_histogram_match_hand_values_and_ties():
    m = np.array([[3.0, 1.0], [2.0, 2.0]])
    out = mt.histogram_match(m, np.array([30.0, 10.0, 40.0, 20.0]))
    # ranks: 1 -> 10; the tied 2s share ranks 1, 2 -> mean(20, 30) = 25; 3 -> 40
    np.testing.assert_array_equal(out, [[40.0, 10.0], [25.0, 25.0]])


def test_histogram_match_reference_of_another_size():
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    # quantiles at (r + 0.5) / 4 = .125, .375, .625, .875 of a reference placed at .25, .75
    out = mt.histogram_match(m, np.array([1.0, 0.0]))
    np.testing.assert_allclose(out, [[0.0, 0.25], [0.75, 1.0]])


def test_histogram_match_is_monotone_and_takes_reference_values():
    rng = np.random.default_rng(0)
    m = rng.random((6, 7))
    ref = rng.gamma(0.5, size=42)
    out = mt.histogram_match(m, ref)
    assert spearmanr(m.ravel(), out.ravel())[0] == pytest.approx(1.0)
    np.testing.assert_allclose(np.sort(out.ravel()), np.sort(ref))


def test_gamma_hand_values():
    out = mt.gamma(np.array([[0.0, 2.0], [4.0, 1.0]]), 2.0)
    np.testing.assert_allclose(out, [[0.0, 0.25], [1.0, 0.0625]])
    batch = mt.gamma(np.stack([np.ones((2, 2)), np.zeros((2, 2))]), 0.5)
    np.testing.assert_array_equal(batch[1], 0.0)
    with pytest.raises(ValueError, match="g"):
        mt.gamma(np.ones((2, 2)), 0.0)


def test_blend_centre_prior_values():
    m = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    c = centre_prior((2, 3), 0.25)
    np.testing.assert_allclose(mt.blend_centre_prior(m, 0.0), m / 2)
    np.testing.assert_allclose(mt.blend_centre_prior(m, 1.0), c)
    np.testing.assert_allclose(mt.blend_centre_prior(m, 0.3), 0.7 * m / 2 + 0.3 * c)
    np.testing.assert_allclose(mt.blend_centre_prior(np.zeros((2, 3)), 0.5), 0.5 * c)
    with pytest.raises(ValueError, match="weight"):
        mt.blend_centre_prior(m, 1.5)


def test_apply_transform_dispatch_and_errors():
    rng = np.random.default_rng(1)
    maps = rng.random((3, 4, 5))
    np.testing.assert_array_equal(mt.apply_transform("gamma", maps, g=2.0), mt.gamma(maps, 2.0))
    np.testing.assert_array_equal(mt.apply_transform("none", maps), maps)
    np.testing.assert_array_equal(
        mt.apply_transform("centre_prior", maps, weight=0.2, sigma_frac=0.3), mt.blend_centre_prior(maps, 0.2, 0.3)
    )
    h = mt.apply_transform("histogram", maps, reference=np.arange(20.0))
    np.testing.assert_array_equal(h[2], mt.histogram_match(maps[2], np.arange(20.0)))
    with pytest.raises(ValueError, match="unknown transform"):
        mt.apply_transform("blur", maps)
    with pytest.raises(ValueError, match="needs parameter"):
        mt.apply_transform("gamma", maps)
    with pytest.raises(ValueError, match="takes parameters"):
        mt.apply_transform("gamma", maps, g=1.0, weight=0.1)
    with pytest.raises(ValueError, match="negative"):
        mt.apply_transform("gamma", -maps, g=1.0)


def test_fit_transform_recovers_planted_parameters():
    rng = np.random.default_rng(2)
    maps = rng.random((5, 9, 12)) ** 3
    params, table = mt.fit_transform(maps, mt.blend_centre_prior(maps, 0.4), "centre_prior")
    assert params["name"] == "centre_prior" and params["weight"] == pytest.approx(0.4)
    assert table["mean_cc"].max() == pytest.approx(1.0)
    assert table.attrs["mean_cc_none"] < 1.0
    params, table = mt.fit_transform(maps, mt.gamma(maps, 2.0), "gamma")
    assert params["g"] == pytest.approx(2.0)
    params, table = mt.fit_transform(maps, maps**2, "histogram")
    assert params["reference"].shape == (9 * 12,)
    assert table["mean_cc"].iloc[0] > 0.9
    with pytest.raises(ValueError, match="kind"):
        mt.fit_transform(maps, maps, "blur")
    with pytest.raises(ValueError, match="shape mismatch"):
        mt.fit_transform(maps, maps[:, :4], "gamma")


def test_mean_quantiles():
    maps = np.stack([np.array([[1.0, 3.0]]), np.array([[2.0, 2.0]])])
    np.testing.assert_allclose(mt.mean_quantiles(maps), [(0.25 + 0.5) / 2, (0.75 + 0.5) / 2])
    assert mt.mean_quantiles(maps, 4).shape == (4,)
