"""Benchmark: training throughput (images/s) with the data pipeline included, picture cache on vs off.

Run as ``python benchmarks/bench_train.py`` (defaults: a small convnet, 224x224 canvas, batch 16,
96 JPEG pictures; well under a minute on 2 CPU cores). In one process it

1. writes JPEG pictures (crops of scikit-image's bundled photographs at random sizes no larger
   than the canvas, quality 90) to a temporary folder;
2. times the data pipeline alone: read + decode + pad one picture (ms), and iterating the
   DataLoader over the set with the cache off, from the memory cache, and from the disk cache;
3. trains with :func:`saliqa.train.fit` for ``--epochs`` epochs (default 2) with the cache off and
   with the in-memory cache on (after one discarded warm-up run; the two interleaved A B B A,
   ``--repeats`` times each), and prints the images/s of the last epoch of each (the first epoch
   of the cached run fills the cache): the best run (least disturbed by other processes on a
   shared machine, as ``timeit`` reports), the median and the range, and the ratio of the bests.

Parameterised for notebook 02's models: ``--model package.module:factory`` (called with the JSON
``--model-kwargs``), ``--forward`` / ``--loss`` / ``--score`` as ``module:function`` for
:func:`saliqa.train.fit`, ``--canvas``, ``--batch``, ``--n-images``, ``--workers``,
``--device``. From Python, :func:`measure` also takes an ``extras`` function (RoI boxes).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from saliqa import data_cache as dc
from saliqa import train as T


class SmallConvNet(nn.Module):
    """Four stride-2 3x3 convolutions (16-32-64-128 channels, ReLU), global average pooling, a linear head."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = 3
        for k in range(4):
            layers += [nn.Conv2d(c, width * 2**k, 3, stride=2, padding=1), nn.ReLU(inplace=True)]
            c = width * 2**k
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def _import(spec: str) -> Any:
    module, _, name = spec.partition(":")
    if not name:
        raise SystemExit(f"expected module:name, got {spec!r}")
    return getattr(importlib.import_module(module), name)


def write_pictures(folder: Path, n: int, canvas: int, seed: int = 0) -> tuple[list[Path], np.ndarray]:
    """``n`` JPEGs cut from scikit-image's photographs, sides in [canvas/2, canvas]; a MOS per picture."""
    from skimage import data as skdata

    photos = [np.asarray(getattr(skdata, name)()) for name in ("astronaut", "coffee", "chelsea", "rocket")]
    photos = [p if p.ndim == 3 else np.repeat(p[..., None], 3, axis=2) for p in photos]
    rng = np.random.default_rng(seed)
    paths, mos = [], []
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        src = photos[i % len(photos)][..., :3]
        h, w = (int(v) for v in rng.integers(canvas // 2, canvas + 1, size=2))
        scale = max(h / src.shape[0], w / src.shape[1])
        img = Image.fromarray(src)
        if scale > 1:
            img = img.resize((int(np.ceil(src.shape[1] * scale)), int(np.ceil(src.shape[0] * scale))))
        top = int(rng.integers(0, img.height - h + 1))
        left = int(rng.integers(0, img.width - w + 1))
        img = img.crop((left, top, left + w, top + h))
        p = folder / f"pic{i:05d}.jpg"
        img.save(p, quality=90)
        paths.append(p)
        mos.append(float(rng.uniform(1, 5)))
    return paths, np.asarray(mos)


def _iterate(ds: dc.PictureDataset, batch: int, workers: int) -> float:
    """Seconds to iterate a DataLoader over ``ds`` once."""
    from torch.utils.data import DataLoader

    if workers > 0:
        ds.share_memory()
    loader = DataLoader(ds, batch_size=batch, num_workers=workers, collate_fn=ds.collate_fn)
    t0 = time.perf_counter()
    for _ in loader:
        pass
    return time.perf_counter() - t0


def measure(
    model_factory: Callable[[], nn.Module],
    canvas: int = 224,
    batch: int = 16,
    n_images: int = 96,
    epochs: int = 2,
    workers: int = 0,
    device: str = "cpu",
    forward_fn: Any = None,
    loss_fn: Any = None,
    score_fn: Any = T.picture_score,
    extras: Any = None,
    fit: str = "pad",
    repeats: int = 3,
    channels_last: bool | None = None,
) -> dict[str, float]:
    """Throughput numbers of one model / canvas / batch setting (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="saliqa-bench-train-") as tmp:
        tmp_path = Path(tmp)
        paths, mos = write_pictures(tmp_path / "pics", n_images, canvas)
        spec = dc.CanvasSpec(canvas, canvas, fit=fit)  # type: ignore[arg-type]
        out: dict[str, float] = {}

        def one(p: Path) -> None:
            dc.place_on_canvas(dc.read_image(p), spec)

        times = []
        for p in paths[: min(32, len(paths))]:
            t0 = time.perf_counter()
            one(p)
            times.append(time.perf_counter() - t0)
        out["decode_pad_ms"] = statistics.median(times) * 1e3

        def dataset(memory: bool, cache_dir: Path | None = None) -> dc.PictureDataset:
            return dc.PictureDataset(paths, spec, {"mos": mos}, memory_cache=memory, cache_dir=cache_dir, extras=extras)

        def passes(ds: dc.PictureDataset, warm: bool) -> float:
            if warm:
                _iterate(ds, batch, workers)
            return n_images / min(_iterate(ds, batch, workers) for _ in range(repeats))

        _iterate(dataset(False), batch, workers)  # warm-up: imports, first-loader costs, page cache
        out["loader_off_img_s"] = passes(dataset(False), warm=False)
        out["loader_memory_img_s"] = passes(dataset(True), warm=True)
        _iterate(dataset(False, tmp_path / "cache"), batch, workers)  # fill the disk cache
        out["loader_disk_img_s"] = passes(dataset(False, tmp_path / "cache"), warm=False)

        config = T.TrainConfig(
            epochs=epochs, batch_size=batch, num_workers=workers, seed=0, channels_last=channels_last
        )

        def train(memory: bool) -> tuple[float, float]:
            torch.manual_seed(0)
            res = T.fit(
                model_factory(),
                dataset(memory),
                None,
                config=config,
                device=device,
                progress=False,
                forward_fn=forward_fn,
                loss_fn=loss_fn,
                score_fn=score_fn,
            )
            return float(res.history["images_per_s"].iloc[0]), float(res.history["images_per_s"].iloc[-1])

        train(False)  # warm-up (autograd, allocator, threads), discarded
        runs: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
        for r in range(repeats):  # interleaved A B B A ..., so that drifting load from other processes hits both alike
            for name in ("off", "on") if r % 2 == 0 else ("on", "off"):
                runs[name].append(train(name == "on"))
        for name, values in runs.items():
            out[f"train_{name}_epoch1_img_s"] = max(v[0] for v in values)
            out[f"train_{name}_img_s"] = statistics.median(v[1] for v in values)
            out[f"train_{name}_min_img_s"] = min(v[1] for v in values)
            out[f"train_{name}_max_img_s"] = max(v[1] for v in values)
        out["ratio"] = out["train_on_max_img_s"] / out["train_off_max_img_s"]
        return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="module:factory returning an nn.Module (default: SmallConvNet)")
    ap.add_argument("--model-kwargs", default="{}", help="JSON keyword arguments for the factory")
    ap.add_argument("--forward", default=None, help="module:function forward_fn(model, batch)")
    ap.add_argument("--loss", default=None, help="module:function loss_fn(output, batch)")
    ap.add_argument("--score", default=None, help="module:function score_fn(output, batch)")
    ap.add_argument("--canvas", type=int, default=224)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--n-images", type=int, default=96)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--fit", default="pad", choices=dc.FIT_MODES)
    ap.add_argument("--repeats", type=int, default=3, help="repeats of each measurement (median)")
    ap.add_argument(
        "--channels-last",
        choices=("auto", "on", "off"),
        default="auto",
        help="TrainConfig.channels_last (auto: on for CUDA only)",
    )
    args = ap.parse_args(argv)

    kwargs = json.loads(args.model_kwargs)
    factory: Callable[[], nn.Module] = (
        (lambda: _import(args.model)(**kwargs)) if args.model else (lambda: SmallConvNet(**kwargs))
    )
    name = args.model or "SmallConvNet (4 stride-2 convs 16-128 ch + linear head)"
    t_start = time.perf_counter()
    print(
        f"bench_train: {name}, canvas {args.canvas}x{args.canvas} ({args.fit}), batch {args.batch}, "
        f"{args.n_images} JPEG pictures, {args.epochs} epochs, {args.workers} workers, device {args.device}, "
        f"channels_last {args.channels_last}"
    )
    print(
        f"  torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
        f"{platform.processor() or platform.machine()}, Python {sys.version.split()[0]}"
    )
    r = measure(
        factory,
        args.canvas,
        args.batch,
        args.n_images,
        args.epochs,
        args.workers,
        args.device,
        _import(args.forward) if args.forward else None,
        _import(args.loss) if args.loss else None,
        _import(args.score) if args.score else T.picture_score,
        fit=args.fit,
        repeats=args.repeats,
        channels_last={"auto": None, "on": True, "off": False}[args.channels_last],
    )
    print("\n[1] data pipeline alone")
    print(f"  read + decode + pad one picture (median of 32): {r['decode_pad_ms']:8.2f} ms")
    print(
        f"  DataLoader pass, cache off (decode each time) : {r['loader_off_img_s']:8.0f} images/s  (best of "
        f"{args.repeats})"
    )
    print(f"  DataLoader pass, from the memory cache        : {r['loader_memory_img_s']:8.0f} images/s")
    print(f"  DataLoader pass, from the disk cache          : {r['loader_disk_img_s']:8.0f} images/s")
    print("\n[2] training (saliqa.train.fit: loader + uint8->float normalise + forward + backward + AdamW step)")
    for name, label in (
        ("off", "cache off, epoch 1 / last epoch              "),
        ("on", "memory cache on, epoch 1 (fills) / last epoch"),
    ):
        print(
            f"  {label}: {r[f'train_{name}_epoch1_img_s']:8.1f} / {r[f'train_{name}_max_img_s']:.1f} images/s "
            f"best (median {r[f'train_{name}_img_s']:.1f}, min {r[f'train_{name}_min_img_s']:.1f})"
        )
    print(f"  ratio cache on / off (best last epochs)       : {r['ratio']:8.2f} x")
    share = r["decode_pad_ms"] / (1e3 / r["train_off_max_img_s"])
    print(f"  decode + pad share of a cache-off step        : {100 * share:8.1f} %  (the most the cache can save)")
    print(f"\ntotal {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
