"""FLIVE loader (saliqa.datasets.flive): the real label files and an official-layout fixture."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import require
from PIL import Image

from saliqa import patches as P
from saliqa.datasets import flive
from saliqa.datasets.tables import validate

BOX = ("left", "top", "right", "bottom")


@pytest.fixture(scope="module")
def real_db(shared_data: Path) -> Path:
    return require(shared_data / "flive" / "database" / "labels_image.csv").parent


# ------------------------------------------------------------------------------ real files


@pytest.mark.shared_data
def test_real_images_table(real_db: Path):
    t = flive.load_images(real_db.parent)  # the parent of database/ is accepted too
    assert len(t) == 39810 and t["image_id"].is_unique
    validate(t.dropna(subset=["width"]), "images")
    assert t["mos"].between(0, 100).all() and t["std"].isna().all()
    assert t.attrs["n_images_present"] == 3 and not t.attrs["images_present"]
    assert t.attrs["n_size_unknown"] == 39810 - 1830  # 1,827 boxed + the 3 real pictures read from their files
    assert (t["split"] == "test").sum() == 1827 and t["split"].isna().sum() == 39810 - 1827
    assert t["exceeds_canvas"].sum() == 1830
    assert t["source"].value_counts().to_dict() == {"voc_emotic_ava": 38808, "blur_dataset": 999, "EE371R": 3}
    rq = t.set_index("image_id").loc["EE371R/rq85.jpg"]
    assert (rq["width"], rq["height"]) == (1080, 607) and rq["path"].endswith("EE371R/rq85.jpg")


@pytest.mark.shared_data
def test_real_patches_table(real_db: Path):
    images, patches = flive.load_patches(real_db)
    assert len(images) == 1827 and len(patches) == 3 * 1827
    validate(images, "images")
    validate(patches, "patches")
    assert (images["split"] == "test").all()
    assert ((images["width"] > 640) | (images["height"] > 640)).all()  # the test set of Sec. 4.1
    assert patches["follows_size_rule"].all() and patches.attrs["n_size_rule_violations"] == 0
    assert patches["fraction"].tolist()[:3] == [0.4, 0.3, 0.2]
    first = patches.iloc[0]
    assert first["patch_id"] == "patches/EMOTIC__cwpvmtkuw83q2or3za.jpg_patch_1.jpg"
    assert [first[c] for c in BOX] == [564, 206, 1044, 470]  # left, top, right, bottom of CSV line 2
    assert patches["path"].isna().all()  # these pictures' patch files are not in the shared copy
    # picture MOS of labels640.csv equals labels_image.csv (load_images would raise otherwise)
    all_images = flive.load_images(real_db)
    mos = all_images.set_index("image_id").loc[images["image_id"], "mos"].to_numpy()
    np.testing.assert_allclose(mos, images["mos"], atol=1e-6)


@pytest.mark.shared_data
def test_real_database_and_located_patches(real_db: Path):
    db = flive.load_database(real_db)
    assert db.ratings is None and db.patch_mos is None
    assert db.files == {
        "labels_image.csv": True,
        "labels640.csv": True,
        "labels=640_padded.csv": False,
        "labels_patch.csv": False,
        "patches/": True,
    }
    assert not db.images_present and not db.patch_files_present
    located = flive.locate_patches(real_db)
    validate(located, "patches")
    assert sorted(located["image_id"].unique()) == ["EE371R/rq59.jpg", "EE371R/rq73.jpg", "EE371R/rq85.jpg"]
    assert len(located) == 9 and located["follows_size_rule"].all() and located["mos"].isna().all()
    assert (located["runner_up_ratio"] > 20).all()
    check = flive.check_patch_files(db.images, located)
    assert check["match"].all() and check.attrs["n_skipped"] == 0
    assert check["mad"].max() < 2.0 and check["psnr"].min() > 40.0  # measured: MAD <= 1.74, PSNR >= 40.97 dB


# ------------------------------------------------------------------ official-layout fixture


def _published_crop(img: np.ndarray, box) -> np.ndarray:
    """FLIVE's published preparation code: ``img[top:top + width, left:left + height]``."""
    left, top, right, bottom = box
    return img[top : top + (right - left), left : left + (bottom - top)]


def _wide_rows(names: list[str], sizes: np.ndarray, boxes: np.ndarray, mos_img, mos_patch) -> pd.DataFrame:
    rows = []
    for name, (w, h), bx, mi, mp in zip(names, sizes, boxes, mos_img, mos_patch):
        row: dict = {"name_patch": f"patches/{Path(name).name}"}
        for k in (1, 2, 3):
            left, top, right, bottom = (int(v) for v in bx[k - 1])
            row.update(
                {
                    f"mos_patch_{k}": mp[k - 1],
                    f"width_patch_{k}": right - left,
                    f"height_patch_{k}": bottom - top,
                    f"top_patch_{k}": top,
                    f"left_patch_{k}": left,
                    f"bottom_patch_{k}": bottom,
                    f"right_patch_{k}": right,
                }
            )
        row.update(
            {
                "mos_image": mi,
                "name_image": name,
                "width_image": int(w),
                "height_image": int(h),
                "top_image": 0,
                "left_image": 0,
                "bottom_image": int(h),
                "right_image": int(w),
            }
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _write_fixture(root: Path, real_db: Path | None, *, crop=P.crop_patch) -> Path:
    """database/ with the 3 real pictures (boxes located from their shipped patch files) and 2 synthetic ones."""
    db = root / "database"
    (db / "patches").mkdir(parents=True)
    (db / "voc_emotic_ava").mkdir()
    names, sizes, boxes = [], [], []
    if real_db is not None:
        (db / "EE371R").mkdir()
        located = flive.locate_patches(real_db)
        for image_id, g in located.groupby("image_id", sort=True):
            shutil.copy(real_db / image_id, db / image_id)
            for k in (1, 2, 3):
                shutil.copy(real_db / flive.patch_file_name(image_id, k), db / flive.patch_file_name(image_id, k))
            with Image.open(db / image_id) as im:
                sizes.append(im.size)
            names.append(image_id)
            boxes.append(g.sort_values("patch_index")[list(BOX)].to_numpy())
    rng = np.random.default_rng(0)
    syn_sizes = np.array([[700, 400], [660, 880]])
    syn_boxes = P.sample_patch_boxes(syn_sizes, seed=2)
    for i, ((w, h), bx) in enumerate(zip(syn_sizes, syn_boxes)):
        name = f"voc_emotic_ava/SYN__{i}.jpg"
        # smooth random picture (JPEG-friendly) so re-encoding errors stay small
        small = rng.integers(0, 256, (h // 20 + 1, w // 20 + 1, 3)).astype(np.uint8)
        img = np.asarray(Image.fromarray(small).resize((w, h), Image.BILINEAR))
        Image.fromarray(img).save(db / name, quality=95)
        with Image.open(db / name) as im:
            decoded = np.asarray(im.convert("RGB"))
        for k in (1, 2, 3):
            Image.fromarray(np.ascontiguousarray(crop(decoded, bx[k - 1]))).save(
                db / flive.patch_file_name(name, k), quality=95
            )
        names.append(name)
        sizes.append((w, h))
        boxes.append(bx)
    n = len(names)
    mos_img = np.linspace(40, 80, n)
    mos_patch = np.column_stack([mos_img + 2, mos_img, mos_img - 2])
    _wide_rows(names, np.array(sizes), np.array(boxes), mos_img, mos_patch).to_csv(db / "labels640.csv", index=False)
    pd.DataFrame({"name": [*names, "blur_dataset/motion0001.jpg"], "mos": [*mos_img, 50.0]}).to_csv(
        db / "labels_image.csv", index=False
    )
    return db


@pytest.mark.shared_data
def test_fixture_real_pictures_cropped_by_csv_boxes_reproduce_patch_files(tmp_path: Path, real_db: Path):
    db_dir = _write_fixture(tmp_path, real_db)
    db = flive.load_database(tmp_path)
    assert len(db.images) == 6 and db.images.attrs["n_images_present"] == 5
    assert len(db.patches) == 15 and db.patch_files_present
    assert (db.patches["box_source"] == "labels").all() and db.patches["follows_size_rule"].all()
    boxed = db.images.dropna(subset=["width"])
    check = flive.check_patch_files(boxed, db.patches)
    assert len(check) == 15 and check["match"].all(), check
    assert flive.locate_patches(db_dir).empty  # every picture with patch files has its boxes now


def test_fixture_swapped_axes_patch_files_fail_the_check(tmp_path: Path):
    """Patch files written by the published preparation code's crop do not match the CSV boxes."""
    _write_fixture(tmp_path, None, crop=_published_crop)
    db = flive.load_database(tmp_path)
    check = flive.check_patch_files(db.images, db.patches)
    assert len(check) == 6 and not check["match"].any()
    assert not check["same_shape"].any()  # 40 % of 700 x 400 -> 280 x 160 vs 160 x 280 (clipped)


def test_fixture_synthetic_only_matches(tmp_path: Path):
    _write_fixture(tmp_path, None)
    db = flive.load_database(tmp_path)
    check = flive.check_patch_files(db.images, db.patches)
    assert check["match"].all() and (check["shift_sharpness"] > 1).all()
    assert pd.isna(db.images.set_index("image_id").loc["blur_dataset/motion0001.jpg", "path"])


# ------------------------------------------------------------------------------------ errors


def _minimal(root: Path) -> Path:
    db = root / "database"
    db.mkdir(parents=True)
    sizes = np.array([[800, 600], [900, 500]])
    boxes = P.sample_patch_boxes(sizes, seed=0)
    wide = _wide_rows(["a/x.jpg", "a/y.jpg"], sizes, boxes, [50.0, 60.0], [[50, 51, 52], [60, 61, 62]])
    wide.to_csv(db / "labels640.csv", index=False)
    pd.DataFrame({"name": ["a/x.jpg", "a/y.jpg"], "mos": [50.0, 60.0]}).to_csv(db / "labels_image.csv", index=False)
    return db


def test_missing_labels_names_layout(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="labels_image.csv.*expected layout"):
        flive.load_images(tmp_path)


def test_missing_column_named(tmp_path: Path):
    db = _minimal(tmp_path)
    pd.read_csv(db / "labels640.csv").drop(columns="right_patch_2").to_csv(db / "labels640.csv", index=False)
    with pytest.raises(ValueError, match=r"labels640.csv: missing column\(s\) \['right_patch_2'\]"):
        flive.load_patches(db)


def test_inconsistent_width_named(tmp_path: Path):
    db = _minimal(tmp_path)
    d = pd.read_csv(db / "labels640.csv")
    d.loc[1, "width_patch_3"] += 1
    d.to_csv(db / "labels640.csv", index=False)
    with pytest.raises(ValueError, match=r"row 1 \(CSV line 3\) column 'width_patch_3'.*right - left"):
        flive.load_patches(db)


def test_box_outside_picture_named(tmp_path: Path):
    db = _minimal(tmp_path)
    d = pd.read_csv(db / "labels640.csv")
    shift = 900 - int(d.loc[1, "right_patch_1"]) + 5
    d.loc[1, ["left_patch_1", "right_patch_1"]] += shift
    d.to_csv(db / "labels640.csv", index=False)
    with pytest.raises(ValueError, match=r"row 1 \(CSV line 3\) patch 1 box .* not inside the 900 x 500 picture"):
        flive.load_patches(db)


def test_bad_mos_and_duplicates_named(tmp_path: Path):
    db = _minimal(tmp_path)
    pd.DataFrame({"name": ["a/x.jpg", "a/y.jpg"], "mos": [50.0, "n/a"]}).to_csv(db / "labels_image.csv", index=False)
    with pytest.raises(ValueError, match=r"labels_image.csv: row 1 \(CSV line 3\) field 'mos' = 'n/a'"):
        flive.load_images(db)
    pd.DataFrame({"name": ["a/x.jpg", "a/x.jpg"], "mos": [50.0, 60.0]}).to_csv(db / "labels_image.csv", index=False)
    with pytest.raises(ValueError, match="row 1 .* repeats picture 'a/x.jpg'"):
        flive.load_images(db)


def test_mos_disagreement_between_files(tmp_path: Path):
    db = _minimal(tmp_path)
    pd.DataFrame({"name": ["a/x.jpg", "a/y.jpg"], "mos": [50.0, 61.0]}).to_csv(db / "labels_image.csv", index=False)
    with pytest.raises(ValueError, match="'a/y.jpg': MOS 60.0 in labels640.csv but 61.0"):
        flive.load_images(db)


def test_padded_file_splits_and_patch_labels(tmp_path: Path):
    db = _minimal(tmp_path)
    sizes = np.array([[600, 400], [500, 500]])
    boxes = P.sample_patch_boxes(sizes, seed=1)
    padded = _wide_rows(["b/p.jpg", "b/q.jpg"], sizes, boxes, [40.0, 45.0], [[1, 2, 3], [4, 5, 6]])
    padded["is_valid"] = [True, False]
    padded.to_csv(db / "labels=640_padded.csv", index=False)
    pd.DataFrame({"name": ["a/x.jpg", "a/y.jpg", "b/p.jpg", "b/q.jpg"], "mos": [50.0, 60.0, 40.0, 45.0]}).to_csv(
        db / "labels_image.csv", index=False
    )
    pd.DataFrame({"name": ["patches/p.jpg_patch_1.jpg", "patches/q.jpg_patch_3.jpg"], "mos": [11.0, 12.0]}).to_csv(
        db / "labels_patch.csv", index=False
    )
    t = flive.load_images(db)
    assert t.set_index("image_id")["split"].to_dict() == {
        "a/x.jpg": "test",
        "a/y.jpg": "test",
        "b/p.jpg": "val",
        "b/q.jpg": "train",
    }
    pm = flive.load_patch_mos(db)
    assert pm["image_file"].tolist() == ["p.jpg", "q.jpg"] and pm["patch_index"].tolist() == [1, 3]
    dbase = flive.load_database(db)
    assert len(dbase.patches) == 12 and dbase.files["labels_patch.csv"]
