r"""A proxy saliency predictor trained on real eye fixations, its loss and its evaluation.

Seed 002 (Kirillov et al., "Bridging the Gap Between Saliency Prediction and IQA") trains
dual-task IQA models with a saliency loss on KonIQ-10k, whose pictures have no fixations; the
paper used MSINet's maps as proxy ground truth (Sec. III-C). Here a small
:class:`saliqa.models.saliency_net.SaliencyNet` is trained on real eye fixations (OSIE: 700
images, 15 observers) and applied to the IQA pictures. The same loss is used by notebook 03's
dual-task models (Baseline-Sal-Loss, Baseline-GradCAM-Loss), and the evaluation scores any set
of maps (the predictor's, IQA models' CAMs, the centre prior) on one held-out ground truth
(Tables I and II: NSS, SIM, CC, KLD).

Conventions
-----------
* **Loss** (:func:`saliency_loss`): ``L = kld_weight * KLD(G || P) - cc_weight * CC(G, P)``,
  the batch mean, with ``G`` the target and ``P`` the prediction, both sum-normalised after
  ``P <- P + eps`` (MIT ``KLdiv.m``: ``sum G ln(eps + G / (P + eps))``; CC the Pearson
  correlation with ``eps`` under its square root). Default weights 1 and 1 (KLD - CC, the two
  distribution terms of the KLD / CC / NSS / SIM losses of TranSalNet-style training; MSINet
  trains with KLD alone: ``cc_weight=0``). Default ``eps = 1e-8`` rather than MATLAB's 2.2e-16,
  which vanishes next to map values in float32. The target is resized to the prediction's size
  by *area* interpolation when they differ. All-zero predictions (a ReLU'd GradCAM early in
  training) give a finite loss and finite gradients (the ``eps``), as do all-zero targets.
* **Ground truth** (:func:`ground_truth`): :func:`saliqa.datasets.fixation_sets.ground_truth_maps`
  (Gaussian of about 1 degree: OSIE 24 px at 800 x 600, the authors' own maps; area-resized to
  the working resolution; binary fixation maps at the same resolution).
* **Metrics** (:func:`score_maps`): :mod:`saliqa.metrics.saliency` with the MIT conventions
  (NSS on the binary fixation map, ddof 1; SIM min-max then sum; CC; KLD(GT || prediction) with
  MATLAB eps). A prediction of another size is resized to the ground truth's by bilinear
  interpolation first. A map on which a metric is undefined (constant, all zero) scores NaN for
  it, with a warning that counts them.
* **Predicted maps** (:func:`predict_saliency`) are densities: non-negative, each summing to 1.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from saliqa.checks import check_int, check_positive, check_seed, check_shape, require_columns
from saliqa.constants import MATLAB_EPS
from saliqa.datasets.fixation_sets import OSIE_SIGMA_PX, ground_truth_maps, read_images, resize_maps
from saliqa.metrics import saliency as sm
from saliqa.saliency import centre_prior

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from saliqa.models.saliency_net import SaliencyNet

__all__ = [
    "LOSS_EPS",
    "METRICS",
    "saliency_loss",
    "MapDataset",
    "fixation_training_set",
    "train_on_maps",
    "train_saliency_predictor",
    "predict_saliency",
    "split_ids",
    "ground_truth",
    "score_maps",
    "evaluate_saliency",
    "summarise",
    "centre_prior_maps",
    "fit_centre_prior",
    "simulated_fixation_set",
]

LOSS_EPS: float = 1e-8
"""Default ``eps`` of :func:`saliency_loss` (float32-safe; see the module docstring)."""

METRICS: tuple[str, ...] = ("nss", "sim", "cc", "kld")
"""Columns of :func:`score_maps` (seed 002, Tables I and II)."""

_DIMS = (-2, -1)


# --------------------------------------------------------------------------------------------
# loss
# --------------------------------------------------------------------------------------------


def _as_maps(x: Any, name: str) -> torch.Tensor:
    import torch

    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    if t.ndim == 4 and t.shape[1] == 1:
        t = t[:, 0]
    if t.ndim == 2:
        t = t[None]
    if t.ndim != 3 or t.shape[0] == 0 or t.shape[1] == 0 or t.shape[2] == 0:
        raise ValueError(f"{name} must be a (B, h, w) (or (B, 1, h, w)) tensor of maps, got {tuple(t.shape)}")
    return t.float()


def saliency_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    *,
    kld_weight: float = 1.0,
    cc_weight: float = 1.0,
    eps: float = LOSS_EPS,
    reduction: Literal["mean", "none"] = "mean",
) -> torch.Tensor:
    """Saliency loss ``kld_weight * KLD(target || pred) - cc_weight * CC(target, pred)``.

    See the module docstring for the conventions. Same definitions as
    :func:`saliqa.metrics.saliency_torch.kld` / :func:`~saliqa.metrics.saliency_torch.cc`
    (tested equal on valid maps), with ``eps`` added to the prediction before normalising and
    under the square root of CC, so that an all-zero prediction or target stays finite.

    Parameters
    ----------
    pred
        Predicted non-negative maps ``(B, h, w)`` or ``(B, 1, h, w)`` (softmax densities,
        sigmoid maps, ReLU'd CAMs; any scale: both terms are scale-invariant).
    target
        Ground-truth non-negative maps ``(B, H, W)`` or ``(B, 1, H, W)``; area-resized to
        ``(h, w)`` when the sizes differ.
    kld_weight, cc_weight
        Weights of the two terms (>= 0).
    eps
        Regulariser (> 0), default :data:`LOSS_EPS`.
    reduction
        ``"mean"``: the batch mean (a scalar, for :func:`saliqa.train.fit`); ``"none"``: ``(B,)``.

    Returns
    -------
    torch.Tensor
        float32 scalar (or ``(B,)``), differentiable w.r.t. ``pred``.

    Raises
    ------
    ValueError
        Wrong shapes, batch sizes that differ, negative weights or eps <= 0.
    """
    import torch
    from torch.nn import functional as F

    p = _as_maps(pred, "pred")
    t = _as_maps(target, "target").to(p.device)
    if p.shape[0] != t.shape[0]:
        raise ValueError(f"pred has {p.shape[0]} maps but target has {t.shape[0]}")
    check_positive(kld_weight, "kld_weight", allow_zero=True)
    check_positive(cc_weight, "cc_weight", allow_zero=True)
    check_positive(eps, "eps")
    if reduction not in ("mean", "none"):
        raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")
    if t.shape[-2:] != p.shape[-2:]:
        t = F.interpolate(t[:, None], size=tuple(p.shape[-2:]), mode="area")[:, 0]
    q = p + eps
    big_q = q / q.sum(dim=_DIMS, keepdim=True)
    big_p = t / (t.sum(dim=_DIMS, keepdim=True) + eps)
    kld = (big_p * torch.log(eps + big_p / (big_q + eps))).sum(dim=_DIMS)
    tc = t - t.mean(dim=_DIMS, keepdim=True)
    qc = q - q.mean(dim=_DIMS, keepdim=True)
    cc = (tc * qc).sum(dim=_DIMS) / torch.sqrt((tc * tc).sum(dim=_DIMS) * (qc * qc).sum(dim=_DIMS) + eps)
    loss = float(kld_weight) * kld - float(cc_weight) * cc
    return loss.mean() if reduction == "mean" else loss


# --------------------------------------------------------------------------------------------
# training data
# --------------------------------------------------------------------------------------------


class MapDataset:
    """Pictures and target density maps held in memory, as dict items for :func:`saliqa.train.fit`.

    Items: ``"image"`` uint8 ``(3, H, W)``, ``"target"`` float32 ``(h, w)`` (sum 1),
    ``"index"`` int64 (and ``"fixations"`` float32 ``(h, w)`` binary maps when given).

    Parameters
    ----------
    images
        uint8 ``(N, H, W, 3)``.
    targets
        ``(N, h, w)`` non-negative maps (sum-normalised here).
    fixations
        Optional ``(N, h, w)`` binary fixation maps.

    Raises
    ------
    ValueError
        Mismatched lengths, wrong dtypes / shapes, or a target without mass.
    """

    def __init__(self, images: np.ndarray, targets: np.ndarray, fixations: np.ndarray | None = None) -> None:
        import torch

        imgs = np.asarray(images)
        if imgs.dtype != np.uint8 or imgs.ndim != 4 or imgs.shape[-1] != 3:
            raise ValueError(f"images must be uint8 (N, H, W, 3), got {imgs.dtype} {imgs.shape}")
        tg = np.asarray(targets, dtype=np.float64)
        if tg.ndim != 3 or tg.shape[0] != imgs.shape[0]:
            raise ValueError(f"targets must be (N, h, w) with N = {imgs.shape[0]}, got {tg.shape}")
        sums = tg.sum(axis=(1, 2))
        bad = ~np.isfinite(sums) | (sums <= 0) | (tg.reshape(len(tg), -1).min(axis=1) < 0)
        if bad.any():
            raise ValueError(f"targets[{int(np.flatnonzero(bad)[0])}] is not a non-negative map with positive mass")
        self.images = torch.from_numpy(np.ascontiguousarray(imgs.transpose(0, 3, 1, 2)))
        self.targets = torch.from_numpy((tg / sums[:, None, None]).astype(np.float32))
        self.fixations = None
        if fixations is not None:
            fx = np.asarray(fixations, dtype=np.float32)
            if fx.shape != tg.shape:
                raise ValueError(f"fixations must have the targets' shape {tg.shape}, got {fx.shape}")
            self.fixations = torch.from_numpy(fx)

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __getitem__(self, i: int) -> dict[str, Any]:
        import torch

        item = {"image": self.images[i], "target": self.targets[i], "index": torch.tensor(int(i))}
        if self.fixations is not None:
            item["fixations"] = self.fixations[i]
        return item


class _FeatureDataset:
    """Cached encoder features ``(f8, f16, f32)`` (float16) and targets, as dict items."""

    def __init__(self, feats: tuple[torch.Tensor, torch.Tensor, torch.Tensor], targets: torch.Tensor) -> None:
        self.feats = feats
        self.targets = targets

    def __len__(self) -> int:
        return int(self.targets.shape[0])

    def __getitem__(self, i: int) -> dict[str, Any]:
        import torch

        f8, f16, f32 = (f[i] for f in self.feats)
        return {"f8": f8, "f16": f16, "f32": f32, "target": self.targets[i], "index": torch.tensor(int(i))}


def _sigma_for(images: pd.DataFrame, sigma_px: float | None, sigma_deg: float, ppd: float | None) -> float:
    if sigma_px is not None:
        return check_positive(sigma_px, "sigma_px", unit="pixels")
    check_positive(sigma_deg, "sigma_deg", unit="degrees")
    if ppd is None:
        if images.attrs.get("dataset") != "osie":
            raise ValueError(
                "pass sigma_px (Gaussian sigma in image pixels) or ppd (pixels per degree): the viewing "
                f"geometry of dataset {images.attrs.get('dataset')!r} is not known here"
            )
        ppd = OSIE_SIGMA_PX  # OSIE: 24 px per degree at 800 x 600 (the authors' 1-degree Gaussian)
    return float(sigma_deg) * check_positive(ppd, "ppd")


def fixation_training_set(
    images: pd.DataFrame,
    fixations: pd.DataFrame,
    *,
    size: Sequence[int] = (192, 256),
    sigma_px: float | None = None,
    sigma_deg: float = 1.0,
    ppd: float | None = None,
    target_stride: int = 4,
) -> tuple[MapDataset, dict[str, Any]]:
    """Inputs resized to ``size`` and ground-truth densities, in memory, for training.

    Parameters
    ----------
    images, fixations
        Canonical tables (e.g. :func:`saliqa.datasets.osie.load_images` with the eye
        fixations of :func:`saliqa.datasets.osie.load_fixations`); one item per image row.
    size
        ``(H, W)`` of the network input (Pillow bilinear resize, aspect not kept).
    sigma_px
        Gaussian sigma in the images' own pixels; None: ``sigma_deg * ppd``.
    sigma_deg, ppd
        One degree (the MIT benchmark) at ``ppd`` pixels per degree; for OSIE tables
        (``attrs["dataset"] == "osie"``) ``ppd`` defaults to 24 (the authors' 1-degree Gaussian
        of 24 px at 800 x 600).
    target_stride
        The targets are stored at ``ceil(size / target_stride)`` (area-resized; the loss
        area-resizes them again to the prediction's size).

    Returns
    -------
    dataset : MapDataset
        Items ``image``, ``target``, ``fixations``, ``index``.
    info : dict
        ``size``, ``target_size``, ``sigma_px``, ``n_images``, ``n_fixations``, ``image_ids``.

    Raises
    ------
    ValueError
        See :func:`saliqa.datasets.fixation_sets.ground_truth_maps`; bad size or stride.
    """
    require_columns(images, ("image_id", "path", "width", "height"), "images")
    hw = check_shape(size, "size")
    stride = check_int(target_stride, "target_stride", low=1)
    sigma = _sigma_for(images, sigma_px, sigma_deg, ppd)
    target_hw = (math.ceil(hw[0] / stride), math.ceil(hw[1] / stride))
    gt, fix = ground_truth_maps(images, fixations, sigma_px=sigma, out_size=target_hw)
    pictures = read_images(list(images["path"]), hw)
    ids = [str(i) for i in images["image_id"]]
    n_fix = int(fixations["image_id"].astype(str).isin(ids).sum())
    info = {
        "size": hw,
        "target_size": target_hw,
        "sigma_px": sigma,
        "n_images": len(ids),
        "n_fixations": n_fix,
        "image_ids": ids,
    }
    return MapDataset(pictures, gt, fix), info


# --------------------------------------------------------------------------------------------
# training
# --------------------------------------------------------------------------------------------


def _encode_all(model: SaliencyNet, images: torch.Tensor, batch_size: int, device: str) -> tuple[torch.Tensor, ...]:
    """Encoder features of uint8 ``(N, 3, H, W)`` images, float16 on the CPU."""
    import torch

    dev = torch.device(device)
    model.to(dev).eval()
    parts: list[list[torch.Tensor]] = [[], [], []]
    with torch.inference_mode():
        for start in range(0, images.shape[0], batch_size):
            x = images[start : start + batch_size].to(dev).float() / 255.0
            for k, f in enumerate(model.encode(model.normalize(x))):
                parts[k].append(f.to("cpu", torch.float16))
    return tuple(torch.cat(p) for p in parts)


def _val_scores(
    model: SaliencyNet, feats: tuple[torch.Tensor, ...], gt: np.ndarray, fix: np.ndarray, device: str
) -> dict[str, float]:
    import torch

    dev = torch.device(device)
    was = model.training
    model.eval()
    outs = []
    with torch.inference_mode():
        for start in range(0, feats[0].shape[0], 64):
            f = tuple(x[start : start + 64].to(dev).float() for x in feats)
            outs.append(model.decode(f).double().cpu().numpy())  # type: ignore[arg-type]
    model.train(was)
    pred = np.concatenate(outs)
    table = score_maps(resize_maps(pred, gt.shape[-2:], "bilinear"), gt, fix)
    return {f"val_{m}": float(table[m].mean()) for m in METRICS}


def train_on_maps(
    pictures: np.ndarray,
    target_maps: np.ndarray,
    *,
    val: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    epochs: int = 8,
    batch_size: int = 16,
    lr: float = 3e-3,
    seed: int = 0,
    backbone: str = "mobilenet_v2",
    pretrained: bool | Literal["auto"] = "auto",
    finetune_backbone: bool = False,
    kld_weight: float = 1.0,
    cc_weight: float = 1.0,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    device: str = "auto",
    progress: bool = True,
) -> tuple[SaliencyNet, pd.DataFrame]:
    """Train a :class:`~saliqa.models.saliency_net.SaliencyNet` on pictures and target maps.

    Through :func:`saliqa.train.fit` (AdamW, one-cycle schedule, checkpoints + resume in
    ``checkpoint_dir``, deterministic on CPU for a ``seed``). With a frozen encoder (default)
    the encoder features of all pictures are computed once (float16, in memory) and only the
    decoder and centre bias are trained on them (no augmentation); with
    ``finetune_backbone=True`` the whole network is trained on the pictures (encoder at
    ``lr / 10``).

    Parameters
    ----------
    pictures
        uint8 ``(N, H, W, 3)`` network inputs (already at the training size).
    target_maps
        ``(N, h, w)`` non-negative target maps (any resolution; the loss area-resizes them).
    val
        Optional ``(pictures, gt_maps, fix_maps)`` scored after every epoch with
        :func:`score_maps` (history columns ``val_nss``, ``val_sim``, ``val_cc``, ``val_kld``;
        frozen-encoder mode only).
    epochs, batch_size, lr, seed
        Training settings (``lr`` is the decoder's peak rate).
    backbone, pretrained, finetune_backbone
        The network (see :class:`~saliqa.models.saliency_net.SaliencyNet`).
    kld_weight, cc_weight
        Loss weights (:func:`saliency_loss`).
    checkpoint_dir
        Folder for :func:`saliqa.train.fit`'s checkpoints (None: none).
    device
        ``"auto"``, ``"cpu"``, ``"cuda"``.
    progress
        Progress bars and per-epoch lines.

    Returns
    -------
    model : SaliencyNet
        Trained, in eval mode.
    history : pandas.DataFrame
        :func:`saliqa.train.fit`'s history plus the ``val_*`` columns; ``attrs["weights"]`` is
        the backbone provenance, ``attrs["seconds"]`` the wall time.

    Raises
    ------
    ValueError
        Bad arrays (see :class:`MapDataset`) or settings.
    """
    import torch

    from saliqa.models.saliency_net import SaliencyNet
    from saliqa.runs import resolve_device
    from saliqa.train import EpochEnd, TrainConfig, fit

    t0 = time.perf_counter()
    data = MapDataset(pictures, target_maps)
    check_int(epochs, "epochs", low=1)
    check_int(batch_size, "batch_size", low=1)
    check_positive(lr, "lr")
    check_seed(seed)
    dev = resolve_device(device)
    torch.manual_seed(seed)
    model = SaliencyNet(backbone, pretrained, freeze_backbone=not finetune_backbone)
    loss_fn: Callable[[Any, Mapping[str, Any]], torch.Tensor] = lambda out, b: saliency_loss(  # noqa: E731
        out, b["target"], kld_weight=kld_weight, cc_weight=cc_weight
    )
    val_rows: list[dict[str, float]] = []
    callbacks = []
    if finetune_backbone:
        train_data: Any = data
        cfg = TrainConfig(
            epochs=epochs, batch_size=batch_size, lr_body=lr / 10, lr_head=lr, head=("decoder", "centre"),
            weight_decay=1e-4, seed=seed, mean=model.mean, std=model.std, target_key="target",
        )  # fmt: skip
        forward_fn = None
    else:
        feats = _encode_all(model, data.images, batch_size, dev)
        train_data = _FeatureDataset(feats, data.targets)
        cfg = TrainConfig(
            epochs=epochs, batch_size=batch_size, lr_body=lr, lr_head=lr, head=("decoder", "centre"),
            weight_decay=1e-4, seed=seed, mean=None, std=None, image_key="f32", target_key="target",
        )  # fmt: skip

        def forward_fn(m: Any, b: Mapping[str, Any]) -> Any:
            return m.decode((b["f8"].float(), b["f16"].float(), b["f32"].float()))

        if val is not None:
            v_pics, v_gt, v_fix = val
            v_feats = _encode_all(model, MapDataset(v_pics, v_gt).images, batch_size, dev)
            v_gt, v_fix = np.asarray(v_gt, dtype=np.float64), np.asarray(v_fix, dtype=np.float64)

            def score_epoch(event: EpochEnd) -> None:
                val_rows.append({"epoch": event.epoch, **_val_scores(event.model, v_feats, v_gt, v_fix, dev)})

            callbacks.append(score_epoch)
    result = fit(
        model,
        train_data,
        None,
        config=cfg,
        loss_fn=loss_fn,
        forward_fn=forward_fn,
        checkpoint_dir=checkpoint_dir,
        device=dev,
        progress=progress,
        callbacks=callbacks,
    )
    history = result.history
    if val_rows:
        history = history.merge(pd.DataFrame(val_rows), on="epoch", how="left")
    model.eval()
    history.attrs.update(weights=model.weights, seconds=time.perf_counter() - t0, device=result.device)
    return model, history


def train_saliency_predictor(
    train_images: pd.DataFrame,
    train_fixations: pd.DataFrame,
    *,
    val: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    epochs: int = 8,
    batch_size: int = 16,
    size: Sequence[int] = (192, 256),
    lr: float = 3e-3,
    seed: int = 0,
    sigma_px: float | None = None,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    device: str = "auto",
    **kwargs: Any,
) -> tuple[SaliencyNet, pd.DataFrame]:
    """Train the proxy saliency predictor on real fixations (e.g. OSIE's training split).

    :func:`fixation_training_set` then :func:`train_on_maps`.

    Parameters
    ----------
    train_images, train_fixations
        Canonical tables of the training images and their (eye) fixations.
    val
        Optional ``(images, fixations)`` tables scored after every epoch (ground truth at the
        training target size).
    epochs, batch_size, size, lr, seed
        Training settings; ``size`` is the input ``(H, W)``.
    sigma_px
        Ground-truth Gaussian sigma in image pixels (default: 1 degree, see
        :func:`fixation_training_set`).
    checkpoint_dir, device
        As in :func:`train_on_maps`.
    **kwargs
        Further :func:`train_on_maps` arguments (``backbone``, ``finetune_backbone``,
        ``kld_weight``, ``cc_weight``, ``pretrained``, ``progress``).

    Returns
    -------
    model : SaliencyNet
    history : pandas.DataFrame
        ``attrs`` also hold the training set's ``info`` (:func:`fixation_training_set`).
    """
    data, info = fixation_training_set(train_images, train_fixations, size=size, sigma_px=sigma_px)
    pictures = data.images.permute(0, 2, 3, 1).numpy()
    val_arrays = None
    if val is not None:
        v_images, v_fix = val
        sigma = _sigma_for(v_images, sigma_px, 1.0, None) if sigma_px is None else sigma_px
        gt, fx = ground_truth_maps(v_images, v_fix, sigma_px=sigma, out_size=info["target_size"])
        val_arrays = (read_images(list(v_images["path"]), info["size"]), gt, fx)
    model, history = train_on_maps(
        pictures,
        data.targets.numpy(),
        val=val_arrays,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        checkpoint_dir=checkpoint_dir,
        device=device,
        **kwargs,
    )
    history.attrs["train_set"] = {k: v for k, v in info.items() if k != "image_ids"}
    return model, history


def predict_saliency(
    model: SaliencyNet,
    images: Sequence[np.ndarray | str | os.PathLike[str]],
    *,
    size: Sequence[int] = (192, 256),
    batch_size: int = 16,
    out_size: Sequence[int] | None = None,
    device: str = "auto",
) -> np.ndarray:
    """Predicted saliency densities of pictures, batched.

    Parameters
    ----------
    model
        A trained :class:`~saliqa.models.saliency_net.SaliencyNet`.
    images
        uint8 ``(H, W, 3)`` arrays (any sizes) or image paths.
    size
        ``(H, W)`` the pictures are resized to (Pillow bilinear) before the network; use the
        training size.
    batch_size
        Pictures per forward pass.
    out_size
        ``(h, w)`` of the returned maps (bilinear resize of the network output, then
        renormalised); None: the network's output size (stride 8).
    device
        ``"auto"``, ``"cpu"``, ``"cuda"``.

    Returns
    -------
    numpy.ndarray
        float64 ``(N, h, w)``, non-negative, each map summing to 1.

    Raises
    ------
    ValueError
        No images, or an image that is not uint8 ``(H, W, 3)``.
    """
    import torch
    from PIL import Image

    from saliqa.runs import resolve_device

    hw = check_shape(size, "size")
    check_int(batch_size, "batch_size", low=1)
    if len(images) == 0:
        raise ValueError("images is empty")
    arrays: list[np.ndarray] = []
    for i, im in enumerate(images):
        if isinstance(im, (str, os.PathLike)):
            arrays.append(read_images([im], hw)[0])
            continue
        a = np.asarray(im)
        if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 3:
            raise ValueError(f"images[{i}] must be a uint8 (H, W, 3) array, got {a.dtype} {a.shape}")
        if a.shape[:2] != hw:
            a = np.asarray(Image.fromarray(a).resize((hw[1], hw[0]), Image.Resampling.BILINEAR))
        arrays.append(a)
    batch = torch.from_numpy(np.ascontiguousarray(np.stack(arrays).transpose(0, 3, 1, 2)))
    dev = torch.device(resolve_device(device))
    model.to(dev).eval()
    outs = []
    with torch.inference_mode():
        for start in range(0, batch.shape[0], batch_size):
            x = batch[start : start + batch_size].to(dev).float() / 255.0
            outs.append(model(model.normalize(x)).double().cpu().numpy())
    pred = np.concatenate(outs)
    if out_size is not None:
        pred = np.maximum(resize_maps(pred, check_shape(out_size, "out_size"), "bilinear"), 0.0)
    return pred / pred.sum(axis=(1, 2), keepdims=True)


# --------------------------------------------------------------------------------------------
# splits and evaluation
# --------------------------------------------------------------------------------------------


def split_ids(
    ids: Sequence[str],
    *,
    held_out: float | int | Literal["subset"] = 0.2,
    subset: Sequence[str] | None = None,
    seed: int = 0,
) -> tuple[list[str], list[str]]:
    """Deterministic train / held-out split of image ids.

    Parameters
    ----------
    ids
        All image ids (e.g. OSIE's 700), unique.
    held_out
        A fraction in (0, 1) or a count of ids held out, drawn with ``numpy``'s
        ``default_rng(seed)``; or ``"subset"``: hold out exactly the ids of ``subset`` (OSIE's
        100 ``SUBSET_IDS``, the stimuli with mouse data, for quick profiles).
    subset
        The held-out ids for ``held_out="subset"``.
    seed
        Seed of the random split.

    Returns
    -------
    train_ids, held_out_ids : list of str
        Disjoint, both in the order of ``ids``.

    Raises
    ------
    ValueError
        Duplicated ids, a fraction / count that leaves either part empty, or subset ids not in
        ``ids`` (naming the first).
    """
    all_ids = [str(i) for i in ids]
    if len(set(all_ids)) != len(all_ids):
        raise ValueError("ids contains duplicates")
    n = len(all_ids)
    if isinstance(held_out, str):
        if held_out != "subset" or subset is None:
            raise ValueError("held_out='subset' needs subset=<the held-out ids>; else pass a fraction or a count")
        chosen = {str(i) for i in subset}
        unknown = sorted(chosen - set(all_ids))
        if unknown:
            raise ValueError(f"subset id {unknown[0]!r} (and {len(unknown) - 1} more) not in ids")
        mask = np.array([i in chosen for i in all_ids])
    else:
        if isinstance(held_out, bool) or not isinstance(held_out, (int, float, np.integer, np.floating)):
            raise ValueError(f"held_out must be a fraction, a count or 'subset', got {held_out!r}")
        k = int(round(held_out * n)) if isinstance(held_out, (float, np.floating)) and held_out < 1 else int(held_out)
        if isinstance(held_out, (float, np.floating)) and not 0 < held_out < 1:
            raise ValueError(f"held_out fraction must be in (0, 1), got {held_out}")
        if not 0 < k < n:
            raise ValueError(f"held_out={held_out!r} holds out {k} of {n} ids; both parts must be non-empty")
        mask = np.zeros(n, dtype=bool)
        mask[np.random.default_rng(check_seed(seed)).permutation(n)[:k]] = True
    if mask.all() or not mask.any():
        raise ValueError("the split leaves one part empty")
    return [i for i, m in zip(all_ids, mask) if not m], [i for i, m in zip(all_ids, mask) if m]


def ground_truth(
    images: pd.DataFrame,
    fixations: pd.DataFrame,
    *,
    out_size: Sequence[int] | None = None,
    sigma_px: float = OSIE_SIGMA_PX,
) -> tuple[np.ndarray, np.ndarray]:
    """Ground-truth densities and binary fixation maps ``(N, h, w)`` (module docstring).

    :func:`saliqa.datasets.fixation_sets.ground_truth_maps`; ``sigma_px`` defaults to OSIE's
    24 px (1 degree at 800 x 600).
    """
    return ground_truth_maps(images, fixations, sigma_px=sigma_px, out_size=out_size)


def _safe(fn: Callable[..., float], *args: Any, **kwargs: Any) -> float:
    try:
        return fn(*args, **kwargs)
    except ValueError:
        return math.nan


def score_maps(
    pred_maps: np.ndarray,
    gt_maps: np.ndarray,
    fix_maps: np.ndarray,
    *,
    ids: Sequence[str] | None = None,
    eps: float = MATLAB_EPS,
) -> pd.DataFrame:
    """Per-image NSS, SIM, CC, KLD of predicted maps against ground truth (MIT conventions).

    Parameters
    ----------
    pred_maps
        ``(N, h, w)`` non-negative maps (any scale); bilinearly resized to the ground truth's
        size when it differs.
    gt_maps
        ``(N, H, W)`` ground-truth densities (:func:`ground_truth`).
    fix_maps
        ``(N, H, W)`` binary fixation maps.
    ids
        Optional image ids (an ``image_id`` column).
    eps
        KLD regulariser (MIT: MATLAB eps).

    Returns
    -------
    pandas.DataFrame
        Columns ``image_id`` (when ``ids``), ``nss``, ``sim``, ``cc``, ``kld``; NaN where a
        metric is undefined for a map (constant or all-zero prediction), counted in a warning.

    Raises
    ------
    ValueError
        Mismatched counts or shapes.
    """
    gt = np.asarray(gt_maps, dtype=np.float64)
    fx = np.asarray(fix_maps, dtype=np.float64)
    pr = np.asarray(pred_maps, dtype=np.float64)
    if gt.ndim != 3 or fx.shape != gt.shape:
        raise ValueError(f"gt_maps and fix_maps must be (N, H, W) of one shape, got {gt.shape} and {fx.shape}")
    if pr.ndim != 3 or pr.shape[0] != gt.shape[0]:
        raise ValueError(f"pred_maps must be (N, h, w) with N = {gt.shape[0]}, got {pr.shape}")
    if pr.shape[1:] != gt.shape[1:]:
        pr = np.maximum(resize_maps(pr, gt.shape[1:], "bilinear"), 0.0)
    rows = [
        (
            _safe(sm.nss, pr[k], fx[k]),
            _safe(sm.sim, pr[k], gt[k]),
            _safe(sm.cc, pr[k], gt[k]),
            _safe(sm.kld, gt[k], pr[k], eps=eps),
        )
        for k in range(gt.shape[0])  # one call per map; each metric is vectorised over pixels
    ]
    table = pd.DataFrame(rows, columns=list(METRICS))
    n_bad = int(table.isna().any(axis=1).sum())
    if n_bad:
        warnings.warn(
            f"{n_bad} of {len(table)} maps are constant or all zero: their undefined metrics are NaN",
            RuntimeWarning,
            stacklevel=2,
        )
    if ids is not None:
        if len(ids) != len(table):
            raise ValueError(f"ids has {len(ids)} entries for {len(table)} maps")
        table.insert(0, "image_id", [str(i) for i in ids])
    return table


def evaluate_saliency(
    pred_maps: np.ndarray,
    images: pd.DataFrame,
    fixations: pd.DataFrame,
    *,
    sigma_px: float = OSIE_SIGMA_PX,
    out_size: Sequence[int] | None = None,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> pd.DataFrame:
    """Per-image metrics of ``pred_maps`` on the ground truth of ``images`` / ``fixations``.

    Parameters
    ----------
    pred_maps
        ``(N, h, w)``, one per row of ``images``.
    images, fixations
        Canonical tables of the evaluation images.
    sigma_px, out_size
        Ground truth (:func:`ground_truth`); ``out_size`` None: the prediction's size.
    transform
        Optional post-processing ``maps -> maps`` applied before scoring (e.g.
        ``lambda m: saliqa.map_transforms.apply_transform("centre_prior", m, weight=0.3)``).

    Returns
    -------
    pandas.DataFrame
        :func:`score_maps` with an ``image_id`` column.
    """
    pr = np.asarray(pred_maps, dtype=np.float64)
    if pr.ndim != 3:
        raise ValueError(f"pred_maps must be (N, h, w), got {pr.shape}")
    gt, fx = ground_truth(images, fixations, out_size=out_size or pr.shape[1:], sigma_px=sigma_px)
    if transform is not None:
        pr = np.asarray(transform(pr), dtype=np.float64)
    return score_maps(pr, gt, fx, ids=list(images["image_id"].astype(str)))


def summarise(
    per_image: pd.DataFrame,
    *,
    n_boot: int = 2000,
    ci: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Mean, std and percentile-bootstrap CI of each metric column.

    Parameters
    ----------
    per_image
        :func:`score_maps` output (metric columns among :data:`METRICS`; NaN rows of a metric
        are left out of that metric and counted in ``n``).
    n_boot
        Bootstrap resamples (vectorised: one ``(n_boot, n)`` index draw).
    ci
        Confidence level of the interval.
    seed
        Seed of the resampling.

    Returns
    -------
    pandas.DataFrame
        Index: metric; columns ``mean``, ``std`` (ddof 1), ``ci_low``, ``ci_high``, ``n``.

    Raises
    ------
    ValueError
        No metric column, or bad ``n_boot`` / ``ci``.
    """
    cols = [m for m in METRICS if m in per_image.columns]
    if not cols:
        raise ValueError(f"per_image has none of the metric columns {METRICS}")
    check_int(n_boot, "n_boot", low=1)
    if not 0 < ci < 1:
        raise ValueError(f"ci must be in (0, 1), got {ci!r}")
    rng = np.random.default_rng(check_seed(seed))
    rows = {}
    for m in cols:
        v = per_image[m].to_numpy(dtype=np.float64)
        v = v[np.isfinite(v)]
        if v.size == 0:
            rows[m] = {"mean": math.nan, "std": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 0}
            continue
        boots = v[rng.integers(0, v.size, size=(n_boot, v.size))].mean(axis=1)
        lo, hi = np.quantile(boots, [(1 - ci) / 2, (1 + ci) / 2])
        sd = float(v.std(ddof=1)) if v.size > 1 else math.nan
        rows[m] = {"mean": float(v.mean()), "std": sd, "ci_low": float(lo), "ci_high": float(hi), "n": int(v.size)}
    return pd.DataFrame.from_dict(rows, orient="index")[["mean", "std", "ci_low", "ci_high", "n"]]


def centre_prior_maps(n: int, shape: Sequence[int], sigma_frac: float | tuple[float, float] = 0.25) -> np.ndarray:
    """``n`` copies of :func:`saliqa.saliency.centre_prior` ``(n, H, W)`` (the "Center Prior" baseline).

    Parameters
    ----------
    n
        Number of maps.
    shape
        ``(H, W)``.
    sigma_frac
        Gaussian std as a fraction of height / width (``(f_y, f_x)`` or one value).
    """
    check_int(n, "n", low=1)
    c = centre_prior(shape, sigma_frac)
    return np.broadcast_to(c, (int(n), *c.shape)).copy()


def fit_centre_prior(gt_maps: np.ndarray, grid: Sequence[float] | None = None) -> tuple[float, pd.DataFrame]:
    """The centre prior's ``sigma_frac`` maximising mean CC with training ground-truth maps.

    Parameters
    ----------
    gt_maps
        ``(N, H, W)`` ground-truth maps of a *training* set.
    grid
        Candidate ``sigma_frac`` values (default 0.10, 0.125, ..., 0.45).

    Returns
    -------
    best : float
        The best ``sigma_frac``.
    table : pandas.DataFrame
        ``sigma_frac``, ``mean_cc`` per candidate.
    """
    gt = np.asarray(gt_maps, dtype=np.float64)
    if gt.ndim != 3:
        raise ValueError(f"gt_maps must be (N, H, W), got {gt.shape}")
    values = list(grid) if grid is not None else list(np.round(np.arange(0.10, 0.451, 0.025), 3))
    g = gt.reshape(len(gt), -1)
    gc = g - g.mean(axis=1, keepdims=True)
    scores = []
    for s in values:
        c = centre_prior(gt.shape[1:], float(s)).ravel()
        cc_ = c - c.mean()
        r = gc @ cc_ / np.sqrt((gc * gc).sum(axis=1) * float(cc_ @ cc_))
        scores.append(float(r.mean()))
    table = pd.DataFrame({"sigma_frac": values, "mean_cc": scores})
    return float(values[int(np.argmax(scores))]), table


# --------------------------------------------------------------------------------------------
# builtin mode: simulated fixations on real photographs
# --------------------------------------------------------------------------------------------

SIMULATED_FORMAT = 1
"""Bumped whenever the simulated set's pixels or tables change (it keys the cache folder)."""


def simulated_fixation_set(
    n_images: int,
    size: Sequence[int] = (192, 256),
    seed: int = 0,
    *,
    n_observers: int = 15,
    fixations_per_observer: int = 10,
    ppd: float = 16.0,
    error_deg: float = 0.5,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Simulated eye fixations on builtin photographs (the notebook's builtin mode).

    Real photographs (:func:`saliqa.datasets.builtin.contents`, ``n_images`` crops at ``size``)
    and *simulated* observers: the planted density of each picture is
    :func:`saliqa.simulate.density.free_viewing_density` (bottom-up features mixed with a
    centre bias, default :class:`saliqa.simulate.config.SimulationConfig`); each of
    ``n_observers`` observers makes ``fixations_per_observer`` fixations drawn from it with
    Gaussian eye-tracker error of ``error_deg`` (:func:`saliqa.simulate.points.sample_points`).
    The pictures are written as PNG (atomically) into
    ``paths.cache_dir()/saliency-sim-v{SIMULATED_FORMAT}-seed{seed}-{H}x{W}-n{n_images}/`` and
    reused when present.

    Parameters
    ----------
    n_images
        Number of pictures (1 .. :func:`saliqa.datasets.builtin.max_contents`).
    size
        ``(H, W)`` of the pictures.
    seed
        Seed of the crop choice and of the fixations.
    n_observers, fixations_per_observer
        Observers per picture (15, as OSIE) and fixations each.
    ppd
        Pixels per degree of the simulated viewing (scales the model's feature and error sizes).
    error_deg
        Eye-tracker error (std per axis, degrees).

    Returns
    -------
    images : pandas.DataFrame
        Canonical images table (``attrs["dataset"] = "builtin-simulated-fixations"``).
    fixations : pandas.DataFrame
        Canonical fixations table (``source="eye"``, ``task="free"``, observers ``"sim:<k>"``).
    densities : numpy.ndarray
        float64 ``(n_images, H, W)`` planted densities (each sums to 1), for recovery checks.
    """
    from PIL import Image

    from saliqa import paths
    from saliqa.datasets import builtin
    from saliqa.datasets.tables import fixation_table, image_table
    from saliqa.io import atomic_write_bytes
    from saliqa.simulate.density import free_viewing_density
    from saliqa.simulate.points import sample_points

    hw = check_shape(size, "size")
    check_seed(seed)
    check_int(n_observers, "n_observers", low=1)
    check_int(fixations_per_observer, "fixations_per_observer", low=1)
    check_positive(ppd, "ppd")
    check_positive(error_deg, "error_deg", allow_zero=True)
    items = builtin.contents(n_images, hw, seed)
    folder = paths.cache_dir() / f"saliency-sim-v{SIMULATED_FORMAT}-seed{seed}-{hw[0]}x{hw[1]}-n{n_images}"
    files: list[Path] = []
    for c in items:
        f = folder / f"{c.content_id}.png"
        if not f.is_file():
            import io

            buf = io.BytesIO()
            Image.fromarray(c.image).save(buf, format="PNG", compress_level=1)
            atomic_write_bytes(f, buf.getvalue())
        files.append(f)
    dens = np.stack([free_viewing_density(c.image, ppd) for c in items])
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2002]))
    per = n_observers * fixations_per_observer
    pts = np.concatenate([sample_points(d, per, rng, error_px=error_deg * ppd) for d in dens])
    n = len(items)
    image_ids = np.repeat([c.content_id for c in items], per)
    observers = np.tile(np.repeat([f"sim:{k + 1}" for k in range(n_observers)], fixations_per_observer), n)
    order = np.tile(np.arange(fixations_per_observer), n * n_observers)
    fixations = fixation_table(
        list(image_ids), list(observers), pts[:, 0], pts[:, 1], source="eye", campaign="simulated", order=order
    )
    images = image_table(
        [c.content_id for c in items], files, dataset="builtin-simulated-fixations", origin=str(folder)
    )
    images.attrs.update(n_observers=n_observers, fixations_per_observer=fixations_per_observer, ppd=ppd)
    return images, fixations, dens
