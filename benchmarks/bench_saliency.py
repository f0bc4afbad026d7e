"""Benchmark: saliency maps from points and the saliency metrics, at 1920x1080.

Run as ``python benchmarks/bench_saliency.py``. In one process it

1. times :func:`saliqa.saliency.saliency_map` (separable Gaussians, one matrix product) against
   the naive direct sum of Gaussians (vectorised over pixels, a Python loop over points) with
   500 random sub-pixel points, checks the maximum absolute difference relative to the map's
   maximum (< 1e-6) and prints the speed ratio; for context it also times the usual shortcut,
   ``scipy.ndimage.gaussian_filter`` of the fixation histogram (points rounded to pixels,
   kernel truncated at 4 sigma), against ``saliency_map`` of the same rounded points;
2. times every saliency metric (numpy) and the torch versions on a batch of 8 maps
   (median of a few repeats, ms per call).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable

import numpy as np
import scipy
import torch
from scipy import ndimage
from timing import timed

from saliqa.metrics import saliency as M
from saliqa.metrics import saliency_torch as T
from saliqa.saliency import centre_prior, fixation_map, pixels_per_degree, saliency_map, sigma_from_degrees

H, W = 1080, 1920
N_POINTS = 500
SEED = 0


def naive_saliency_map(points: np.ndarray, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Direct sum of Gaussians: vectorised over pixels, a loop over points (the naive version)."""
    ys = np.arange(shape[0], dtype=np.float64)
    xs = np.arange(shape[1], dtype=np.float64)
    out = np.zeros(shape)
    denom = 2.0 * sigma**2
    for x, y in points:
        out += np.exp(-(((xs - x) ** 2)[None, :] + ((ys - y) ** 2)[:, None]) / denom)
    return out


def main() -> int:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    rng = np.random.default_rng(SEED)
    print(
        f"python {platform.python_version()}  numpy {np.__version__}  scipy {scipy.__version__}  "
        f"torch {torch.__version__}  cpus {os.cpu_count()}  torch threads {torch.get_num_threads()}"
    )
    # seed 000: a Gaussian of about 2 degrees; a 53 cm wide 1920 px screen viewed at 60 cm
    ppd = pixels_per_degree(60.0, 53.0, W)
    sigma = sigma_from_degrees(2.0, ppd)
    pts = np.column_stack([rng.uniform(-0.5, W - 0.5, N_POINTS), rng.uniform(-0.5, H - 0.5, N_POINTS)])
    print(
        f"\n[1] saliency_map, {W}x{H}, {N_POINTS} sub-pixel points, sigma = 2 deg = {sigma:.2f} px ({ppd:.2f} px/deg)"
    )

    t_fast, fast = timed(lambda: saliency_map(pts, (H, W), sigma), repeats=3)
    t_naive, naive = timed(lambda: naive_saliency_map(pts, (H, W), sigma), repeats=1)
    rel = float(np.max(np.abs(fast - naive)) / naive.max())
    print(f"  saliency_map (separable, one matmul) : {t_fast * 1e3:9.1f} ms")
    print(f"  naive direct sum (loop over points)  : {t_naive * 1e3:9.1f} ms")
    print(f"  max |diff| / max(map)                : {rel:.2e}  (required < 1e-6)")
    print(f"  speed ratio naive / saliency_map     : {t_naive / t_fast:9.1f} x  (target >= 50 x)")
    assert rel < 1e-6, f"saliency_map differs from the direct formula: {rel:.3e}"

    rounded = np.floor(pts + 0.5)
    t_filt, filt = timed(
        lambda: ndimage.gaussian_filter(fixation_map(pts, (H, W)), sigma, mode="constant", truncate=4.0), repeats=3
    )
    exact_rounded = saliency_map(rounded, (H, W), sigma)
    # gaussian_filter normalises its kernel to unit sum; rescale to the unnormalised Gaussian
    filt = filt * (2 * np.pi * sigma**2)
    rel_f = float(np.max(np.abs(filt - exact_rounded)) / exact_rounded.max())
    print(
        f"  [context] scipy gaussian_filter of the rounded-point histogram: {t_filt * 1e3:.1f} ms, "
        f"max |diff| / max vs exact map of the rounded points: {rel_f:.1e} (sub-pixel positions lost)"
    )

    # ----------------------------------------------------------------------------------
    print(f"\n[2] saliency metrics on {W}x{H} maps, {N_POINTS} fixations (median of repeats, ms per call)")
    gt = fast
    # a prediction: half the points jittered by ~1 degree, half elsewhere, plus a centre bias
    pts2 = np.concatenate(
        [pts[::2] + rng.normal(0, ppd, (N_POINTS // 2, 2)), rng.uniform(0, 1, (150, 2)) * [W - 1, H - 1]]
    )
    pts2 = np.clip(pts2, 0, [W - 1, H - 1])
    prior = centre_prior((H, W))
    pred = saliency_map(pts2, (H, W), 1.5 * sigma) + 2.0 * prior / prior.max()
    fix = fixation_map(pts, (H, W))
    base = prior
    rows: list[tuple[str, float, float]] = []
    numpy_cases: list[tuple[str, Callable[[], float], int]] = [
        ("kld", lambda: M.kld(gt, pred), 3),
        ("symmetric_kld", lambda: M.symmetric_kld(gt, pred), 3),
        ("cc", lambda: M.cc(gt, pred), 3),
        ("sim", lambda: M.sim(gt, pred), 3),
        ("bhattacharyya", lambda: M.bhattacharyya(gt, pred), 3),
        ("nss", lambda: M.nss(pred, fix), 3),
        ("auc_judd", lambda: M.auc_judd(pred, fix), 3),
        ("auc_borji", lambda: M.auc_borji(pred, fix), 3),
        ("information_gain", lambda: M.information_gain(pred, fix, base), 3),
    ]
    for name, fn, rep in numpy_cases:
        t, v = timed(fn, rep)
        rows.append((f"numpy {name}", t * 1e3, float(v)))

    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    b = 8
    gt_t = torch.from_numpy(np.stack([gt] * b)).to(dev, torch.float32)
    pred_t = torch.from_numpy(np.stack([pred] * b)).to(dev, torch.float32)
    fix_t = torch.from_numpy(np.stack([fix] * b)).to(dev, torch.float32)
    torch_cases: list[tuple[str, tuple[torch.Tensor, torch.Tensor]]] = [
        ("kld", (gt_t, pred_t)),
        ("cc", (gt_t, pred_t)),
        ("sim", (gt_t, pred_t)),
        ("bhattacharyya", (gt_t, pred_t)),
        ("nss", (pred_t, fix_t)),
    ]
    for name, args in torch_cases:
        fn = getattr(T, name)
        if dev.type == "cuda":
            fn(*args)  # warm-up (kernel loading)
        for validate in (True, False) if name == "kld" else (True,):  # validation overhead: kld only
            t, v = timed(lambda fn=fn, args=args, validate=validate: fn(*args, validate=validate), 3, sync)
            label = f"torch {name} (batch {b}, {dev.type}, float32{'' if validate else ', validate=False'})"
            rows.append((label, t * 1e3, float(v[0])))

    width = max(len(r[0]) for r in rows)
    print(f"  {'metric':<{width}}  {'ms/call':>9}  {'value':>12}")
    for name, ms, val in rows:
        print(f"  {name:<{width}}  {ms:9.1f}  {val:12.6g}")
    print(f"\ntotal: {time.perf_counter() - wall0:.1f} s wall, {time.process_time() - cpu0:.1f} s CPU (this process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
