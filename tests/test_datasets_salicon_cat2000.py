"""SALICON and CAT2000 loaders on small fixtures written in the official layouts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from saliqa.datasets import cat2000, salicon
from saliqa.datasets.osie import OutsideImageWarning

W, H = 64, 48  # small stand-ins for SALICON's 640 x 480


def _gaze(subjects: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """A MATLAB 1 x n struct array gaze(k).{location, timestamp, fixations}."""
    g = np.empty((1, len(subjects)), dtype=[("location", "O"), ("timestamp", "O"), ("fixations", "O")])
    for k, (loc, fix) in enumerate(subjects):
        g[0, k] = (loc, np.arange(len(loc), dtype=float)[:, None] * 10, fix)
    return g


def _salicon(root: Path) -> Path:
    base = root / "salicon"
    names = {
        "train": ["COCO_train2014_000000000009"],
        "val": ["COCO_val2014_000000000042", "COCO_val2014_000000000133"],
    }
    for split, stems in names.items():
        for k, stem in enumerate(stems):
            (base / "images" / split).mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((H, W, 3), 50 + k, np.uint8)).save(base / "images" / split / f"{stem}.jpg")
            (base / "maps" / split).mkdir(parents=True, exist_ok=True)
            m = np.zeros((H, W), np.uint8)
            m[10:20, 30:40] = 200
            Image.fromarray(m).save(base / "maps" / split / f"{stem}.png")
    (base / "images" / "test").mkdir(parents=True)
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(base / "images" / "test" / "COCO_test2014_000000000001.jpg")
    fixdir = base / "fixations"
    # val 42: two subjects; [x y] 1-based; one raw mouse sample outside the image (x = 70 > 64)
    s1 = (np.array([[1.0, 1.0], [64.0, 48.0], [70.0, 10.0]]), np.array([[1.0, 1.0], [64.0, 48.0]]))
    s2 = (np.array([[11.0, 21.0]]), np.array([[11.0, 21.0]]))  # one point: scipy squeezes 1 x 2
    (fixdir / "val").mkdir(parents=True)
    savemat(
        fixdir / "val" / "COCO_val2014_000000000042.mat",
        {"image": "COCO_val2014_000000000042", "resolution": np.array([[H, W]], float), "gaze": _gaze([s1, s2])},
    )
    savemat(fixdir / "val" / "COCO_val2014_000000000133.mat",
            {"image": "COCO_val2014_000000000133", "resolution": np.array([[H, W]], float),
             "gaze": _gaze([(np.array([[5.0, 6.0]]), np.array([[5.0, 6.0], [7.0, 8.0]]))])})  # fmt: skip
    (fixdir / "train").mkdir(parents=True)
    savemat(fixdir / "train" / "COCO_train2014_000000000009.mat",
            {"image": "COCO_train2014_000000000009", "resolution": np.array([[H, W]], float),
             "gaze": _gaze([(np.array([[2.0, 3.0]]), np.array([[2.0, 3.0]]))])})  # fmt: skip
    return base


def test_salicon_find_root(tmp_path):
    base = _salicon(tmp_path)
    assert salicon.find_root(tmp_path) == base
    assert salicon.find_root(base) == base
    with pytest.raises(FileNotFoundError, match="looked for .*salicon/images"):
        salicon.find_root(tmp_path / "nowhere")


def test_salicon_images(tmp_path):
    _salicon(tmp_path)
    t = salicon.load_images(tmp_path)
    assert list(t["split"]) == ["train", "val", "val", "test"]
    assert t.loc[1, "image_id"] == "COCO_val2014_000000000042"
    assert (t["width"] == W).all() and (t["height"] == H).all()
    assert t.attrs["dataset"] == "salicon"
    with pytest.raises(ValueError, match="splits"):
        salicon.load_images(tmp_path, ["dev"])


def test_salicon_fixations_coordinates(tmp_path):
    _salicon(tmp_path)
    f = salicon.load_fixations(tmp_path, ["val"], kind="fixations")
    a = f[f.image_id == "COCO_val2014_000000000042"]
    np.testing.assert_array_equal(a[["x", "y"]].to_numpy(), [[0, 0], [63, 47], [10, 20]])
    assert list(a["observer_id"]) == ["salicon:1", "salicon:1", "salicon:2"]
    assert list(a["order"]) == [0, 1, 0]
    assert set(f["source"]) == {"mouse"} and set(f["task"]) == {"free"} and set(f["split"]) == {"val"}
    b = f[f.image_id == "COCO_val2014_000000000133"]
    np.testing.assert_array_equal(b[["x", "y"]].to_numpy(), [[4, 5], [6, 7]])
    assert f.attrs["n_outside"] == 0


def test_salicon_mouse_locations_outside_policy(tmp_path):
    _salicon(tmp_path)
    with pytest.warns(OutsideImageWarning, match="1 of 5"):
        f = salicon.load_fixations(tmp_path, ["val"], kind="location")
    assert f.attrs["n_outside_clipped"] == 1
    assert f["x"].max() == W - 1  # (70 - 1) clipped to the last column
    with pytest.raises(ValueError, match="outside the image"):
        salicon.load_fixations(tmp_path, ["val"], kind="location", outside="raise")
    with pytest.warns(OutsideImageWarning):
        assert len(salicon.load_fixations(tmp_path, ["val"], kind="location", outside="drop")) == 4
    one = salicon.load_fixations(tmp_path, ["train", "val"], image_ids=["COCO_train2014_000000000009"])
    assert len(one) == 1 and one["x"].iloc[0] == 1.0 and one["y"].iloc[0] == 2.0


def test_salicon_bad_files(tmp_path):
    base = _salicon(tmp_path)
    bad = base / "fixations" / "val" / "COCO_val2014_000000000042.mat"
    savemat(bad, {"image": "x", "gaze": _gaze([(np.ones((1, 2)), np.ones((1, 2)))])})
    with pytest.raises(ValueError, match=r"COCO_val2014_000000000042\.mat: missing variable 'resolution'"):
        salicon.load_fixations(tmp_path, ["val"])
    savemat(bad, {"resolution": np.array([[H, W]], float), "gaze": _gaze([(np.ones((2, 3)), np.ones((2, 3)))])})
    with pytest.raises(ValueError, match=r"gaze\(1\).*'fixations' has shape \(2, 3\); expected N x 2"):
        salicon.load_fixations(tmp_path, ["val"])
    bad.write_bytes(b"not a mat file at all")
    with pytest.raises(ValueError, match="COCO_val2014_000000000042.mat"):
        salicon.load_fixations(tmp_path, ["val"])
    with pytest.raises(ValueError, match="kind"):
        salicon.load_fixations(tmp_path, kind="mouse")  # type: ignore[arg-type]


def test_salicon_maps(tmp_path):
    _salicon(tmp_path)
    t = salicon.load_images(tmp_path, ["val"])
    maps = salicon.load_maps(t)
    assert maps.shape == (2, H, W)
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), 1.0)
    np.testing.assert_allclose(maps[0, 10:20, 30:40], 1.0 / 100)
    assert salicon.load_maps(t, (12, 16)).shape == (2, 12, 16)


# --------------------------------------------------------------------------------- CAT2000

CW, CH = 40, 30  # small stand-ins for 1920 x 1080


def _cat2000(root: Path) -> Path:
    base = root / "CAT2000"
    for cat, names in {"Action": ["001", "002"], "Art": ["001"]}.items():
        for k, n in enumerate(names):
            for sub in ("Stimuli", "FIXATIONMAPS", "FIXATIONLOCS"):
                (base / "trainSet" / sub / cat).mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((CH, CW, 3), 30 * k, np.uint8)).save(
                base / "trainSet" / "Stimuli" / cat / f"{n}.jpg"
            )
            locs = np.zeros((CH, CW), np.uint8)
            locs[2, 5] = locs[29, 39] = locs[10, 0] = 1
            savemat(base / "trainSet" / "FIXATIONLOCS" / cat / f"{n}.mat", {"fixLocs": locs})
            Image.fromarray(np.full((CH, CW), 128, np.uint8)).save(
                base / "trainSet" / "FIXATIONMAPS" / cat / f"{n}.jpg"
            )
    (base / "trainSet" / "Stimuli" / "Action" / "Output").mkdir()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(base / "trainSet" / "Stimuli" / "Action" / "Output" / "x.jpg")
    (base / "testSet" / "Stimuli" / "Art").mkdir(parents=True)
    Image.fromarray(np.zeros((CH, CW, 3), np.uint8)).save(base / "testSet" / "Stimuli" / "Art" / "001.jpg")
    return base


def test_cat2000_find_root_and_images(tmp_path):
    base = _cat2000(tmp_path)
    assert cat2000.find_root(tmp_path) == base and cat2000.find_root(base) == base
    with pytest.raises(FileNotFoundError, match="looked for .*CAT2000/trainSet/Stimuli"):
        cat2000.find_root(tmp_path / "nothing")
    t = cat2000.load_images(tmp_path)
    assert list(t["image_id"]) == ["Action/001", "Action/002", "Art/001"]
    assert list(t["category"]) == ["Action", "Action", "Art"] and set(t["split"]) == {"train"}
    both = cat2000.load_images(tmp_path, ["train", "test"])
    assert both["image_id"].iloc[-1] == "test:Art/001" and both["split"].iloc[-1] == "test"


def test_cat2000_fixations_from_binary_matrix(tmp_path):
    _cat2000(tmp_path)
    f = cat2000.load_fixations(tmp_path)
    a = f[f.image_id == "Action/002"]
    # nonzero (row, col) = (2, 5), (10, 0), (29, 39) in row-major order -> (x, y) = (col, row)
    np.testing.assert_array_equal(a[["x", "y"]].to_numpy(), [[5, 2], [0, 10], [39, 29]])
    assert set(f["observer_id"]) == {"cat2000:pooled"} and set(f["source"]) == {"eye"}
    assert (f["count"] == 1).all() and len(f) == 9


def test_cat2000_bad_files(tmp_path):
    base = _cat2000(tmp_path)
    bad = base / "trainSet" / "FIXATIONLOCS" / "Art" / "001.mat"
    savemat(bad, {"fixLocs": np.ones((CH, CW + 1))})
    with pytest.raises(ValueError, match=r"Art/001\.mat: fixLocs is 30 x 41 but the stimulus is 30 x 40"):
        cat2000.load_fixations(tmp_path)
    savemat(bad, {"fixations": np.ones((CH, CW))})
    with pytest.raises(ValueError, match=r"Art/001\.mat: no variable 'fixLocs'"):
        cat2000.load_fixations(tmp_path)
    bad.unlink()
    with pytest.raises(FileNotFoundError, match=r"Art/001\.mat"):
        cat2000.load_fixations(tmp_path)
    with pytest.raises(ValueError, match="training set only"):
        cat2000.load_fixations(tmp_path, cat2000.load_images(tmp_path, ["train", "test"]))


def test_cat2000_maps(tmp_path):
    _cat2000(tmp_path)
    maps = cat2000.load_maps(cat2000.load_images(tmp_path))
    assert maps.shape == (3, CH, CW)
    np.testing.assert_allclose(maps, 1.0 / (CH * CW), rtol=1e-6)
