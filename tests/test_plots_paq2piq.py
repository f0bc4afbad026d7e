"""saliqa.plots_paq2piq: the seed 003 database figures return bare Figures with labelled artists."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from skimage import data  # noqa: E402

from saliqa import paq2piq_database as D  # noqa: E402
from saliqa import plots_paq2piq as PP  # noqa: E402
from saliqa.patches import sample_patch_boxes  # noqa: E402


def _gids(fig: Figure, prefix: str) -> list:
    return [a for a in fig.findobj() if (a.get_gid() or "").startswith(prefix)]


def test_mos_histograms():
    rng = np.random.default_rng(0)
    t = D.mos_distributions({"A": rng.uniform(0, 100, 200), "B": rng.normal(70, 5, 300).clip(0, 100)}, bins=20)
    fig = PP.plot_mos_histograms(t)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert {a.get_gid() for a in _gids(fig, "hist:")} == {"hist:A", "hist:B"}
    assert "n = 300" in fig.axes[1].get_title()
    with pytest.raises(ValueError, match="nothing to plot"):
        PP.plot_mos_histograms({})


def test_picture_vs_patch():
    rng = np.random.default_rng(1)
    pic = rng.normal(70, 8, 50)
    pairs = pd.DataFrame(
        {
            "image_id": np.repeat(np.arange(50), 3),
            "patch_id": np.arange(150),
            "fraction": np.tile([0.4, 0.3, 0.2], 50),
            "mos_picture": np.repeat(pic, 3),
            "mos_patch": np.repeat(pic, 3) + rng.normal(0, 5, 150),
        }
    )
    fig = PP.plot_picture_vs_patch(pairs, max_points=20)
    assert len(fig.axes) == 3 and "40% patches" in fig.axes[0].get_title() and "paper 0.43" in fig.axes[0].get_title()
    assert len(_gids(fig, "scatter:")[0].get_offsets()) == 20


def test_size_scatter_and_features():
    sizes = pd.DataFrame({"width": [640, 800], "height": [480, 533], "n": [3, 1]})
    fig = PP.plot_size_scatter(sizes)
    assert len(_gids(fig, "sizes")[0].get_offsets()) == 2 and "4 pictures" in fig.axes[0].get_title()
    feats = pd.DataFrame({"brightness": [100.0, 300.0, 500.0], "n_faces": np.array([0, 1, 1], dtype=np.int64)})
    fig = PP.plot_feature_histograms(feats)
    assert len(_gids(fig, "feature:n_faces")) == 2  # one bin per value 0, 1


def test_picture_patches():
    img = data.astronaut()
    boxes = sample_patch_boxes((512, 512), seed=0)
    fig = PP.plot_picture_patches(img, boxes, title="astronaut")
    assert len(_gids(fig, "box:")) == 3 and len(fig.axes) == 4
    with pytest.raises(ValueError, match="labels"):
        PP.plot_picture_patches(img, boxes, labels=["a"])
