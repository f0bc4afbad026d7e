"""saliqa.ugc_features: the Sec. 3.1 features against hand-computed values, and face detection."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from skimage import data

from saliqa import ugc_features as U


def test_brightness_by_hand():
    img = np.array([[[10, 20, 30], [0, 0, 0]], [[255, 255, 255], [1, 2, 3]]], dtype=np.uint8)
    assert U.brightness(img) == pytest.approx((60 + 0 + 765 + 6) / 4)
    assert U.brightness(img.astype(float) / 255, data_range=1.0) == pytest.approx(207.75)
    assert U.brightness(np.full((3, 3), 100, np.uint8)) == pytest.approx(300.0)  # grey: R = G = B


def test_colourfulness_by_hand():
    # rg = R - G = +-50 (mean 0, var 2500); yb = (R + G) / 2 - B = +-75 (mean 0, var 5625)
    img = np.array([[[100, 50, 0], [0, 50, 100]]], dtype=np.uint8)
    assert U.colourfulness(img) == pytest.approx(np.sqrt(2500 + 5625))
    # a uniform colour: no spread, mean rg = 100, yb = 100 -> 0.3 * sqrt(100^2 + 100^2)
    flat = np.tile(np.array([200, 100, 50], np.uint8), (4, 4, 1))
    assert U.colourfulness(flat) == pytest.approx(0.3 * np.sqrt(20000))
    assert U.colourfulness(data.camera()) == 0.0


def test_rms_contrast_by_hand():
    half = np.zeros((2, 4), np.uint8)
    half[:, 2:] = 255
    assert U.rms_contrast(half) == pytest.approx(0.5)  # luma 0 / 1, population std
    red = np.zeros((1, 2, 3), np.uint8)
    red[0, 0, 0] = 255
    assert U.rms_contrast(red) == pytest.approx(0.299 / 2)
    assert U.rms_contrast(np.full((5, 5, 3), 77, np.uint8)) == 0.0


def test_spatial_information_by_hand():
    # 3 x 5 grey step: interior row 1, columns 1..3; s_x = 4 * (I[c + 1] - I[c - 1]) = 0, 40, 40; s_y = 0
    step = np.array([[0, 0, 0, 10, 10]] * 3, dtype=float)
    assert U.spatial_information(step) == pytest.approx(np.std([0.0, 40.0, 40.0]))
    ramp = np.tile(3.0 * np.arange(8), (6, 1))
    assert U.spatial_information(ramp) == pytest.approx(0.0, abs=1e-12)  # constant gradient magnitude 24
    assert np.isnan(U.spatial_information(np.zeros((2, 5))))  # no interior
    # equals scipy's Sobel on the interior
    img = data.camera().astype(float)
    gx, gy = ndimage.sobel(img, axis=1), ndimage.sobel(img, axis=0)
    assert U.spatial_information(data.camera()) == pytest.approx(np.hypot(gx, gy)[1:-1, 1:-1].std())


def test_pixel_count_and_shapes():
    assert U.pixel_count(np.zeros((3, 5, 3))) == 15
    assert U.pixel_count([np.zeros((3, 5)), np.zeros((4, 4, 3))]).tolist() == [15.0, 16.0]
    with pytest.raises(ValueError, match="shape"):
        U.brightness(np.zeros((2, 2, 2, 2, 2)))
    with pytest.raises(ValueError, match="non-finite"):
        U.brightness(np.full((2, 2), np.nan))


def test_stack_list_and_single_agree():
    pics = [data.astronaut(), data.coffee(), data.chelsea()]
    listed = U.ugc_features(pics, faces=False)
    for i, p in enumerate(pics):
        one = U.ugc_features(p, faces=False)
        np.testing.assert_allclose(one.iloc[0].to_numpy(dtype=float), listed.iloc[i].to_numpy(dtype=float))
    stack = np.stack([data.astronaut(), data.astronaut()[::-1, ::-1]])
    t = U.ugc_features(stack, faces=False, ids=["a", "b"])
    assert list(t.index) == ["a", "b"] and list(t.columns) == list(U.FEATURES)
    np.testing.assert_allclose(t.loc["a"].to_numpy(dtype=float), t.loc["b"].to_numpy(dtype=float))  # flip-invariant
    assert (t["n_faces"] == -1).all()


def _face_in_astronaut(boxes: np.ndarray) -> bool:
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    return bool(((cx > 180) & (cx < 270) & (cy > 70) & (cy < 160)).any())  # Eileen Collins' face


def test_faces_on_real_photographs():
    """One face in skimage's astronaut photograph, none in the coffee cup or the rocket."""
    boxes = U.detect_faces(data.astronaut())
    assert boxes.shape == (1, 4) and _face_in_astronaut(boxes), (U.face_detector(), boxes)
    assert U.count_faces([data.coffee(), data.rocket()]).tolist() == [0, 0]
    t = U.ugc_features([data.astronaut(), data.coffee()])
    assert t["n_faces"].tolist() == [1, 0] and t.attrs["face_detector"] == U.face_detector()
    lbp = U.detect_faces(data.astronaut(), detector="lbp")
    assert len(lbp) == 1 and _face_in_astronaut(lbp)


def test_haar_cascade_of_the_paper():
    """OpenCV's haarcascade_frontalface_default.xml (the paper's [61]); OpenCV 5 wheels no longer ship it."""
    if U.face_detector() != "haar":
        pytest.skip("this OpenCV has no Haar cascades (OpenCV >= 5); the LBP fallback is tested above")
    boxes = U.detect_faces(data.astronaut(), detector="haar")
    assert len(boxes) == 1 and _face_in_astronaut(boxes)
    assert U.count_faces(data.chelsea()) == 0
