"""PaQ-2-PiQ learning experiments (seed 003, section 4): data assembly, training, Tables 2-4, Figs. 10-11.

Everything runs on a tiny synthetic table set written to a temporary folder: pictures of 48-96 px on a
96 px canvas (plus a few larger ones that must land in the test set), one epoch, random-init backbones.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image, ImageFilter
from torch import nn

from saliqa import paq2piq_study as S
from saliqa.models.paq2piq import FeedbackModel, RoIPoolModel
from saliqa.patches import sample_patch_boxes
from saliqa.train import StopTraining

CANVAS = 96


def _photo(seed: int) -> np.ndarray:
    from skimage import data as skdata

    names = ("astronaut", "coffee", "chelsea", "rocket")
    img = np.asarray(getattr(skdata, names[seed % len(names)])())[..., :3]
    return img


def write_tables(folder: Path, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pictures (PNG, pixel values <= 200 so that white marks padding), canonical images + patches tables.

    Quality is planted by blur: picture MOS falls with the blur radius; patch MOS = picture MOS + noise.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    sizes = [(int(w), int(h)) for w, h in rng.integers(48, CANVAS + 1, size=(20, 2))]
    splits = ["train"] * 14 + ["val"] * 6
    sizes += [(128, 100), (90, 120), (140, 112)]  # larger than the canvas, labelled train / val: moved to test
    splits += ["train", "val", "train"]
    sizes += [(80, 64), (60, 72)]  # test pictures that fit the canvas
    splits += ["test", "test"]
    sizes[0] = (60, 40)  # the hand-checked picture (width 60, height 40)
    rows = []
    for i, (w, h) in enumerate(sizes):
        photo = _photo(i)
        top = int(rng.integers(0, photo.shape[0] - 200))
        left = int(rng.integers(0, photo.shape[1] - 200))
        crop = Image.fromarray(photo[top : top + 200, left : left + 200]).resize((w, h), Image.Resampling.BILINEAR)
        radius = float(rng.uniform(0, 3))
        crop = crop.filter(ImageFilter.GaussianBlur(radius))
        pixels = (np.asarray(crop, dtype=np.float64) * (200 / 255)).astype(np.uint8)
        path = folder / f"pic{i:02d}.png"
        Image.fromarray(pixels).save(path)
        rows.append(
            dict(
                image_id=f"pic{i:02d}",
                path=str(path),
                width=w,
                height=h,
                content_id=f"photo{i % 4}",
                distortion="blur",
                level=radius,
                mos=float(np.clip(75 - 15 * radius + rng.normal(0, 3), 0, 100)),
                split=splits[i],
            )
        )
    images = pd.DataFrame(rows)
    boxes = sample_patch_boxes(images[["width", "height"]].to_numpy(), seed=seed)
    boxes[0] = [[10, 5, 34, 21], [30, 20, 48, 32], [40, 0, 52, 8]]  # hand-checked boxes of pic00 (60 x 40)
    prow = []
    for i, image_id in enumerate(images["image_id"]):
        for k in range(3):
            prow.append(
                dict(
                    image_id=image_id,
                    patch_id=f"{image_id}_patch_{k + 1}",
                    left=int(boxes[i, k, 0]),
                    top=int(boxes[i, k, 1]),
                    right=int(boxes[i, k, 2]),
                    bottom=int(boxes[i, k, 3]),
                    mos=float(np.clip(images["mos"].iloc[i] + rng.normal(0, 5), 0, 100)),
                    patch_index=k + 1,
                    fraction=(0.4, 0.3, 0.2)[k],
                )
            )
    return images, pd.DataFrame(prow)


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> tuple[pd.DataFrame, pd.DataFrame]:
    return write_tables(tmp_path_factory.mktemp("paq2piq_pictures"))


@pytest.fixture(scope="module")
def data(tables) -> S.StudyData:
    return S.study_data(*tables, canvas=CANVAS)


def small_config(**kw):
    base = dict(epochs=1, batch_size=4, num_workers=0, seed=0)
    return S.study_config(**{**base, **kw})


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("paq2piq_ckpt")
    results = S.train_models(
        data,
        ("baseline", "roipool", "feedback", "nima", "cnniqa"),
        pretrained=False,
        nima_backbone="resnet18",  # random-init MobileNetV2 collapses to a constant in one epoch (and is slower)
        config=small_config(),
        checkpoint_root=root,
        device="cpu",
        cnniqa_patches=4,
        progress=False,
    )
    return {"results": results, "root": root}


@pytest.fixture(scope="module")
def predictions(trained, data) -> pd.DataFrame:
    views = S.evaluation_views(data, ("val", "test"))
    return S.predict_study(trained["results"], views, canvas=data.canvas, device="cpu", batch_size=4)


# ------------------------------------------------------------------------------------------
# data assembly (section 4.1)
# ------------------------------------------------------------------------------------------


def test_larger_than_canvas_pictures_land_in_test(data) -> None:
    im = data.images
    big = (im["width"] > CANVAS) | (im["height"] > CANVAS)
    assert big.sum() == 3
    assert (im.loc[big, "split"] == "test").all()
    assert (im.loc[big, "split_source"] == "larger_than_canvas").all()
    assert data.counts["moved_to_test"] == 3
    assert not im.loc[big, "fits_canvas"].any()
    summary = S.split_summary(data)
    assert summary.loc["test", "pictures"] == 5 and summary.loc["test", "moved_larger_than_canvas"] == 3
    assert summary.loc["train", "pictures"] == 14 and summary.loc["val", "pictures"] == 6
    assert summary["pictures"].sum() == len(im)
    with pytest.raises(ValueError, match="larger than the"):
        S.picture_dataset(data, "test")  # the big test pictures are scored at their own size, not padded


def test_missing_splits_drawn_by_content(tables) -> None:
    images, patches = tables
    no_split = images.drop(columns="split")
    d = S.study_data(no_split, patches, CANVAS, seed=3)
    im = d.images
    assert (im["split_source"] == "assigned").sum() == len(im)
    assert set(im.loc[~im["fits_canvas"], "split"]) == {"test"}
    fit = im[im["fits_canvas"]]
    assert set(fit["split"]) == {"train", "val"}
    # every content in one split only
    assert (fit.groupby("content_id")["split"].nunique() == 1).all()
    again = S.study_data(no_split, patches, CANVAS, seed=3)
    assert again.images["split"].tolist() == im["split"].tolist()


def test_bad_tables_are_named(tables) -> None:
    images, patches = tables
    bad = images.copy()
    bad.loc[2, "split"] = "training"
    with pytest.raises(ValueError, match=r"row 2 .*'training'"):
        S.study_data(bad, patches, CANVAS)
    p = patches.copy()
    p.loc[4, "right"] = 10_000
    with pytest.raises(ValueError, match="not inside its picture"):
        S.study_data(images, p, CANVAS)
    p = patches.copy()
    p.loc[1, "patch_index"] = 1
    with pytest.raises(ValueError, match="second patch"):
        S.study_data(images, p, CANVAS)
    with pytest.raises(ValueError, match="without a path"):
        S.study_data(images.assign(path=[None] + images["path"].tolist()[1:]), patches, CANVAS)


def test_patch_slots_from_index_fraction_or_size(tables, data) -> None:
    images, patches = tables
    shuffled = patches.sample(frac=1.0, random_state=0)
    for drop in ([], ["patch_index"], ["patch_index", "fraction"]):
        d = S.study_data(images, shuffled.drop(columns=drop), CANVAS)
        np.testing.assert_array_equal(d.boxes, data.boxes)
        np.testing.assert_array_equal(d.patch_mos, data.patch_mos)
    # a missing patch and a missing patch MOS are masked, not invented
    p = patches.copy()
    p.loc[p["patch_id"] == "pic01_patch_2", "mos"] = np.nan
    p = p[p["patch_id"] != "pic01_patch_3"]
    d = S.study_data(images, p, CANVAS)
    assert d.counts["missing_patches"] == 1 and d.counts["missing_patch_mos"] == 1
    target, mask = d.roi_targets()
    assert mask[1].tolist() == [1.0, 1.0, 0.0, 0.0] and target[1, 2] == 0 and target[1, 3] == 0
    rois = d.roi_boxes()
    w, h = images.loc[1, "width"], images.loc[1, "height"]
    assert rois[1, 3].tolist() == [0, 0, w, h]  # placeholder: the picture box (masked out)


def test_roi_boxes_on_the_canvas_hand_checked(data) -> None:
    # pic00 is 60 x 40 (width x height) on the 96 x 96 canvas: left = (96 - 60) // 2 = 18, top = (96 - 40) // 2 = 28
    ds = S.picture_dataset(data, "train", memory_cache=False)
    assert data.images.loc[0, "image_id"] == "pic00" and data.images.loc[0, "split"] == "train"
    item = ds[0]
    expected = [
        [18, 28, 78, 68],  # the picture box (0, 0, 60, 40)
        [28, 33, 52, 49],  # patch 1 (10, 5, 34, 21): 40 % = 24 x 16
        [48, 48, 66, 60],  # patch 2 (30, 20, 48, 32)
        [58, 28, 70, 36],  # patch 3 (40, 0, 52, 8)
    ]
    assert item["rois"].tolist() == expected
    assert item["image"].shape == (3, CANVAS, CANVAS) and item["image"].dtype == torch.uint8
    img = item["image"].permute(1, 2, 0).numpy()
    assert (img[:28] == 255).all() and (img[68:] == 255).all() and (img[:, :18] == 255).all()
    assert (img[28:68, 18:78] <= 200).all()  # the picture's own pixels (<= 200): no padding inside the box
    assert item["roi_mos"][0] == pytest.approx(data.images.loc[0, "mos"], abs=1e-4)
    np.testing.assert_allclose(item["roi_mos"][1:].numpy(), data.patch_mos[0], atol=1e-4)
    assert item["roi_mask"].tolist() == [1, 1, 1, 1]


def test_cnniqa_items_cut_from_the_picture_only(data) -> None:
    base = S.picture_dataset(data, "train", memory_cache=True)
    torch.manual_seed(0)
    ds = S.CnniqaPatchDataset(base, 5, train=True)
    item = ds[0]
    assert item["image"].shape == (5, 3, 32, 32) and item["image"].dtype == torch.uint8
    for i in range(len(ds)):
        assert int(ds[i]["image"].max()) <= 200  # never the white padding
    evens = S.CnniqaPatchDataset(base, 5, train=False)
    assert torch.equal(evens[3]["image"], evens[3]["image"])


# ------------------------------------------------------------------------------------------
# training (sections 4.1, 4.2, 4.4)
# ------------------------------------------------------------------------------------------


def test_every_model_trains_one_epoch(trained) -> None:
    results = trained["results"]
    assert list(results) == ["baseline", "roipool", "feedback", "nima", "cnniqa"]
    for name, res in results.items():
        assert len(res.history) == 1, name
        row = res.history.iloc[0]
        assert np.isfinite(row["train_loss"]) and np.isfinite(row["val_loss"]), name
        assert res.last_checkpoint is not None and res.last_checkpoint.parent.name == name
        assert res.settings["steps_per_epoch"] == 14 // 4
    assert isinstance(results["roipool"].model, RoIPoolModel)
    assert isinstance(results["feedback"].model, FeedbackModel) and results["feedback"].model.n_rois == 4
    assert set(results["feedback"].settings["peak_lr"]) == {"body", "head"}
    assert results["feedback"].settings["peak_lr"] == {"body": 3e-4, "head": 3e-3}
    assert results["cnniqa"].settings["peak_lr"] == {"all": 3e-3}


def test_resume_through_the_study_api(data, tmp_path) -> None:
    cfg = small_config(epochs=2)
    kw = dict(pretrained=False, config=cfg, device="cpu", progress=False)
    full = S.train_models(data, ["baseline"], checkpoint_root=tmp_path / "a", **kw)["baseline"]

    def stop_after_first(end) -> None:
        if end.epoch == 1:
            raise StopTraining

    part = S.train_models(data, ["baseline"], checkpoint_root=tmp_path / "b", callbacks=[stop_after_first], **kw)
    assert len(part["baseline"].history) == 1
    resumed = S.train_models(data, ["baseline"], checkpoint_root=tmp_path / "b", **kw)["baseline"]
    assert resumed.resumed_from_epoch == 1 and len(resumed.history) == 2
    for (k, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), k
    # a finished model is loaded, not trained again
    again = S.train_models(data, ["baseline"], checkpoint_root=tmp_path / "a", **kw)["baseline"]
    assert again.resumed_from_epoch == 2 and len(again.history) == 2
    for a, b in zip(full.model.state_dict().values(), again.model.state_dict().values()):
        assert torch.equal(a, b)


def test_train_models_rejects_unknown_names(data) -> None:
    with pytest.raises(ValueError, match="model name"):
        S.train_models(data, ["resnet"], progress=False)


# ------------------------------------------------------------------------------------------
# evaluation: which input each model gets for each view
# ------------------------------------------------------------------------------------------


class _Darkness(nn.Module):
    """A 'picture' model: sum of (1 - x): the white padding adds nothing, the view's pixels everything."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (1.0 - x).sum(dim=(1, 2, 3))


class _BoxEcho(nn.Module):
    """A 'roi' model scoring each RoI by its corner: x1 + 1000 * y1 (reveals the boxes it was given)."""

    def forward(self, x: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        return boxes[..., 0] + 1000.0 * boxes[..., 1]


def test_views_layout(data) -> None:
    views = S.evaluation_views(data, ("val", "test"))
    assert list(views.columns) == list(S.VIEW_COLUMNS)
    n_pics = int(data.images["split"].isin(["val", "test"]).sum())
    assert (views["unit"] == "picture").sum() == n_pics and (views["unit"] == "patch").sum() == 3 * n_pics
    assert views["view"].tolist() == list(range(len(views)))
    patch = views[views["patch_id"] == "pic20_patch_2"].iloc[0]
    pos = int(np.flatnonzero(data.images["image_id"] == "pic20")[0])
    assert [patch[c] for c in ("left", "top", "right", "bottom")] == data.boxes[pos, 1].tolist()
    assert patch["fraction"] == 0.3 and patch["patch_index"] == 2


def test_patch_views_use_the_right_boxes(data) -> None:
    views = S.evaluation_views(data, ("train", "test"))
    crops = list(S.view_images(views))
    # picture-only models: the cropped patch padded to the canvas (large views at their own size)
    pred, fed = S.predict_views(_Darkness(), "picture", views, canvas=CANVAS, device="cpu", batch_size=3)
    expected = np.array([(1.0 - c.astype(np.float64) / 255.0).sum() for c in crops])
    np.testing.assert_allclose(pred, expected, rtol=1e-5)
    v = views.assign(fed=fed)
    big = ~((v["right"] - v["left"] <= CANVAS) & (v["bottom"] - v["top"] <= CANVAS))
    assert (v.loc[big, "fed"] == "native").all() and (v.loc[~big, "fed"] == "canvas").all() and big.any()
    # the hand-checked picture: its first patch is img[5:21, 10:34]
    row = views.index[views["patch_id"] == "pic00_patch_1"][0]
    picture = np.asarray(Image.open(data.images.loc[0, "path"]).convert("RGB"))
    np.testing.assert_array_equal(crops[row], picture[5:21, 10:34])

    # RoI models: RoIs on the full picture (canvas coordinates when it fits, picture coordinates otherwise)
    pred, fed = S.predict_views(_BoxEcho(), "roi", views, canvas=CANVAS, device="cpu", batch_size=2)
    pic00 = views.index[views["image_id"] == "pic00"]
    assert pred[pic00].tolist() == [18 + 1000 * 28, 28 + 1000 * 33, 48 + 1000 * 48, 58 + 1000 * 28]
    for r in views.index[views["split"] == "test"]:
        left, top = views.loc[r, "left"], views.loc[r, "top"]
        pos = int(np.flatnonzero(data.images["image_id"] == views.loc[r, "image_id"])[0])
        w, h = data.images.loc[pos, "width"], data.images.loc[pos, "height"]
        if data.images.loc[pos, "fits_canvas"]:
            left, top = left + (CANVAS - w) // 2, top + (CANVAS - h) // 2
            assert fed[r] == "canvas"
        else:
            assert fed[r] == "native"
        assert pred[r] == left + 1000 * top


def test_large_views_shrink_or_skip(data) -> None:
    views = S.evaluation_views(data, ("test",), units=("picture",))
    pred, fed = S.predict_views(_Darkness(), "picture", views, canvas=CANVAS, large="skip", device="cpu")
    big = ~data.images.set_index("image_id").loc[views["image_id"], "fits_canvas"].to_numpy()
    assert np.isnan(pred[big]).all() and (fed[big] == "skipped").all() and np.isfinite(pred[~big]).all()
    pred, fed = S.predict_views(_Darkness(), "picture", views, canvas=CANVAS, large="shrink", device="cpu")
    assert (fed[big] == "shrink").all() and np.isfinite(pred).all()


# ------------------------------------------------------------------------------------------
# Tables 2-4
# ------------------------------------------------------------------------------------------


def test_predictions_of_every_model(predictions) -> None:
    assert set(predictions["model"]) == {"baseline", "roipool", "feedback", "nima", "cnniqa"}
    assert np.isfinite(predictions["pred"]).all()
    assert set(predictions["input"]) == {"canvas", "native"}
    cn = predictions[predictions["model"] == "cnniqa"]
    assert (cn["input"] == "canvas").any()  # crops smaller than one 32 px patch are padded to one


def test_table2_layout(predictions) -> None:
    t2 = S.table2_pictures(predictions)
    assert list(t2.columns) == [("Validation", "SRCC"), ("Validation", "LCC"), ("Test", "SRCC"), ("Test", "LCC")]
    assert list(t2.index) == [
        "CNNIQA [68]",
        "NIMA [46]",
        "Baseline Model (Sec. 4.1)",
        "RoIPool Model (Sec. 4.2)",
        "Feedback Model (Sec. 4.4)",
    ]
    assert np.isfinite(t2.to_numpy()).all() and (np.abs(t2.to_numpy()) <= 1).all()
    assert t2.attrs["n"].loc["RoIPool Model (Sec. 4.2)", "Validation"] == 6
    assert t2.attrs["n"].loc["RoIPool Model (Sec. 4.2)", "Test"] == 5


def test_table3_layout(predictions) -> None:
    t3 = S.table3_patches(predictions)
    assert t3.shape == (5, 12)
    assert list(t3.columns[:4]) == [
        ("(a) 40%", "Validation", "SRCC"),
        ("(a) 40%", "Validation", "LCC"),
        ("(a) 40%", "Test", "SRCC"),
        ("(a) 40%", "Test", "LCC"),
    ]
    assert [c[0] for c in t3.columns[::4]] == ["(a) 40%", "(b) 30%", "(c) 20%"]
    assert np.isfinite(t3.to_numpy()).all()
    # the correlations are those of the patch predictions
    sel = predictions[
        (predictions["model"] == "roipool") & (predictions["fraction"] == 0.2) & (predictions["split"] == "val")
    ]
    from saliqa.metrics.correlation import srcc

    assert t3.loc["RoIPool Model (Sec. 4.2)", ("(c) 20%", "Validation", "SRCC")] == pytest.approx(
        srcc(sel["pred"], sel["mos"])
    )


def test_external_predictors_join_the_tables(data, predictions) -> None:
    views = S.evaluation_views(data, ("val", "test"))
    darkness = S.score_views(views, lambda img: float(img.mean()))
    extra = pd.concat(
        [
            S.external_predictions(views, "brisque", darkness),
            S.external_predictions(views, "niqe", darkness, lower_is_better=True),
            S.external_predictions(views, "my_metric", np.arange(len(views), dtype=float)),
        ]
    )
    both = pd.concat([predictions, extra], ignore_index=True)
    t2 = S.table2_pictures(both)
    assert list(t2.index[:2]) == ["NIQE [11]", "BRISQUE [10]"] and t2.index[-1] == "my_metric"
    assert t2.loc["NIQE [11]", ("Test", "SRCC")] == pytest.approx(-t2.loc["BRISQUE [10]", ("Test", "SRCC")])
    assert S.table3_patches(both).shape == (8, 12)
    with pytest.raises(ValueError, match="scores for"):
        S.external_predictions(views, "x", [1.0, 2.0])


def test_table4_cross_database(trained, tables, tmp_path) -> None:
    images, _ = tables
    koniq = images.iloc[20:25].assign(split=None)  # 3 larger than the canvas, 2 that fit
    clive = images.iloc[14:20].assign(split=None)
    results = trained["results"]
    parts = [
        S.cross_database_predictions(results, clive, "CLIVE", canvas=CANVAS, device="cpu"),
        S.cross_database_predictions(results, koniq, "KonIQ", canvas=CANVAS, device="cpu"),
    ]
    kon = parts[1]
    assert set(kon.loc[kon["model"] == "baseline", "input"]) == {"native", "canvas"}
    assert np.isfinite(pd.concat(parts)["pred"]).all() and kon.attrs["skipped"] == 0
    t4 = S.table4_cross_database(pd.concat(parts, ignore_index=True), ["CLIVE", "KonIQ"])
    assert list(t4.columns) == [("CLIVE", "SRCC"), ("CLIVE", "LCC"), ("KonIQ", "SRCC"), ("KonIQ", "LCC")]
    assert t4.shape == (5, 4) and np.isfinite(t4.to_numpy()).all()
    skipped = S.cross_database_predictions(results, koniq, "KonIQ", canvas=CANVAS, large="skip", device="cpu")
    assert skipped.attrs["skipped"] == 3 * 4  # CNNIQA reads 32 px patches of any size: never skipped
    assert np.isfinite(skipped.loc[skipped["model"] == "cnniqa", "pred"]).all()
    with pytest.raises(ValueError, match="no file"):
        S.cross_database_predictions(results, koniq.assign(path=None), "KonIQ", canvas=CANVAS)


# ------------------------------------------------------------------------------------------
# Figs. 10 and 11
# ------------------------------------------------------------------------------------------


def test_failure_cases_largest_errors_first(predictions) -> None:
    worst = S.failure_cases(predictions, "feedback", split="test", n=3)
    assert len(worst) == 3
    assert worst["abs_error"].is_monotonic_decreasing
    sel = predictions[
        (predictions["model"] == "feedback") & (predictions["split"] == "test") & (predictions["unit"] == "picture")
    ]
    assert worst["abs_error"].iloc[0] == pytest.approx((sel["pred"] - sel["mos"]).abs().max())
    toy = pd.DataFrame(
        dict(model="m", split="test", unit="picture", image_id=list("abc"), pred=[57, 50, 68], mos=[18, 49, 82])
    )
    f = S.failure_cases(toy, "m", n=2)
    assert f["image_id"].tolist() == ["a", "c"] and f["direction"].tolist() == ["overrated", "underrated"]
    with pytest.raises(ValueError, match="no picture predictions"):
        S.failure_cases(toy, "other")


def test_quality_maps(trained, data) -> None:
    model = trained["results"]["roipool"]
    ids = ["pic20", "pic23"]  # larger than the canvas (own size), and one that fits (padded)
    model.model.train()
    maps = S.quality_maps(model, data, ids, grid=(4, 3))
    assert model.model.training  # the mode is restored
    assert [m.image_id for m in maps] == ids
    for m in maps:
        assert m.blocks.shape == (4, 3) and np.isfinite(m.blocks).all() and np.isfinite(m.score)
        assert m.blend.shape == m.picture.shape and m.blend.dtype == np.float32
    default = S.quality_maps(model, data, n=3, grid=2)
    assert len(default) == 3 and len({m.image_id for m in default}) == 3


def test_workers_and_cpu_autocast_paths(trained, data, tmp_path) -> None:
    # DataLoader workers (the default on CUDA) give the same predictions; bf16 autocast stays close
    views = S.evaluation_views(data, ("test",))
    model = trained["results"]["roipool"].model
    ref, _ = S.predict_views(model, "roipool", views, canvas=CANVAS, device="cpu")
    par, _ = S.predict_views(model, "roipool", views, canvas=CANVAS, device="cpu", num_workers=1)
    np.testing.assert_array_equal(ref, par)
    bf16, _ = S.predict_views(model, "roipool", views, canvas=CANVAS, device="cpu", amp=True)
    assert np.isfinite(bf16).all() and np.corrcoef(ref, bf16)[0, 1] > 0.9
    # CNNIQA's contrast normalisation runs in float32 under autocast; workers share the picture cache
    res = S.train_models(
        data,
        ["cnniqa"],
        config=small_config(amp=True, num_workers=1),
        device="cpu",
        cnniqa_patches=4,
        progress=False,
        checkpoint_root=tmp_path,
    )["cnniqa"]
    assert np.isfinite(res.history["train_loss"]).all() and np.isfinite(res.history["val_srcc"]).all()
