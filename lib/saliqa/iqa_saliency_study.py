"""Seed 002's experiments (Kirillov et al., "Bridging the Gap Between Saliency Prediction and IQA").

Notebook 03 calls this module; the data come from :mod:`saliqa.iqa_saliency_data`, the networks
from :mod:`saliqa.models.iqa_saliency`, the CAMs and the masking from :mod:`saliqa.explain`.

Training (Sec. III-C; :func:`train_variant`)
    Every variant goes through :func:`saliqa.train.fit`: MSE between the score and the
    standardised MOS (``mos_z``), plus, for the dual-task variants, ``sal_weight`` times the
    saliency loss :func:`saliqa.saliency_predictor.saliency_loss` between the variant's saliency
    output and the proxy saliency target. The paper calls the training "parameter-free" and
    gives no weight: ``sal_weight = 1`` (ours, stated). Adam with decoupled weight decay and a
    one-cycle schedule (:class:`saliqa.train.TrainConfig`; the paper gives no optimiser settings),
    body / head learning rates ``lr_body`` / ``lr_head``; the head group holds the MLP head and the
    Sal-Loss decoder.

Saliency of a model (:func:`model_saliency`)
    Baseline: HiResCAM of the score w.r.t. the last feature map, smoothed as Sec. III-A (six
    small rotations, first principal component by SVD: :func:`saliqa.explain.cam`).
    Baseline-Sal-Loss: its decoder's map. Baseline-GradCAM-Loss: its GradCAM output (the map it
    was trained to make). Maps are resized to the ground truth's size (bilinear) and optionally
    post-processed (:mod:`saliqa.map_transforms`) before NSS / SIM / CC / KLD.

Tables: :func:`table1` (CAMs of IQA models and the proxy predictor vs the centre prior),
:func:`table2` (dual-task: IQA SROCC / PLCC and saliency metrics, mean and std over repeated
runs); Fig. 2 (SROCC vs masked fraction, MoRF / LeRF, black /
ImageNet-mean fill, saliency vs GradCAM vs HalfImage) lives in :mod:`saliqa.iqa_saliency_masking`,
Table III in :mod:`saliqa.iqa_saliency_sacid`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from numpy.typing import NDArray

from saliqa.iqa_saliency_data import IQAData, iqa_dataset
from saliqa.metrics.correlation import plcc, srcc
from saliqa.models.iqa_saliency import VARIANT_LABELS, DualTaskIQA
from saliqa.train import TrainConfig, TrainResult, fit, predict, run_key, weight_settings

__all__ = [
    "DualTaskLoss",
    "dual_forward",
    "dual_score",
    "study_config",
    "train_variant",
    "iqa_metrics",
    "to_tensor",
    "model_saliency",
    "resize_maps",
    "RunResult",
    "table1",
    "table2",
    "METRIC_COLUMNS",
]

logger = logging.getLogger(__name__)

METRIC_COLUMNS: tuple[str, ...] = ("nss", "sim", "cc", "kld")
"""Saliency metrics of Tables I and II (KLD lower is better, the others higher)."""


# --------------------------------------------------------------------------------------------
# training
# --------------------------------------------------------------------------------------------


def dual_forward(model: DualTaskIQA, batch: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """``forward_fn`` for :func:`saliqa.train.fit`: :meth:`DualTaskIQA.forward_dual` of the batch's images.

    Without autograd (validation, prediction) only the score is computed: the GradCAM output of
    Baseline-GradCAM-Loss needs gradients, and the IQA metrics need only the score.
    """
    if not torch.is_grad_enabled():
        return {"score": model(batch["image"])}
    return model.forward_dual(batch["image"])


def dual_score(output: Any, batch: Mapping[str, Any]) -> torch.Tensor:
    """``score_fn``: the score of a :meth:`DualTaskIQA.forward_dual` dict (or a plain ``(B,)`` output)."""
    return output["score"] if isinstance(output, dict) else output.reshape(-1)


@dataclass(frozen=True)
class DualTaskLoss:
    """``MSE(score, mos_z) + sal_weight * saliency_loss(saliency, target)`` (Sec. III-C).

    Parameters
    ----------
    sal_weight
        Weight of the saliency term (1: ours; the paper gives none).
    target_shape
        ``(h, w)`` of the flattened ``batch["saliency"]`` targets.
    """

    sal_weight: float = 1.0
    target_shape: tuple[int, int] | None = None

    def __call__(self, output: Any, batch: Mapping[str, Any]) -> torch.Tensor:
        import torch.nn.functional as F

        from saliqa.saliency_predictor import saliency_loss

        score = dual_score(output, batch).float()
        loss = F.mse_loss(score, batch["mos_z"].reshape(-1).to(score.dtype))
        if isinstance(output, dict) and "saliency" in output and self.sal_weight:
            if self.target_shape is None or "saliency" not in batch:
                raise ValueError("a dual-task variant needs saliency targets: build the dataset with saliency maps")
            target = batch["saliency"].reshape(-1, *self.target_shape).float()
            loss = loss + self.sal_weight * saliency_loss(output["saliency"].float(), target)
        return loss


def study_config(**overrides: Any) -> TrainConfig:
    """Training settings: :class:`saliqa.train.TrainConfig` with the standardised MOS as target.

    ``mean=None, std=None`` (the models normalise inside), ``target_key="mos_z"``; ``overrides``
    replace fields (epochs, batch size, learning rates, seed, ...).
    """
    return TrainConfig(**{"mean": None, "std": None, "target_key": "mos_z", "head": ("head", "decoder"), **overrides})


def _checkpoint_dir(root: str | os.PathLike[str] | None, data: IQAData, **settings: Any) -> Path | None:
    if root is None:
        return None
    return Path(root) / run_key(data.images[["image_id", "mos", "split"]], size=list(data.size), **settings)


def train_variant(
    variant: str,
    data: IQAData,
    *,
    backbone: str,
    train_saliency: NDArray[np.floating] | None = None,
    config: TrainConfig | None = None,
    sal_weight: float = 1.0,
    pretrained: bool | str = "auto",
    checkpoint_root: str | os.PathLike[str] | None = None,
    device: str = "auto",
    progress: bool = True,
) -> tuple[DualTaskIQA, TrainResult]:
    """Train one variant on the training pictures (validated on the test pictures each epoch).

    Parameters
    ----------
    variant
        ``"baseline"``, ``"sal_loss"``, ``"gradcam_loss"``.
    data
        The pictures (:func:`saliqa.iqa_saliency_data.iqa_pictures`).
    backbone
        :mod:`saliqa.models.backbones` name.
    train_saliency
        ``(N_train, h, w)`` proxy saliency targets of the training pictures (required for the
        dual-task variants).
    config
        :func:`study_config` (its ``seed`` seeds the head's initialisation and the run).
    sal_weight
        :class:`DualTaskLoss` weight.
    pretrained
        Backbone weights (``"auto"``: ImageNet when found offline).
    checkpoint_root
        Folder for resumable checkpoints, keyed by data and settings (None: none).
    device, progress
        As :func:`saliqa.train.fit`.

    Returns
    -------
    (DualTaskIQA, TrainResult)
        The trained model (eval mode, on the CPU) and the training record.
    """
    cfg = config or study_config()
    if variant != "baseline" and train_saliency is None:
        raise ValueError(f"variant {variant!r} needs train_saliency (proxy saliency targets)")
    torch.manual_seed(cfg.seed)
    model = DualTaskIQA(backbone, variant, pretrained)  # type: ignore[arg-type]
    train = data.split("train")
    test = data.split("test")
    sal = None if variant == "baseline" else train_saliency
    train_ds = iqa_dataset(train, data.size, sal)
    val_ds = iqa_dataset(test, data.size)
    shape = None if sal is None else (int(sal.shape[1]), int(sal.shape[2]))
    ckpt = _checkpoint_dir(
        checkpoint_root,
        data,
        variant=variant,
        backbone=backbone,
        config=weight_settings(cfg),
        sal_weight=sal_weight,
        saliency=None if sal is None else hashlib.sha256(np.ascontiguousarray(sal, dtype=np.float32)).hexdigest(),
    )
    result = fit(
        model,
        train_ds,
        val_ds,
        config=cfg,
        loss_fn=DualTaskLoss(sal_weight, shape),
        score_fn=dual_score,
        forward_fn=dual_forward,
        checkpoint_dir=ckpt,
        device=device,
        progress=progress,
        val_loss=False,
    )
    trained = result.model.to("cpu").eval()
    return trained, result


def to_tensor(images: NDArray[np.uint8]) -> torch.Tensor:
    """``(N, H, W, 3)`` uint8 pictures as a float ``(N, 3, H, W)`` tensor on [0, 1]."""
    arr = np.asarray(images)
    if arr.ndim != 4 or arr.shape[-1] != 3 or arr.dtype != np.uint8:
        raise ValueError(f"images must be (N, H, W, 3) uint8; got {arr.shape} {arr.dtype}")
    return torch.from_numpy(arr).permute(0, 3, 1, 2).float().div_(255.0)


def iqa_metrics(model: DualTaskIQA, data: IQAData, split: str = "test", *, device: str = "auto") -> dict[str, float]:
    """SROCC and PLCC (Pearson, no logistic mapping: the paper names none) on ``split``."""
    rows = data.split(split)
    table = predict(
        model,
        iqa_dataset(rows, data.size),
        score_fn=dual_score,
        config=study_config(),
        device=device,
    )
    model.to("cpu")
    pred = table["pred"].to_numpy()
    mos = rows["mos"].to_numpy(dtype=float)[table["index"].to_numpy()]
    if np.ptp(pred) == 0:  # e.g. an untrained or collapsed model: correlations are undefined
        warnings.warn(f"{model.label}: constant predictions on {split!r}; SROCC / PLCC set to NaN", stacklevel=2)
        return {"srocc": float("nan"), "plcc": float("nan"), "n": int(pred.size)}
    return {"srocc": srcc(pred, mos), "plcc": plcc(pred, mos), "n": int(pred.size)}


# --------------------------------------------------------------------------------------------
# saliency of models
# --------------------------------------------------------------------------------------------


def resize_maps(maps: NDArray[np.floating] | torch.Tensor, size: Sequence[int]) -> NDArray[np.float64]:
    """``(N, h, w)`` maps resized bilinearly to ``size`` ``(H, W)`` (``fixation_sets.resize_maps``)."""
    from saliqa.datasets.fixation_sets import resize_maps as _resize

    arr = maps.detach().cpu().numpy() if isinstance(maps, torch.Tensor) else np.asarray(maps)
    return _resize(arr, size, mode="bilinear")


def model_saliency(
    model: DualTaskIQA,
    images: NDArray[np.uint8],
    *,
    kind: str = "auto",
    method: str = "hirescam",
    augment: Sequence[float] | None = (-5.0, -3.0, -1.0, 1.0, 3.0, 5.0),
    eigen_smooth: bool = True,
    batch_size: int = 8,
) -> NDArray[np.float64]:
    """Saliency maps ``(N, H, W)`` of a model on ``(N, H, W, 3)`` uint8 pictures (at the model's input).

    Parameters
    ----------
    kind
        ``"cam"``: the smoothed CAM of the score (:func:`saliqa.explain.cam`); ``"own"``: the
        variant's own saliency output; ``"auto"``: ``"cam"`` for the Baseline, ``"own"`` for the
        dual-task variants (Table II's rows).
    method, augment, eigen_smooth, batch_size
        Passed to :func:`saliqa.explain.cam` (Sec. III-A: HiResCAM, six small rotations, SVD).

    Returns
    -------
    numpy.ndarray
        Non-negative maps at the pictures' size (own outputs resized bilinearly).
    """
    from saliqa.explain import cam

    if kind == "auto":
        kind = "cam" if model.variant == "baseline" else "own"
    if kind not in ("cam", "own"):
        raise ValueError(f"kind must be 'cam', 'own' or 'auto', got {kind!r}")
    model.eval()
    size = (int(images.shape[1]), int(images.shape[2]))
    if kind == "cam":
        maps = cam(
            model,
            to_tensor(images),
            model.target_layer,
            method=method,
            augment=augment,
            eigen_smooth=eigen_smooth,
            batch_size=batch_size,
        )
        return resize_maps(maps, size)
    out = [
        model.saliency(to_tensor(images[s : s + batch_size])).float().cpu() for s in range(0, len(images), batch_size)
    ]
    return resize_maps(torch.cat(out), size)


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    """One repeat of one variant: IQA correlations on the test pictures, per-image saliency metrics."""

    variant: str
    repeat: int
    iqa: dict[str, float]
    saliency: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Per evaluation set (``"OSIE"``, ...): per-image ``nss``, ``sim``, ``cc``, ``kld``."""


def _means(per_image: pd.DataFrame) -> dict[str, float]:
    return {m: float(per_image[m].mean()) for m in METRIC_COLUMNS}


def table1(rows: Mapping[str, pd.DataFrame], *, types: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Table I: mean NSS, SIM, CC, KLD per method over the held-out images.

    Parameters
    ----------
    rows
        ``{method: per-image metrics}`` (``nss``, ``sim``, ``cc``, ``kld`` columns), in display order.
    types
        ``{method: type}`` (``"Dummy"``, ``"GradCAM from IQA"``, ``"Saliency predictor"``).
    """
    out = []
    for name, per_image in rows.items():
        row = {"type": (types or {}).get(name, ""), "method": name, "n_images": len(per_image)}
        row.update(_means(per_image))
        row["constant_maps"] = int(per_image["constant"].sum()) if "constant" in per_image else 0
        out.append(row)
    return pd.DataFrame(out, columns=["type", "method", "n_images", *METRIC_COLUMNS, "constant_maps"])


def table2(
    runs: Sequence[RunResult],
    centre: Mapping[str, pd.DataFrame],
    *,
    digits: int | None = None,
) -> pd.DataFrame:
    """Table II: per variant, IQA SROCC / PLCC and saliency metrics per set, mean and std over repeats.

    Parameters
    ----------
    runs
        Every :class:`RunResult` (all variants and repeats).
    centre
        ``{set name: per-image centre-prior metrics}`` (the Center Prior row; no IQA).
    digits
        Round the numbers.

    Returns
    -------
    DataFrame
        Rows: Center Prior then the variants in the paper's order; columns ``(group, metric,
        stat)`` with ``stat`` in ``mean`` / ``std`` (sample std over repeats; NaN with one
        repeat) and a ``repeats`` count.
    """
    sets = list(centre)
    records: dict[str, dict[tuple[str, str, str], float]] = {}
    rec = {("", "repeats", ""): 0.0}
    for s in sets:
        for m in METRIC_COLUMNS:
            rec[(s, m, "mean")] = float(centre[s][m].mean())
            rec[(s, m, "std")] = float("nan")
    records["Center Prior"] = rec
    for variant in VARIANT_LABELS:
        mine = [r for r in runs if r.variant == variant]
        if not mine:
            continue
        rec = {("", "repeats", ""): float(len(mine))}
        for key in ("srocc", "plcc"):
            vals = np.array([r.iqa[key] for r in mine], dtype=float)
            rec[("IQA", key, "mean")] = float(vals.mean())
            rec[("IQA", key, "std")] = float(vals.std(ddof=1)) if vals.size > 1 else float("nan")
        for s in sets:
            for m in METRIC_COLUMNS:
                vals = np.array([r.saliency[s][m].mean() for r in mine if s in r.saliency], dtype=float)
                rec[(s, m, "mean")] = float(vals.mean()) if vals.size else float("nan")
                rec[(s, m, "std")] = float(vals.std(ddof=1)) if vals.size > 1 else float("nan")
            flat = [r.saliency[s]["constant"].sum() for r in mine if s in r.saliency and "constant" in r.saliency[s]]
            rec[(s, "constant maps", "mean")] = float(np.mean(flat)) if flat else 0.0
        records[VARIANT_LABELS[variant]] = rec
    table = pd.DataFrame.from_dict(records, orient="index")
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    order = [("", "repeats", "")]
    order += [c for c in table.columns if c[0] == "IQA"]
    order += [c for s in sets for c in table.columns if c[0] == s]
    table = table[order]
    table.index.name = "method"
    return table.round(digits) if digits is not None else table


# --------------------------------------------------------------------------------------------
# evaluation sets and the repeated dual-task runs
# --------------------------------------------------------------------------------------------


@dataclass
class EvalSet:
    """Held-out fixation images ready for scoring: pictures at the model input, ground truth at ``gt_size``.

    Attributes
    ----------
    name
        ``"OSIE"``, ``"builtin"``, ``"SALICON"``, ``"CAT2000"``.
    ids
        Image ids, row order of the arrays.
    pictures
        ``(N, H, W, 3)`` uint8 at the models' input size (stretched, as the training pictures).
    gt_maps, fix_maps
        ``(N, h, w)`` Gaussian ground-truth maps and binary fixation maps
        (:func:`saliqa.saliency_predictor.ground_truth`).
    real
        Recorded human fixations (True) or simulated ones.
    """

    name: str
    ids: list[str]
    pictures: NDArray[np.uint8]
    gt_maps: NDArray[np.float64]
    fix_maps: NDArray[np.float64]
    real: bool

    def score(self, maps: NDArray[np.floating], transform: Callable[[NDArray], NDArray] | None = None) -> pd.DataFrame:
        """Per-image NSS / SIM / CC / KLD of ``(N, H', W')`` maps, resized (bilinear) to the ground truth.

        A constant map (e.g. an all-zero ReLU'd GradCAM: the model points nowhere) is scored as
        the uninformative uniform prediction: CC = NSS = 0 (no association; both are undefined for
        a constant map, NaN in the MIT code), SIM and KLD of the uniform map against the ground
        truth (sum-normalised; KLD with MATLAB eps). Such images are flagged in the ``constant``
        column, so a table can count them.
        """
        from saliqa.metrics import saliency as sm
        from saliqa.saliency_predictor import score_maps

        pred = resize_maps(maps, self.gt_maps.shape[1:])
        if transform is not None:
            pred = transform(pred)
        constant = np.ptp(pred.reshape(len(pred), -1), axis=1) <= 0
        out = pd.DataFrame(index=range(len(pred)), columns=list(METRIC_COLUMNS), dtype=float)
        if (~constant).any():
            keep = np.flatnonzero(~constant)
            scored = score_maps(pred[keep], self.gt_maps[keep], self.fix_maps[keep])
            out.loc[keep, list(METRIC_COLUMNS)] = scored[list(METRIC_COLUMNS)].to_numpy()
        uniform = np.ones(self.gt_maps.shape[1:])
        for i in np.flatnonzero(constant):
            out.loc[i, ["nss", "cc"]] = 0.0
            out.loc[i, "sim"] = sm.sim(self.gt_maps[i], uniform, minmax=False)
            out.loc[i, "kld"] = sm.kld(self.gt_maps[i], uniform)
        out["constant"] = constant
        out.index = pd.Index(self.ids, name="image_id")
        return out


def eval_set(fixation_set: Any, size: tuple[int, int], *, gt_size: tuple[int, int], sigma_px: float) -> EvalSet:
    """An :class:`EvalSet` of a :class:`saliqa.iqa_saliency_data.FixationSet`'s held-out images.

    ``sigma_px`` is the ground-truth Gaussian's sigma in the original images' pixels (about one
    degree of visual angle: 24 px for OSIE's 800 x 600 at its viewing geometry).
    """
    from saliqa.datasets.fixation_sets import read_images
    from saliqa.saliency_predictor import ground_truth

    images, fixations = fixation_set.subset(fixation_set.test_ids)
    gt, fix = ground_truth(images, fixations, out_size=gt_size, sigma_px=sigma_px)
    pictures = read_images(images["path"].tolist(), size)
    return EvalSet(fixation_set.name, list(fixation_set.test_ids), pictures, gt, fix, bool(fixation_set.real))


def centre_prior_scores(sets: Sequence[EvalSet], sigma_frac: float = 0.25) -> dict[str, pd.DataFrame]:
    """The Center Prior row: an anisotropic Gaussian (:func:`saliqa.saliency.centre_prior`) on every image."""
    from saliqa.saliency_predictor import centre_prior_maps

    return {s.name: s.score(centre_prior_maps(len(s.ids), s.gt_maps.shape[1:], sigma_frac)) for s in sets}


def run_dual_task(
    data: IQAData,
    train_saliency: NDArray[np.floating],
    sets: Sequence[EvalSet],
    *,
    variants: Sequence[str],
    repeats: int,
    backbone: str,
    config: TrainConfig,
    sal_weight: float = 1.0,
    cam_kwargs: Mapping[str, Any] | None = None,
    checkpoint_root: str | os.PathLike[str] | None = None,
    device: str = "auto",
    progress: bool = True,
) -> tuple[list[RunResult], dict[tuple[str, int], DualTaskIQA], pd.DataFrame]:
    """Train every variant ``repeats`` times (seeds ``config.seed + r``) and evaluate each run (Table II).

    Each run: IQA SROCC / PLCC on the test pictures (:func:`iqa_metrics`) and, on each evaluation
    set, the per-image saliency metrics of the variant's map (:func:`model_saliency`,
    ``kind="auto"``: the Baseline's smoothed CAM, the dual-task variants' own outputs).

    Returns
    -------
    runs
        One :class:`RunResult` per (variant, repeat).
    models
        ``{(variant, repeat): trained model}``.
    history
        The training histories, with ``variant`` and ``repeat`` columns.
    """
    import dataclasses

    runs: list[RunResult] = []
    models: dict[tuple[str, int], DualTaskIQA] = {}
    histories = []
    for r in range(int(repeats)):
        cfg = dataclasses.replace(config, seed=int(config.seed) + r)
        for variant in variants:
            model, result = train_variant(
                variant,
                data,
                backbone=backbone,
                train_saliency=train_saliency,
                config=cfg,
                sal_weight=sal_weight,
                checkpoint_root=checkpoint_root,
                device=device,
                progress=progress,
            )
            iqa = iqa_metrics(model, data, device=device)
            sal = {s.name: s.score(model_saliency(model, s.pictures, **dict(cam_kwargs or {}))) for s in sets}
            runs.append(RunResult(variant, r, iqa, sal))
            models[(variant, r)] = model
            histories.append(result.history.assign(variant=VARIANT_LABELS[variant], repeat=r))
            logger.info("%s repeat %d: SROCC %.3f", variant, r, iqa["srocc"])
    return runs, models, pd.concat(histories, ignore_index=True)


def proxy_targets(
    predictor: Any, pictures: NDArray[np.uint8], *, predictor_size: tuple[int, int], target_size: tuple[int, int]
) -> NDArray[np.float64]:
    """The proxy saliency of IQA pictures (the paper's MSINet maps on KonIQ): ``(N, h, w)`` sum-normalised maps."""
    from saliqa.saliency_predictor import predict_saliency

    return predict_saliency(predictor, list(pictures), size=predictor_size, out_size=target_size)


# --------------------------------------------------------------------------------------------
# optional IQA models: pyiqa (TOPIQ, DBCNN, CLIP-IQA+) and notebook 02's PaQ-2-PiQ Baseline
# --------------------------------------------------------------------------------------------


@dataclass
class ExternalModel:
    """An IQA model from outside this notebook: a ``(B, 3, H, W)`` [0, 1] -> ``(B,)`` callable and its CAM layer."""

    name: str
    model: torch.nn.Module
    target_layer: torch.nn.Module | None
    note: str


class _ScoreOnly(torch.nn.Module):
    """Wrap a model whose output is ``(B, 1)`` (or ``(B,)``) so that it returns ``(B,)``."""

    def __init__(self, inner: torch.nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.inner(images).reshape(images.shape[0], -1)[:, 0]


def _resolve(module: torch.nn.Module, path: str) -> torch.nn.Module:
    for part in path.split("."):
        module = getattr(module, part)
    return module


PYIQA_TARGET_LAYERS: dict[str, str] = {
    "topiq_nr": "net.semantic_model.layer4",
    "dbcnn": "net.features1",
    "clipiqa+": "net.clip_model.visual.layer4",
}
"""CAM target layers of pyiqa's models (module paths inside ``pyiqa.create_metric(...)``; not
verified here: pyiqa is not installed offline; a path that does not resolve skips the CAM)."""


def pyiqa_models(names: Sequence[str], *, device: str = "cpu") -> tuple[list[ExternalModel], dict[str, str]]:
    """Pyiqa's models of Table I when pyiqa and their weights are available; else the reasons.

    Returns
    -------
    models, skipped
        The models that loaded, and ``{name: reason}`` for the others (pyiqa missing, weights not
        downloadable, unknown name).
    """
    try:
        import pyiqa  # type: ignore[import-not-found]
    except ImportError as err:
        return [], {
            n: f"pyiqa is not installed ({err}); install it with its weights on a box with internet" for n in names
        }
    out: list[ExternalModel] = []
    skipped: dict[str, str] = {}
    for name in names:
        try:
            metric = pyiqa.create_metric(name, as_loss=True, device=device)
        except Exception as err:  # noqa: BLE001 - any failure to build or download is reported, not raised
            skipped[name] = f"pyiqa.create_metric({name!r}) failed: {type(err).__name__}: {err}"
            continue
        layer = None
        note = f"pyiqa {getattr(pyiqa, '__version__', '?')}"
        path = PYIQA_TARGET_LAYERS.get(name)
        if path is not None:
            try:
                layer = _resolve(metric, path)
            except AttributeError:
                note += f"; CAM layer {path!r} not found (scores only)"
        out.append(ExternalModel(name, _ScoreOnly(metric).eval(), layer, note))
    return out, skipped


def paq2piq_baseline(checkpoint: str | os.PathLike[str], backbone: str = "mobilenet_v2") -> ExternalModel:
    """Notebook 02's PaQ-2-PiQ Baseline from its checkpoint (``best.pt`` / ``last.pt`` of :func:`saliqa.train.fit`)."""
    from saliqa.models.paq2piq import BaselineModel
    from saliqa.train import load_weights

    model = BaselineModel(backbone, pretrained=False)
    load_weights(model, checkpoint)
    return ExternalModel("PaQ-2-PiQ Baseline", model.eval(), model.body, f"notebook 02 checkpoint {checkpoint}")


def external_saliency(model: ExternalModel, pictures: NDArray[np.uint8], **cam_kwargs: Any) -> NDArray[np.float64]:
    """The smoothed CAM (:func:`saliqa.explain.cam`) of an external model on ``(N, H, W, 3)`` pictures."""
    from saliqa.explain import cam

    if model.target_layer is None:
        raise ValueError(f"{model.name} has no CAM target layer ({model.note})")
    maps = cam(model.model, to_tensor(pictures), model.target_layer, **cam_kwargs)
    return resize_maps(maps, pictures.shape[1:3])


# --------------------------------------------------------------------------------------------
# Table I over every evaluation set, and its map grid
# --------------------------------------------------------------------------------------------


def table1_all(
    sets: Sequence[EvalSet],
    cam_maps: Mapping[str, Mapping[str, NDArray[np.floating]]],
    centre: Mapping[str, pd.DataFrame],
    predictor_maps: Mapping[str, NDArray[np.floating]],
    *,
    transform: Callable[[NDArray], NDArray] | None = None,
) -> pd.DataFrame:
    """Table I on every evaluation set, raw maps and (when ``transform``) post-processed ones.

    Parameters
    ----------
    sets
        The evaluation sets.
    cam_maps
        ``{set name: {model name: (N, H, W) CAMs}}``.
    centre
        :func:`centre_prior_scores` (the Dummy row; the centre prior is not post-processed).
    predictor_maps
        ``{set name: (N, h, w)}`` proxy predictor maps (the "saliency predictor" row).
    transform
        Map post-processing applied before the metrics in the ``processed`` rows.

    Returns
    -------
    DataFrame
        Index ``(set, maps, method)`` with ``maps`` in ``raw`` / ``processed``; columns ``type``,
        ``n_images``, ``nss``, ``sim``, ``cc``, ``kld``.
    """
    frames = {}
    variants: list[tuple[str, Callable[[NDArray], NDArray] | None]] = [("raw", None)]
    if transform is not None:
        variants.append(("processed", transform))
    for s in sets:
        for label, tf in variants:
            rows: dict[str, pd.DataFrame] = {"Center Prior": centre[s.name]}
            types = {"Center Prior": "Dummy"}
            for name, maps in cam_maps.get(s.name, {}).items():
                rows[name] = s.score(maps, tf)
                types[name] = "GradCAM from IQA"
            rows["proxy predictor (ours)"] = s.score(predictor_maps[s.name], tf)
            types["proxy predictor (ours)"] = "Saliency predictor"
            frames[(s.name, label)] = table1(rows, types=types).set_index("method")
    out = pd.concat(frames, names=["set", "maps"])
    return out


def saliency_grid(eval_set: EvalSet, maps: Mapping[str, NDArray[np.floating]], n: int) -> Any:
    """The first ``n`` held-out pictures with the ground truth, the centre prior and each method's map (a Figure)."""
    from saliqa.plots_iqa_saliency import plot_saliency_grid
    from saliqa.saliency_predictor import centre_prior_maps

    size = eval_set.pictures.shape[1:3]
    shown: dict[str, NDArray[np.float64]] = {"ground truth": resize_maps(eval_set.gt_maps[:n], size)}
    shown["Center Prior"] = resize_maps(centre_prior_maps(n, eval_set.gt_maps.shape[1:]), size)
    for name, m in maps.items():
        if name in shown:
            continue
        shown[name] = resize_maps(np.asarray(m)[:n], size)
    return plot_saliency_grid(eval_set.pictures[:n], shown, titles=[f"{eval_set.name} {i}" for i in eval_set.ids[:n]])
