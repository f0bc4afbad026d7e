"""Notebook-01 data assembly (real-data studies, grid scaling, TUD mode) and the maps / levels of its studies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from saliqa import attention as at
from saliqa.datasets import attention_study as ast_
from saliqa.datasets import tud


def _study(points, width=8, height=6):
    images = pd.DataFrame(
        dict(
            image_id=["a"],
            path=["a.png"],
            width=[width],
            height=[height],
            content_id=["a"],
            distortion=["none"],
            level=[np.nan],
        )
    )
    fx = pd.DataFrame(
        dict(image_id="a", observer_id=1, x=[p[0] for p in points], y=[p[1] for p in points], source="eye", task="free")
    )
    return ast_.AttentionStudy(
        name="t",
        simulated=False,
        images=images,
        fixations=fx,
        experiments={"eye_free": {"source": "eye", "task": "free"}},
        comparisons={},
        asymmetry_pairs=[],
        sigma_px=4.0,
    )


def test_scale_study_keeps_pixel_centres():
    s = ast_.scale_study(_study([(0.0, 0.0), (7.0, 5.0), (3.5, 2.5)]), 0.5)
    assert s.images[["width", "height"]].iloc[0].tolist() == [4, 3]
    # x' = (x + 0.5) * 0.5 - 0.5: 0 -> -0.25 (clipped to 0), 7 -> 3.25 (clipped to 3), 3.5 -> 1.5
    assert s.fixations["x"].tolist() == [0.0, 3.0, 1.5]
    assert s.fixations["y"].tolist() == [0.0, 2.0, 1.0]
    assert s.sigma_px == 2.0
    with pytest.raises(ValueError, match=r"map_scale must be a finite number in \(0, 1\]"):
        ast_.scale_study(_study([(1, 1)]), 1.5)


def test_study_maps_one_point_is_the_gaussian():
    maps = at.study_maps(_study([(2.0, 3.0)]))
    m = maps["eye_free"]["a"]
    assert m.shape == (6, 8)
    assert m[3, 2] == pytest.approx(1.0)
    assert m[3, 4] == pytest.approx(np.exp(-4 / (2 * 16)))


def test_ordinal_levels():
    t = pd.DataFrame({"level": [80, 10, 40, 80]})
    assert at.ordinal_levels(t)["level"].tolist() == [1, 3, 2, 1]
    assert at.ordinal_levels(pd.DataFrame({"level": [1, 5, 3]}), higher_is_milder=False)["level"].tolist() == [1, 3, 2]
    with pytest.raises(ValueError, match="non-numeric"):
        at.ordinal_levels(pd.DataFrame({"level": [1, None]}))


def test_load_studies_needs_a_known_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="holds none of tud/, osie/, bubbleview-osie/"):
        ast_.load_studies(tmp_path, n_contents=1, jpeg_levels=(50,), size=(8, 8), seed=0)


def test_tud_mode_from_written_fixture(tmp_path):
    from PIL import Image

    root = tmp_path / "tud"
    root.mkdir()
    Image.fromarray(np.zeros((6, 8, 3), np.uint8)).save(root / "a.png")
    images = pd.DataFrame(
        dict(image_id=["a"], path=["a.png"], width=[8], height=[6], content_id=["c"], distortion=["jpeg"], level=[50])
    )
    fx = pd.DataFrame(
        dict(
            image_id="a",
            observer_id=["o1", "o2", "w1", "w2"],
            x=[1.0, 2.0, 3.0, 4.0],
            y=[1.0, 2.0, 3.0, 4.0],
            source=["eye", "eye", "click", "click"],
            task="free",
        )
    )
    ratings = pd.DataFrame(dict(image_id=["a", "a"], rater_id=["w1", "w2"], score=[3, 4]))
    tud.write_study(root, {"images": images, "fixations": fx, "ratings": ratings})
    (study,) = ast_.load_studies(
        tmp_path, n_contents=1, jpeg_levels=(50,), size=(8, 8), seed=0, tud_pixels_per_degree=2.0, sigma_deg=2.0
    )
    assert study.name == "tud" and not study.simulated and study.sigma_px == 4.0
    assert set(study.experiments) == {"eye_free", "crowd_free"}
    assert study.comparisons == {"P_Free": ("eye_free", "crowd_free")}
    maps = at.study_maps(study)
    assert set(maps) == {"eye_free", "crowd_free"} and maps["eye_free"]["a"].shape == (6, 8)


def test_real_osie_and_bubbleview_studies(shared_data):
    (osie_s, bv_s) = ast_.load_studies(
        shared_data, n_contents=1, jpeg_levels=(50,), size=(8, 8), seed=0, n_real_images=2, map_scale=0.25
    )
    assert osie_s.name == "osie" and bv_s.name == "bubbleview"
    assert osie_s.images["width"].tolist() == [200, 200]  # 800 x 0.25
    assert osie_s.sigma_px == pytest.approx(2 * 800 / 33.7 * 0.25)
    assert set(osie_s.fixations["campaign"].astype(str)) == {"eye", "mouse_amt", "mouse_lab"}
    maps = at.study_maps(osie_s)
    assert set(maps) == {"eye_free", "crowd_mouse_free", "lab_mouse_free"}
    assert len(maps["eye_free"]) == 2
    loader = ast_.image_loader(osie_s)
    assert loader(osie_s.images["path"].iloc[0]).shape == (150, 200, 3)
