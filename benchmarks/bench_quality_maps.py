"""Benchmark: PaQ-2-PiQ quality maps (seed 003, section 4.3), batched vs one RoI at a time.

Run as ``python benchmarks/bench_quality_maps.py`` (options: ``--canvas``, ``--grid``,
``--pictures``, ``--sample``, ``--threads``). In one process, with a random-init ResNet-18
RoIPool model in eval mode on the CPU, it times per picture:

1. ``batched``: :func:`saliqa.quality_maps.predict_block_scores`, the backbone once per batch and
   one RoIPool + head call over all ``rows * cols + 1`` RoIs of every picture;
2. ``loop, features reused``: the backbone once per picture, then RoIPool + head once per RoI;
3. ``loop, whole model``: the whole model (backbone included) once per RoI, the naive version.
   At the paper's size (1,025 RoIs per 640x640 canvas) this takes minutes, so only ``--sample``
   RoIs are run and the time is scaled to the picture's RoI count (printed as an estimate).

The block scores of (1) and (2) are compared over every RoI, those of (1) and (3) over the
sampled RoIs; the maximum absolute difference is printed (the same results up to float
summation order, < 1e-4 on a 0..100-ish scale).
"""

from __future__ import annotations

import argparse
import platform
import sys

import torch
from timing import timed

from saliqa.canvas import pad_to_canvas
from saliqa.models.paq2piq import RoIPoolModel
from saliqa.quality_maps import block_boxes, predict_block_scores, predict_block_scores_loop


@torch.no_grad()
def whole_model_sample(model: RoIPoolModel, image: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """The whole model once per RoI (the naive version) on ``boxes`` ``(R, 4)`` of one picture."""
    return torch.stack([model(image, box.view(1, 1, 4))[0, 0] for box in boxes])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--canvas", type=int, default=640, help="square canvas side (640 in the paper)")
    parser.add_argument("--grid", type=int, default=32, help="blocks per side (32 in the paper)")
    parser.add_argument("--pictures", type=int, default=2, help="pictures per batch")
    parser.add_argument("--sample", type=int, default=8, help="RoIs run through the whole model in (3)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    model = RoIPoolModel("resnet18", pretrained=False).eval()
    # pictures of two aspect ratios, white-padded to the canvas, as in training
    c = args.canvas
    sizes = [((3 * c) // 4, c) if i % 2 == 0 else (c, (2 * c) // 3) for i in range(args.pictures)]
    pictures = [torch.rand(3, h, w) for h, w in sizes]
    images, offsets = pad_to_canvas(pictures, c)
    n_rois = args.grid * args.grid + 1

    print(
        f"python {platform.python_version()}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{platform.machine()}"
    )
    print(
        f"{args.pictures} pictures on a {c}x{c} canvas, {args.grid}x{args.grid} blocks + the picture box = "
        f"{n_rois} RoIs per picture; ResNet-18 RoIPool model (random init, eval)"
    )

    predict_block_scores(model, images[:1], sizes[:1], offsets[:1], args.grid)  # warm-up
    t_batched, batched = timed(lambda: predict_block_scores(model, images, sizes, offsets, args.grid), 3)
    t_reused, reused = timed(
        lambda: predict_block_scores_loop(model, images, sizes, offsets, args.grid, reuse_features=True), 1
    )
    boxes = torch.cat(
        [
            torch.tensor(
                [[offsets[0, 0], offsets[0, 1], offsets[0, 0] + sizes[0][1], offsets[0, 1] + sizes[0][0]]],
                dtype=torch.float32,
            ),
            block_boxes([sizes[0]], args.grid, offsets[:1])[0],
        ]
    )
    k = min(args.sample, n_rois)
    t_sample, sample = timed(lambda: whole_model_sample(model, images[:1], boxes[:k]), 1)

    per_batched = t_batched / args.pictures
    per_reused = t_reused / args.pictures
    per_whole = t_sample / k * n_rois
    all_batched = torch.cat([batched.picture[:, None], batched.blocks.flatten(1)], dim=1)
    all_reused = torch.cat([reused.picture[:, None], reused.blocks.flatten(1)], dim=1)
    diff_reused = (all_batched - all_reused).abs().max().item()
    diff_whole = (all_batched[0, :k] - sample).abs().max().item()

    print(f"{'method':<28}{'s / picture':>14}{'ratio to batched':>20}")
    print(f"{'batched (one pass)':<28}{per_batched:>14.4f}{1.0:>20.1f}")
    print(f"{'loop, features reused':<28}{per_reused:>14.4f}{per_reused / per_batched:>20.1f}")
    print(
        f"{'loop, whole model (est.)':<28}{per_whole:>14.4f}{per_whole / per_batched:>20.1f}"
        f"   (from {k} RoIs: {t_sample / k:.4f} s each)"
    )
    print(f"max |batched - loop, features reused| over all {all_batched.numel()} RoI scores: {diff_reused:.2e}")
    print(f"max |batched - loop, whole model| over {k} sampled RoIs: {diff_whole:.2e}")
    ok = diff_reused < 1e-4 and diff_whole < 1e-4
    print("same results" if ok else "RESULTS DIFFER")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
