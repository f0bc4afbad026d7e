"""Benchmark: smoothed HiResCAM (6 rotations + SVD), saliqa.explain.cam batched vs pytorch-grad-cam.

Run as ``python benchmarks/bench_cam.py [--device cuda] [--n 16] [--size 224]``. In one process it

1. builds the IQA baseline shape of seed 002: MobileNetV2 features
   (:func:`saliqa.models.backbones.build`, offline ImageNet weights when present) + global
   average pooling + a seeded linear head; the target layer is the last feature block;
2. makes ``--n`` crops of scikit-image's bundled photographs at ``--size`` x ``--size``,
   ImageNet-normalised;
3. times the full smoothed pipeline of seed 002 Sec. III-A (HiResCAM, rotations
   -5, -3, -1, 1, 3, 5 degrees, eigen smoothing): ours (:func:`saliqa.explain.cam`: frozen
   parameters, the gradient w.r.t. the target layer only, all rotations of all images in one
   pass) against pytorch-grad-cam 1.5.7 used as a user must (one ``HiResCAM`` call with
   ``eigen_smooth=True`` per rotation, de-rotated with the same rotation function, averaged);
4. prints both times (median of ``--repeats``; ours also with ``channels_last=False``, to show
   what the batching and the frozen parameters give on their own), the ratio (target >= 3x on the CPU) and the CC
   between the two sets of maps: as pytorch-grad-cam returns them (its SVD sign is whatever
   LAPACK gives, so some maps come out inverted) and with our ``"align"`` sign rule applied to
   its projection.
"""

from __future__ import annotations

import argparse
import platform
import sys

import numpy as np
import torch
from timing import timed
from torch import nn

from saliqa.tv import import_torchvision

tv = import_torchvision()  # before pytorch_grad_cam, which imports torchvision

import pytorch_grad_cam  # noqa: E402
import pytorch_grad_cam.base_cam as gc_base  # noqa: E402
import pytorch_grad_cam.hirescam as gc_hires  # noqa: E402
from pytorch_grad_cam import HiResCAM  # noqa: E402
from pytorch_grad_cam.utils import svd_on_activations as gc_svd  # noqa: E402

from saliqa.explain import cam  # noqa: E402
from saliqa.explain.base import DEFAULT_ANGLES  # noqa: E402
from saliqa.explain.smoothing import rotate  # noqa: E402
from saliqa.models.backbones import build  # noqa: E402


class IQABaseline(nn.Module):
    """Backbone features + GAP + linear head: one score per image."""

    def __init__(self) -> None:
        super().__init__()
        backbone = build("mobilenet_v2")
        self.weights = backbone.weights
        self.features = backbone.features
        torch.manual_seed(0)
        self.head = nn.Linear(backbone.channels, 1)
        self.target_layer = self.features[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))[:, 0]


def photos(n: int, size: int) -> torch.Tensor:
    import skimage.data
    import torch.nn.functional as F

    rng = np.random.default_rng(0)
    sources = [skimage.data.astronaut(), skimage.data.chelsea(), skimage.data.coffee(), skimage.data.rocket()]
    crops = []
    for i in range(n):
        img = sources[i % len(sources)]
        side = int(rng.integers(min(img.shape[:2]) // 2, min(img.shape[:2]) + 1))
        top = int(rng.integers(0, img.shape[0] - side + 1))
        left = int(rng.integers(0, img.shape[1] - side + 1))
        t = torch.from_numpy(np.ascontiguousarray(img[top : top + side, left : left + side])).permute(2, 0, 1)
        crops.append(F.interpolate(t[None].float() / 255, size=(size, size), mode="bilinear", antialias=True))
    x = torch.cat(crops)
    mean = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
    std = torch.tensor([0.229, 0.224, 0.225])[:, None, None]
    return (x - mean) / std


def theirs(model: nn.Module, x: torch.Tensor) -> np.ndarray:
    """pytorch-grad-cam as a user composes the rotations: one call per angle, de-rotate, average."""
    n = len(x)
    explainer = HiResCAM(model, [model.target_layer])
    maps = []
    for angle in DEFAULT_ANGLES:
        out = explainer(rotate(x, [angle] * n), targets=[lambda o: o] * n, eigen_smooth=True)
        maps.append(rotate(torch.from_numpy(out).to(x.device)[:, None], [-angle] * n)[:, 0])
    explainer.activations_and_grads.release()
    return torch.stack(maps).mean(0).cpu().numpy()


def align_sign_projection(activations: np.ndarray) -> np.ndarray:
    p = gc_svd.get_2d_projection(activations)
    plain = np.nan_to_num(activations).reshape(*activations.shape[:2], -1).sum(1)
    plain = plain - plain.mean(1, keepdims=True)
    sign = np.where((p.reshape(len(p), -1) * plain).sum(1) < 0, -1.0, 1.0)
    return np.float32(p * sign[:, None, None])


def cc(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    a, b = a - a.mean(1, keepdims=True), b - b.mean(1, keepdims=True)
    return (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1) + 1e-30)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--n", type=int, default=16, help="number of images")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="torch and numpy-BLAS CPU threads")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    # numpy's BLAS (pytorch-grad-cam's SVD) gets the same number of threads as torch
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    model = IQABaseline().to(device).eval()
    x = photos(args.n, args.size).to(device)
    print(
        f"python {platform.python_version()}  torch {torch.__version__}  grad-cam "
        f"{getattr(pytorch_grad_cam, '__version__', '1.5.7')}  device {device}  threads {torch.get_num_threads()}"
    )
    print(f"model: mobilenet_v2 ({model.weights}) + GAP + linear; {args.n} images {args.size}x{args.size}")
    print(f"pipeline: HiResCAM, rotations {DEFAULT_ANGLES}, eigen smoothing\n")

    def ours_fn(channels_last: bool = True) -> np.ndarray:
        return cam(model, x, model.target_layer, "hirescam", batch_size=args.n, channels_last=channels_last).numpy()

    ours_fn()  # warm-up (allocator, kernels)
    t_ours, ours = timed(ours_fn, args.repeats, sync)
    t_contig, _ = timed(lambda: ours_fn(False), args.repeats, sync)
    t_theirs, ref = timed(lambda: theirs(model, x), args.repeats, sync)
    gc_base.get_2d_projection = gc_hires.get_2d_projection = align_sign_projection
    aligned = theirs(model, x)
    gc_base.get_2d_projection = gc_hires.get_2d_projection = gc_svd.get_2d_projection
    raw_cc, aligned_cc = cc(ours, ref), cc(ours, aligned)
    print(f"  saliqa.explain.cam (one batched pass)     : {t_ours:8.2f} s  ({t_ours / args.n * 1e3:7.1f} ms / image)")
    print(f"  ... with channels_last=False              : {t_contig:8.2f} s  (ratio {t_theirs / t_contig:.2f} x)")
    print(
        f"  pytorch-grad-cam (loop over 6 rotations)  : {t_theirs:8.2f} s  ({t_theirs / args.n * 1e3:7.1f} ms / image)"
    )
    print(f"  speed ratio pytorch-grad-cam / ours       : {t_theirs / t_ours:8.2f} x  (target >= 3 x on CPU)")
    print(
        f"  CC ours vs pytorch-grad-cam as returned   : mean {raw_cc.mean():.4f}  min {raw_cc.min():.4f}"
        f"  ({int((raw_cc < 0.9).sum())} of {args.n} maps with CC < 0.9: LAPACK's arbitrary SVD sign)"
    )
    print(f"  CC ours vs pytorch-grad-cam, aligned sign : mean {aligned_cc.mean():.6f}  min {aligned_cc.min():.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
