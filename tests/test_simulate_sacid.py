"""The builtin SACID-like set (saliqa.simulate.sacid) and the Table III benchmark (saliqa.sacid_benchmark)."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from saliqa import distortions
from saliqa import sacid_benchmark as sb
from saliqa.datasets import builtin
from saliqa.metrics import fidelity
from saliqa.metrics.correlation import srcc
from saliqa.screening import drop_removed
from saliqa.simulate import sacid
from saliqa.subjective import pairwise as pw

SMALL = sacid.smoke_config(n_references=2)


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALIQA_CACHE", str(tmp_path_factory.mktemp("sacid")))
        table = sacid.sacid_set(SMALL, seed=0)
        again = sacid.sacid_set(SMALL, seed=0)
    return table, again


def test_ijg_tables_are_pillows():
    image = builtin.contents(1, (64, 64), 0)[0].image
    for q in (1, 10, 30, 50, 75, 95):
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, format="JPEG", quality=q, subsampling="4:2:0")
        with Image.open(io.BytesIO(buf.getvalue())) as im:
            tables = im.quantization
        ours = sacid.ijg_quant_tables(np.array([q]))[0]
        assert np.array_equal(ours[0].ravel(), np.array(tables[0])), q
        assert np.array_equal(ours[1].ravel(), np.array(tables[1])), q
    # hand values: quality 50 is the base table, quality 100 all ones
    assert sacid.ijg_quant_tables(np.array([50]))[0, 0, 0, 0] == 16
    assert np.all(sacid.ijg_quant_tables(np.array([100])) == 1)
    with pytest.raises(ValueError, match="1..100"):
        sacid.ijg_quant_tables(np.array([0]))


def test_jpeg_layers_sizes_and_header():
    image = builtin.contents(1, (64, 96), 0)[0].image
    files, payload, header = sacid.jpeg_layers(image, np.array([10, 50]))
    assert [len(f) for f in files] == [distortions.jpeg_bytes_size(image, q) for q in (10, 50)]
    assert np.array_equal(payload, np.array([len(f) for f in files]) - header)
    assert 300 < header < 1000 and payload[0] < payload[1]


def test_block_activity_flat_picture_counts_one_per_block():
    flat = np.full((32, 48, 3), 128, np.uint8)  # zero DCT everywhere (level shift 128)
    act = sacid.block_activity(flat, np.array([10, 90]), 16)
    assert act.shape == (2, 2, 3)
    assert np.all(act == 6)  # 4 luma + 2 chroma blocks, each only its end-of-block


def test_block_percentiles_and_share():
    s = np.zeros((32, 32))
    s[:16, :16] = 1.0
    pct = sacid.block_percentiles(s, 16)
    assert pct[0, 0] == pytest.approx(87.5) and np.allclose(pct.ravel()[1:], 100 * (2 - 0.5) / 4)
    assert sacid.salient_share(0.25, 80) == pytest.approx(0.25 + 0.8 * 0.75)
    assert sacid.salient_share(0.4, 0) == pytest.approx(0.4)


def test_allocate_uniform_and_salient():
    q = np.arange(1, 6)
    payload = np.array([100, 200, 300, 400, 500])
    activity = np.ones((5, 2, 2))
    pct = np.array([[90.0, 10.0], [20.0, 30.0]])
    uni = sacid.allocate(q, payload, activity, 50, pct, np.array([250.0, 460.0]), None)
    assert uni.quality_salient.tolist() == [2, 4] and uni.bytes.tolist() == [250.0, 450.0]
    # s0 = 75: one block of four salient (a = 0.25); bitrate 80 -> share 0.85 of a 400-byte payload budget
    sal = sacid.allocate(q, payload, activity, 50, pct, np.array([450.0]), (75.0, 80.0))
    assert sal.salient.tolist() == [[True, False], [False, False]]
    # non-salient blocks cost 0.75 * payload: 75 bytes at q1 > 0.15 * 400 -> lowest quality
    assert sal.quality_nonsalient.tolist() == [1]
    # the rest 400 - 75 = 325 bytes go to the salient block (0.25 * payload): nearest q = 5 (125 B)
    assert sal.quality_salient.tolist() == [5]
    assert sal.bytes.tolist() == [50 + 75 + 125]


def test_composite_takes_blocks_from_layers():
    layers = {1: np.zeros((20, 40, 3), np.uint8), 9: np.full((20, 40, 3), 200, np.uint8)}
    out = sacid.composite(layers, np.array([[True, False, True], [False, False, False]]), 9, 1, 16)
    assert out.shape == (20, 40, 3)
    assert np.all(out[:16, :16] == 200) and np.all(out[:16, 16:32] == 0) and np.all(out[:16, 32:] == 200)
    assert np.all(out[16:] == 0)


def test_latent_quality_weights_salient_errors():
    rng = np.random.default_rng(0)
    ref = (rng.random((32, 32, 3)) * 255).astype(np.uint8)
    left, right = ref.copy(), ref.copy()
    left[:, :16] = 255 - left[:, :16]
    right[:, 16:] = 255 - right[:, 16:]
    sal = np.zeros((32, 32))
    sal[:, :16] = 1.0
    q = sacid.latent_quality(ref, np.stack([ref, left, right]), sal)
    cfg = sacid.SacidConfig()
    assert q[0] == pytest.approx(-cfg.quality_scale * np.log(cfg.impairment_floor))
    assert q[1] < q[2] < q[0]  # the same damage costs more where the observer looks
    flat = sacid.latent_quality(ref, np.stack([left, right]), sal, sacid.SacidConfig(saliency_weight=0.0))
    assert flat[0] == pytest.approx(flat[1], rel=0.05)  # no planted effect: mirror-symmetric damage


def test_set_table_cache_and_rates(small_set):
    table, again = small_set
    assert len(table) == 2 * 4 * 3
    assert list(table.columns[:7]) == ["image_id", "path", "width", "height", "content_id", "distortion", "level"]
    pd.testing.assert_frame_equal(table, again)
    assert set(table["distortion"]) == {f"sacid:{n}" for n in sacid.preset_names(SMALL)}
    assert sacid.preset_names(SMALL) == ["uniform", "s75-b80", "s60-b80", "s60-b40"]
    # every target reached within 10 % (the builtin contents at 256 x 256)
    assert np.all(np.abs(table["bpp"] / table["target_bpp"] - 1) < 0.1)
    # a uniform version is plain JPEG: its pixels and its size are Pillow's
    row = table.loc[table["preset"] == "uniform"].iloc[1]
    ref = builtin.load_image(row["reference_path"])
    assert np.array_equal(builtin.load_image(row["path"]), distortions.jpeg(ref, int(row["quality_salient"])))
    size = distortions.jpeg_bytes_size(ref, int(row["quality_salient"]))
    assert row["bpp"] == pytest.approx(8 * size / (256 * 256))
    # saliency-aware presets spend more quality on the salient blocks, s75 on a quarter of them
    aware = table.loc[table["preset"] != "uniform"]
    assert np.all(aware["quality_salient"] >= aware["quality_nonsalient"])
    assert np.allclose(table.loc[table["preset"] == "s75-b80", "salient_fraction"], 0.25, atol=0.01)
    # latent quality grows with the rate within every preset, and the reference is best
    for _, g in table.groupby(["content_id", "preset"]):
        assert np.all(np.diff(g.sort_values("level")["latent_quality"]) > 0)
    assert np.all(table["latent_quality"] < table["reference_latent_quality"])


def test_caller_saliency_and_bad_maps(tmp_path, monkeypatch):
    monkeypatch.setenv("SALIQA_CACHE", str(tmp_path))
    cfg = sacid.smoke_config(n_references=1, target_bpp=(0.5,))
    centre = np.zeros((256, 256))
    centre[96:160, 96:160] = 1.0
    table = sacid.sacid_set(cfg, saliency=lambda image: centre)
    stored = np.asarray(Image.open(table["saliency_path"].iloc[0]))
    assert np.array_equal(stored, (centre * 255).astype(np.uint8))
    # the 16 centre blocks of 256 rank top (percentile ~97); the 240 others tie at percentile ~47 < 60
    assert table.loc[table["preset"] == "s60-b80", "salient_fraction"].iloc[0] == pytest.approx(16 / 256)
    with pytest.raises(ValueError, match="no map for content"):
        sacid.sacid_set(cfg, saliency={"nope": centre})
    with pytest.raises(ValueError, match="non-negative"):
        sacid.sacid_set(cfg, saliency=lambda image: -centre)
    with pytest.raises(ValueError, match="target_bpp"):
        sacid.SacidConfig(target_bpp=(0.5, 0.3))
    with pytest.raises(ValueError, match="macroblock"):
        sacid.SacidConfig(macroblock=24)


def test_planted_effects():
    eff = sacid.planted_effects()
    assert eff["expected"] == {"ew_psnr_beats_psnr": True, "ew_ssim_beats_ssim": True}
    assert eff["saliency_weight"] == 0.9 and eff["paper_target_bpp"] == [0.08, 0.12, 0.16]
    assert sacid.planted_effects(sacid.SacidConfig(saliency_weight=0))["expected"]["ew_psnr_beats_psnr"] is False


# ------------------------------------------------------------------------------ benchmark


def test_metric_scores_and_table3_on_a_known_ordering(small_set):
    table, _ = small_set
    metrics = sb.default_fr_metrics(include_vif=False)
    metrics["BRISQUE-like"] = sb.nr_metric(lambda d: float(np.std(d)), higher_is_better=False)
    scores = sb.metric_scores(table, metrics)
    assert list(scores.index) == list(table["image_id"])
    row = table.iloc[4]
    ref, dist = builtin.load_image(row["reference_path"]), builtin.load_image(row["path"])
    sal = np.asarray(Image.open(row["saliency_path"]), dtype=float)
    assert scores.loc[row["image_id"], "PSNR"] == pytest.approx(fidelity.psnr(ref, dist))
    assert scores.loc[row["image_id"], "EW-SSIM"] == pytest.approx(fidelity.ew_ssim(ref, dist, sal))
    assert scores.loc[row["image_id"], "BRISQUE-like"] == pytest.approx(-np.std(dist))
    # subjective scores = PSNR itself: perfect agreement for PSNR, in both poolings
    mos = scores["PSNR"].to_numpy()
    t3 = sb.table3(scores, mos, table["content_id"], methods=["SSIM", "PSNR"])
    assert list(t3.columns) == ["method", "type", "SROCC", "PLCC", "FracCP"]
    psnr_row = t3.set_index("method").loc["PSNR"]
    assert psnr_row["SROCC"] == pytest.approx(1.0) and psnr_row["FracCP"] == pytest.approx(1.0)
    assert psnr_row["type"] == "NSS based" and t3["method"].iloc[-1] == "PSNR"  # sorted by SROCC
    pooled = sb.table3(scores, mos, table["content_id"], methods=["PSNR"], per_group=False)
    assert pooled["PLCC"].iloc[0] == pytest.approx(1.0)
    # a negated column gives -1 and FracCP 0
    flipped = sb.with_predictions(scores, "neg", scores["PSNR"], higher_is_better=False)
    t = sb.table3(flipped, mos, table["content_id"], methods=["neg"]).iloc[0]
    assert t["SROCC"] == pytest.approx(-1.0) and t["FracCP"] == pytest.approx(0.0) and t["type"] == "other"
    with pytest.raises(ValueError, match="lack a finite prediction"):
        sb.with_predictions(scores, "x", scores["PSNR"].iloc[:3])
    with pytest.raises(ValueError, match="missing column"):
        sb.metric_scores(table.drop(columns=["saliency_path"]), metrics)


def test_ms_ssim_scales_rule():
    assert sb.ms_ssim_scales((256, 256)) == 5
    assert sb.ms_ssim_scales((176, 300)) == 5
    assert sb.ms_ssim_scales((175, 300)) == 4
    assert sb.ms_ssim_scales((11, 11)) == 1
    with pytest.raises(ValueError, match="smaller than"):
        sb.ms_ssim_scales((10, 50))


def test_planted_effect_recovered_end_to_end(small_set):
    """Simulated study on the small set: EW-PSNR / EW-SSIM beat PSNR / SSIM on FracCP."""
    table, _ = small_set
    items, ver = sacid.study_items(table)
    assert len(ver) == 2 * 4 and set(ver["better"]) == {f"{c}_reference" for c in table["content_id"].unique()}
    study = pw.simulate_comparisons(items, ver, n_assessors=300, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        kept = drop_removed(study.comparisons, pw.screen_assessors(study.comparisons))
    bt = pw.bradley_terry_scores(kept).set_index("item")
    scores = sb.metric_scores(table, sb.default_fr_metrics(include_vif=False))
    mos = bt.loc[scores.index, "score"].to_numpy()
    t3 = sb.table3(scores, mos, scores["content_id"]).set_index("method")
    assert t3.loc["EW-PSNR", "FracCP"] > t3.loc["PSNR", "FracCP"]
    assert t3.loc["EW-SSIM", "FracCP"] > t3.loc["SSIM", "FracCP"]
    assert srcc(mos, table.set_index("image_id").loc[scores.index, "latent_quality"]) > 0.5


def test_default_vif_metric_reuses_the_reference(small_set):
    from saliqa.metrics.vif import vif

    table, _ = small_set
    rows = table.iloc[:2]
    scores = sb.metric_scores(rows, {"VIF": sb.default_fr_metrics()["VIF"]})
    ref = builtin.load_image(rows["reference_path"].iloc[0])
    for image_id, path in zip(rows["image_id"], rows["path"]):
        assert scores.loc[image_id, "VIF"] == pytest.approx(vif(ref, builtin.load_image(path)), abs=1e-12)
