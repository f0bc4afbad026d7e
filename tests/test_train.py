"""Tests of the training loop (saliqa.train) and the picture cache (saliqa.data_cache).

Tiny models (two convolutions and a linear head) and tiny data (12 x 12 pictures), each test a few
seconds on 2 CPU cores. The DDP test launches ``torchrun --nproc_per_node=2`` (gloo on CPU).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from _ddp_worker import DDP_CONFIG, DictData, TinyNet, run, tiny_model
from PIL import Image
from torch import nn

from saliqa import data_cache as dc
from saliqa import train as T

CFG = T.TrainConfig(epochs=3, batch_size=8, lr_body=3e-3, lr_head=3e-2, seed=5, num_workers=0)


def det_columns(history: pd.DataFrame) -> pd.DataFrame:
    return history.drop(columns=list(T.TIMING_COLUMNS))


def assert_same_weights(a: nn.Module | dict, b: nn.Module | dict) -> None:
    sa = a if isinstance(a, dict) else a.state_dict()
    sb = b if isinstance(b, dict) else b.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        assert torch.equal(sa[k], sb[k]), f"{k} differs"


def scramble_global_rng() -> None:
    torch.manual_seed(987654)
    np.random.seed(4321)  # noqa: NPY002 - the global generator the loop must not depend on
    random.seed(1234)


# ------------------------------------------------------------------------------------ (a) resume


class Interrupt(RuntimeError):
    pass


def test_resume_after_interrupt_matches_uninterrupted_run_bit_for_bit(tmp_path: Path) -> None:
    cfg = replace(CFG, epochs=4)
    train, val = DictData(40, seed=1), DictData(12, seed=2)
    # dropout in the head: the resumed run must also reproduce the random masks
    full = T.fit(tiny_model(0, dropout=0.3), train, val, config=cfg, checkpoint_dir=tmp_path / "full", progress=False)

    def crash_after_epoch_2(end: T.EpochEnd) -> None:
        if end.epoch == 2:
            raise Interrupt("simulated crash")

    with pytest.raises(Interrupt):
        T.fit(
            tiny_model(0, dropout=0.3),
            train,
            val,
            config=cfg,
            checkpoint_dir=tmp_path / "cut",
            progress=False,
            callbacks=[crash_after_epoch_2],
        )
    assert T.load_checkpoint(tmp_path / "cut" / "last.pt")["epoch"] == 2

    scramble_global_rng()
    fresh = tiny_model(123, dropout=0.3)  # other initial weights: all must come from the checkpoint
    resumed = T.fit(fresh, train, val, config=cfg, checkpoint_dir=tmp_path / "cut", progress=False)

    assert resumed.resumed_from_epoch == 2 and full.resumed_from_epoch is None
    assert_same_weights(full.model, resumed.model)
    pd.testing.assert_frame_equal(det_columns(full.history), det_columns(resumed.history))
    # optimiser state too (Adam moments)
    a = T.load_checkpoint(tmp_path / "full" / "last.pt")["optimizer"]["state"]
    b = T.load_checkpoint(tmp_path / "cut" / "last.pt")["optimizer"]["state"]
    for k in a:
        for name in ("exp_avg", "exp_avg_sq"):
            assert torch.equal(a[k][name], b[k][name])
    # a finished run resumes to itself without training
    again = T.fit(tiny_model(7, dropout=0.3), train, val, config=cfg, checkpoint_dir=tmp_path / "cut", progress=False)
    assert_same_weights(full.model, again.model)
    assert len(again.history) == 4


def test_checkpoint_files_and_best_copy(tmp_path: Path) -> None:
    res = T.fit(
        tiny_model(0), DictData(40, seed=1), DictData(12, seed=2), config=CFG, checkpoint_dir=tmp_path, progress=False
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.pt", "history.csv", "last.pt"]
    best = T.load_checkpoint(res.best_checkpoint)
    assert best["epoch"] == res.best_epoch
    assert res.best_val_srcc == pytest.approx(res.history["val_srcc"].max())
    assert res.best_val_srcc == pytest.approx(res.history.loc[res.best_epoch - 1, "val_srcc"])
    on_disk = pd.read_csv(tmp_path / "history.csv")
    assert list(on_disk["epoch"]) == [1, 2, 3]
    # best weights load back into a fresh model
    m = T.load_weights(tiny_model(9), res.best_checkpoint)
    assert_same_weights(m.state_dict(), best["model"])
    # no temporary files left behind by the atomic writes
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# ------------------------------------------------------------------------------------ (b) DDP


def _torchrun() -> str | None:
    exe = Path(sys.executable).with_name("torchrun")
    return str(exe) if exe.is_file() else shutil.which("torchrun")


@pytest.mark.skipif(
    not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
    reason="torch.distributed with gloo not available",
)
def test_torchrun_two_ranks_match_one_process_on_the_same_global_batch(tmp_path: Path) -> None:
    torchrun = _torchrun()
    if torchrun is None:
        pytest.skip("torchrun not found next to the interpreter or on PATH")
    worker = Path(__file__).with_name("_ddp_worker.py")
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("WORLD_SIZE", None)
    proc = subprocess.run(
        [torchrun, "--standalone", "--nnodes=1", "--nproc_per_node=2", str(worker), str(tmp_path / "ddp")],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ddp = torch.load(tmp_path / "ddp" / "final.pt", weights_only=True)
    assert ddp["world_size"] == 2
    # only rank 0 wrote checkpoints
    assert sorted(p.name for p in (tmp_path / "ddp" / "ckpt").iterdir()) == ["best.pt", "history.csv", "last.pt"]
    assert T.load_checkpoint(tmp_path / "ddp" / "ckpt" / "last.pt")["world_size"] == 2

    single = run(tmp_path / "single")
    assert single["world_size"] == 1
    assert list(ddp["state"]) == list(single["state"])
    for k, v in single["state"].items():
        torch.testing.assert_close(ddp["state"][k], v, rtol=1e-5, atol=1e-6, msg=f"{k} differs")
    # the weights moved: the comparison is not of two untrained models
    assert not torch.equal(single["state"]["head.1.weight"], tiny_model(0).state_dict()["head.1.weight"])
    for col in ("train_loss", "val_loss", "val_srcc", "val_plcc", "lr_body", "lr_head"):
        np.testing.assert_allclose(ddp["history"][col], single["history"][col], rtol=1e-5, atol=1e-6, err_msg=col)
    assert ddp["history"]["epoch"] == [1, 2] == single["history"]["epoch"]
    assert DDP_CONFIG.batch_size % 2 == 0


# ------------------------------------------------------------------------------------ (c) determinism


def test_same_seed_gives_identical_history_and_weights() -> None:
    train, val = DictData(40, seed=1), DictData(12, seed=2)
    a = T.fit(tiny_model(0, dropout=0.2), train, val, config=CFG, progress=False)
    scramble_global_rng()
    b = T.fit(tiny_model(0, dropout=0.2), train, val, config=CFG, progress=False)
    assert_same_weights(a.model, b.model)
    pd.testing.assert_frame_equal(det_columns(a.history), det_columns(b.history))
    assert list(a.history.columns) == [
        "epoch",
        "train_loss",
        "val_loss",
        "val_srcc",
        "val_plcc",
        "lr_body",
        "lr_head",
        *T.TIMING_COLUMNS,
    ]
    assert (a.history["images_per_s"] > 0).all()
    c = T.fit(tiny_model(0, dropout=0.2), train, val, config=replace(CFG, seed=6), progress=False)
    assert not torch.equal(a.model.head[1].weight, c.model.head[1].weight)  # the seed matters
    assert a.settings["deterministic"] is True and a.device == "cpu" and not a.amp and not a.channels_last


def test_one_cycle_schedule_and_discriminative_rates() -> None:
    res = T.fit(tiny_model(0), DictData(40, seed=1), None, config=CFG, progress=False)
    h = res.history
    # 5 steps/epoch x 3 epochs; the last step ends at peak / div / final_div; rates stay 1:10
    assert h["lr_body"].iloc[-1] == pytest.approx(3e-3 / 25 / 1e4, rel=1e-6)
    np.testing.assert_allclose(h["lr_head"] / h["lr_body"], 10.0, rtol=1e-9)
    assert h["val_srcc"].isna().all() and res.best_epoch is None and res.best_checkpoint is None
    assert res.settings["peak_lr"] == {"body": 3e-3, "head": 3e-2}
    assert res.settings["steps_per_epoch"] == 5 and res.settings["dropped_per_epoch"] == 0
    const = T.fit(tiny_model(0), DictData(40, seed=1), None, config=replace(CFG, schedule="constant"), progress=False)
    assert (const.history["lr_body"] == 3e-3).all() and (const.history["lr_head"] == 3e-2).all()


def test_custom_forward_loss_and_score_fit_a_two_output_model() -> None:
    class TwoOut(nn.Module):  # picture score + one "patch" score, as notebook 02's RoIPool model
        def __init__(self) -> None:
            super().__init__()
            self.body = TinyNet().body
            self.head = nn.Linear(8, 2)

        def forward(self, x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
            return self.head(self.body(x)) + shift[:, None]

    class WithPatch(DictData):
        def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
            item = super().__getitem__(i)
            return {**item, "patch_mos": item["mos"] * 0.9, "shift": torch.tensor(0.0)}

    def loss(out: torch.Tensor, batch: dict) -> torch.Tensor:
        target = torch.stack([batch["mos"], batch["patch_mos"]], dim=1)
        return nn.functional.mse_loss(out.float(), target)

    torch.manual_seed(0)
    res = T.fit(
        TwoOut(),
        WithPatch(40, seed=1),
        WithPatch(12, seed=2),
        config=CFG,
        loss_fn=loss,
        score_fn=lambda out, b: out[:, 0],
        forward_fn=lambda m, b: m(b["image"], b["shift"]),
        progress=False,
    )
    assert res.history["train_loss"].iloc[-1] < res.history["train_loss"].iloc[0]
    pred = T.predict(
        res.model,
        WithPatch(12, seed=2),
        score_fn=lambda out, b: out[:, 0],
        forward_fn=lambda m, b: m(b["image"], b["shift"]),
        config=CFG,
        batch_size=5,
    )
    assert list(pred["index"]) == list(range(12))
    scores = T.evaluate(
        res.model,
        WithPatch(12, seed=2),
        score_fn=lambda out, b: out[:, 0],
        forward_fn=lambda m, b: m(b["image"], b["shift"]),
        config=CFG,
    )
    assert scores["srcc"] == pytest.approx(res.history["val_srcc"].iloc[-1], abs=1e-12)


def test_stop_training_from_a_callback() -> None:
    def stop(end: T.EpochEnd) -> None:
        if end.epoch == 2:
            raise T.StopTraining

    res = T.fit(tiny_model(0), DictData(28, seed=1), DictData(6, seed=2), config=CFG, progress=False, callbacks=[stop])
    assert list(res.history["epoch"]) == [1, 2]
    assert res.settings["dropped_per_epoch"] == 4  # 28 pictures, 3 batches of 8


# ------------------------------------------------------------------------------------ (d) the cache


def _write_pictures(folder: Path) -> list[Path]:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (h, w) in enumerate([(20, 30), (32, 24), (17, 17), (32, 32), (9, 31), (25, 10)]):
        img = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
        ext = "png" if i % 2 else "jpg"
        p = folder / f"pic{i}.{ext}"
        Image.fromarray(img if i != 2 else img[:, :, 0]).save(p, quality=90)  # one grey picture
        paths.append(p)
    return paths


def test_canvas_geometry_by_hand() -> None:
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    canvas, pl = dc.place_on_canvas(img, dc.CanvasSpec(4, 6))
    assert pl == dc.Placement(1.0, 1.0, left=1, top=1, width=3, height=2)
    assert (canvas[1:3, 1:4] == img).all()
    mask = np.ones((4, 6), bool)
    mask[1:3, 1:4] = False
    assert (canvas[mask] == 255).all()
    np.testing.assert_array_equal(pl.map_boxes([[0, 0, 3, 2]]), [[1, 1, 4, 3]])
    big = dc.placement_for((100, 50), dc.CanvasSpec(40, 40, fit="shrink_pad"))
    assert (big.height, big.width, big.left, big.top) == (40, 20, 10, 0) and big.scale_x == pytest.approx(0.4)
    small = dc.placement_for((10, 20), dc.CanvasSpec(40, 40, fit="shrink_pad"))
    assert (small.height, small.width, small.scale_x) == (10, 20, 1.0)  # never enlarged
    st = dc.placement_for((10, 20), dc.CanvasSpec(40, 60, fit="resize"))
    assert (st.scale_x, st.scale_y, st.left, st.top) == (3.0, 4.0, 0, 0)
    with pytest.raises(ValueError, match=r"pic\.jpg is 100x50 .*larger than the 40x40 canvas with fit='pad'"):
        dc.placement_for((100, 50), dc.CanvasSpec(40, 40), name="pic.jpg")
    with pytest.raises(ValueError, match="fit must be one of"):
        dc.CanvasSpec(4, 4, fit="crop")


def test_cache_returns_the_same_tensors_as_decoding(tmp_path: Path) -> None:
    paths = _write_pictures(tmp_path / "pics")
    spec = dc.CanvasSpec(32, 32, fit="pad")
    expected = [dc.place_on_canvas(dc.read_image(p), spec)[0] for p in paths]
    # reference decode independent of the module: Pillow directly
    ref0 = np.asarray(Image.open(paths[0]).convert("RGB"))
    assert (expected[0][6:26, 1:31] == ref0).all()
    # the same canvas as saliqa.canvas.pad_to_canvas, which notebook 02's models are built around
    from saliqa.canvas import pad_to_canvas

    for p, e in zip(paths, expected):
        ref, _ = pad_to_canvas([torch.from_numpy(dc.read_image(p)).permute(2, 0, 1)], (32, 32))
        assert torch.equal(ref[0], torch.from_numpy(e).permute(2, 0, 1))

    ds = dc.PictureDataset(paths, spec, {"mos": np.arange(6.0)}, memory_cache=True, cache_dir=tmp_path / "cache")
    first = [ds[i]["image"].clone() for i in range(6)]
    assert ds.decoded == 6 and ds.cached_count() == 6
    second = [ds[i]["image"] for i in range(6)]
    assert ds.decoded == 6  # memory hits
    for e, a, b in zip(expected, first, second):
        assert a.shape == (3, 32, 32) and a.dtype == torch.uint8
        assert torch.equal(a, torch.from_numpy(e).permute(2, 0, 1)) and torch.equal(a, b)

    # a new dataset (a later run) reads the disk cache: no decoding, same tensors
    ds2 = dc.PictureDataset(paths, spec, memory_cache=False, cache_dir=tmp_path / "cache")
    for i, e in enumerate(expected):
        assert torch.equal(ds2[i]["image"], torch.from_numpy(e).permute(2, 0, 1))
    assert ds2.decoded == 0 and ds2.disk_hits == 6
    # keyed by content: a renamed copy hits, an edited file misses
    moved = tmp_path / "elsewhere" / "renamed.jpg"
    moved.parent.mkdir()
    shutil.copy(paths[0], moved)
    ds3 = dc.PictureDataset([moved], spec, memory_cache=False, cache_dir=tmp_path / "cache")
    assert torch.equal(ds3[0]["image"], first[0]) and ds3.disk_hits == 1
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(moved)
    ds4 = dc.PictureDataset([moved], spec, memory_cache=False, cache_dir=tmp_path / "cache")
    assert int(ds4[0]["image"].float().mean()) > 200 and ds4.decoded == 1  # mostly white padding now
    # another canvas size has other keys
    n_files = len(list((tmp_path / "cache").rglob("*.canvas")))
    dc.PictureDataset(paths[:1], dc.CanvasSpec(40, 40), cache_dir=tmp_path / "cache")[0]
    assert len(list((tmp_path / "cache").rglob("*.canvas"))) == n_files + 1


def test_corrupt_disk_cache_file_is_redecoded_with_a_warning(tmp_path: Path) -> None:
    paths = _write_pictures(tmp_path / "pics")[:1]
    spec = dc.CanvasSpec(32, 32)
    dc.PictureDataset(paths, spec, memory_cache=False, cache_dir=tmp_path / "c")[0]
    (f,) = list((tmp_path / "c").rglob("*.canvas"))
    f.write_bytes(f.read_bytes()[:100])
    ds = dc.PictureDataset(paths, spec, memory_cache=False, cache_dir=tmp_path / "c")
    with pytest.warns(UserWarning, match="unreadable"):
        img = ds[0]["image"]
    assert ds.decoded == 1
    assert torch.equal(img, torch.from_numpy(dc.place_on_canvas(dc.read_image(paths[0]), spec)[0]).permute(2, 0, 1))


def test_dataloader_workers_fill_the_shared_memory_cache(tmp_path: Path) -> None:
    from torch.utils.data import DataLoader

    paths = _write_pictures(tmp_path / "pics")
    ds = dc.PictureDataset(paths, dc.CanvasSpec(32, 32), {"mos": np.arange(6.0)}, memory_cache=True).share_memory()
    loader = DataLoader(ds, batch_size=3, num_workers=2, collate_fn=ds.collate_fn)
    batches = list(loader)
    assert ds.cached_count() == 6 and ds.decoded == 0  # filled by the workers, seen by this process
    img = batches[0]["image"]
    assert img.shape == (3, 3, 32, 32) and img.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(img[1], ds[1]["image"]) and ds.decoded == 0
    np.testing.assert_array_equal(batches[1]["mos"].numpy(), [3.0, 4.0, 5.0])


def test_small_shared_memory_turns_the_auto_cache_off_or_fails_clearly(tmp_path: Path, monkeypatch) -> None:
    paths = _write_pictures(tmp_path / "pics")

    class Tiny:
        f_bavail, f_frsize = 10, 1024  # 10 KB free in /dev/shm

    monkeypatch.setattr(dc.os, "statvfs", lambda path: Tiny())
    auto = dc.PictureDataset(paths, dc.CanvasSpec(32, 32), memory_cache="auto")
    with pytest.warns(UserWarning, match=r"in-memory picture cache off: it needs 0.02 MB .*/dev/shm has 0.01 MB free"):
        auto.share_memory()
    assert not auto.memory_cache and auto[0]["image"].shape == (3, 32, 32)
    forced = dc.PictureDataset(paths, dc.CanvasSpec(32, 32), memory_cache=True)
    with pytest.raises(RuntimeError, match=r"--shm-size"):
        forced.share_memory()


def test_fit_on_picture_dataset_with_extras(tmp_path: Path) -> None:
    paths = _write_pictures(tmp_path / "pics")
    spec = dc.CanvasSpec(32, 32, fit="shrink_pad")
    sizes = [Image.open(p).size for p in paths]  # (w, h)

    def box(i: int, placement: dc.Placement) -> dict:
        w, h = sizes[i]
        return {"box": torch.tensor(placement.map_boxes([[0, 0, w, h]])[0], dtype=torch.float32)}

    table = pd.DataFrame({"path": [p.name for p in paths], "mos": np.linspace(1, 5, 6)})
    ds = dc.PictureDataset.from_table(table, spec, root=tmp_path / "pics", extras=box)
    item = ds[0]
    np.testing.assert_array_equal(item["box"].numpy(), [1, 6, 31, 26])  # 30x20 centred on 32x32
    res = T.fit(tiny_model(0), ds, ds, config=replace(CFG, epochs=2, batch_size=3), progress=False)
    assert len(res.history) == 2 and ds.decoded == 6  # decoded once, epoch 2 from memory


# ------------------------------------------------------------------------------------ (e) bad inputs


def test_empty_and_too_small_datasets_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="train_data is empty"):
        T.fit(tiny_model(0), DictData(0), config=CFG, progress=False)
    with pytest.raises(ValueError, match="val_data has 2 items; validation SRCC / PLCC need at least 3"):
        T.fit(tiny_model(0), DictData(16), DictData(2), config=CFG, progress=False)
    with pytest.raises(ValueError, match="fewer than one batch of 8"):
        T.fit(tiny_model(0), DictData(7), config=CFG, progress=False)
    with pytest.raises(ValueError, match="paths is empty"):
        dc.PictureDataset([], dc.CanvasSpec(8, 8))
    with pytest.raises(ValueError, match=r"target 'mos' has 2 values for 1 pictures"):
        dc.PictureDataset([tmp_path / "a.png"], dc.CanvasSpec(8, 8), {"mos": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"target 'mos' is not finite at item 0"):
        dc.PictureDataset([tmp_path / "a.png"], dc.CanvasSpec(8, 8), {"mos": [float("nan")]})
    with pytest.raises(ValueError, match=r"missing column\(s\) \['mos'\]"):
        dc.PictureDataset.from_table(pd.DataFrame({"path": ["a.png"]}), dc.CanvasSpec(8, 8))


def test_unreadable_and_missing_pictures_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg")
    ds = dc.PictureDataset([bad, tmp_path / "missing.png"], dc.CanvasSpec(8, 8))
    with pytest.raises(ValueError, match=r"cannot decode image .*broken\.jpg"):
        ds[0]
    with pytest.raises(FileNotFoundError, match=r"item 1: image file not found: .*missing\.png"):
        ds[1]
    big = tmp_path / "big.png"
    Image.fromarray(np.zeros((20, 10, 3), np.uint8)).save(big)
    with pytest.raises(ValueError, match=r"big\.png is 20x10 .*larger than the 8x8 canvas"):
        dc.PictureDataset([big], dc.CanvasSpec(8, 8))[0]


def test_resume_from_another_models_checkpoint_names_the_keys(tmp_path: Path) -> None:
    T.fit(tiny_model(0), DictData(16), config=replace(CFG, epochs=1), checkpoint_dir=tmp_path, progress=False)

    class Wider(TinyNet):
        def __init__(self) -> None:
            super().__init__(width=5)
            self.extra = nn.Linear(2, 2)

    with pytest.raises(T.CheckpointMismatchError) as err:
        T.fit(Wider(), DictData(16), config=replace(CFG, epochs=1), checkpoint_dir=tmp_path, progress=False)
    msg = str(err.value)
    assert "keys of the model missing in the checkpoint: ['extra.weight', 'extra.bias']" in msg
    assert "body.0.weight: checkpoint (4, 3, 3, 3) vs model (5, 3, 3, 3)" in msg
    assert "_ddp_worker.TinyNet" in msg and "last.pt" in msg
    lacks = r"keys in the checkpoint the model lacks: \[.body\.0\.weight., .*.head\.1\.bias.\] \(6\)"
    with pytest.raises(T.CheckpointMismatchError, match=lacks):
        T.load_weights(nn.Sequential(TinyNet().body, nn.Identity()), tmp_path / "last.pt")


def test_resume_with_other_settings_or_files_is_refused(tmp_path: Path) -> None:
    T.fit(tiny_model(0), DictData(16), config=replace(CFG, epochs=1), checkpoint_dir=tmp_path, progress=False)
    with pytest.raises(T.CheckpointMismatchError, match=r"lr_head: checkpoint 0.03 vs now 0.01"):
        T.fit(
            tiny_model(0),
            DictData(16),
            config=replace(CFG, epochs=1, lr_head=0.01),
            checkpoint_dir=tmp_path,
            progress=False,
        )
    with pytest.raises(T.CheckpointMismatchError, match="steps per epoch"):
        T.fit(tiny_model(0), DictData(24), config=replace(CFG, epochs=1), checkpoint_dir=tmp_path, progress=False)
    # runtime-only settings may change
    T.fit(
        tiny_model(0),
        DictData(16),
        config=replace(CFG, epochs=1, val_batch_size=3),
        checkpoint_dir=tmp_path,
        progress=False,
    )
    junk = tmp_path / "junk.pt"
    torch.save({"a": 1}, junk)
    with pytest.raises(T.CheckpointMismatchError, match="is not a saliqa.train checkpoint"):
        T.fit(tiny_model(0), DictData(16), config=CFG, resume=junk, progress=False)
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(T.CheckpointMismatchError, match="cannot read checkpoint"):
        T.load_checkpoint(tmp_path / "text.pt")
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        T.fit(tiny_model(0), DictData(16), config=CFG, resume=tmp_path / "nope.pt", progress=False)


def test_bad_models_losses_and_settings_get_clear_errors() -> None:
    data = DictData(16)
    with pytest.raises(
        ValueError,
        match=r"matches no trainable parameter of TinyNet; its top-level modules are "
        r"\['body', 'head'\]",
    ):
        T.fit(tiny_model(0), data, config=replace(CFG, head=("fc",)), progress=False)
    with pytest.raises(ValueError, match="loss_fn must return a scalar tensor"):
        T.fit(tiny_model(0), data, config=CFG, loss_fn=lambda out, b: (out[:, 0] - b["mos"]) ** 2, progress=False)
    with pytest.raises(ValueError, match=r"not a \(B,\) or \(B, 1\) score: pass score_fn"):
        T.fit(nn.Sequential(TinyNet().body, nn.Linear(8, 3)), data, config=replace(CFG, head=("1",)), progress=False)
    with pytest.raises(FloatingPointError, match="training loss is nan in epoch 1"):
        T.fit(tiny_model(0), data, config=CFG, loss_fn=lambda out, b: out.sum() * float("nan"), progress=False)
    with pytest.raises(KeyError, match="the batch has no target 'quality'"):
        T.fit(tiny_model(0), data, config=replace(CFG, target_key="quality"), progress=False)
    with pytest.raises(ValueError, match="TrainConfig.epochs must be an integer >= 1"):
        T.TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="betas must be two numbers"):
        T.TrainConfig(betas=(0.9, 1.0))
    other = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="not a parameter of the model given to fit"):
        T.fit(
            tiny_model(0), data, config=CFG, param_groups=[{"params": other.parameters(), "lr": 1e-3}], progress=False
        )
    with pytest.raises(TypeError, match="dataset items must be dicts"):
        T.fit(tiny_model(0), [(torch.zeros(3, 4, 4), 1.0)] * 16, config=CFG, progress=False)
    m = tiny_model(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        T.fit(
            m,
            data,
            config=replace(CFG, epochs=1),
            param_groups=[{"params": m.head.parameters(), "lr": 1e-3}],
            progress=False,
        )
    assert any("in no parameter group" in str(w.message) and "body.0.weight" in str(w.message) for w in caught)


def test_constant_predictions_record_nan_srcc_with_a_warning() -> None:
    class Const(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.head = nn.Linear(1, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(torch.ones(x.shape[0], 1))

    with pytest.warns(RuntimeWarning, match="validation SRCC / PLCC undefined after epoch 1"):
        res = T.fit(Const(), DictData(16), DictData(6), config=replace(CFG, epochs=1), progress=False)
    assert np.isnan(res.history["val_srcc"].iloc[0]) and res.best_epoch is None


def test_a_gradcam_style_model_that_differentiates_in_forward() -> None:
    """Notebook 03's GradCAM loss: the CAM needs autograd inside forward, also when validating."""

    class CamNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())
            self.head = nn.Linear(4, 1)

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            with torch.enable_grad():
                f = self.body(x)
                if not f.requires_grad:  # validation: make the feature map differentiable for the CAM only
                    f = f.detach().requires_grad_(True)
                score = self.head(f.mean((2, 3)))[:, 0]
                (g,) = torch.autograd.grad(score.sum(), f, create_graph=False, retain_graph=True)
            alpha = g.mean((2, 3), keepdim=True).detach()  # alpha detached: the loss flows through f only
            return score, torch.relu((alpha * f).sum(1))

    def loss(out: tuple[torch.Tensor, torch.Tensor], batch: dict) -> torch.Tensor:
        score, cam = out
        target = torch.zeros_like(cam)
        target[:, 4:8, 4:8] = 1.0
        return nn.functional.mse_loss(score, batch["mos"]) + 0.1 * nn.functional.mse_loss(cam, target)

    score = lambda out, b: out[0]  # noqa: E731
    torch.manual_seed(0)
    with pytest.raises(RuntimeError, match="pass eval_grad=True"):
        T.fit(
            CamNet(),
            DictData(16),
            DictData(6),
            config=replace(CFG, epochs=1),
            loss_fn=loss,
            score_fn=score,
            progress=False,
        )
    torch.manual_seed(0)
    res = T.fit(
        CamNet(),
        DictData(16),
        DictData(6),
        config=replace(CFG, epochs=2),
        loss_fn=loss,
        score_fn=score,
        progress=False,
        eval_grad=True,
    )
    assert np.isfinite(res.history["val_loss"]).all() and np.isfinite(res.history["val_srcc"]).all()


def test_run_key_hashes_parts_in_order_then_sorted_settings():
    import hashlib
    import json

    import numpy as np
    import pandas as pd

    from saliqa.train import TrainConfig, run_key, weight_settings

    table = pd.DataFrame({"image_id": ["a", "b"], "mos": [1.0, 2.0]})
    arr = np.arange(3, dtype=np.float64)
    expected = hashlib.sha256()
    expected.update(table.to_csv(index=False).encode())
    expected.update(arr.tobytes())
    expected.update(b"tag")
    expected.update(json.dumps({"a": 1, "b": [2]}, sort_keys=True).encode())
    assert run_key(table, arr, "tag", b=[2], a=1) == expected.hexdigest()[:16]
    assert run_key(table, arr, "tag", a=1, b=[2]) != run_key(arr, table, "tag", a=1, b=[2])
    with pytest.raises(ValueError, match="parts"):
        run_key(3)
    settings = weight_settings(TrainConfig(num_workers=4, epochs=3))
    assert "num_workers" not in settings and settings["epochs"] == 3
    assert settings == weight_settings(TrainConfig(num_workers=0, epochs=3))
