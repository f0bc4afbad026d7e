"""OSIE loader: real files in ../shared/data/osie, plus small fixtures for the error paths."""

from __future__ import annotations

import warnings
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import scipy.io
from conftest import require

from saliqa.datasets import matfile, osie
from saliqa.datasets.tables import validate

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def root(shared_data: Path) -> Path:
    return require(shared_data / "osie")


@pytest.fixture(scope="module")
def eye(root: Path) -> pd.DataFrame:
    return osie.load_fixations(root, sources=("eye",))


@pytest.fixture(scope="module")
def subset(root: Path) -> pd.DataFrame:
    return osie.load_fixations(root, image_ids="subset")


# ---------------------------------------------------------------------------- real data


def test_images_are_the_100_subset_stimuli_at_800x600(root: Path) -> None:
    images = osie.load_images(root)
    ids = (root / "SUBSET_IDS.txt").read_text().split()
    assert len(images) == 100 and list(images["image_id"]) == ids
    assert (images["width"] == 800).all() and (images["height"] == 600).all()
    assert (images["distortion"] == "none").all() and images["level"].isna().all()
    assert (images["content_id"] == images["image_id"]).all()
    assert all(Path(p).is_file() for p in images["path"])
    validate(images, "images")


def test_eye_file_is_matlab_v5(root: Path) -> None:
    assert matfile.mat_version(root / "data" / "eye" / "fixations.mat") == "5"


def test_eye_counts(eye: pd.DataFrame) -> None:
    assert len(eye) == 98_321
    assert eye["image_id"].nunique() == 700
    assert eye["observer_id"].nunique() == 15
    on_1001 = eye[eye["image_id"] == "1001"]
    assert on_1001["observer_id"].nunique() == 15
    assert (eye["source"] == "eye").all() and (eye["task"] == "free").all()
    assert (eye["campaign"] == "eye").all()
    validate(eye, "fixations")


def test_eye_coordinates_are_0_based_and_x_is_the_800px_axis(eye: pd.DataFrame) -> None:
    # raw fix_x / fix_y lie in [1.2, 799.2] x [1.2, 599.2] (MATLAB 1-based); minus 1 -> inside
    assert eye["x"].between(0, 800, inclusive="left").all()
    assert eye["y"].between(0, 600, inclusive="left").all()
    assert eye["x"].min() == pytest.approx(0.2) and eye["y"].min() == pytest.approx(0.2)
    assert eye["x"].max() == pytest.approx(798.2) and eye["y"].max() == pytest.approx(598.2)
    assert eye["x"].max() > 700 > 600 > eye["y"].max()
    assert eye.attrs["n_outside"] == 0 and eye.attrs["n_outside_clipped"] == 0


def test_eye_hand_check_against_scipy(root: Path, eye: pd.DataFrame) -> None:
    """Fixations read with scipy (independent of the loader's reader) vs the table, minus 1."""
    raw = scipy.io.loadmat(root / "data" / "eye" / "fixations.mat")["fixations"]
    record = raw[0, 0]
    assert record["img"][0] == "1001.jpg"
    subject = record["subjects"][0, 0][0, 0][0, 0]  # cell element 1: a 1 x 1 struct
    fx, fy, fd = (float(subject[k][0, 0]) for k in ("fix_x", "fix_y", "fix_duration"))
    assert (fx, fy, fd) == (395.5, 265.7, 246.0)
    row = eye[(eye["image_id"] == "1001") & (eye["observer_id"] == "eye:1") & (eye["order"] == 0)]
    assert len(row) == 1
    assert row["x"].iloc[0] == pytest.approx(fx - 1)
    assert row["y"].iloc[0] == pytest.approx(fy - 1)
    assert row["duration_ms"].iloc[0] == fd
    # every fixation, in file order
    xs, ys, ds = [], [], []
    for rec in raw[:, 0]:
        for cell in rec["subjects"][0, 0][:, 0]:
            s = cell[0, 0]
            xs.append(s["fix_x"].ravel()), ys.append(s["fix_y"].ravel()), ds.append(s["fix_duration"].ravel())
    np.testing.assert_array_equal(eye["x"].to_numpy(), np.concatenate(xs) - 1.0)
    np.testing.assert_array_equal(eye["y"].to_numpy(), np.concatenate(ys) - 1.0)
    np.testing.assert_array_equal(eye["duration_ms"].to_numpy(), np.concatenate(ds))


def test_subset_restricts_eye_and_reads_both_mouse_campaigns(root: Path, subset: pd.DataFrame) -> None:
    ids = set(osie.subset_ids(root))
    counts = subset.groupby("campaign", observed=True).size()
    assert counts.to_dict() == {"eye": 13_975, "mouse_amt": 1_255_451, "mouse_lab": 143_859}
    for campaign in ("eye", "mouse_amt", "mouse_lab"):
        part = subset[subset["campaign"] == campaign]
        assert set(part["image_id"]) == ids
    observers = subset.groupby("campaign", observed=True)["observer_id"].nunique().to_dict()
    assert observers == {"eye": 15, "mouse_amt": 755, "mouse_lab": 16}
    mouse = subset[subset["source"] == "mouse"]
    assert mouse["duration_ms"].isna().all() and set(mouse["campaign"]) == {"mouse_amt", "mouse_lab"}


def test_mouse_coordinates_are_row_col_1_based(subset: pd.DataFrame) -> None:
    for campaign in ("mouse_amt", "mouse_lab"):
        part = subset[subset["campaign"] == campaign]
        assert len(part) > 0
        assert part["x"].between(0, 800, inclusive="left").all()
        assert part["y"].between(0, 600, inclusive="left").all()
        # x / y not swapped: x spreads over the 800 px axis
        assert part["x"].max() - part["x"].min() > part["y"].max() - part["y"].min()
        assert part["x"].max() > 700
        assert (part["x"] == np.round(part["x"])).all()
    amt = subset[subset["campaign"] == "mouse_amt"]
    # raw [row, col] reach 1 and 600 / 800 exactly: 1-based integer pixel indices
    assert (amt["x"].min(), amt["x"].max(), amt["y"].min(), amt["y"].max()) == (0, 799, 0, 599)


def test_mouse_hand_check_against_scipy(root: Path, subset: pd.DataFrame) -> None:
    raw = scipy.io.loadmat(root / "data" / "mouse_lab" / "1001.mat")["fixations"][0, 0]
    row_, col_ = (float(v) for v in raw["coord"][0])
    assert (row_, col_) == (300.0, 400.0)  # the first in-lab sample: the image centre, [row, col]
    first = subset[(subset["campaign"] == "mouse_lab") & (subset["image_id"] == "1001")].iloc[0]
    assert first["observer_id"] == f"mouse_lab:{int(raw['subj'][0, 0])}"
    assert (first["x"], first["y"]) == (col_ - 1, row_ - 1)


def test_read_mat_equals_plain_loadmat_on_a_mouse_file(root: Path) -> None:
    path = root / "data" / "mouse_amt" / "1001.mat"
    plain = matfile.read_mat(path)
    raw = scipy.io.loadmat(path)["fixations"][0, 0]
    assert list(plain) == ["fixations"] and sorted(plain["fixations"]) == ["coord", "order", "subj"]
    np.testing.assert_array_equal(plain["fixations"]["coord"], raw["coord"])
    for key in ("subj", "order"):
        np.testing.assert_array_equal(plain["fixations"][key], raw[key].ravel())


def test_image_ids_variants_and_errors(root: Path) -> None:
    table = osie.load_fixations(root, sources=("eye", "mouse_lab"), image_ids=[1001, "1002.jpg"])
    assert set(table["image_id"]) == {"1001", "1002"}
    assert table["campaign"].tolist()[0] == "eye"  # sources order kept
    with pytest.raises(ValueError, match="9999"):
        osie.load_fixations(root, sources=("eye",), image_ids=["9999"])
    with pytest.raises(FileNotFoundError, match="1700.mat"):
        osie.load_fixations(root, sources=("mouse_amt",), image_ids=["1700"])  # eye-only image
    with pytest.raises(ValueError, match="sources"):
        osie.load_fixations(root, sources=("clicks",))
    with pytest.raises(ValueError, match="outside"):
        osie.load_fixations(root, sources=("eye",), outside="ignore")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- fixtures


def test_missing_folder_and_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="SUBSET_IDS.txt"):
        osie.load_images(tmp_path / "nowhere")
    (tmp_path / "SUBSET_IDS.txt").write_text("1001\n")
    with pytest.raises(FileNotFoundError, match="stimuli"):
        osie.load_images(tmp_path)
    with pytest.raises(FileNotFoundError, match="fixations.mat"):
        osie.load_fixations(tmp_path, sources=("eye",))


def _mouse_file(path: Path, **fields: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, {"fixations": fields}, do_compression=True)


def test_missing_field_names_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "data" / "mouse_lab" / "1001.mat"
    _mouse_file(path, subj=np.array([[1], [1]], np.uint16), order=np.array([[1], [2]], np.uint16))
    with pytest.raises(ValueError, match=r"1001\.mat.*'coord'"):
        osie.load_fixations(tmp_path, sources=("mouse_lab",))


def test_outside_points_in_a_fixture(tmp_path: Path) -> None:
    coord = np.array([[1, 1], [600, 800], [601, 5]], np.uint16)  # the last is below the image
    _mouse_file(
        tmp_path / "data" / "mouse_lab" / "1001.mat",
        subj=np.array([[3], [3], [4]], np.uint16),
        coord=coord,
        order=np.array([[1], [2], [1]], np.uint16),
    )
    with pytest.raises(ValueError, match=r"1 point\(s\) outside.*row 2"):
        osie.load_fixations(tmp_path, sources=("mouse_lab",), outside="raise")
    with pytest.warns(osie.OutsideImageWarning, match="1 of 3"):
        clipped = osie.load_fixations(tmp_path, sources=("mouse_lab",))
    assert clipped.attrs["n_outside_clipped"] == 1 and clipped.attrs["n_outside_dropped"] == 0
    assert clipped[["x", "y"]].to_numpy().tolist() == [[0, 0], [799, 599], [4, 599]]
    assert list(clipped["observer_id"]) == ["mouse_lab:3", "mouse_lab:3", "mouse_lab:4"]
    with pytest.warns(osie.OutsideImageWarning):
        dropped = osie.load_fixations(tmp_path, sources=("mouse_lab",), outside="drop")
    assert len(dropped) == 2 and dropped.attrs["n_outside_dropped"] == 1


def test_restrict_to_image_policies() -> None:
    table = pd.DataFrame({"x": [0.0, 9.99, 10.0, -0.5], "y": [0.0, 4.0, 1.0, 2.0]})
    with pytest.raises(ValueError, match=r"2 point\(s\).*row 2"):
        osie.restrict_to_image(table, 10, 5, "raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inside = osie.restrict_to_image(table.iloc[:2], 10, 5, "raise")
    assert inside.attrs["n_outside"] == 0
    with pytest.warns(osie.OutsideImageWarning):
        clipped = osie.restrict_to_image(table, 10, 5, "clip")
    assert clipped["x"].tolist() == [0.0, 9.99, 9.0, 0.0]  # inside points never move
    with pytest.warns(osie.OutsideImageWarning):
        dropped = osie.restrict_to_image(table, np.array([10, 10, 11, 10]), 5, "drop")
    assert dropped["x"].tolist() == [0.0, 9.99, 10.0]


def _write_v73_eye(path: Path, images: list[tuple[str, list[np.ndarray]]]) -> None:
    """A MAT v7.3 file in MATLAB's HDF5 layout: struct array fields as reference datasets."""
    path.parent.mkdir(parents=True, exist_ok=True)
    counter = iter(range(10**6))
    with h5py.File(path, "w", userblock_size=512) as f:
        refs = f.create_group("#refs#")

        def dataset(data: np.ndarray, cls: str) -> h5py.Reference:
            ds = refs.create_dataset(f"r{next(counter)}", data=data)
            ds.attrs["MATLAB_class"] = np.bytes_(cls)
            return ds.ref

        def struct(fields: dict[str, np.ndarray]) -> h5py.Reference:
            group = refs.create_group(f"g{next(counter)}")
            group.attrs["MATLAB_class"] = np.bytes_("struct")
            for name, values in fields.items():
                group.create_dataset(name, data=values.reshape(-1, 1)).attrs["MATLAB_class"] = np.bytes_("double")
            return group.ref

        top = f.create_group("fixations")
        top.attrs["MATLAB_class"] = np.bytes_("struct")
        img = top.create_dataset("img", shape=(1, len(images)), dtype=h5py.ref_dtype)
        subjects = top.create_dataset("subjects", shape=(1, len(images)), dtype=h5py.ref_dtype)
        for i, (name, subs) in enumerate(images):
            img[0, i] = dataset(np.frombuffer(name.encode("utf-16-le"), "<u2").reshape(-1, 1), "char")
            cell = [struct({"fix_x": s[:, 0], "fix_y": s[:, 1], "fix_duration": s[:, 2]}) for s in subs]
            subjects[0, i] = dataset(np.array(cell, dtype=h5py.ref_dtype).reshape(1, -1), "cell")
    with open(path, "r+b") as handle:
        handle.write(b"MATLAB 7.3 MAT-file, Platform: test, Created by saliqa tests".ljust(116))


def test_v73_eye_file_is_read_with_h5py(tmp_path: Path) -> None:
    path = tmp_path / "data" / "eye" / "fixations.mat"
    a = np.array([[10.0, 20.0, 200.0], [30.0, 40.0, 150.0]])
    b = np.array([[800.0, 600.0, 90.0]])
    _write_v73_eye(path, [("1001.jpg", [a, b]), ("1002.jpg", [b])])
    assert matfile.mat_version(path) == "7.3"
    table = osie.load_fixations(tmp_path, sources=("eye",))
    assert table["image_id"].tolist() == ["1001", "1001", "1001", "1002"]
    assert table["observer_id"].tolist() == ["eye:1", "eye:1", "eye:2", "eye:1"]
    assert table[["x", "y", "duration_ms"]].to_numpy().tolist() == [
        [9, 19, 200],
        [29, 39, 150],
        [799, 599, 90],
        [799, 599, 90],
    ]
    assert table["order"].tolist() == [0, 1, 0, 0]


def _struct_array(**columns: list) -> np.ndarray:
    """A 1 x N MATLAB struct array for scipy.io.savemat (one list per field)."""
    n = len(next(iter(columns.values())))
    out = np.empty((1, n), dtype=[(k, object) for k in columns])
    for k, values in columns.items():
        for i, v in enumerate(values):
            out[0, i][k] = v
    return out


def _v5_eye(path: Path, images: list[tuple[str, list[np.ndarray]]]) -> None:
    """The eye file of the shared copy in MATLAB v5: fixations(i).{img, subjects{j}.{fix_*}}."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subjects = []
    for _, subs in images:
        cell = np.empty((len(subs), 1), dtype=object)
        for j, s in enumerate(subs):
            cell[j, 0] = {
                "fix_x": s[:, 0].reshape(1, -1),
                "fix_y": s[:, 1].reshape(1, -1),
                "fix_duration": s[:, 2].astype(np.uint16).reshape(1, -1),
            }
        subjects.append(cell)
    table = _struct_array(img=[name for name, _ in images], subjects=subjects)
    scipy.io.savemat(path, {"fixations": table.T}, do_compression=True)


def test_v5_and_v73_eye_fixtures_give_the_same_table(tmp_path: Path) -> None:
    """The same fixations written by scipy (v5) and in MATLAB's HDF5 layout (v7.3); a subject
    with a single fixation comes back from scipy as scalars (squeezed) and still reads."""
    a = np.array([[10.0, 20.0, 200.0], [30.0, 40.0, 150.0]])
    b = np.array([[800.0, 600.0, 90.0]])
    images = [("1001.jpg", [a, b]), ("1002.jpg", [b])]
    _v5_eye(tmp_path / "v5" / "data" / "eye" / "fixations.mat", images)
    _write_v73_eye(tmp_path / "v73" / "data" / "eye" / "fixations.mat", images)
    assert matfile.mat_version(tmp_path / "v5" / "data" / "eye" / "fixations.mat") == "5"
    v5 = osie.load_fixations(tmp_path / "v5", sources=("eye",))
    v73 = osie.load_fixations(tmp_path / "v73", sources=("eye",))
    pd.testing.assert_frame_equal(v5, v73)
    assert v5[["x", "y", "duration_ms"]].to_numpy().tolist() == [
        [9, 19, 200],
        [29, 39, 150],
        [799, 599, 90],
        [799, 599, 90],
    ]


# ---------------------------------------------------------------------------- matfile


def test_read_mat_plain_form(tmp_path: Path) -> None:
    path = tmp_path / "a.mat"
    cell = np.empty((2, 1), dtype=object)
    cell[0, 0], cell[1, 0] = "ab", np.array([[1.0, 2.0, 3.0]])
    scipy.io.savemat(
        path,
        {
            "s": {"name": "x.jpg", "one": 7.0, "row": np.array([[1.0, 2.0]]), "m": np.arange(6.0).reshape(3, 2)},
            "arr": _struct_array(k=[np.array([[1.0]]), np.array([[2.0, 3.0]])]),
            "c": cell,
        },
    )
    plain = matfile.read_mat(path)
    assert sorted(plain) == ["arr", "c", "s"]  # no __header__ & co.
    s = plain["s"]
    assert s["name"] == "x.jpg" and s["one"] == 7.0 and s["row"].shape == (2,)
    np.testing.assert_array_equal(matfile.rows(s["row"], "a.mat: s", "row"), [[1.0, 2.0]])
    np.testing.assert_array_equal(matfile.rows(s["m"], "a.mat: s", "m"), np.arange(6.0).reshape(3, 2))
    assert [matfile.vector(r["k"], "", "k").tolist() for r in matfile.records(plain["arr"])] == [[1.0], [2.0, 3.0]]
    assert matfile.records(s) == [s] and matfile.records(np.empty(0)) == []
    assert list(plain["c"])[0] == "ab"
    assert matfile.read_mat(path, variable_names=["c", "absent"]).keys() == {"c"}
    assert matfile.rows(np.empty((0, 0)), "", "enc").shape == (0, 2)


def test_matfile_errors_name_the_file_and_field(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere.mat"):
        matfile.read_mat(tmp_path / "nowhere.mat")
    text = tmp_path / "notes.mat"
    text.write_text("not a MAT-file\n" * 20)
    with pytest.raises(ValueError, match=r"notes\.mat.*not a MATLAB MAT-file"):
        matfile.read_mat(text)
    good = tmp_path / "good.mat"
    scipy.io.savemat(good, {"v": np.arange(1000.0)}, do_compression=True)
    broken = tmp_path / "broken.mat"
    broken.write_bytes(good.read_bytes()[:300])
    with pytest.raises(ValueError, match=r"broken\.mat: unreadable MAT-file version 5"):
        matfile.read_mat(broken)
    with pytest.raises(ValueError, match=r"a\.mat: s: missing field 'enc' \(fields present: \['x'\]\)"):
        matfile.field({"x": 1}, "enc", "a.mat: s")
    with pytest.raises(ValueError, match="field 'fix_x' is not numeric"):
        matfile.vector("12", "a.mat", "fix_x")
    with pytest.raises(ValueError, match=r"'fix_x' has shape \(2, 2\); expected a vector"):
        matfile.vector(np.ones((2, 2)), "a.mat", "fix_x")
    with pytest.raises(ValueError, match=r"'coord' has shape \(4, 3\); expected N x 2 \[row, col\]"):
        matfile.rows(np.ones((4, 3)), "a.mat", "coord", "[row, col]")
    v4 = tmp_path / "v4.mat"
    scipy.io.savemat(v4, {"v": np.arange(3.0)}, format="4")
    assert matfile.mat_version(v4) == "4" and matfile.vector(matfile.read_mat(v4)["v"], "", "v").tolist() == [0, 1, 2]


def test_eye_file_in_the_wrong_form_is_named(tmp_path: Path) -> None:
    path = tmp_path / "data" / "eye" / "fixations.mat"
    path.parent.mkdir(parents=True)
    subjects = np.empty((1, 1), dtype=object)
    subjects[0, 0] = {"fix_x": np.array([[1.0, 2.0]]), "fix_y": np.array([[1.0]]), "fix_duration": np.array([[5.0]])}
    scipy.io.savemat(path, {"fixations": _struct_array(img=["1001.jpg"], subjects=[subjects])})
    with pytest.raises(ValueError, match=r"fixations\(1\)\.subjects\{1\}: fix_x, fix_y, fix_duration lengths differ"):
        osie.load_fixations(tmp_path, sources=("eye",))
    scipy.io.savemat(path, {"other": np.ones(3)})
    with pytest.raises(ValueError, match=r"fixations\.mat: missing field 'fixations'"):
        osie.load_fixations(tmp_path, sources=("eye",))
