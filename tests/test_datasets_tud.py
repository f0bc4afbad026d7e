"""TUD-style study CSV layout: round trip and bad files (fixtures written by the tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from saliqa.datasets import osie, tud
from saliqa.datasets.tables import validate


def _study() -> dict[str, pd.DataFrame]:
    images = pd.DataFrame(
        {
            "image_id": ["001", "002", "003"],
            "path": ["img/001.png", "img/002.png", "img/003.png"],
            "width": [64, 64, 32],
            "height": [48, 48, 32],
            "content_id": ["c1", "c1", "c2"],
            "distortion": ["none", "jpeg", "none"],
            "level": [np.nan, 30.0, np.nan],
            "mos": [4.1, 2.2, 3.3],
        }
    )
    fixations = pd.DataFrame(
        {
            "image_id": ["001", "001", "002", "003"],
            "observer_id": ["o1", "o2", "o1", "w7"],
            "x": [0.0, 63.9, 10.25, 31.0],
            "y": [0.0, 47.5, 20.0, 0.5],
            "duration_ms": [210.0, np.nan, 180.0, np.nan],
            "source": ["eye", "eye", "eye", "click"],
            "task": ["free", "iqa", "iqa", "free"],
        }
    )
    ratings = pd.DataFrame(
        {
            "image_id": ["001", "002", "002", "003"],
            "rater_id": ["w1", "w1", "w2", "w2"],
            "score": [4.0, 2.0, 3.0, 5.0],
            "is_gold": [False, True, False, False],
            "is_repeat": [False, False, True, False],
        }
    )
    workers = pd.DataFrame(
        {
            "worker_id": ["w1", "w2", "w7"],
            "campaign": ["iqa", "iqa", "free"],
            "country": ["NL", "US", "IN"],
            "platform_accuracy": [0.95, 0.81, 0.7],
            "passed_quiz": [True, False, True],
            "test_accuracy": [1.0, np.nan, 0.75],
            "n_answers": [40, 12, 3],
        }
    )
    return {"images": images, "fixations": fixations, "ratings": ratings, "workers": workers}


def _rewrite(root: Path, name: str, change) -> None:
    path = root / name
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame).to_csv(path, index=False)


def test_round_trip(tmp_path: Path) -> None:
    original = _study()
    tud.write_study(tmp_path / "a", original)
    loaded = tud.load_study(tmp_path / "a")
    assert sorted(loaded) == ["fixations", "images", "ratings", "workers"]
    for kind in ("images", "fixations", "ratings"):
        validate(loaded[kind], kind)
    images = loaded["images"]
    assert images["image_id"].tolist() == ["001", "002", "003"]  # ids stay strings
    assert images["path"].tolist() == [str((tmp_path / "a" / p).resolve()) for p in original["images"]["path"]]
    expected = original["images"].drop(columns="path")
    pd.testing.assert_frame_equal(images.drop(columns="path"), expected, check_dtype=False)
    for kind in ("fixations", "ratings", "workers"):
        pd.testing.assert_frame_equal(loaded[kind], original[kind], check_dtype=False)
    assert loaded["ratings"]["is_gold"].dtype == bool and loaded["workers"]["passed_quiz"].dtype == bool
    assert loaded["fixations"].attrs["n_outside"] == 0
    # loaded tables (absolute paths inside the folder) write back relative: identical files
    tud.write_study(tmp_path / "a", loaded)
    again = tud.load_study(tmp_path / "a")
    for kind in loaded:
        pd.testing.assert_frame_equal(again[kind], loaded[kind])
    assert (tmp_path / "a" / "images.csv").read_text().splitlines()[1].startswith("001,img/001.png,")


def test_workers_optional(tmp_path: Path) -> None:
    tables = _study()
    del tables["workers"]
    tud.write_study(tmp_path, tables)
    assert "workers" not in tud.load_study(tmp_path)


def test_missing_folder_and_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="images.csv"):
        tud.load_study(tmp_path / "nowhere")
    tud.write_study(tmp_path, _study())
    (tmp_path / "ratings.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"ratings\.csv"):
        tud.load_study(tmp_path)


def test_missing_column_names_file_and_column(tmp_path: Path) -> None:
    tud.write_study(tmp_path, _study())
    _rewrite(tmp_path, "fixations.csv", lambda f: f.drop(columns="y"))
    with pytest.raises(ValueError, match=r"fixations\.csv: missing column\(s\) \['y'\]"):
        tud.load_study(tmp_path)


def test_nan_score_names_row(tmp_path: Path) -> None:
    tud.write_study(tmp_path, _study())
    _rewrite(tmp_path, "ratings.csv", lambda f: f.assign(score=["4", "", "3", "5"]))
    with pytest.raises(ValueError, match=r"ratings\.csv: row 1 field 'score'"):
        tud.load_study(tmp_path)


def test_fixation_outside_image_names_row(tmp_path: Path) -> None:
    tables = _study()
    tables["fixations"].loc[2, "x"] = 64.0  # image 002 is 64 px wide: x = 64 is outside
    with pytest.raises(ValueError, match=r"fixations\.csv: point\(s\) outside their image in row\(s\) 2 "):
        tud.write_study(tmp_path, tables)
    tud.write_study(tmp_path, tables, check=False)
    with pytest.raises(ValueError, match=r"row\(s\) 2 \(1 in all\).*image_id='002' x=64"):
        tud.load_study(tmp_path)
    with pytest.warns(osie.OutsideImageWarning):
        clipped = tud.load_study(tmp_path, outside="clip")["fixations"]
    assert clipped.loc[2, "x"] == 63 and clipped.attrs["n_outside_clipped"] == 1
    with pytest.warns(osie.OutsideImageWarning):
        dropped = tud.load_study(tmp_path, outside="drop")["fixations"]
    assert len(dropped) == 3 and dropped.attrs["n_outside_dropped"] == 1


def test_unknown_image_and_bad_values(tmp_path: Path) -> None:
    tud.write_study(tmp_path, _study())
    _rewrite(tmp_path, "ratings.csv", lambda f: f.assign(image_id=["001", "002", "009", "003"]))
    with pytest.raises(ValueError, match=r"ratings\.csv: image_id not in .*images\.csv in row\(s\) 2 .*'009'"):
        tud.load_study(tmp_path)
    tud.write_study(tmp_path, _study())
    _rewrite(tmp_path, "fixations.csv", lambda f: f.assign(source=["eye", "gaze", "eye", "click"]))
    with pytest.raises(ValueError, match=r"fixations\.csv: row 1 field 'source' = 'gaze'"):
        tud.load_study(tmp_path)
    tud.write_study(tmp_path, _study())
    _rewrite(tmp_path, "ratings.csv", lambda f: f.assign(is_gold=["true", "maybe", "0", ""]))
    with pytest.raises(ValueError, match=r"ratings\.csv: row 1 field 'is_gold' = 'maybe'"):
        tud.load_study(tmp_path)
    tud.write_study(tmp_path, _study())
    _rewrite(tmp_path, "images.csv", lambda f: f.assign(image_id=["001", "001", "003"]))
    with pytest.raises(ValueError, match=r"images\.csv: duplicate image_id in row\(s\) 1 "):
        tud.load_study(tmp_path)


def test_bad_workers(tmp_path: Path) -> None:
    tud.write_study(tmp_path, _study())
    _rewrite(tmp_path, "workers.csv", lambda f: f.drop(columns="country"))
    with pytest.raises(ValueError, match=r"workers\.csv: missing column\(s\) \['country'\]"):
        tud.load_study(tmp_path)
    tud.write_study(tmp_path, _study())
    _rewrite(tmp_path, "workers.csv", lambda f: f.assign(campaign=["iqa", "labelling", "free"]))
    with pytest.raises(ValueError, match=r"workers\.csv: row 1 field 'campaign'"):
        tud.load_study(tmp_path)
    tud.write_study(tmp_path, _study())
    _rewrite(tmp_path, "workers.csv", lambda f: f.assign(platform_accuracy=["0.9", "95", "0.5"]))
    with pytest.raises(ValueError, match=r"'platform_accuracy' is not a fraction .* row\(s\) 1 "):
        tud.load_study(tmp_path)
