"""BubbleView loader on ../shared/data/bubbleview-osie, checked against the OSIE loader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.io
from conftest import require
from test_datasets_osie import _struct_array  # the .mat fixture helper (1 x N struct arrays)

from saliqa.datasets import bubbleview as bv
from saliqa.datasets import matfile, osie
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


def test_read_mat_equals_plain_loadmat_on_the_eye_file(root: Path) -> None:
    path = root / "osie-eye-official.mat"
    plain = matfile.records(matfile.read_mat(path)["bubble"])
    raw = scipy.io.loadmat(path)["bubble"][0]
    assert len(plain) == len(raw) == 51
    for a, b in zip(plain, raw):
        assert a["filename"] == b["filename"][0] and a["impath"] == b["impath"][0]
        users = matfile.records(a["userdata"])
        assert len(users) == b["userdata"].size
        for ua, ub in zip(users, b["userdata"].ravel(order="F")):
            fa, fb = ua["fixations"], ub["fixations"][0, 0]
            np.testing.assert_array_equal(matfile.rows(fa["enc"], "", "enc"), fb["enc"])
            times = [fa["enc_time"]] if isinstance(fa["enc_time"], str) else list(fa["enc_time"])
            assert times == [str(t[0]) for t in fb["enc_time"].ravel()]


def test_errors(root: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="osie30x30.mat"):
        bv.load_fixations(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="osie30x30.mat"):
        bv.load_fixations(tmp_path, kinds=("clicks",))
    with pytest.raises(ValueError, match="kinds"):
        bv.load_fixations(root, kinds=("amt",))


def test_timestamps_of_the_real_clicks_and_movements(root: Path) -> None:
    """enc_time of clicks / movements: date-time stamps at 1 s resolution, within the viewing time."""
    kinds = [bv.KINDS[k].replace(enc_time="timestamps") for k in ("clicks", "mouse")]
    with pytest.warns(osie.OutsideImageWarning):
        timed = bv.load_fixations(root, kinds=kinds)
    assert len(timed) == 36_286 + 478_022 and timed["duration_ms"].isna().all()
    t = timed["time_ms"].to_numpy()
    assert (t % 1000 == 0).all() and (timed.loc[timed["order"] == 0, "time_ms"] == 0).all()
    assert (np.diff(t)[np.diff(timed["order"].to_numpy()) == 1] >= 0).all()  # non-decreasing in a sequence
    last = timed.groupby(["campaign", "observer_id"], observed=True)["time_ms"].max().groupby("campaign").median()
    assert last["bubbleview_clicks"] <= 10_000 and last["bubbleview_mouse"] <= 5_000  # 10 s / 5 s viewing
    with pytest.raises(
        ValueError,
        match=r"osie30x30\.mat: bubble\(1\)\.userdata\(1\)\.fixations: field 'enc_time' "
        r"holds '2016-04-20 12:53:12'.*enc_time='timestamps'",
    ):
        bv.load_fixations(root, kinds=[bv.KINDS["clicks"].replace(enc_time="durations")])


def test_image_size_read_from_the_real_targets(root: Path) -> None:
    default = bv.load_fixations(root, kinds=("clicks",))
    read = bv.load_fixations(root, kinds=("clicks",), image_size=None)
    pd.testing.assert_frame_equal(default, read)
    assert read.attrs["image_size"] == (800, 600)
    small = bv.load_fixations(root, kinds=("clicks",), image_size=None, scale_to_original=False)
    assert small.attrs["image_size"] == (640, 480)


# ---------------------------------------------------------------------------- fixtures


def _cell(values: list) -> np.ndarray:
    out = np.empty((len(values), 1), dtype=object)
    for i, v in enumerate(values):
        out[i, 0] = v
    return out


def _bubble(path: Path, images: dict[str, list[tuple[list, list]]], impath: str | None = "targets") -> None:
    """A BubbleView .mat: ``images[filename]`` = per participant (enc rows [x, y], enc_time values).

    enc_time values that are strings are stored as a cell of char (as in the releases), numbers
    as a numeric column.
    """
    columns: dict[str, list] = {"filename": list(images)}
    if impath is not None:
        columns["impath"] = [f"{impath}/{name}" for name in images]
    users = []
    for sequences in images.values():
        fixations = []
        for enc, times in sequences:
            stamps = _cell(times) if times and isinstance(times[0], str) else np.array(times, float).reshape(-1, 1)
            fixations.append(
                {"enc": np.array(enc, float).reshape(-1, 2), "rec": np.empty((0, 0), np.uint8), "enc_time": stamps}
            )
        users.append(_struct_array(fixations=fixations))
    columns["userdata"] = users
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, {"bubble": _struct_array(**columns)}, do_compression=True)


def _osie_like(folder: Path) -> None:
    """Two images; eye file: 0.8 x 1-based, durations, 2 participants; clicks: 0-based."""
    _bubble(
        folder / "osie-eye-official.mat",
        {
            "1004.jpg": [([[0.8, 0.8], [8.0, 4.0]], ["80", "177"]), ([[639.2, 479.2]], ["50"])],
            "1005.jpg": [([[80.0, 40.0]], ["30"]), ([[16.0, 8.0]], ["40"])],
        },
        impath="targets_osie",
    )
    _bubble(
        folder / "osie30x30.mat",
        {
            "1004.jpg": [([[0.0, 0.0], [639.9, 10.0]], ["2016-04-20 12:53:12", "2016-04-20 12:53:14"])],
            "1005.jpg": [([[320.0, 240.0]], ["2016-04-20 12:53:20"])],  # one click: squeezed by scipy
        },
        impath="targets_osie",
    )


def test_osie_defaults_on_a_fixture(tmp_path: Path) -> None:
    _osie_like(tmp_path)
    table = bv.load_fixations(tmp_path, kinds=("eye", "clicks"), outside="raise")
    eye = table[table["source"] == "eye"]
    # 1-based values scaled by 0.8: x = enc / 0.8 - 1 on the 800 x 600 grid
    assert eye[["x", "y"]].to_numpy().tolist() == [[0, 0], [9, 4], [798, 598], [99, 49], [19, 9]]
    assert eye["duration_ms"].tolist() == [80, 177, 50, 30, 40]
    assert eye["observer_id"].tolist() == ["eye:1", "eye:1", "eye:2", "eye:1", "eye:2"]  # sorted(1..2, key=str)
    clicks = table[table["source"] == "click"]
    np.testing.assert_allclose(clicks[["x", "y"]].to_numpy(), [[0, 0], [799.875, 12.5], [400, 300]])
    assert clicks["observer_id"].tolist() == ["bubbleview_clicks:1004/1"] * 2 + ["bubbleview_clicks:1005/1"]
    assert "time_ms" not in table and table.attrs["image_size"] == (800, 600)
    assert table.attrs["dataset"] == "bubbleview-osie"
    small = bv.load_fixations(tmp_path, kinds=("eye",), scale_to_original=False)
    np.testing.assert_allclose(small["x"].to_numpy()[:2], [0.0, 7.2])  # 0.8 x (enc / 0.8 - 1)
    assert small.attrs["image_size"] == (640, 480)
    assert bv.image_ids(tmp_path) == ["1004", "1005"]
    assert bv.KINDS["eye"].base == 1 and bv.KINDS["eye"].durations and not bv.KINDS["clicks"].durations


def test_another_release_sizes_from_the_images_timestamps_and_1_based(tmp_path: Path) -> None:
    """A FiWI-like release: images of different sizes shown at their own size (scale 1),
    1-based eye fixations whose enc_time holds onsets in ms, clicks with date-times."""
    from PIL import Image

    (tmp_path / "targets_web").mkdir()
    Image.new("RGB", (100, 50)).save(tmp_path / "targets_web" / "a.png")
    Image.new("RGB", (30, 60)).save(tmp_path / "targets_web" / "b.png")
    _bubble(
        tmp_path / "web_eye.mat",
        {
            "a.png": [([[1, 1], [100, 50]], ["334", "448"])],
            "b.png": [([[30, 60], [5, 5], [6, 6]], ["10", "20", "45"])],
        },
        impath="targets_web",
    )
    _bubble(
        tmp_path / "web10x30.mat",
        {
            "a.png": [([[0, 0], [99.5, 10]], ["2016-04-30 20:07:31", "2016-04-30 20:07:33"])],
            "b.png": [([[29.9, 70.0]], ["2016-04-30 20:08:00"])],  # below b.png: 70 >= 60
        },
        impath="targets_web",
    )
    files = {
        "eye": bv.Kind("web_eye.mat", "eye", "eye", origin=1, enc_time="timestamps"),
        "clicks": bv.Kind("web10x30.mat", "click", "web_clicks", origin=0, enc_time="timestamps"),
    }
    with pytest.raises(ValueError, match=r"1 point\(s\) outside"):
        bv.load_fixations(tmp_path, kinds=("eye", "clicks"), files=files, scale=1.0, image_size=None, outside="raise")
    with pytest.warns(osie.OutsideImageWarning, match="1 of 8"):
        table = bv.load_fixations(tmp_path, kinds=("eye", "clicks"), files=files, scale=1.0, image_size=None)
    assert table.attrs["image_size"] == {"a": (100, 50), "b": (30, 60)} and table.attrs["dataset"] == "bubbleview"
    eye = table[table["campaign"] == "eye"]
    assert eye[["x", "y"]].to_numpy().tolist() == [[0, 0], [99, 49], [29, 59], [4, 4], [5, 5]]  # 1-based -> 0-based
    assert eye["time_ms"].tolist() == [0, 114, 0, 10, 35] and eye["duration_ms"].isna().all()
    assert eye["observer_id"].tolist() == ["eye:a/1"] * 2 + ["eye:b/1"] * 3
    clicks = table[table["campaign"] == "web_clicks"]
    assert clicks["time_ms"].tolist() == [0, 2000, 0]
    assert clicks[["x", "y"]].to_numpy().tolist() == [[0, 0], [99.5, 10], [29, 59]]  # the last clipped into [0, w - 1]
    # the same eye file read as durations, and found through targets= instead of impath
    durations = bv.load_fixations(
        tmp_path, kinds=[files["eye"].replace(enc_time="durations")], scale=1.0, image_size=None, targets="targets_web"
    )
    assert durations["duration_ms"].tolist() == [334, 448, 10, 20, 45] and "time_ms" not in durations
    images = bv.load_images(tmp_path, kinds=[files["eye"]])
    assert images["image_id"].tolist() == ["a", "b"] and images["width"].tolist() == [100, 30]
    assert images.attrs["grid"] == "per-image" and images["path"].str.endswith(".png").all()
    assert bv.image_ids(tmp_path, kinds=("clicks",), files=files) == ["a", "b"]


def test_files_renames_an_osie_kind(tmp_path: Path) -> None:
    _osie_like(tmp_path)
    (tmp_path / "osie30x30.mat").rename(tmp_path / "osie30x50.mat")
    with pytest.raises(FileNotFoundError, match="osie30x30.mat"):
        bv.load_fixations(tmp_path, kinds=("clicks",))
    table = bv.load_fixations(tmp_path, kinds=("clicks",), files={"clicks": "osie30x50.mat"})
    assert len(table) == 3 and (table["campaign"] == "bubbleview_clicks").all()


def test_bad_parameters_are_named(tmp_path: Path) -> None:
    _osie_like(tmp_path)
    with pytest.raises(ValueError, match=r"Kind\('a.mat'\): origin=2; expected 0 .* or 1"):
        bv.Kind("a.mat", "click", "c", origin=2)
    with pytest.raises(ValueError, match="origin=True"):
        bv.Kind("a.mat", "click", "c", origin=True)
    with pytest.raises(ValueError, match=r"enc_time='ms'; expected 'durations'.*'timestamps'.*'ignore'"):
        bv.Kind("a.mat", "click", "c", origin=0, enc_time="ms")
    with pytest.raises(ValueError, match=r"source='gaze'; expected one of \('eye', 'click', 'mouse'\)"):
        bv.Kind("a.mat", "gaze", "c", origin=0)
    with pytest.raises(ValueError, match="observers='global'"):
        bv.Kind("a.mat", "eye", "c", origin=0, observers="global")
    for scale in (0, -0.8, float("nan"), "0.8", True):
        with pytest.raises(ValueError, match=r"scale=.*expected a positive number"):
            bv.load_fixations(tmp_path, kinds=("clicks",), scale=scale)  # type: ignore[arg-type]
    for size in ((640,), "640x480", (640, 0)):
        with pytest.raises(ValueError, match="image_size"):
            bv.load_fixations(tmp_path, kinds=("clicks",), image_size=size)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"files\['web'\]='web.mat'; expected a Kind"):
        bv.load_fixations(tmp_path, kinds=("web",), files={"web": "web.mat"})
    with pytest.raises(ValueError, match=r"kinds=.*expected a non-empty selection"):
        bv.load_fixations(tmp_path, kinds=())


def test_files_in_the_wrong_form_are_named(tmp_path: Path) -> None:
    clicks = bv.Kind("c.mat", "click", "c", origin=0, enc_time="timestamps")
    _bubble(tmp_path / "c.mat", {"a.jpg": [([[1, 2]], ["yesterday"])]})
    with pytest.raises(
        ValueError,
        match=r"c\.mat: bubble\(1\)\.userdata\(1\)\.fixations: field 'enc_time' holds "
        r"'yesterday'.*expected time stamps",
    ):
        bv.load_fixations(tmp_path, kinds=[clicks])
    _bubble(tmp_path / "c.mat", {"a.jpg": [([[1, 2]], [5.0]), ([[1, 2], [3, 4]], [-1.0, 20.0])]})
    with pytest.raises(ValueError, match=r"bubble\(1\)\.userdata\(2\).*holds -1\.0.*durations in ms"):
        bv.load_fixations(tmp_path, kinds=[clicks.replace(enc_time="durations")])
    assert bv.load_fixations(tmp_path, kinds=[clicks])["time_ms"].tolist() == [0, 0, 21]  # numbers: ms
    _bubble(tmp_path / "c.mat", {"a.jpg": [([[1, 2], [3, 4]], ["1"])]})
    with pytest.raises(ValueError, match=r"userdata\(1\)\.fixations: field 'enc_time' has 1 values for 2 points"):
        bv.load_fixations(tmp_path, kinds=[clicks])
    assert len(bv.load_fixations(tmp_path, kinds=[clicks.replace(enc_time="ignore")])) == 2  # not read
    path = tmp_path / "c.mat"
    scipy.io.savemat(
        path,
        {
            "bubble": _struct_array(
                filename=["a.jpg"],
                userdata=[_struct_array(fixations=[{"enc": np.ones((2, 3)), "enc_time": _cell(["1", "2"])}])],
            )
        },
    )
    with pytest.raises(ValueError, match=r"userdata\(1\)\.fixations: field 'enc' has shape \(2, 3\); expected N x 2"):
        bv.load_fixations(tmp_path, kinds=[clicks])
    scipy.io.savemat(path, {"bubble": _struct_array(filename=["a.jpg"])})
    with pytest.raises(ValueError, match=r"c\.mat: bubble\(1\): missing field 'userdata'"):
        bv.load_fixations(tmp_path, kinds=[clicks])
    _bubble(path, {"a.jpg": [([[1, 2]], ["1"])]}, impath=None)
    with pytest.raises(ValueError, match=r"no 'impath' for image\(s\) \['a'\]; pass targets="):
        bv.load_fixations(tmp_path, kinds=[clicks], image_size=None)
    with pytest.raises(FileNotFoundError, match=r"1 BubbleView image\(s\) not found.*osie_root="):
        bv.load_images(tmp_path, kinds=[clicks], targets="nowhere")
