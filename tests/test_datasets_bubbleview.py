"""BubbleView loader on ../shared/data/bubbleview-osie, checked against the OSIE loader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.io

from conftest import require
from saliqa.datasets import bubbleview as bv
from saliqa.datasets import osie
from saliqa.datasets.tables import validate

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def root(shared_data: Path) -> Path:
    return require(shared_data / "bubbleview-osie")


@pytest.fixture(scope="module")
def osie_root(shared_data: Path) -> Path:
    return require(shared_data / "osie")


@pytest.fixture(scope="module")
def table(root: Path) -> pd.DataFrame:
    """Eye fixations and clicks on the 800 x 600 grid; clicks must all be inside (raise)."""
    return bv.load_fixations(root, kinds=("eye", "clicks"), outside="raise")


@pytest.fixture(scope="module")
def osie_eye(osie_root: Path, root: Path) -> pd.DataFrame:
    return osie.load_fixations(osie_root, sources=("eye",), image_ids=bv.image_ids(root))


def test_51_images_all_in_the_osie_subset(root: Path, osie_root: Path) -> None:
    ids = bv.image_ids(root)
    assert len(ids) == 51 == len(set(ids))
    assert set(ids) <= set(osie.subset_ids(osie_root))
    assert sorted(ids) == sorted(p.stem for p in (root / "targets_osie").glob("*.jpg"))


def test_images_are_the_640x480_targets(root: Path) -> None:
    images = bv.load_images(root)
    assert len(images) == 51 and images.attrs["grid"] == "640x480"
    assert (images["width"] == 640).all() and (images["height"] == 480).all()
    assert (images["distortion"] == "none").all()
    validate(images, "images")


def test_images_osie_originals_with_osie_root(root: Path, osie_root: Path, tmp_path: Path) -> None:
    (tmp_path / "osie-eye-official.mat").symlink_to(root / "osie-eye-official.mat")
    with pytest.raises(FileNotFoundError, match="osie_root"):
        bv.load_images(tmp_path)
    images = bv.load_images(tmp_path, osie_root=osie_root)
    assert images["image_id"].tolist() == bv.image_ids(root)
    assert (images["width"] == 800).all() and images.attrs["grid"] == "800x600"
    # an explicit osie_root wins over the targets: the grid of the default fixations
    originals = bv.load_images(root, osie_root=osie_root)
    assert (originals["height"] == 600).all() and originals["path"].str.contains("stimuli").all()


def test_eye_equals_osie_loader_exactly(table: pd.DataFrame, osie_eye: pd.DataFrame) -> None:
    """The strongest check of the 0.8 scale, the x/y order, the -1 offset and the observer map."""
    eye = table[table["campaign"] == "eye"]
    assert len(eye) == len(osie_eye) == 7_117
    assert eye["observer_id"].nunique() == 15
    key = ["image_id", "observer_id", "order"]
    merged = eye.astype({"image_id": str, "observer_id": str}).merge(
        osie_eye.astype({"image_id": str, "observer_id": str}), on=key, suffixes=("_bv", "_osie")
    )
    assert len(merged) == len(eye)
    np.testing.assert_allclose(merged["x_bv"], merged["x_osie"], atol=1e-9)
    np.testing.assert_allclose(merged["y_bv"], merged["y_osie"], atol=1e-9)
    np.testing.assert_array_equal(merged["duration_ms_bv"], merged["duration_ms_osie"])
    # per-image means agree (trivially, given the above; this is the documented criterion)
    means = merged.groupby("image_id")[["x_bv", "x_osie", "y_bv", "y_osie"]].mean()
    assert (means["x_bv"] - means["x_osie"]).abs().max() < 1e-6


def test_eye_on_the_640_grid_is_0_8_times(root: Path, osie_eye: pd.DataFrame) -> None:
    small = bv.load_fixations(root, kinds=("eye",), scale_to_original=False)
    assert small.attrs["image_size"] == (640, 480)
    key = ["image_id", "observer_id", "order"]
    merged = small.astype({"image_id": str, "observer_id": str}).merge(
        osie_eye.astype({"image_id": str, "observer_id": str}), on=key, suffixes=("_bv", "_osie")
    )
    assert len(merged) == len(small)
    np.testing.assert_allclose(merged["x_bv"], 0.8 * merged["x_osie"], atol=1e-9)
    np.testing.assert_allclose(merged["y_bv"], 0.8 * merged["y_osie"], atol=1e-9)
    raw = scipy.io.loadmat(root / "osie-eye-official.mat")["bubble"][0, 0]["userdata"][0, 0]
    enc = raw["fixations"][0, 0]["enc"]
    assert small.iloc[0][["x", "y"]].tolist() == pytest.approx((enc[0] - 0.8).tolist())


def test_clicks_inside_scaled_and_zero_based(table: pd.DataFrame) -> None:
    clicks = table[table["source"] == "click"]
    assert len(clicks) == 36_286 and clicks["observer_id"].nunique() == 2_975
    assert clicks["x"].between(0, 800, inclusive="left").all()
    assert clicks["y"].between(0, 600, inclusive="left").all()
    assert clicks["x"].max() > 760  # divided by 0.8: the raw 640 px grid would stop below 640
    assert (clicks["y"] == 0).sum() == 1  # a raw 0.0: browser coordinates are 0-based
    assert table.attrs["n_outside"] == 0
    assert (clicks["campaign"] == "bubbleview_clicks").all() and clicks["duration_ms"].isna().all()


def test_clicks_follow_eye_fixations_axis_by_axis(table: pd.DataFrame) -> None:
    """Per-image mean click position tracks the mean fixation on the same axis, not the other."""
    means = table.groupby(["image_id", "source"], observed=True)[["x", "y"]].mean().unstack("source")
    same_x = np.corrcoef(means[("x", "eye")], means[("x", "click")])[0, 1]
    same_y = np.corrcoef(means[("y", "eye")], means[("y", "click")])[0, 1]
    cross = max(
        abs(np.corrcoef(means[("x", "eye")], means[("y", "click")])[0, 1]),
        abs(np.corrcoef(means[("y", "eye")], means[("x", "click")])[0, 1]),
    )
    assert same_x > 0.6 and same_y > 0.6 and cross < 0.4


def test_mouse_movements_one_point_past_the_edge_is_reported(root: Path) -> None:
    with pytest.warns(osie.OutsideImageWarning, match="1 of 478022"):
        mouse = bv.load_fixations(root, kinds=("mouse",))
    assert mouse.attrs["n_outside_clipped"] == 1 and len(mouse) == 478_022
    assert mouse["x"].max() < 800 and (mouse["source"] == "mouse").all()
    assert mouse["observer_id"].nunique() == 2_916
    with pytest.raises(ValueError, match=r"row \d+ \(image_id='1376'"):
        bv.load_fixations(root, kinds=("mouse",), outside="raise")


def test_lab_file_equals_osie_mouse_lab(root: Path, osie_root: Path) -> None:
    lab = bv.load_fixations(root, kinds=("lab",))
    ref = osie.load_fixations(osie_root, sources=("mouse_lab",), image_ids=bv.image_ids(root))
    assert len(lab) == len(ref) == 74_409

    def points(t: pd.DataFrame) -> np.ndarray:
        ids = t["image_id"].astype(str).astype(int).to_numpy()
        return np.sort(np.rec.fromarrays([ids, t["x"].to_numpy().round(6), t["y"].to_numpy().round(6)]))

    np.testing.assert_array_equal(points(lab), points(ref))


def test_native_reader_matches_scipy(root: Path) -> None:
    path = root / "osie-eye-official.mat"
    native = osie._read_mat(path, engine="native")["bubble"]
    reference = osie._read_mat(path, engine="scipy")["bubble"]
    assert len(native) == len(reference) == 51
    for a, b in zip(native, reference):
        assert a["filename"] == b["filename"] and a["impath"] == b["impath"]
        for ua, ub in zip(osie._records(a["userdata"]), osie._records(b["userdata"])):
            fa, fb = osie._records(ua["fixations"])[0], osie._records(ub["fixations"])[0]
            np.testing.assert_array_equal(fa["enc"], fb["enc"])
            assert list(fa["enc_time"]) == list(fb["enc_time"])


def test_errors(root: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="osie30x30.mat"):
        bv.load_fixations(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="osie30x30.mat"):
        bv.load_fixations(tmp_path, kinds=("clicks",))
    with pytest.raises(ValueError, match="kinds"):
        bv.load_fixations(root, kinds=("amt",))
