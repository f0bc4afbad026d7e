"""CLIVE loader (saliqa.datasets.clive): official release layout written by the test, and iqa-meta."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import require
from PIL import Image
from scipy.io import savemat

from saliqa.datasets import clive, iqa_meta
from saliqa.datasets.tables import validate

NAMES = ["t1.bmp", "t2.bmp", "100.bmp", "1000.JPG", "101.bmp"]


def _release(root: Path, *, names=NAMES, mos=None, std=True, images=True) -> Path:
    rel = root / "ChallengeDB_release"
    (rel / "Data").mkdir(parents=True)
    (rel / "Images" / "trainingImages").mkdir(parents=True)
    cell = np.empty((len(names), 1), dtype=object)
    for i, n in enumerate(names):
        cell[i, 0] = n
    savemat(rel / "Data" / "AllImages_release.mat", {"AllImages_release": cell})
    mos = np.linspace(30.0, 70.0, len(names)) if mos is None else np.asarray(mos, dtype=float)
    savemat(rel / "Data" / "AllMOS_release.mat", {"AllMOS_release": mos[None, :]})
    if std:
        savemat(rel / "Data" / "AllStdDev_release.mat", {"AllStdDev_release": np.full((1, len(names)), 15.0)})
    if images:
        for i, n in enumerate(names):
            folder = rel / "Images" / ("trainingImages" if n.startswith("t") else "")
            size = (12, 10) if i == 3 else (16, 16)  # (width, height)
            Image.fromarray(np.full((size[1], size[0], 3), 40 * i, np.uint8)).save(
                folder / n, format="JPEG" if n.lower().endswith(".jpg") else "BMP"
            )
    return rel


def test_release_layout(tmp_path: Path):
    _release(tmp_path)
    t = clive.load_images(tmp_path)  # the folder holding ChallengeDB_release/
    validate(t, "images")
    assert t["image_id"].tolist() == ["100.bmp", "1000.JPG", "101.bmp"] and t.attrs["n_training_dropped"] == 2
    np.testing.assert_allclose(t["mos"], [50.0, 60.0, 70.0])
    assert (t["std"] == 15.0).all() and not t["is_training"].any()
    assert t.loc[1, ["width", "height"]].tolist() == [12, 10] and t.loc[0, ["width", "height"]].tolist() == [16, 16]
    assert t["path"].map(lambda p: Path(p).is_file()).all()
    full = clive.load_images(tmp_path / "ChallengeDB_release", include_training=True)
    assert full["is_training"].tolist() == [True, True, False, False, False]
    assert full.loc[0, "path"].endswith("trainingImages/t1.bmp")


def test_optional_std_and_nominal_size(tmp_path: Path):
    _release(tmp_path, std=False)
    t = clive.load_images(tmp_path, read_sizes=False)
    assert t["std"].isna().all() and (t["width"] == 500).all()


def test_errors(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="AllImages_release.mat.*expected layout"):
        clive.load_images(tmp_path)
    _release(tmp_path / "a", mos=[10, 20, 30, 40])  # 4 MOS for 5 names
    with pytest.raises(ValueError, match="AllMOS_release has 4 values but AllImages_release lists 5"):
        clive.load_images(tmp_path / "a")
    _release(tmp_path / "b", mos=[10, 20, 130, 40, 50])
    with pytest.raises(ValueError, match=r"AllMOS_release\[2\] = 130.0 \('100.bmp'\); expected MOS in \[0, 100\]"):
        clive.load_images(tmp_path / "b")
    _release(tmp_path / "c", images=False)
    with pytest.raises(FileNotFoundError, match="5 of 5 CLIVE images not found"):
        clive.load_images(tmp_path / "c", include_training=True)
    rel = _release(tmp_path / "d")
    savemat(rel / "Data" / "AllMOS_release.mat", {"MOS": np.zeros((1, 5))})
    with pytest.raises(ValueError, match=r"no variable 'AllMOS_release' \(found \['MOS'\]\)"):
        clive.load_images(tmp_path / "d")


@pytest.mark.shared_data
def test_iqa_meta_clive(shared_data: Path):
    root = require(shared_data / "iqa-meta" / "pyiqa" / "data" / "meta_info").parents[2]
    t = clive.load_iqa_meta(root)
    assert len(t) == 1162 and t.attrs["n_training_dropped"] == 7 and t.attrs["dataset"] == "CLIVE"
    assert not t["image_id"].str.startswith("t").any() and t["mos"].between(0, 100).all()
    full = clive.load_iqa_meta(root, include_training=True)
    assert len(full) == 1169 and full["is_training"].sum() == 7
    assert full["image_id"].head(7).tolist() == [f"t{k}.bmp" for k in range(1, 8)]
    np.testing.assert_allclose(full["mos"], iqa_meta.load_mos_table(root, "clive")["mos"])
