"""VIF (saliqa.metrics.vif) against the official MATLAB vifvec values and on hand cases."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import tid2013_calibration

from saliqa import distortions
from saliqa.datasets import builtin
from saliqa.metrics import vif as V

NAMES = ("I03.bmp", "I04.bmp", "I06.bmp", "I08.bmp", "I19.bmp")
# |ours - official| allowed per picture: the official row is printed to 4 decimals (max rounding 5e-5)
TOLERANCE = {"I03.bmp": 1e-4, "I04.bmp": 1e-4, "I06.bmp": 1e-4, "I08.bmp": 1e-4, "I19.bmp": 1e-4}


@pytest.mark.shared_data
def test_tid2013_official_values(shared_data):
    official, pairs = tid2013_calibration(shared_data, NAMES)
    for name in NAMES:
        ref, dist = pairs[name]
        value = V.vif(ref, dist)
        assert value == pytest.approx(float(official.loc["vif", name]), abs=TOLERANCE[name]), name


def test_identical_is_one_and_noise_lowers_it():
    image = builtin.contents(1, (192, 192), 0)[0].image
    assert V.vif(image, image) == pytest.approx(1.0, abs=1e-12)
    values = [V.vif(image, distortions.white_noise(image, s, seed=0)) for s in (2, 8, 32)]
    assert 1 > values[0] > values[1] > values[2] > 0
    blurred = [V.vif(image, distortions.gaussian_blur(image, s)) for s in (0.5, 1.5, 4.0)]
    assert 1 > blurred[0] > blurred[1] > blurred[2] > 0


def test_information_terms():
    image = builtin.contents(1, (160, 160), 1)[0].image
    num, den = V.vif_information(image, image)
    assert num == pytest.approx(den) and den > 0
    # a constant distorted picture carries no information about the reference: g = 0 everywhere
    num0, den0 = V.vif_information(image, np.full_like(image, 128))
    assert num0 == 0.0 and den0 == pytest.approx(den)
    # contrast enhancement (gain > 1 at equal noise) gives VIF above 1, as the paper notes
    grey = image.mean(axis=2) * 0.5 + 64.0  # within [64, 192): the stretch below needs no clipping
    stretched = (grey - grey.mean()) * 1.3 + grey.mean()
    assert V.vif(grey, stretched, quantize=False) > 1.0


def test_subband_layout():
    # ind2wtree is coarsest first: subbands 4, 7 are orientations 3 and 0 of the coarsest level 3
    assert V._tree_key(4) == (3, 3) and V._tree_key(7) == (3, 0) and V._tree_key(25) == (0, 0)
    assert [V._window(s) for s in V.SUBBANDS] == [3, 3, 5, 5, 9, 9, 17, 17]
    bands = V.steerable_subbands(np.random.default_rng(0).random((160, 192)) * 255)
    assert bands[25].shape == (160, 192) and bands[4].shape == (20, 24)


def test_bad_input():
    a = np.zeros((160, 160), np.uint8)
    with pytest.raises(ValueError, match="same shape"):
        V.vif(a, np.zeros((160, 150), np.uint8))
    with pytest.raises(ValueError, match="too small"):
        V.vif(np.zeros((40, 40), np.uint8), np.zeros((40, 40), np.uint8))
    with pytest.raises(ValueError, match="no information"):
        V.vif(a, a)
    with pytest.raises(ValueError, match="sigma_nsq"):
        V.vif(a, a, sigma_nsq=0)


def test_batch_and_reference_reuse_match_vif():
    image = builtin.contents(1, (160, 160), 2)[0].image
    versions = [distortions.jpeg(image, q) for q in (5, 30, 90)]
    direct = np.array([V.vif(image, d) for d in versions])
    assert np.array_equal(V.vif_batch(image, versions), direct)
    score = V.vif_reference(image)
    assert [score(d) for d in versions] == direct.tolist()
    with pytest.raises(ValueError, match=r"dists\[1\] has shape"):
        V.vif_batch(image, [versions[0], versions[1][:100]])
