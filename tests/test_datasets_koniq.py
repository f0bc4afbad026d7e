"""KonIQ-10k loader (saliqa.datasets.koniq): the real label-only folder and an official-layout fixture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import require
from PIL import Image

from saliqa.datasets import iqa_meta, koniq
from saliqa.datasets.tables import validate


@pytest.fixture(scope="module")
def real_root(shared_data: Path) -> Path:
    return require(shared_data / "koniq" / "metadata" / koniq.LABELS).parents[1]


@pytest.mark.shared_data
def test_real_labels_only(real_root: Path):
    t = koniq.load_images(real_root)
    validate(t, "images")
    assert len(t) == 10073 and t["image_id"].is_unique
    assert not t.attrs["images_present"] and t.attrs["resolution"] is None and t["path"].isna().all()
    assert (t["width"] == 1024).all() and (t["height"] == 768).all()
    assert t["split"].value_counts().to_dict() == {"train": 7058, "test": 2015, "val": 1000}
    assert t["mos"].between(3.9, 88.4).all()
    votes = koniq.vote_counts(t)
    assert votes.sum() == 1078154 and (votes.sum(axis=1) == t["n_ratings"]).all()
    # SD is the sample std (ddof = 1) of the votes on the 1-5 scale
    k = np.arange(1, 6)
    n = votes.sum(axis=1)
    mean = votes @ k / n
    sd = np.sqrt((votes @ k**2 - n * mean**2) / (n - 1))
    np.testing.assert_allclose(sd, t["std"], atol=1e-9)
    # agrees with IQA-PyTorch's derived table of the same file
    meta = iqa_meta.load_mos_table(real_root.parent / "iqa-meta", "koniq")
    np.testing.assert_allclose(meta["mos"], t["mos"], atol=1e-9)
    assert (meta["split"].to_numpy() == t["split"].to_numpy()).all()


def _fixture(root: Path, folder: str | None, n: int = 4) -> pd.DataFrame:
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    c = rng.dirichlet(np.ones(5), n)
    total = np.full(n, 100)
    c = np.round(c * total[:, None]) / total[:, None]
    c[:, 4] = 1 - c[:, :4].sum(axis=1)
    table = pd.DataFrame(
        {
            "image_name": [f"{i}.jpg" for i in range(n)],
            **{f"c{k}": c[:, k - 1] for k in range(1, 6)},
            "c_total": total,
            "MOS": np.linspace(20, 80, n),
            "SD": 0.5,
            "set": ["training", "validation", "test", "test"][:n],
        }
    )
    table.to_csv(root / koniq.LABELS, index=False)
    if folder is not None:
        (root / folder).mkdir()
        w, h = koniq.RESOLUTIONS[folder]
        for name in table["image_name"]:
            Image.fromarray(np.zeros((h // 8, w // 8, 3), np.uint8)).save(root / folder / name)
    return table


def test_fixture_with_images(tmp_path: Path):
    _fixture(tmp_path, "512x384")
    t = koniq.load_images(tmp_path)
    assert t.attrs["images_present"] and t.attrs["resolution"] == "512x384"
    assert t["path"].map(lambda p: Path(p).is_file()).all()
    assert (t["width"] == 512).all() and (t["height"] == 384).all()
    assert t["split"].tolist() == ["train", "val", "test", "test"]
    assert koniq.load_images(tmp_path, resolution=None)["path"].isna().all()
    with pytest.raises(FileNotFoundError, match="1024x768"):
        koniq.load_images(tmp_path, resolution="1024x768")
    with pytest.raises(ValueError, match="resolution must be"):
        koniq.load_images(tmp_path, resolution="800x600")


def test_fixture_missing_image_counted(tmp_path: Path):
    _fixture(tmp_path, "1024x768")
    (tmp_path / "1024x768" / "2.jpg").unlink()
    with pytest.raises(FileNotFoundError, match=r"1 of 4 KonIQ-10k images not found .*2\.jpg"):
        koniq.load_images(tmp_path)


def test_errors_name_row_and_column(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="expected layout"):
        koniq.load_images(tmp_path)
    table = _fixture(tmp_path, None)
    table.drop(columns="SD").to_csv(tmp_path / koniq.LABELS, index=False)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['SD'\]"):
        koniq.load_images(tmp_path)
    table.assign(MOS=[20, 130, 50, 60]).to_csv(tmp_path / koniq.LABELS, index=False)
    with pytest.raises(ValueError, match=r"row 1 \(CSV line 3\) column 'MOS' = 130; expected a number in \[0, 100\]"):
        koniq.load_images(tmp_path)
    table.assign(set=["training", "dev", "test", "test"]).to_csv(tmp_path / koniq.LABELS, index=False)
    with pytest.raises(ValueError, match=r"row 1 .* column 'set' = 'dev'"):
        koniq.load_images(tmp_path)
    bad = table.copy()
    bad.loc[3, "c1"] += 0.1
    bad.to_csv(tmp_path / koniq.LABELS, index=False)
    with pytest.raises(ValueError, match=r"row 3 .* c1\.\.c5 sum to"):
        koniq.load_images(tmp_path)
