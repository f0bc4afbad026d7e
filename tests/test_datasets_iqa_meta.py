"""IQA-PyTorch meta_info MOS tables (../shared/data/iqa-meta) and MOS rescaling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import require

from saliqa.datasets import iqa_meta
from saliqa.datasets.tables import validate


@pytest.fixture(scope="module")
def root(shared_data: Path) -> Path:
    return require(shared_data / "iqa-meta" / "pyiqa" / "data" / "meta_info").parents[2]


@pytest.mark.shared_data
def test_all_known_csvs_present(root: Path) -> None:
    assert iqa_meta.available(root) == list(iqa_meta.DATASETS)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("dataset", "rows", "jpeg", "contents", "score_range"),
    [
        ("LIVE", 779, 175, 29, (0, 100)),
        ("TID2013", 3000, 125, 25, (0, 9)),
        ("TID2008", 1700, 100, 25, (0, 9)),
        ("CSIQ", 866, 150, 30, (0, 1)),
        ("KADID10k", 10125, 405, 81, (1, 5)),
        ("LIVEMD", 450, 45, 15, (0, 100)),
    ],
)
def test_synthetic_distortion_sets(
    root: Path, dataset: str, rows: int, jpeg: int, contents: int, score_range: tuple[float, float]
) -> None:
    table = iqa_meta.load_mos_table(root, dataset)
    assert len(table) == rows and table["image_id"].is_unique
    assert table["content_id"].nunique() == contents
    assert table["mos"].between(*score_range).all()
    subset = iqa_meta.jpeg_subset(table)
    assert len(subset) == jpeg and (subset["distortion"] == "jpeg").all()
    assert subset.attrs["dataset"] == table.attrs["dataset"] == dataset
    assert table["mos_kind"].iloc[0] == table.attrs["mos_kind"]


@pytest.mark.shared_data
def test_live_is_dmos_without_levels(root: Path) -> None:
    live = iqa_meta.load_mos_table(root, "live")
    assert (live["mos_kind"] == "dmos").all() and live.attrs["higher_is_better"] is False
    assert live["distortion"].value_counts().to_dict() == {
        "jpeg": 175,
        "jpeg2000": 169,
        "white_noise": 145,
        "gaussian_blur": 145,
        "fast_fading": 145,
    }
    assert live["level"].isna().all() and live["width"].isna().all()
    jpeg = iqa_meta.jpeg_subset(live)
    assert jpeg["image_id"].str.startswith("jpeg/").all()
    assert 17 < jpeg["mos"].min() < jpeg["mos"].max() < 81
    common = iqa_meta.to_common_scale(live)
    np.testing.assert_allclose(common, 100 - live["mos"].to_numpy())


@pytest.mark.shared_data
def test_tid2013_names_parse(root: Path) -> None:
    tid = iqa_meta.load_mos_table(root, "TID2013")
    validate(tid, "images")
    row = tid.set_index("image_id").loc["i01_10_1.bmp"]
    assert (row["distortion"], row["level"], row["content_id"]) == ("jpeg", 1.0, "I01")
    assert (row["width"], row["height"]) == (512, 384)
    jpeg = iqa_meta.jpeg_subset(tid)
    assert sorted(jpeg["level"].unique()) == [1, 2, 3, 4, 5]
    assert jpeg.groupby("level").size().eq(25).all()
    assert jpeg["image_id"].str.match(r"(?i)i\d\d_10_\d\.bmp").all()
    assert 1.1 < jpeg["mos"].min() and jpeg["mos"].max() < 6.4
    # higher is better: the mean MOS falls from the mildest to the strongest level
    assert tid.groupby("level")["mos"].mean().is_monotonic_decreasing
    assert tid.attrs["native_range"] == (0.0, 9.0) and tid.attrs["higher_is_better"] is True


@pytest.mark.shared_data
def test_orientation_checked_on_levels(root: Path) -> None:
    csiq = iqa_meta.load_mos_table(root, "csiq")
    assert csiq.groupby("level")["mos"].mean().is_monotonic_increasing  # DMOS: lower is better
    assert csiq.attrs["higher_is_better"] is False
    kadid = iqa_meta.load_mos_table(root, "kadid")
    assert kadid.groupby("level")["mos"].mean().is_monotonic_decreasing  # "dmos" yet higher is better
    assert kadid.attrs["higher_is_better"] is True and kadid.attrs["mos_kind"] == "dmos"


@pytest.mark.shared_data
def test_authentic_sets(root: Path) -> None:
    koniq = iqa_meta.load_mos_table(root, "koniq")
    validate(koniq, "images")
    assert koniq["split"].value_counts().to_dict() == {"train": 7058, "test": 2015, "val": 1000}
    assert (koniq["distortion"] == "authentic").all() and len(iqa_meta.jpeg_subset(koniq)) == 0
    assert koniq["mos"].between(0, 100).all() and koniq["std"].notna().all()
    clive = iqa_meta.load_mos_table(root, "LIVEChallenge")
    assert len(clive) == 1169 and clive["mos"].between(0, 100).all()
    pipal = iqa_meta.load_mos_table(root, "pipal")
    with pytest.raises(ValueError, match="native range"):
        iqa_meta.to_common_scale(pipal)


def test_rescale_mos_hand_values() -> None:
    np.testing.assert_allclose(iqa_meta.rescale_mos([0, 4.5, 9], (0, 9)), [0, 50, 100])
    np.testing.assert_allclose(iqa_meta.rescale_mos([0, 25, 100], (0, 100), invert=True), [100, 75, 0])
    np.testing.assert_allclose(iqa_meta.rescale_mos([1, 5], (1, 5), to=(0, 1)), [0, 1])
    np.testing.assert_allclose(iqa_meta.rescale_mos([-3.0], (0, 100), invert=True), [103.0])  # not clipped
    with pytest.raises(ValueError, match="native_range"):
        iqa_meta.rescale_mos([1.0], (5, 5))


def _meta(tmp_path: Path, name: str, frame: pd.DataFrame) -> Path:
    folder = tmp_path / "pyiqa" / "data" / "meta_info"
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / name, index=False)
    return tmp_path


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="meta_info"):
        iqa_meta.load_mos_table(tmp_path / "none", "live")
    with pytest.raises(ValueError, match="unknown IQA dataset"):
        iqa_meta.load_mos_table(tmp_path, "not-a-dataset")
    good = pd.DataFrame(
        {
            "ref_name": ["I01.BMP"] * 2,
            "dist_name": ["i01_10_1.bmp", "i01_10_2.bmp"],
            "mos": [5.0, 4.0],
            "std": [0.1, 0.2],
        }
    )
    root = _meta(tmp_path, "meta_info_TID2013Dataset.csv", good.drop(columns="mos"))
    with pytest.raises(ValueError, match=r"meta_info_TID2013Dataset\.csv.*'mos'"):
        iqa_meta.load_mos_table(root, "tid2013")
    _meta(tmp_path, "meta_info_TID2013Dataset.csv", good.assign(mos=[5.0, np.nan]))
    with pytest.raises(ValueError, match=r"row 1 \(CSV line 3\) \('i01_10_2\.bmp'\) field 'mos'"):
        iqa_meta.load_mos_table(root, "tid2013")
    _meta(tmp_path, "meta_info_TID2013Dataset.csv", good.assign(dist_name=["i01_10_1.bmp", "x.bmp"]))
    with pytest.raises(ValueError, match="row 1.*x.bmp"):
        iqa_meta.load_mos_table(root, "tid2013")
    with pytest.raises(FileNotFoundError, match="CSVs present"):
        iqa_meta.load_mos_table(root, "csiq")
