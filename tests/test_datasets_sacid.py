"""SACID loader (saliqa.datasets.sacid) on an official-layout fixture written by the test."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from saliqa.datasets import sacid
from saliqa.datasets.tables import REQUIRED

CASES = ["uniform_0.08bpp.png", "s0_75_bitrate_80_0.12bpp", "codec_17.png"]


def _png(path: Path, size=(12, 8), value=0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size[1], size[0], 3), value, np.uint8)).save(path)


def _fixture(root: Path, rows=None) -> Path:
    base = root / "sacid"
    for seq in ("seqA", "seqB"):
        _png(base / "reference" / f"{seq}.png", (12, 8))
        _png(base / "saliency" / f"{seq}.jpg", (12, 8), 200)
        _png(base / "compressed" / seq / "uniform_0.08bpp.png")
        _png(base / "compressed" / seq / "s0_75_bitrate_80_0.12bpp.png")  # listed without extension
        _png(base / "compressed" / seq / "codec_17.png", (6, 4))
    if rows is None:
        rows = [f"{s},{c},{v}" for s in ("seqA", "seqB") for c, v in zip(CASES, (1.5, -0.25, 3))]
    (base / "moses.csv").write_text("sequence,test_case,subjective_score\n" + "\n".join(rows) + "\n")
    return base


def test_loads_canonical_table(tmp_path):
    base = _fixture(tmp_path)
    t = sacid.load_images(base)
    assert list(t.columns[: len(REQUIRED["images"])]) == list(REQUIRED["images"])
    assert len(t) == 6 and t.attrs["dataset"] == "sacid"
    assert t["image_id"].tolist()[:3] == [f"seqA/{c}" for c in CASES]
    assert t["mos"].tolist() == [1.5, -0.25, 3.0, 1.5, -0.25, 3.0]
    assert t["content_id"].tolist() == ["seqA"] * 3 + ["seqB"] * 3
    assert t["preset"].tolist()[:3] == ["uniform", "s75-b80", ""]
    assert t["bpp"].iloc[0] == 0.08 and t["bpp"].iloc[1] == 0.12 and math.isnan(t["bpp"].iloc[2])
    assert t["width"].tolist()[:3] == [12, 12, 6] and t["height"].tolist()[:3] == [8, 8, 4]
    assert Path(t["path"].iloc[1]).name == "s0_75_bitrate_80_0.12bpp.png"
    assert Path(t["reference_path"].iloc[3]) == (base / "reference" / "seqB.png").resolve()
    assert Path(t["saliency_path"].iloc[0]).name == "seqA.jpg"
    assert sacid.load_sacid is sacid.load_images


def test_missing_versions_are_counted_and_named(tmp_path):
    base = _fixture(tmp_path)
    (base / "compressed" / "seqB" / "codec_17.png").unlink()
    (base / "compressed" / "seqA" / "uniform_0.08bpp.png").unlink()
    with pytest.raises(FileNotFoundError, match=r"2 compressed version\(s\).*compressed/seqA/uniform_0.08bpp.png"):
        sacid.load_images(base)


def test_missing_reference_and_saliency(tmp_path):
    base = _fixture(tmp_path)
    (base / "saliency" / "seqB.jpg").unlink()
    with pytest.raises(FileNotFoundError, match=r"1 saliency map\(s\) not found, e.g. \['seqB'\]"):
        sacid.load_images(base)
    (base / "reference" / "seqA.png").unlink()
    with pytest.raises(FileNotFoundError, match="reference picture"):
        sacid.load_images(base)


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        (["seqA,uniform_0.08bpp.png,1", "seqA,uniform_0.08bpp.png,2"], r"row 1 \(CSV line 3\) repeats sequence 'seqA'"),
        (["seqA,uniform_0.08bpp.png,1", "seqA,codec_17.png,nan"], r"row 1 field 'subjective_score'"),
        (["seqA,uniform_0.08bpp.png,inf"], r"row 0 field 'subjective_score'"),
        (["seqA,,1"], r"row 0 \(CSV line 2\) field 'test_case' is empty"),
    ],
)
def test_bad_rows_name_the_row(tmp_path, rows, match):
    base = _fixture(tmp_path, rows)
    with pytest.raises(ValueError, match=match):
        sacid.load_images(base)


def test_missing_columns_and_folder(tmp_path):
    base = _fixture(tmp_path)
    (base / "moses.csv").write_text("sequence,case,score\nseqA,x,1\n")
    with pytest.raises(ValueError, match=r"missing column\(s\) \['test_case', 'subjective_score'\]"):
        sacid.load_images(base)
    with pytest.raises(FileNotFoundError, match="moses.csv"):
        sacid.load_images(tmp_path / "nowhere")


def test_ambiguous_stem_is_not_guessed(tmp_path):
    base = _fixture(tmp_path)
    _png(base / "compressed" / "seqA" / "s0_75_bitrate_80_0.12bpp.jpg")  # two files share the stem
    with pytest.raises(FileNotFoundError, match=r"1 compressed version"):
        sacid.load_images(base)


def test_parse_test_case():
    assert sacid.parse_test_case("saliency_s0_60_saliency_bitrate_40_bpp_0.16") == ("s60-b40", 0.16)
    assert sacid.parse_test_case("s75-b80_r0.png")[0] == "s75-b80"
    assert sacid.parse_test_case("NoSal_0.12BPP") == ("uniform", 0.12)
    preset, bpp = sacid.parse_test_case("17")
    assert preset == "" and math.isnan(bpp)
