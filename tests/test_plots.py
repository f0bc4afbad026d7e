"""Tests of saliqa.plots: atomic saving, overlays and the seed 000 figures (Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from saliqa import plots  # noqa: E402


def _by_gid(fig: Figure, prefix: str) -> list:
    return [a for a in fig.findobj() if (a.get_gid() or "").startswith(prefix)]


def test_save_figure_atomic_multiple_formats(tmp_path):
    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    out = plots.save_figure(fig, tmp_path / "figs", "line", formats=("png", "svg"))
    assert out == [tmp_path / "figs" / "line.png", tmp_path / "figs" / "line.svg"]
    assert all(p.stat().st_size > 0 for p in out)
    assert out[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == ["line.png", "line.svg"]  # no temp files
    with pytest.raises(ValueError, match="plain file stem"):
        plots.save_figure(fig, tmp_path, "a/b")
    with pytest.raises(ValueError, match="unsupported"):
        plots.save_figure(fig, tmp_path, "x", formats=("docx",))


def test_overlay_map():
    fig = Figure()
    ax = fig.add_subplot()
    img = np.zeros((10, 12, 3), dtype=np.uint8)
    layer = plots.overlay_map(ax, img, np.arange(120, dtype=float).reshape(10, 12), title="t")
    assert layer.get_array().max() == pytest.approx(1.0) and not ax.axison and ax.get_title() == "t"
    with pytest.raises(ValueError, match="shape mismatch"):
        plots.overlay_map(ax, img, np.ones((5, 5)))
    with pytest.raises(ValueError, match="non-negative"):
        plots.overlay_map(ax, img, -np.ones((10, 12)))


def test_country_distribution_figure():
    shares = pd.DataFrame(
        {
            "campaign": ["free"] * 3 + ["iqa"] * 3,
            "country": ["VEN", "USA", "OTH"] * 2,
            "share": [0.5, 0.3, 0.2, 0.4, 0.4, 0.2],
        }
    )
    fig = plots.plot_country_distribution(shares)
    (ax,) = fig.axes
    assert len(ax.containers) == 2
    assert [t.get_text() for t in ax.get_xticklabels()] == ["VEN", "USA", "OTH"]
    assert [b.get_height() for b in ax.containers[0]] == pytest.approx([50, 30, 20])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["free viewing", "IQA task"]


def test_mos_vs_jpeg_figure():
    crowd = pd.DataFrame({"level": [90, 50, 10], "mos": [80.0, 50.0, np.nan]})
    lab = {
        "TUD lab": pd.DataFrame({"level": [90, 10], "mos": [85.0, 15.0]}),
        "LIVE": pd.DataFrame({"level": [70], "mos": [60.0]}),
    }
    fig = plots.plot_mos_vs_jpeg(crowd, lab)
    (ax,) = fig.axes
    assert len(ax.collections) == 3
    assert len(ax.collections[0].get_offsets()) == 2  # NaN MOS not drawn
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["crowdsourcing", "TUD lab", "LIVE"]
    assert ax.get_xlabel() == "JPEG quality level"
    with pytest.raises(ValueError, match="missing column"):
        plots.plot_mos_vs_jpeg(crowd.drop(columns="mos"))


def _asym() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "p": ["eye_iqa", "crowd_iqa", "eye_free", "eye_iqa"],
            "q": ["eye_free", "crowd_free", "crowd_free", "crowd_iqa"],
            "mean_d_pq": [0.47, 0.43, 0.14, 0.09],
            "mean_d_qp": [0.25, 0.26, 0.13, 0.08],
            "p_value": [0.008, 0.008, 0.3, 0.7],
            "readout_text": ["eye_iqa is broader than and overlaps eye_free", "x", "y", "z"],
        }
    )


def test_kl_asymmetry_graph_nodes_arrows_labels():
    fig = plots.plot_kl_asymmetry_graph(_asym())
    nodes = _by_gid(fig, "node:")
    assert len(nodes) == 4 and all(isinstance(n, FancyBboxPatch) for n in nodes)
    styles = {n.get_gid(): type(n.get_boxstyle()).__name__ for n in nodes}
    assert styles["node:eye_free"] == "Square" and styles["node:crowd_free"] == "Roundtooth"
    arrows = _by_gid(fig, "arrow:")
    assert len(arrows) == 8 and all(isinstance(a, FancyArrowPatch) for a in arrows)
    labels = {t.get_gid(): t.get_text() for t in _by_gid(fig, "label:")}
    # arrow from prior to posterior, labelled D(posterior || prior)
    assert labels["label:eye_free->eye_iqa"] == "0.47" and labels["label:eye_iqa->eye_free"] == "0.25"
    assert labels["label:crowd_free->crowd_iqa"] == "0.43" and labels["label:crowd_iqa->crowd_free"] == "0.26"
    readouts = _by_gid(fig, "readout:")
    assert len(readouts) == 4 and "broader" in readouts[0].get_text() and "0.008" in readouts[0].get_text()
    assert len(_by_gid(plots.plot_kl_asymmetry_graph(_asym(), show_readout=False), "readout:")) == 0


def test_kl_asymmetry_graph_accepts_result_object():
    class Res:
        summary = _asym()

    assert len(_by_gid(plots.plot_kl_asymmetry_graph(Res(), digits=3), "arrow:")) == 8
    with pytest.raises(ValueError, match="missing column"):
        plots.plot_kl_asymmetry_graph(_asym().drop(columns="mean_d_qp"))


def test_map_grid_layout():
    rng = np.random.default_rng(0)
    ids = ["a_90", "a_10", "b_90", "b_10"]
    images = {i: rng.integers(0, 255, (12, 16, 3), dtype=np.uint8) for i in ids}
    exps = ["eye_free", "eye_iqa", "crowd_free", "crowd_iqa"]
    maps = {e: {i: rng.random((12, 16)) for i in ids} for e in exps}
    sel = pd.DataFrame(
        {
            "content_id": ["a", "a", "b", "b"],
            "role": ["highest", "lowest"] * 2,
            "image_id": ids,
            "level": [90.0, 10.0, 90.0, 10.0],
        }
    )
    fig = plots.plot_map_grid(images, maps, sel)
    assert len(fig.axes) == 4 * 5
    assert fig.axes[1].get_title() == "Eye tracking free viewing"
    assert "highest quality (level 90)" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="no map"):
        plots.plot_map_grid(images, {"eye_free": {}}, sel)
    with pytest.raises(ValueError, match="no array"):
        plots.plot_map_grid({}, maps, sel)
