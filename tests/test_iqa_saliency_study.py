"""Notebook 03's library: the dual-task models, their loss and training, and the table builders."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from saliqa import iqa_saliency_data as isd
from saliqa import iqa_saliency_masking as ism
from saliqa import iqa_saliency_scorecard as iss
from saliqa import iqa_saliency_study as study
from saliqa.models.iqa_saliency import DualTaskIQA, mlp_head, parameter_counts
from saliqa.saliency_predictor import saliency_loss


@pytest.fixture(scope="module")
def tiny_models() -> dict[str, DualTaskIQA]:
    torch.manual_seed(0)
    return {
        v: DualTaskIQA("mobilenet_v2", v, pretrained=False, hidden=8).eval()
        for v in ("baseline", "sal_loss", "gradcam_loss")
    }


# --------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------


def test_mlp_head_layers_and_bad_settings():
    head = mlp_head(5, hidden=3, dropout=0.0)
    assert [type(m).__name__ for m in head] == ["AdaptiveAvgPool2d", "Flatten", "Linear", "ReLU", "Dropout", "Linear"]
    assert head(torch.ones(2, 5, 3, 4)).shape == (2, 1)
    with pytest.raises(ValueError, match="hidden"):
        mlp_head(5, hidden=0)
    with pytest.raises(ValueError, match="dropout"):
        mlp_head(5, dropout=1.0)


def test_variant_outputs_and_parameters(tiny_models):
    x = torch.rand(2, 3, 64, 96)
    for variant, model in tiny_models.items():
        assert model.forward(x).shape == (2,)
        out = model.forward_dual(x)
        assert out["features"].shape == (2, 1280, 2, 3)
        assert torch.allclose(out["score"], model(x))
        if variant == "baseline":
            assert "saliency" not in out
        else:
            assert out["saliency"].shape == (2, 2, 3)
            assert float(out["saliency"].min()) >= 0.0
    counts = {v: parameter_counts(m) for v, m in tiny_models.items()}
    # the 1x1 conv decoder adds C + 1 parameters; the GradCAM output adds none ("parameter-free")
    assert counts["sal_loss"]["decoder"] == 1280 + 1
    assert counts["gradcam_loss"]["total"] == counts["baseline"]["total"]
    assert counts["baseline"]["head"] == 1280 * 8 + 8 + 8 + 1
    with pytest.raises(ValueError, match="variant"):
        DualTaskIQA("mobilenet_v2", "other", pretrained=False)


def test_gradcam_output_is_papers_equation_with_detached_alpha(tiny_models):
    model = tiny_models["gradcam_loss"]
    x = torch.rand(2, 3, 64, 64)
    out = model.forward_dual(x)
    a = out["features"]
    grads = torch.autograd.grad(out["score"].sum(), a, retain_graph=True)[0]
    alpha = grads.mean(dim=(2, 3), keepdim=True)
    expected = torch.relu((alpha * a).sum(1))
    assert torch.allclose(out["saliency"], expected, atol=1e-6)
    # the map differentiates through A only: d(sum map)/dA = alpha where the ReLU is active
    da = torch.autograd.grad(out["saliency"].sum(), a, retain_graph=True)[0]
    active = (expected > 0).float()[:, None]
    assert torch.allclose(da, alpha.expand_as(a) * active, atol=1e-6)
    with torch.no_grad(), pytest.raises(RuntimeError, match="gradients enabled"):
        model.forward_dual(x)
    assert model.saliency(x).shape == (2, 2, 2)
    with pytest.raises(ValueError, match="no saliency output"):
        tiny_models["baseline"].saliency(x)


def test_dual_task_loss_is_mse_plus_weighted_saliency_loss(tiny_models):
    score = torch.tensor([0.5, -1.0])
    sal = torch.rand(2, 3, 4) + 0.1
    target = torch.rand(2, 3, 4)
    batch = {"mos_z": torch.tensor([1.0, 0.0]), "saliency": target.reshape(2, -1)}
    loss = study.DualTaskLoss(0.5, (3, 4))({"score": score, "saliency": sal}, batch)
    mse = ((0.5 - 1.0) ** 2 + (-1.0) ** 2) / 2
    assert float(loss) == pytest.approx(mse + 0.5 * float(saliency_loss(sal, target)), rel=1e-6)
    # the Baseline's output (no saliency) is the MSE alone
    assert float(study.DualTaskLoss(1.0)({"score": score}, batch)) == pytest.approx(mse)
    with pytest.raises(ValueError, match="saliency targets"):
        study.DualTaskLoss(1.0)({"score": score, "saliency": sal}, {"mos_z": batch["mos_z"]})


def test_dual_forward_without_autograd_returns_the_score_only(tiny_models):
    model = tiny_models["gradcam_loss"]
    with torch.inference_mode():
        out = study.dual_forward(model, {"image": torch.rand(2, 3, 64, 64)})
    assert set(out) == {"score"}


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


def test_split_by_content_keeps_contents_whole_and_is_seeded():
    groups = np.repeat(np.arange(10), [3, 1, 2, 5, 1, 1, 4, 2, 3, 3])
    test = isd.split_by_content(groups, 0.2, seed=3)
    for g in np.unique(groups):
        assert len(set(test[groups == g])) == 1
    assert 0.2 * groups.size <= test.sum() <= 0.2 * groups.size + 5
    assert np.array_equal(test, isd.split_by_content(groups, 0.2, seed=3))
    assert not np.array_equal(test, isd.split_by_content(groups, 0.2, seed=4))
    with pytest.raises(ValueError, match="at least 2 contents"):
        isd.split_by_content(["a", "a"], 0.2)


def _write_pictures(folder, n, rng):
    paths = []
    for i in range(n):
        p = folder / f"p{i}.png"
        Image.fromarray(rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)).save(p)
        paths.append(str(p))
    return paths


@pytest.fixture
def tiny_data(tmp_path) -> isd.IQAData:
    rng = np.random.default_rng(0)
    paths = _write_pictures(tmp_path, 12, rng)
    table = pd.DataFrame({"image_id": [f"p{i}" for i in range(12)], "path": paths, "mos": np.linspace(10, 90, 12)})
    table["split"] = ["train"] * 8 + ["test"] * 4
    table, mean, std = isd._standardise(table)
    return isd.IQAData(table, "test pictures", True, (32, 48), mean, std)


def test_standardised_mos_uses_training_statistics(tiny_data):
    train = tiny_data.images.loc[tiny_data.images["split"] == "train", "mos"]
    assert tiny_data.mos_mean == pytest.approx(train.mean())
    assert tiny_data.mos_std == pytest.approx(train.std(ddof=1))
    z = tiny_data.images["mos_z"].to_numpy()
    assert z[:8].mean() == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="holds no picture"):
        tiny_data.split("val")


def test_train_variant_trains_and_evaluates_end_to_end(tiny_data):
    cfg = study.study_config(epochs=1, batch_size=4, seed=1, lr_body=1e-4, lr_head=1e-3)
    sal = np.random.default_rng(0).random((8, 4, 6))
    with pytest.raises(ValueError, match="train_saliency"):
        study.train_variant("sal_loss", tiny_data, backbone="mobilenet_v2", config=cfg, pretrained=False)
    model, result = study.train_variant(
        "gradcam_loss", tiny_data, backbone="mobilenet_v2", train_saliency=sal, config=cfg, pretrained="auto",
        device="cpu", progress=False,
    )  # fmt: skip
    assert len(result.history) == 1 and math.isfinite(result.history["train_loss"].iloc[0])
    metrics = study.iqa_metrics(model, tiny_data, device="cpu")
    assert metrics["n"] == 4 and -1 <= metrics["srocc"] <= 1
    pictures = np.random.default_rng(1).integers(0, 256, (3, 32, 48, 3), dtype=np.uint8)
    maps = study.model_saliency(model, pictures)
    assert maps.shape == (3, 32, 48) and maps.min() >= 0
    # same seed, same weights (CPU determinism)
    again, _ = study.train_variant(
        "gradcam_loss", tiny_data, backbone="mobilenet_v2", train_saliency=sal, config=cfg, pretrained="auto",
        device="cpu", progress=False,
    )  # fmt: skip
    for a, b in zip(model.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------


def _eval_set(n=3, shape=(8, 10)) -> study.EvalSet:
    rng = np.random.default_rng(0)
    gt = rng.random((n, *shape)) + 0.01
    fix = (rng.random((n, *shape)) > 0.8).astype(float)
    fix[:, 0, 0] = 1.0
    pictures = rng.integers(0, 256, (n, 16, 20, 3), dtype=np.uint8)
    return study.EvalSet("toy", [f"i{k}" for k in range(n)], pictures, gt, fix, real=False)


def test_eval_set_scores_a_perfect_map_with_cc_one_and_kld_zero():
    s = _eval_set()
    per_image = s.score(s.gt_maps)
    assert np.allclose(per_image["cc"], 1.0) and np.allclose(per_image["kld"], 0.0, atol=1e-9)
    assert np.allclose(per_image["sim"], 1.0)


def test_table1_all_rows_and_processed_block():
    s = _eval_set()
    centre = study.centre_prior_scores([s])
    cams = {"toy": {"Baseline-x": s.gt_maps * 2}}
    pred = {"toy": s.gt_maps[::-1].copy()}
    t = study.table1_all([s], cams, centre, pred, transform=lambda m: m)
    assert list(t.loc[("toy", "raw")].index) == ["Center Prior", "Baseline-x", "proxy predictor (ours)"]
    assert t.loc[("toy", "raw", "Baseline-x"), "cc"] == pytest.approx(1.0)
    assert t.loc[("toy", "raw", "Center Prior"), "type"] == "Dummy"
    assert ("toy", "processed", "Baseline-x") in t.index
    gains = iss.table1_gains(t, "toy")
    assert gains["table1_cam_cc_gain"] == pytest.approx(1.0 - t.loc[("toy", "processed", "Center Prior"), "cc"])


def _per_image(cc: float, n: int = 3) -> pd.DataFrame:
    return pd.DataFrame({"nss": [cc] * n, "sim": [cc] * n, "cc": [cc] * n, "kld": [1 - cc] * n})


def test_table2_means_and_sample_std_over_repeats():
    runs = [
        study.RunResult("baseline", 0, {"srocc": 0.8, "plcc": 0.7}, {"toy": _per_image(0.2)}),
        study.RunResult("baseline", 1, {"srocc": 0.6, "plcc": 0.9}, {"toy": _per_image(0.4)}),
        study.RunResult("sal_loss", 0, {"srocc": 0.75, "plcc": 0.8}, {"toy": _per_image(0.5)}),
    ]
    t = study.table2(runs, {"toy": _per_image(0.1)})
    assert list(t.index) == ["Center Prior", "Baseline", "Baseline-Sal-Loss"]
    assert t.loc["Baseline", ("IQA", "srocc", "mean")] == pytest.approx(0.7)
    assert t.loc["Baseline", ("IQA", "srocc", "std")] == pytest.approx(np.std([0.8, 0.6], ddof=1))
    assert t.loc["Baseline", ("toy", "cc", "mean")] == pytest.approx(0.3)
    assert math.isnan(t.loc["Baseline-Sal-Loss", ("IQA", "srocc", "std")])
    assert t.loc["Center Prior", ("toy", "cc", "mean")] == pytest.approx(0.1)
    changes = iss.table2_changes(t, "toy")
    assert changes["table2_sal_loss_srocc_change"] == pytest.approx(0.05)
    assert changes["table2_sal_loss_cc_gain"] == pytest.approx(0.2)


def test_masking_summary_area_between_lerf_and_morf():
    f = [0.0, 0.5, 1.0]
    curves = pd.DataFrame(
        {
            "explanation": ["Saliency"] * 6,
            "order": ["morf"] * 3 + ["lerf"] * 3,
            "fill": ["black"] * 6,
            "fraction": f * 2,
            "srocc": [0.8, 0.2, 0.0, 0.8, 0.6, 0.0],
            "n": [5] * 6,
        }
    )
    areas = ism.masking_summary(curves)
    # trapezoid of (lerf - morf) = [0, 0.4, 0] over [0, 0.5, 1] = 0.2
    assert areas["area_lerf_minus_morf"].iloc[0] == pytest.approx(0.2)


def test_table3_gains_from_a_hand_table():
    t3 = pd.DataFrame(
        {
            "method": ["PSNR", "EW-PSNR", "SSIM", "EW-SSIM"],
            "SROCC": [0.8, 0.9, 0.7, 0.75],
            "PLCC": [0.0] * 4,
            "FracCP": [0.5, 0.6, 0.5, 0.5],
        }
    )
    gains = iss.table3_gains(t3)
    assert gains == pytest.approx(
        {"table3_ew_psnr_gain": 0.1, "table3_ew_ssim_gain": 0.05, "table3_ew_psnr_fraccp_gain": 0.1}
    )


def test_osie_all_700_stimuli_and_the_held_out_subset(shared_data):
    from saliqa.datasets import osie

    root = shared_data / "osie"
    if not (root / "data" / "eye" / "fixations.mat").is_file():
        pytest.skip("OSIE eye fixations not in the shared data")
    images = osie.load_images(root, image_ids="all")
    assert len(images) == osie.N_IMAGES == 700 and set(images["width"]) == {800}
    with pytest.raises(ValueError, match="image_ids"):
        osie.load_images(root, image_ids="some")
    fs = isd.fixation_set(shared_data, held_out="subset", max_train=50, seed=0)
    assert fs.real and fs.name == "OSIE"
    assert sorted(fs.test_ids) == sorted(osie.subset_ids(root)) and len(fs.train_ids) == 50
    assert not set(fs.train_ids) & set(fs.test_ids)
    im, fx = fs.subset(fs.test_ids[:3])
    assert list(im["image_id"]) == fs.test_ids[:3] and set(fx["image_id"]) == set(fs.test_ids[:3])


def test_constant_maps_are_scored_as_the_uniform_prediction_and_flagged():
    from saliqa.metrics import saliency as sm

    s = _eval_set()
    maps = s.gt_maps.copy()
    maps[1] = 0.0  # an all-zero ReLU'd GradCAM
    per_image = s.score(maps)
    assert list(per_image["constant"]) == [False, True, False]
    assert per_image["cc"].iloc[1] == 0.0 and per_image["nss"].iloc[1] == 0.0
    uniform = np.ones(s.gt_maps.shape[1:])
    assert per_image["kld"].iloc[1] == pytest.approx(sm.kld(s.gt_maps[1], uniform))
    assert per_image["sim"].iloc[1] == pytest.approx(sm.sim(s.gt_maps[1], uniform, minmax=False))
    assert per_image["cc"].iloc[0] == pytest.approx(1.0)
    t = study.table1({"m": per_image})
    assert t["constant_maps"].iloc[0] == 1
