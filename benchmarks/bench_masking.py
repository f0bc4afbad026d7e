"""Benchmark: MoRF / LeRF masking curves, all levels of a picture in one batch vs one forward per level.

Run as ``python benchmarks/bench_masking.py [--device cuda] [--n 8] [--size 224]``. In one process
it

1. builds a small CNN IQA predictor: MobileNetV2 features (:func:`saliqa.models.backbones.build`,
   offline ImageNet weights when present) + global average pooling + a seeded linear head,
   called on uint8 ``(M, H, W, 3)`` batches (normalised inside, ``torch.inference_mode``);
2. makes ``--n`` crops of scikit-image's bundled photographs at ``--size`` x ``--size``, smooth
   random explanation maps (sums of Gaussian blobs) and random MOS;
3. times :func:`saliqa.explain.masking_curve` for 11 fractions (0, 0.1, ..., 1) x 2 orders, where
   ``predict`` receives all 22 masked versions of a picture as one batch, against the naive loop
   (:func:`saliqa.explain.mask_image` and one forward per fraction and order);
4. prints the per-picture cost of both, the ratio, the cost of the masking alone
   (:func:`saliqa.explain.masked_batch`, one ranking for all levels, vs one
   :func:`~saliqa.explain.mask_image` per level), and the largest difference between the two SROCC
   curves (the predictions agree to float rounding).

On a CPU with one thread the forward pass costs about the same per image in a batch of 22 as
alone, so the batched curve gains little there; the batch pays off with more threads and on a
GPU (``--device cuda``), where 22 single-image forwards leave the device mostly idle.
"""

from __future__ import annotations

import argparse
import platform
import sys
import warnings

import numpy as np
import pandas as pd
import torch
from timing import timed
from torch import nn

from saliqa.explain import mask_image, masked_batch, masking_curve
from saliqa.metrics.correlation import srcc
from saliqa.models.backbones import build

FRACTIONS = np.round(np.linspace(0.0, 1.0, 11), 10)


class Predictor:
    """uint8 ``(M, H, W, 3)`` batches -> ``(M,)`` scores of MobileNetV2 + GAP + linear."""

    def __init__(self, device: torch.device) -> None:
        backbone = build("mobilenet_v2")
        self.weights = backbone.weights
        torch.manual_seed(0)
        self.model = nn.Sequential(backbone.features, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, 1))
        self.model.to(device).eval()
        self.normalize = backbone.normalize
        self.device = device

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(batch)).to(self.device).permute(0, 3, 1, 2).float() / 255
            x = self.normalize(x).contiguous(memory_format=torch.channels_last)
            return self.model(x)[:, 0].float().cpu().numpy()


def pictures(n: int, size: int) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    import cv2
    import skimage.data

    rng = np.random.default_rng(0)
    sources = [skimage.data.astronaut(), skimage.data.chelsea(), skimage.data.coffee(), skimage.data.rocket()]
    images, maps = [], []
    yy, xx = np.mgrid[0:size, 0:size]
    for i in range(n):
        img = sources[i % len(sources)]
        side = int(rng.integers(min(img.shape[:2]) // 2, min(img.shape[:2]) + 1))
        top = int(rng.integers(0, img.shape[0] - side + 1))
        left = int(rng.integers(0, img.shape[1] - side + 1))
        crop = np.ascontiguousarray(img[top : top + side, left : left + side])
        images.append(cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA))
        centres = rng.uniform(0, size, (3, 2))
        maps.append(sum(np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (size / 8) ** 2)) for cx, cy in centres))
    return images, maps, rng.uniform(1, 5, n)


def naive_curve(predict, images, maps, mos) -> pd.DataFrame:
    """One ``mask_image`` and one forward per picture, order and fraction."""
    rows = []
    scores = {
        (o, f): [float(predict(mask_image(img, e, f, o)[None])[0]) for img, e in zip(images, maps)]
        for o in ("morf", "lerf")
        for f in FRACTIONS
    }
    for (o, f), pred in scores.items():
        rows.append({"order": o, "fraction": f, "srocc": srcc(pred, mos) if np.ptp(pred) > 0 else np.nan})
    return pd.DataFrame(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--n", type=int, default=8, help="number of pictures")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    predict = Predictor(device)
    images, maps, mos = pictures(args.n, args.size)
    levels = 2 * FRACTIONS.size
    print(f"python {platform.python_version()}  torch {torch.__version__}  device {device}  threads {args.threads}")
    print(f"predictor: mobilenet_v2 ({predict.weights}) + GAP + linear")
    print(f"{args.n} pictures {args.size}x{args.size}, {FRACTIONS.size} fractions x 2 orders = {levels} levels each\n")
    warnings.simplefilter("ignore", RuntimeWarning)  # fraction 1: constant predictions, SROCC NaN

    predict(np.stack(images[:2]))  # warm-up
    t_batch, batched = timed(lambda: masking_curve(predict, images, maps, mos, FRACTIONS, "both"), args.repeats, sync)
    t_naive, naive = timed(lambda: naive_curve(predict, images, maps, mos), args.repeats, sync)
    t_mb, _ = timed(lambda: [masked_batch(i, e, FRACTIONS, "both") for i, e in zip(images, maps)], args.repeats)
    t_mi, _ = timed(
        lambda: [mask_image(i, e, f, o) for i, e in zip(images, maps) for o in ("morf", "lerf") for f in FRACTIONS],
        args.repeats,
    )
    diff = np.nanmax(np.abs(batched.srocc.to_numpy() - naive.srocc.to_numpy()))
    print(f"  masking_curve, one batch of {levels} per picture : {t_batch / args.n * 1e3:8.1f} ms / picture")
    print(f"  naive, one forward per level               : {t_naive / args.n * 1e3:8.1f} ms / picture")
    print(f"  speed ratio naive / batched                : {t_naive / t_batch:8.2f} x")
    print(f"  masking only: masked_batch (one ranking)   : {t_mb / args.n * 1e3:8.1f} ms / picture")
    print(f"  masking only: {levels} mask_image calls        : {t_mi / args.n * 1e3:8.1f} ms / picture")
    print(f"  masking speed ratio                        : {t_mi / t_mb:8.2f} x")
    print(f"  max |SROCC batched - SROCC naive|          : {diff:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
