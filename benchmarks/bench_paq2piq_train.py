"""Benchmark: PaQ-2-PiQ training throughput (images/s), Baseline vs RoIPool, data pipeline included.

Run as ``python benchmarks/bench_paq2piq_train.py`` (defaults: ResNet-18 random init, 224x224
canvas, batch 8, 32 training + 8 validation JPEG pictures, 2 epochs; under a minute on 2 idle CPU
cores). In one process it

1. writes JPEG pictures no larger than the canvas (``bench_train.write_pictures``: crops of
   scikit-image's photographs, quality 90) and three section 3.2 patches per picture
   (:func:`saliqa.patches.sample_patches`), as canonical ``images`` / ``patches`` tables;
2. assembles them with :func:`saliqa.paq2piq_study.study_data` and times the data pipeline
   alone: read + decode + pad + map the RoIs of one item, cold (decoded) and from the memory
   cache;
3. trains each model with :func:`saliqa.paq2piq_study.train_models` (the notebook's path:
   ``saliqa.train.fit``, the study's datasets, RoIs and losses), after one discarded warm-up
   epoch, and prints the training images/s of epoch 1 (decoding every picture into the cache)
   and of the last epoch (from the cache), as the loop's history measures them (loader + uint8
   to float + forward + backward + AdamW step; validation not included), and the ratio RoIPool /
   Baseline.

Options: ``--canvas``, ``--batch``, ``--n-train``, ``--n-val``, ``--epochs``, ``--models``,
``--backbone``, ``--workers``, ``--device``, ``--threads``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_train import write_pictures  # noqa: E402

from saliqa import paq2piq_study as S  # noqa: E402
from saliqa.patches import sample_patches  # noqa: E402


def tables(folder: Path, n_train: int, n_val: int, canvas: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical images / patches tables over freshly written JPEGs (train first, then val)."""
    paths, mos = write_pictures(folder, n_train + n_val, canvas, seed)
    sizes = []
    for p in paths:
        with Image.open(p) as im:
            sizes.append(im.size)
    w, h = np.asarray(sizes).T
    images = pd.DataFrame(
        {
            "image_id": [p.stem for p in paths],
            "path": [str(p) for p in paths],
            "width": w,
            "height": h,
            "content_id": [p.stem for p in paths],
            "mos": 20 * mos,
            "split": ["train"] * n_train + ["val"] * n_val,
        }
    )
    patches = sample_patches(images, seed=seed)
    rng = np.random.default_rng(seed)
    patches["mos"] = np.repeat(images["mos"].to_numpy(), 3) + rng.normal(0, 5, len(patches))
    return images, patches


def pipeline_ms(data: S.StudyData, repeats: int = 16) -> tuple[float, float]:
    """Median ms per item: decoded cold (no cache), and from a filled memory cache."""
    cold = S.picture_dataset(data, "train", memory_cache=False)
    warm = S.picture_dataset(data, "train", memory_cache=True)
    n = min(repeats, len(cold))
    for i in range(n):
        warm[i]
    out = []
    for ds in (cold, warm):
        times = []
        for i in range(n):
            t0 = time.perf_counter()
            ds[i]
            times.append(time.perf_counter() - t0)
        out.append(1e3 * statistics.median(times))
    return out[0], out[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--canvas", type=int, default=224, help="square canvas side (640 in the paper)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--n-train", type=int, default=32)
    ap.add_argument("--n-val", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--models", nargs="+", default=["baseline", "roipool"], choices=S.MODEL_NAMES)
    ap.add_argument("--backbone", default="resnet18")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    t_start = time.perf_counter()
    print(
        f"bench_paq2piq_train: {', '.join(args.models)} on {args.backbone} (random init), canvas "
        f"{args.canvas}x{args.canvas} (white pad), batch {args.batch}, {args.n_train} train + {args.n_val} val "
        f"JPEG pictures with 3 patches each, {args.epochs} epochs, {args.workers} workers, device {args.device}"
    )
    print(
        f"  torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
        f"{platform.processor() or platform.machine()}, Python {sys.version.split()[0]}"
    )
    with tempfile.TemporaryDirectory(prefix="saliqa-bench-paq2piq-") as tmp:
        images, patches = tables(Path(tmp) / "pics", args.n_train, args.n_val, args.canvas)
        data = S.study_data(images, patches, args.canvas)
        cold, warm = pipeline_ms(data)
        print("\n[1] data pipeline alone (one item: canvas + 4 RoIs + targets)")
        print(f"  read + decode + pad + map RoIs : {cold:8.2f} ms")
        print(f"  from the memory cache          : {warm:8.2f} ms")

        def run(name: str, epochs: int) -> pd.DataFrame:
            cfg = S.study_config(epochs=epochs, batch_size=args.batch, num_workers=args.workers, seed=0)
            res = S.train_models(
                data, [name], backbone=args.backbone, pretrained=False, config=cfg, device=args.device, progress=False
            )
            return res[name].history

        run(args.models[0], 1)  # warm-up (imports, allocator, threads), discarded
        print("\n[2] training images/s (saliqa.train.fit via paq2piq_study.train_models; validation excluded)")
        rates = {}
        for name in args.models:
            h = run(name, args.epochs)
            first, last = float(h["images_per_s"].iloc[0]), float(h["images_per_s"].iloc[-1])
            rates[name] = last
            print(
                f"  {name:10s}: epoch 1 (decodes into the cache) {first:7.1f}   last epoch (cached) {last:7.1f}"
                f"   train loss {h['train_loss'].iloc[-1]:.4g}"
            )
        if "baseline" in rates and "roipool" in rates:
            print(f"  ratio roipool / baseline (last epochs)          : {rates['roipool'] / rates['baseline']:7.2f} x")
            share = cold / (1e3 / rates["baseline"])
            print(f"  decode share of a cache-off baseline step       : {100 * share:7.1f} %")
    print(f"\ntotal {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
