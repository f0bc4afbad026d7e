"""Tests of the proxy saliency predictor: loss, network, training, ground truth and evaluation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from saliqa import saliency_predictor as sp
from saliqa.datasets import fixation_sets as fs
from saliqa.datasets.tables import fixation_table, image_table
from saliqa.metrics import saliency as sm
from saliqa.metrics import saliency_torch as st
from saliqa.models.saliency_net import SaliencyNet, encoder_stages
from saliqa.saliency import centre_prior, saliency_map

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def net() -> SaliencyNet:
    torch.manual_seed(0)
    return SaliencyNet("mobilenet_v2", pretrained=False, freeze_backbone=True)


# ------------------------------------------------------------------------------------ loss


def test_loss_hand_computed():
    # P = (1/3, 2/3), Q = (1/4, 3/4): KLD = 1/3 ln(4/3) + 2/3 ln(8/9); CC of two increasing pairs = 1
    pred = torch.tensor([[[1.0, 3.0]]])
    target = torch.tensor([[[1.0, 2.0]]])
    kld = (1 / 3) * math.log(4 / 3) + (2 / 3) * math.log(8 / 9)
    got = sp.saliency_loss(pred, target, eps=1e-12)
    assert float(got) == pytest.approx(kld - 1.0, abs=1e-6)
    assert float(sp.saliency_loss(pred, target, cc_weight=0.0, eps=1e-12)) == pytest.approx(kld, abs=1e-6)
    assert float(sp.saliency_loss(pred, target, kld_weight=0.0, eps=1e-12)) == pytest.approx(-1.0, abs=1e-6)


def test_loss_equals_saliency_torch_on_valid_maps():
    g = torch.Generator().manual_seed(1)
    pred = torch.rand(4, 6, 8, generator=g, dtype=torch.float64) + 0.01
    target = torch.rand(4, 6, 8, generator=g, dtype=torch.float64)
    want = st.kld(target, pred, eps=1e-12) - st.cc(target, pred)
    got = sp.saliency_loss(pred, target, eps=1e-12, reduction="none")
    assert got.shape == (4,)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_loss_area_resizes_target_and_accepts_channel_dim():
    g = torch.Generator().manual_seed(2)
    pred = torch.rand(2, 1, 3, 4, generator=g) + 0.1
    target = torch.rand(2, 6, 8, generator=g)
    block = target.reshape(2, 3, 2, 4, 2).mean(dim=(2, 4))  # hand-made area downsampling
    assert float(sp.saliency_loss(pred, target)) == pytest.approx(float(sp.saliency_loss(pred[:, 0], block)), abs=1e-6)


def test_loss_finite_for_all_zero_prediction_and_target():
    w = torch.zeros(2, 5, 5, requires_grad=True)
    pred = torch.relu(w - 1.0)  # all zero, as a ReLU'd GradCAM can be
    target = torch.rand(2, 5, 5)
    loss = sp.saliency_loss(pred, target)
    loss.backward()
    assert math.isfinite(float(loss.detach()))
    x = torch.rand(2, 5, 5, requires_grad=True)
    loss2 = sp.saliency_loss(x, torch.zeros(2, 5, 5))
    loss2.backward()
    assert math.isfinite(float(loss2.detach())) and torch.isfinite(x.grad).all()
    # the ReLU blocks the gradient; a raw all-zero map has finite gradients too
    z = torch.zeros(1, 4, 4, requires_grad=True)
    sp.saliency_loss(z, torch.rand(1, 4, 4)).backward()
    assert torch.isfinite(z.grad).all()


def test_loss_rejects_bad_input():
    with pytest.raises(ValueError, match="pred has 2 maps but target has 3"):
        sp.saliency_loss(torch.rand(2, 4, 4), torch.rand(3, 4, 4))
    with pytest.raises(ValueError, match="pred must be"):
        sp.saliency_loss(torch.rand(2, 3, 4, 4), torch.rand(2, 4, 4))
    with pytest.raises(ValueError, match="eps"):
        sp.saliency_loss(torch.rand(1, 4, 4), torch.rand(1, 4, 4), eps=0.0)


# ------------------------------------------------------------------------------------ network


def test_net_outputs_densities(net):
    x = torch.randn(3, 3, 64, 96)
    y = net(x)
    assert y.shape == (3, 8, 12)
    assert (y >= 0).all()
    np.testing.assert_allclose(y.sum(dim=(1, 2)).detach().numpy(), 1.0, rtol=1e-5)
    assert net.weights.startswith("random init")
    assert net.taps[2] == len(net.stages) - 1
    assert not any(p.requires_grad for p in net.stages.parameters())
    net.train()
    assert not net.stages.training  # frozen encoder keeps its batch norms in eval mode
    net.eval()


def test_encoder_stages_compose_to_features():
    from saliqa.models.backbones import build

    bb = build("mobilenet_v2", pretrained=False)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        y = x
        for s in encoder_stages(bb.features):
            y = s(y)
        torch.testing.assert_close(y, bb.features(x))


def test_centre_bias_initialisation_is_centre_prior_like(net):
    # with a zero decoder output the prediction is exactly the learnable Gaussian at init (sigma 0.25)
    h, w = 12, 16
    b = net.centre(h, w, torch.zeros(1))
    dens = torch.softmax(b.detach().reshape(-1), 0).reshape(h, w).double().numpy()
    np.testing.assert_allclose(dens, centre_prior((h, w), 0.25), rtol=1e-5)


def test_predict_saliency_shapes_and_normalisation(net):
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 255, (50, 70, 3), dtype=np.uint8), rng.integers(0, 255, (64, 96, 3), dtype=np.uint8)]
    out = sp.predict_saliency(net, imgs, size=(64, 96), batch_size=1, device="cpu")
    assert out.shape == (2, 8, 12)
    np.testing.assert_allclose(out.sum(axis=(1, 2)), 1.0)
    up = sp.predict_saliency(net, imgs, size=(64, 96), out_size=(30, 40), device="cpu")
    assert up.shape == (2, 30, 40) and up.min() >= 0
    with pytest.raises(ValueError, match=r"images\[0\] must be a uint8"):
        sp.predict_saliency(net, [np.zeros((4, 4))], size=(64, 96))


# ------------------------------------------------------------------------------------ training


def _blob_set(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Pictures with one bright square; the target density is a Gaussian on the square."""
    rng = np.random.default_rng(seed)
    pics = rng.integers(0, 60, (n, 64, 64, 3), dtype=np.uint8)
    targets = np.empty((n, 16, 16))
    for k in range(n):
        cy, cx = rng.integers(8, 56, 2)
        pics[k, cy - 6 : cy + 6, cx - 6 : cx + 6] = 255
        targets[k] = saliency_map(np.array([[cx / 4 - 0.375, cy / 4 - 0.375]]), (16, 16), 1.5)
    return pics, targets


def test_train_on_maps_learns_and_is_deterministic(tmp_path):
    pics, targets = _blob_set(32, 0)
    kwargs = dict(epochs=15, batch_size=8, lr=2e-2, seed=3, pretrained=False, device="cpu", progress=False)
    m1, h1 = sp.train_on_maps(pics, targets, checkpoint_dir=tmp_path / "a", **kwargs)
    m2, h2 = sp.train_on_maps(pics, targets, **kwargs)
    np.testing.assert_array_equal(h1["train_loss"].to_numpy(), h2["train_loss"].to_numpy())
    assert h1["train_loss"].iloc[-1] < h1["train_loss"].iloc[0] - 0.2
    assert (tmp_path / "a" / "last.pt").is_file()
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert h1.attrs["weights"].startswith("random init")


# ------------------------------------------------------------------------------------ data


def _tables(tmp_path, sizes=((4, 8), (4, 8))):
    files = []
    for k, (h, w) in enumerate(sizes):
        f = tmp_path / f"im{k}.png"
        Image.fromarray(np.full((h, w, 3), 40 * k, dtype=np.uint8)).save(f)
        files.append(f)
    images = image_table([f"im{k}" for k in range(len(sizes))], files, dataset="test")
    fixations = fixation_table(
        ["im0", "im0", "im1"], ["a", "b", "a"], np.array([5.0, 5.2, 7.7]), np.array([1.0, 1.0, 3.6]),
        source="eye", campaign="t", order=np.zeros(3),
    )  # fmt: skip
    return images, fixations


def test_ground_truth_maps_hand_values(tmp_path):
    images, fixations = _tables(tmp_path)
    gt, fix = fs.ground_truth_maps(images, fixations, sigma_px=1.0, out_size=(2, 4))
    # (x, y) = (5, 1) on the 4 x 8 image -> (2.25, 0.25) on the 2 x 4 grid -> pixel (row 0, col 2)
    want0 = np.zeros((2, 4))
    want0[0, 2] = 1
    np.testing.assert_array_equal(fix[0], want0)
    # (7.7, 3.6) lies in the last half pixel: moved onto (7, 3) -> (3.25, 1.25) -> pixel (1, 3)
    assert fix[1, 1, 3] == 1 and fix[1].sum() == 1
    full = saliency_map(np.array([[5.0, 1.0], [5.2, 1.0]]), (4, 8), 1.0)
    block = full.reshape(2, 2, 4, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(gt[0], block / block.sum())
    np.testing.assert_allclose(gt.sum(axis=(1, 2)), 1.0)


def test_ground_truth_errors(tmp_path):
    images, fixations = _tables(tmp_path)
    bad = fixations.copy()
    bad.loc[2, "x"] = 8.0
    with pytest.raises(ValueError, match="image_id 'im1' lie outside"):
        fs.ground_truth_maps(images, bad, sigma_px=1.0)
    with pytest.raises(ValueError, match="no fixation"):
        fs.ground_truth_maps(images, fixations[fixations.image_id == "im0"], sigma_px=1.0)
    images2, _ = _tables(tmp_path, sizes=((4, 8), (6, 8)))
    with pytest.raises(ValueError, match="different sizes"):
        fs.ground_truth_maps(images2, fixations, sigma_px=1.0)


def test_fixation_training_set_items(tmp_path):
    images, fixations = _tables(tmp_path)
    data, info = sp.fixation_training_set(images, fixations, size=(8, 16), sigma_px=1.0, target_stride=2)
    assert len(data) == 2 and info["target_size"] == (4, 8) and info["n_fixations"] == 3
    item = data[1]
    assert item["image"].shape == (3, 8, 16) and item["image"].dtype == torch.uint8
    assert int(item["image"][0, 0, 0]) == 40
    assert float(item["target"].sum()) == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="pass sigma_px"):
        sp.fixation_training_set(images, fixations, size=(8, 16))


def test_split_ids():
    ids = [str(i) for i in range(1001, 1701)]
    tr, ho = sp.split_ids(ids, held_out=0.2, seed=5)
    assert len(ho) == 140 and len(tr) == 560 and set(tr).isdisjoint(ho) and set(tr) | set(ho) == set(ids)
    assert (tr, ho) == sp.split_ids(ids, held_out=0.2, seed=5)
    assert ho == sorted(ho, key=ids.index)
    assert len(sp.split_ids(ids, held_out=100)[1]) == 100
    tr, ho = sp.split_ids(ids, held_out="subset", subset=ids[:100])
    assert ho == ids[:100] and tr == ids[100:]
    with pytest.raises(ValueError, match="not in ids"):
        sp.split_ids(ids, held_out="subset", subset=["9999"])
    with pytest.raises(ValueError, match="both parts"):
        sp.split_ids(ids, held_out=700)


# ------------------------------------------------------------------------------------ evaluation


def test_score_maps_matches_metrics_and_marks_undefined():
    rng = np.random.default_rng(0)
    gt = rng.random((3, 6, 8)) + 0.01
    fix = (rng.random((3, 6, 8)) > 0.8).astype(float)
    pred = rng.random((3, 6, 8))
    pred[2] = 0.0
    with pytest.warns(RuntimeWarning, match="1 of 3 maps"):
        t = sp.score_maps(pred, gt, fix, ids=["a", "b", "c"])
    assert list(t.columns) == ["image_id", "nss", "sim", "cc", "kld"]
    assert t.loc[0, "nss"] == pytest.approx(sm.nss(pred[0], fix[0]))
    assert t.loc[1, "kld"] == pytest.approx(sm.kld(gt[1], pred[1]))
    assert t.loc[1, "sim"] == pytest.approx(sm.sim(pred[1], gt[1]))
    assert t.loc[2, ["nss", "sim", "cc", "kld"]].isna().all()
    perfect = sp.score_maps(gt, gt, fix)
    np.testing.assert_allclose(perfect["cc"], 1.0)
    np.testing.assert_allclose(perfect["sim"], 1.0)
    np.testing.assert_allclose(perfect["kld"], 0.0, atol=1e-12)
    # a prediction of another size is bilinearly resized to the ground truth's
    assert sp.score_maps(np.ones((3, 3, 4)) + gt[:, ::2, ::2], gt, fix).shape == (3, 4)


def test_summarise_values():
    t = pd.DataFrame({"nss": [1.0, 2.0, 3.0, np.nan], "cc": [0.5, 0.5, 0.5, 0.5]})
    s = sp.summarise(t, n_boot=500, seed=1)
    assert s.loc["nss", "mean"] == pytest.approx(2.0) and s.loc["nss", "std"] == pytest.approx(1.0)
    assert s.loc["nss", "n"] == 3 and s.loc["cc", "ci_low"] == pytest.approx(0.5)
    assert 1.0 <= s.loc["nss", "ci_low"] <= 2.0 <= s.loc["nss", "ci_high"] <= 3.0
    pd.testing.assert_frame_equal(s, sp.summarise(t, n_boot=500, seed=1))


def test_centre_prior_helpers():
    maps = sp.centre_prior_maps(3, (12, 16), 0.2)
    assert maps.shape == (3, 12, 16)
    np.testing.assert_allclose(maps[1], centre_prior((12, 16), 0.2))
    best, table = sp.fit_centre_prior(maps, grid=[0.1, 0.2, 0.3])
    assert best == 0.2 and table["mean_cc"].max() == pytest.approx(1.0)


def test_evaluate_saliency_with_transform(tmp_path):
    images, fixations = _tables(tmp_path)
    gt, _ = fs.ground_truth_maps(images, fixations, sigma_px=1.0, out_size=(4, 8))
    t = sp.evaluate_saliency(np.zeros((2, 4, 8)) + 1.0, images, fixations, sigma_px=1.0, transform=lambda m: gt)
    np.testing.assert_allclose(t["cc"], 1.0)
    assert list(t["image_id"]) == ["im0", "im1"]


# ------------------------------------------------------------------------------------ builtin mode


def test_simulated_fixation_set_recovers_planted_density(tmp_path, monkeypatch):
    monkeypatch.setenv("SALIQA_CACHE", str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        images, fixations, dens = sp.simulated_fixation_set(3, (48, 64), seed=2, n_observers=10)
    assert len(images) == 3 and len(fixations) == 3 * 10 * 10
    assert set(fixations["source"]) == {"eye"} and fixations["observer_id"].nunique() == 10
    assert all(p.startswith(str(tmp_path)) for p in images["path"])
    np.testing.assert_allclose(dens.sum(axis=(1, 2)), 1.0)
    gt, _ = fs.ground_truth_maps(images, fixations, sigma_px=3.0)
    assert np.mean([sm.cc(g, d) for g, d in zip(gt, dens)]) > 0.5
    again = sp.simulated_fixation_set(3, (48, 64), seed=2, n_observers=10)
    pd.testing.assert_frame_equal(fixations, again[1])


# ------------------------------------------------------------------------------------ real data


def test_osie_small_predictor_beats_centre_prior(shared_data):
    from saliqa.datasets import osie

    root = shared_data / "osie"
    if not (root / "data" / "eye" / "fixations.mat").is_file():
        pytest.skip("OSIE eye fixations not in the shared data")
    ids = [str(i) for i in range(1001, 1091)]
    files = [root / "data" / "stimuli" / f"{i}.jpg" for i in ids]
    images = image_table(ids, files, dataset="osie")
    fix = osie.load_fixations(root, sources=("eye",), image_ids=ids)
    tr, ho = sp.split_ids(ids, held_out=20, seed=0)
    ti = images[images.image_id.isin(tr)].reset_index(drop=True)
    hi = images[images.image_id.isin(ho)].reset_index(drop=True)
    ti.attrs["dataset"] = "osie"
    model, hist = sp.train_saliency_predictor(ti, fix, epochs=6, size=(96, 128), batch_size=10, progress=False)
    pred = sp.predict_saliency(model, list(hi["path"]), size=(96, 128))
    gt, fx = sp.ground_truth(hi, fix, out_size=(60, 80))
    ours = sp.score_maps(pred, gt, fx).mean()
    cp = sp.score_maps(sp.centre_prior_maps(len(hi), (60, 80)), gt, fx).mean()
    assert ours["cc"] > cp["cc"] + 0.1 and ours["nss"] > cp["nss"]
