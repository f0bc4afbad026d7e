"""One training loop for every notebook: device, AMP, data loading, progress, checkpoints, resume, seeds, DDP.

Notebooks 02 (PaQ-2-PiQ Baseline / RoIPool / Feedback), 03 (IQA baselines with a saliency or
GradCAM loss) and 04 (SSPNet) all train through :func:`fit`. What differs between them is given
as functions of the model output and the batch (a dict of tensors):

- ``forward_fn(model, batch) -> output`` (default ``model(batch["image"])``; 02's RoIPool model
  takes ``model(batch["image"], batch["rois"])``);
- ``loss_fn(output, batch) -> scalar tensor``, the mean over the batch (default: MSE between the
  picture score and ``batch["mos"]``; 02: MSE over the picture and its RoIs; 03: score MSE plus a
  weighted saliency / GradCAM term);
- ``score_fn(output, batch) -> (B,)`` the predicted picture score, from which validation SRCC and
  PLCC are computed (default: the output itself when it is ``(B,)`` or ``(B, 1)``).

Paper settings (seed 003, PaQ-2-PiQ, Sec. 4.1), the defaults of :class:`TrainConfig`: MSE loss,
batch 120, Adam with beta = (0.9, 0.99), weight decay 0.01, 10 epochs, discriminative learning
rates 3e-4 for the body and 3e-3 for the head. The paper states no learning-rate schedule.
These are the defaults of a fastai (v1) ``Learner`` (Adam (0.9, 0.99), ``wd=1e-2`` applied as
decoupled weight decay, ``true_wd=True``), which the authors' code trains with; the usual fastai
fit is ``fit_one_cycle``. So ``schedule="one_cycle"`` (default) is :class:`torch.optim.lr_scheduler.OneCycleLR`
with fastai v1's ``fit_one_cycle`` settings: warm-up over 30 % of the steps from ``lr / 25``,
cosine annealing to ``lr / 25e4``, stepped per batch, each group peaking at its own rate. fastai
also cycles beta1 from 0.95 to 0.85 and back; that is ``cycle_momentum=True``; the default keeps
beta1 = 0.9 as the paper states it. ``decoupled_weight_decay=True`` (AdamW, fastai's ``true_wd``)
is the default; ``False`` gives Adam with L2 regularisation. ``schedule="constant"`` keeps the
rates fixed.

Devices and speed: ``device="auto"`` is CUDA when available, else CPU
(:func:`saliqa.runs.resolve_device`). On CUDA the defaults turn on bf16 autocast, channels_last
memory format, DataLoader workers with pinned memory, fused Adam and ``cudnn.benchmark``; on CPU
none of them (``TrainConfig`` fields override each). Images arrive as uint8 (see
:class:`saliqa.data_cache.PictureDataset`, whose in-memory / on-disk cache of decoded canvases
makes epochs 2+ skip JPEG decoding) and are converted to float and normalised on the device.

Checkpoints (``checkpoint_dir``): after every epoch, rank 0 writes ``last.pt`` atomically (model,
optimiser, scheduler, RNG states, epoch, history, best score, config) and, when validation SRCC
improved, the same bytes as ``best.pt``; plus ``history.csv``. ``fit(..., resume=True)`` continues
from ``last.pt``. Resume is exact: a run interrupted after epoch k and resumed ends with the same
weights, bit for bit on CPU, as an uninterrupted one, because everything random in epoch ``e``
(the shuffling permutation, the global torch / numpy / random generators, DataLoader worker
seeds) is derived from ``(seed, e, rank)`` at the start of the epoch, and the optimiser and
scheduler states are restored. (The RNG states are stored too and restored on resume, for code
that runs after :func:`fit`.) Determinism on CPU: ``torch.use_deterministic_algorithms(True,
warn_only=True)`` during the run (previous setting restored after).

Multi-GPU: run the notebook's training script under ``torchrun --nproc_per_node=G``; :func:`fit`
sees ``WORLD_SIZE > 1``, initialises the process group (NCCL on CUDA, gloo on CPU), wraps the model in
:class:`torch.nn.parallel.DistributedDataParallel` and shards the data with
:class:`torch.utils.data.distributed.DistributedSampler`. ``batch_size`` is the *global* batch:
each of the G ranks takes ``batch_size / G`` items per step. A single process uses the same
sampler with one replica, so both draw the same permutation and each step's global batch holds the
same items; DDP averages gradients, so G processes follow a single process's trajectory up to float
rounding (models with BatchNorm excepted: its statistics are per rank). Validation is sharded over the
ranks and gathered; only rank 0 writes checkpoints and shows progress.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import logging
import math
import os
import random
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from saliqa.checks import check_choice, check_int, check_positive, check_real, check_seed
from saliqa.constants import IMAGENET_MEAN, IMAGENET_STD
from saliqa.io import atomic_write_bytes, atomic_write_text
from saliqa.runs import resolve_device

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from torch import nn

__all__ = [
    "progress_bars",
    "PROGRESS_BARS_ENV",
    "TrainConfig",
    "TrainResult",
    "EpochEnd",
    "StopTraining",
    "CheckpointMismatchError",
    "TIMING_COLUMNS",
    "CHECKPOINT_FORMAT",
    "fit",
    "predict",
    "evaluate",
    "run_key",
    "weight_settings",
    "body_head_groups",
    "picture_score",
    "mse_loss",
    "default_forward",
    "load_checkpoint",
    "load_weights",
    "seed_worker",
    "distributed_info",
]

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "saliqa.train/1"
TIMING_COLUMNS: tuple[str, ...] = ("train_s", "val_s", "images_per_s")
"""History columns that measure time; every other column is deterministic for a given seed on CPU."""

LossFn = Callable[[Any, Mapping[str, Any]], "torch.Tensor"]
ScoreFn = Callable[[Any, Mapping[str, Any]], "torch.Tensor"]
ForwardFn = Callable[["nn.Module", Mapping[str, Any]], Any]

# TrainConfig fields that may change between a run and its resumption (they do not change the result)
_RUNTIME_FIELDS = frozenset({"num_workers", "val_batch_size", "persistent_workers", "prefetch_factor"})


# --------------------------------------------------------------------------------------------
# configuration and results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainConfig:
    """Settings of a training run (defaults: PaQ-2-PiQ, seed 003 Sec. 4.1; see the module docstring).

    Parameters
    ----------
    epochs
        Number of passes over the training set.
    batch_size
        Global batch size (all ranks together); must be divisible by the number of ranks.
    lr_body, lr_head
        Peak learning rates of the body and head parameter groups (:func:`body_head_groups`),
        used when :func:`fit` gets no ``param_groups``.
    head
        Parameter-name prefixes that make up the head (``"head"`` matches ``head.0.weight``).
    betas, weight_decay, eps
        Adam settings.
    decoupled_weight_decay
        AdamW-style weight decay (fastai's ``true_wd``, default) rather than L2 in the gradient.
    schedule
        ``"one_cycle"`` (fastai ``fit_one_cycle``, per batch) or ``"constant"``.
    pct_start, div_factor, final_div_factor
        One-cycle shape: warm-up fraction, ``initial = peak / div_factor``,
        ``final = initial / final_div_factor`` (fastai v1 and torch defaults).
    cycle_momentum, momentum_range
        Cycle Adam's beta1 over ``momentum_range = (low, high)`` inversely to the rate (fastai:
        on, (0.85, 0.95)); off keeps ``betas[0]``.
    grad_clip_norm
        Clip the gradients' global L2 norm to this value (None: no clipping).
    seed
        Seeds shuffling, dropout and DataLoader workers (see the module docstring).
    target_key
        Batch key of the picture score target used for validation SRCC / PLCC (and the default loss).
    image_key
        Batch key of the images. uint8 tensors ``(B, 3, H, W)`` there are converted on the device
        to float in [0, 1] and normalised with ``mean`` / ``std``; float tensors are used as given.
    mean, std
        Per-channel normalisation of uint8 images (None: only scale to [0, 1]). Pass the
        backbone's (``Backbone.mean`` / ``std``): EfficientNet-Lite0 uses 0.5 / 0.5.
    amp
        bf16 autocast (None: on for CUDA only).
    channels_last
        ``torch.channels_last`` memory format for the model and images (None: on for CUDA only).
    deterministic
        ``torch.use_deterministic_algorithms`` during the run (None: on for CPU only; on CUDA it
        also needs ``CUBLAS_WORKSPACE_CONFIG``, set when unset, and is slower).
    num_workers
        DataLoader worker processes per rank (None: 0 on CPU; on CUDA ``min(8, CPUs / ranks)``).
    persistent_workers
        Keep workers between epochs. Off by default: with it on, worker seeds are drawn once, so
        random augmentations in a dataset would not resume exactly.
    prefetch_factor
        Batches prefetched per worker.
    val_batch_size
        Validation batch size per rank (None: ``batch_size / ranks``).
    fused_optimizer
        Fused Adam kernel (None: on for CUDA).
    find_unused_parameters
        Passed to DistributedDataParallel (for models with outputs not used by the loss).
    """

    epochs: int = 10
    batch_size: int = 120
    lr_body: float = 3e-4
    lr_head: float = 3e-3
    head: tuple[str, ...] = ("head",)
    betas: tuple[float, float] = (0.9, 0.99)
    weight_decay: float = 0.01
    eps: float = 1e-8
    decoupled_weight_decay: bool = True
    schedule: Literal["one_cycle", "constant"] = "one_cycle"
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    cycle_momentum: bool = False
    momentum_range: tuple[float, float] = (0.85, 0.95)
    grad_clip_norm: float | None = None
    seed: int = 0
    target_key: str = "mos"
    image_key: str = "image"
    mean: tuple[float, float, float] | None = IMAGENET_MEAN
    std: tuple[float, float, float] | None = IMAGENET_STD
    amp: bool | None = None
    channels_last: bool | None = None
    deterministic: bool | None = None
    num_workers: int | None = None
    persistent_workers: bool = False
    prefetch_factor: int = 4
    val_batch_size: int | None = None
    fused_optimizer: bool | None = None
    find_unused_parameters: bool = False

    def __post_init__(self) -> None:
        check_int(self.epochs, "TrainConfig.epochs", low=1)
        check_int(self.batch_size, "TrainConfig.batch_size", low=1)
        check_positive(self.lr_body, "TrainConfig.lr_body")
        check_positive(self.lr_head, "TrainConfig.lr_head")
        if isinstance(self.head, str):
            object.__setattr__(self, "head", (self.head,))
        object.__setattr__(self, "head", tuple(self.head))
        if not all(isinstance(h, str) and h for h in self.head):
            raise ValueError(f"TrainConfig.head must be non-empty parameter-name prefixes, got {self.head!r}")
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))
        if len(self.betas) != 2 or not all(0.0 <= b < 1.0 for b in self.betas):
            raise ValueError(f"TrainConfig.betas must be two numbers in [0, 1), got {self.betas!r}")
        check_positive(self.weight_decay, "TrainConfig.weight_decay", allow_zero=True)
        check_positive(self.eps, "TrainConfig.eps")
        check_choice(self.schedule, "TrainConfig.schedule", ("one_cycle", "constant"))
        check_real(self.pct_start, "TrainConfig.pct_start", low=0.0, high=1.0, low_open=True, high_open=True)
        check_positive(self.div_factor, "TrainConfig.div_factor")
        check_positive(self.final_div_factor, "TrainConfig.final_div_factor")
        object.__setattr__(self, "momentum_range", tuple(float(m) for m in self.momentum_range))
        lo, hi = self.momentum_range
        if not 0.0 <= lo <= hi < 1.0:
            raise ValueError(
                f"TrainConfig.momentum_range must be (low, high) with 0 <= low <= high < 1, got {self.momentum_range!r}"
            )
        if self.grad_clip_norm is not None:
            check_positive(self.grad_clip_norm, "TrainConfig.grad_clip_norm")
        check_seed(self.seed, "TrainConfig.seed")
        for name in ("mean", "std"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(float(v) for v in value))
        if (self.mean is None) != (self.std is None):
            raise ValueError("TrainConfig.mean and std must both be given or both be None")
        if self.std is not None and not all(s > 0 for s in self.std):
            raise ValueError(f"TrainConfig.std must be positive, got {self.std!r}")
        if self.num_workers is not None:
            check_int(self.num_workers, "TrainConfig.num_workers", low=0)
        check_int(self.prefetch_factor, "TrainConfig.prefetch_factor", low=1)
        if self.val_batch_size is not None:
            check_int(self.val_batch_size, "TrainConfig.val_batch_size", low=1)


@dataclass(frozen=True)
class EpochEnd:
    """What a callback gets after each epoch (after the checkpoint is written)."""

    epoch: int
    """1-based number of the epoch just finished."""
    row: Mapping[str, Any]
    """This epoch's history row."""
    is_best: bool
    model: Any
    """The model (unwrapped from DDP)."""
    rank: int


class StopTraining(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raise from a callback to end :func:`fit` after the current epoch (early stopping)."""


class CheckpointMismatchError(ValueError):
    """A checkpoint does not belong to this model, parameter groups or configuration."""


@dataclass
class TrainResult:
    """The outcome of :func:`fit`."""

    history: pd.DataFrame
    """One row per epoch: epoch, train_loss (mean over the epoch's steps), val_loss, val_srcc, val_plcc,
    lr_<group> (the rate of the epoch's last step), train_s, val_s, images_per_s (training images per
    second of wall time, data loading included; see :data:`TIMING_COLUMNS`)."""
    model: Any
    """The trained model (weights of the last epoch, unwrapped from DDP)."""
    best_epoch: int | None
    best_val_srcc: float | None
    last_checkpoint: Path | None
    best_checkpoint: Path | None
    resumed_from_epoch: int | None
    """Epochs already done in the checkpoint resumed from (None: fresh start)."""
    device: str
    world_size: int
    amp: bool
    channels_last: bool
    settings: dict[str, Any] = field(default_factory=dict)
    """Effective runtime settings for the notebook's report: num_workers, pin_memory, deterministic,
    local_batch_size, steps_per_epoch, dropped_per_epoch (training pictures left out of each epoch's
    incomplete last batch, a different random subset each epoch), schedule, optimizer, peak_lr."""


# --------------------------------------------------------------------------------------------
# small public helpers
# --------------------------------------------------------------------------------------------


PROGRESS_BARS_ENV = "SALIQA_PROGRESS_BARS"
"""Environment variable: ``0`` turns the tqdm bars off (the per-epoch summary lines stay)."""


def progress_bars() -> bool:
    """Whether tqdm bars are drawn: not when ``$SALIQA_PROGRESS_BARS`` is ``0``.

    The runner sets it for headless papermill runs, where every bar update would be stored in
    the executed notebook and fill the HTML report; the one-line summary per epoch is kept.
    """
    return os.environ.get(PROGRESS_BARS_ENV, "1") != "0"


def default_forward(model: nn.Module, batch: Mapping[str, Any], image_key: str = "image") -> Any:
    """``model(batch[image_key])``."""
    return model(batch[image_key])


def picture_score(output: Any, batch: Mapping[str, Any]) -> torch.Tensor:
    """The default ``score_fn``: the model output when it is ``(B,)`` or ``(B, 1)``, as ``(B,)``.

    Raises
    ------
    ValueError
        For other outputs (tuples, ``(B, k)`` with k > 1): pass a ``score_fn`` that picks the
        picture score, e.g. ``lambda out, batch: out[:, 0]``.
    """
    import torch

    if isinstance(output, torch.Tensor) and (output.ndim == 1 or (output.ndim == 2 and output.shape[1] == 1)):
        return output.reshape(-1)
    shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
    raise ValueError(
        f"the model output is {shape}, not a (B,) or (B, 1) score: pass score_fn(output, batch) -> (B,) "
        "that returns the picture score (e.g. lambda out, batch: out[:, 0])"
    )


def _target(batch: Mapping[str, Any], key: str) -> torch.Tensor:
    if key not in batch:
        raise KeyError(f"the batch has no target {key!r} (keys: {sorted(batch)}); set TrainConfig.target_key")
    t = batch[key]
    if t.ndim == 2 and t.shape[1] == 1:
        t = t[:, 0]
    if t.ndim != 1:
        raise ValueError(f"target {key!r} must be one number per picture, got shape {tuple(t.shape)}")
    return t


def mse_loss(score_fn: ScoreFn = picture_score, target_key: str = "mos") -> LossFn:
    """``loss_fn`` computing the mean squared error between the picture score and ``batch[target_key]``."""

    def loss(output: Any, batch: Mapping[str, Any]) -> torch.Tensor:
        import torch.nn.functional as F

        score = score_fn(output, batch).float()
        return F.mse_loss(score, _target(batch, target_key).to(score.dtype))

    return loss


def body_head_groups(
    model: nn.Module, head: str | Sequence[str] = ("head",), lr_body: float = 3e-4, lr_head: float = 3e-3
) -> list[dict[str, Any]]:
    """Two parameter groups for discriminative learning rates: ``"body"`` and ``"head"``.

    Parameters
    ----------
    model
        The network.
    head
        Parameter-name prefixes of the head: a parameter is in the head when its name equals a
        prefix or starts with ``prefix + "."``.
    lr_body, lr_head
        The groups' (peak) learning rates.

    Returns
    -------
    list of dict
        ``[{"name": "body", "params": [...], "lr": lr_body}, {"name": "head", ...}]`` over the
        trainable parameters; the body group is left out when empty.

    Raises
    ------
    ValueError
        If no trainable parameter matches ``head`` (the message lists the model's top-level modules).
    """
    prefixes = (head,) if isinstance(head, str) else tuple(head)
    body_params, head_params = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        in_head = any(name == h or name.startswith(h + ".") for h in prefixes)
        (head_params if in_head else body_params).append(p)
    if not head_params:
        tops = [n for n, _ in model.named_children()]
        raise ValueError(
            f"head={prefixes!r} matches no trainable parameter of {type(model).__name__}; its top-level "
            f"modules are {tops}: set TrainConfig(head=...) to the head's name(s)"
        )
    groups = [{"name": "body", "params": body_params, "lr": float(lr_body)}] if body_params else []
    groups.append({"name": "head", "params": head_params, "lr": float(lr_head)})
    return groups


def seed_worker(worker_id: int) -> None:
    """DataLoader ``worker_init_fn``: seed numpy and :mod:`random` from the worker's torch seed.

    The torch seed of a worker is ``base_seed + worker_id``, with ``base_seed`` drawn from the
    loader's generator, which :func:`fit` seeds from ``(seed, epoch, rank)``.
    """
    s = __import__("torch").initial_seed() % 2**32
    np.random.seed(s)  # noqa: NPY002 - the legacy global generator is what third-party code draws from
    random.seed(s)


def distributed_info() -> tuple[int, int, int]:
    """``(rank, world_size, local_rank)`` of this process (``(0, 1, 0)`` outside torchrun / DDP)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", dist.get_rank()))
    return (int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("LOCAL_RANK", 0)))


# --------------------------------------------------------------------------------------------
# checkpoints
# --------------------------------------------------------------------------------------------


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint written by :func:`fit` (``torch.load`` with ``weights_only=True``).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    CheckpointMismatchError
        If the file is not a readable :func:`fit` checkpoint (the message names the file).
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {str(path)!r}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unpickling failure means "not a checkpoint"
        detail = " ".join(str(err).split())
        detail = detail if len(detail) <= 400 else detail[:400] + " ..."
        raise CheckpointMismatchError(f"cannot read checkpoint {str(path)!r}: {type(err).__name__}: {detail}") from err
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        got = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise CheckpointMismatchError(
            f"{str(path)!r} is not a saliqa.train checkpoint (format {got!r}, expected {CHECKPOINT_FORMAT!r})"
        )
    return state


def _list(keys: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(repr(k) for k in keys[:limit])
    return f"[{shown}{', ...' if len(keys) > limit else ''}] ({len(keys)})"


def _check_state_dict(saved: Mapping[str, Any], model: nn.Module, origin: str, saved_class: str | None) -> None:
    current = model.state_dict()
    missing = [k for k in current if k not in saved]
    unexpected = [k for k in saved if k not in current]
    shapes = [
        f"{k}: checkpoint {tuple(saved[k].shape)} vs model {tuple(current[k].shape)}"
        for k in current
        if k in saved and tuple(saved[k].shape) != tuple(current[k].shape)
    ]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"keys of the model missing in the checkpoint: {_list(missing)}")
        if unexpected:
            parts.append(f"keys in the checkpoint the model lacks: {_list(unexpected)}")
        if shapes:
            parts.append(f"shape mismatches: {'; '.join(shapes[:8])}{' ...' if len(shapes) > 8 else ''}")
        cls = f"{type(model).__module__}.{type(model).__qualname__}"
        raise CheckpointMismatchError(
            f"checkpoint {origin} does not fit the model {cls} (checkpoint written for {saved_class}): "
            + "; ".join(parts)
        )


def load_weights(model: nn.Module, path: str | os.PathLike[str]) -> nn.Module:
    """Load the model weights of a :func:`fit` checkpoint (e.g. ``best.pt``) into ``model``.

    Raises
    ------
    CheckpointMismatchError
        If the keys or shapes differ (the message names them).
    """
    state = load_checkpoint(path)
    _check_state_dict(state["model"], model, repr(str(path)), state.get("model_class"))
    model.load_state_dict(state["model"])
    return model


def _rng_state() -> dict[str, Any]:
    import torch

    np_state = np.random.get_state()  # noqa: NPY002 - saving the legacy global generator
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "keys": torch.from_numpy(np.asarray(np_state[1], dtype=np.int64)),
            "pos": int(np_state[2]),
            "has_gauss": int(np_state[3]),
            "cached_gaussian": float(np_state[4]),
        },
        "python": random.getstate(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: Mapping[str, Any]) -> None:
    import torch

    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np_state = ("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"])
    np.random.set_state(np_state)  # noqa: NPY002 - restoring the legacy global generator
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    if "cuda" in state and torch.cuda.is_available():
        with contextlib.suppress(RuntimeError, IndexError):
            torch.cuda.set_rng_state_all(state["cuda"])


def _config_dict(config: TrainConfig) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()}


def weight_settings(config: TrainConfig) -> dict[str, Any]:
    """The fields of ``config`` that change the trained weights (all but the runtime ones, e.g. ``num_workers``).

    For checkpoint-folder keys (:func:`run_key`): runs that differ only in these runtime fields may
    share a folder, as :func:`fit`'s resume check allows.
    """
    return {k: v for k, v in asdict(config).items() if k not in _RUNTIME_FIELDS}


def run_key(*parts: pd.DataFrame | np.ndarray | str, **settings: Any) -> str:
    """16 hex digits naming a checkpoint folder for the data ``parts`` and the ``settings``.

    SHA-256 over each part in order (a table as its CSV without index, an array as its raw bytes,
    a string as UTF-8), then the settings as sorted-key JSON (``default=str``). A folder shared by
    runs on other data or settings would resume the wrong model, hence the key.
    """
    import hashlib
    import json

    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, pd.DataFrame):
            digest.update(part.to_csv(index=False).encode())
        elif isinstance(part, np.ndarray):
            digest.update(part.tobytes())
        elif isinstance(part, str):
            digest.update(part.encode())
        else:
            raise ValueError(f"run_key parts must be DataFrames, arrays or strings, got {type(part).__name__}")
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def _check_config(saved: Mapping[str, Any], config: TrainConfig, origin: str) -> None:
    now = _config_dict(config)
    diffs = [
        f"{k}: checkpoint {saved.get(k)!r} vs now {now[k]!r}"
        for k in now
        if k not in _RUNTIME_FIELDS and (k not in saved or saved[k] != now[k])
    ]
    if diffs:
        raise CheckpointMismatchError(
            f"checkpoint {origin} was written with other training settings, so resuming would not continue the "
            f"same run: {'; '.join(diffs)}. Use the same TrainConfig, or resume=False to start afresh"
        )


# --------------------------------------------------------------------------------------------
# distributed setup
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Dist:
    rank: int
    world: int
    local_rank: int
    active: bool


_CREATED_GROUP = False


def _destroy_group() -> None:  # pragma: no cover - runs at interpreter exit
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        with contextlib.suppress(Exception):
            dist.destroy_process_group()


def _setup_distributed(distributed: bool | Literal["auto"], device_type: str) -> _Dist:
    global _CREATED_GROUP
    import torch.distributed as dist

    env_world = int(os.environ.get("WORLD_SIZE", "1"))
    initialised = dist.is_available() and dist.is_initialized()
    if distributed == "auto":
        distributed = env_world > 1 or initialised
    if not distributed:
        return _Dist(0, 1, 0, False)
    if not dist.is_available():
        raise RuntimeError("distributed training requested but torch.distributed is not available in this build")
    if not initialised:
        if "MASTER_ADDR" not in os.environ and env_world == 1:
            raise RuntimeError(
                "distributed=True but no process group and no torchrun environment (MASTER_ADDR, "
                "WORLD_SIZE): launch with `torchrun --nproc_per_node=N script.py`"
            )
        backend = "nccl" if device_type == "cuda" else "gloo"
        if device_type == "cuda":
            import torch

            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))  # before NCCL initialises
        dist.init_process_group(backend=backend)
        if not _CREATED_GROUP:
            atexit.register(_destroy_group)
        _CREATED_GROUP = True
    rank, world = dist.get_rank(), dist.get_world_size()
    return _Dist(rank, world, int(os.environ.get("LOCAL_RANK", rank)), True)


def _derive_seed(*keys: int) -> int:
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(1, np.uint32)[0])


def _seed_everything(seed: int, epoch: int, rank: int) -> None:
    import torch

    torch.manual_seed(_derive_seed(seed, epoch, rank, 1))
    np.random.seed(_derive_seed(seed, epoch, rank, 2))  # noqa: NPY002 - global generator, see module docstring
    random.seed(_derive_seed(seed, epoch, rank, 3))


@contextlib.contextmanager
def _determinism(deterministic: bool, device_type: str) -> Iterator[None]:
    import torch

    prev = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
    prev_cudnn = (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
    try:
        if deterministic:
            if device_type == "cuda":
                os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.use_deterministic_algorithms(True, warn_only=True)
            torch.backends.cudnn.benchmark = False
            torch.backends.cudnn.deterministic = True
        elif device_type == "cuda":
            torch.backends.cudnn.benchmark = True
        yield
    finally:
        torch.use_deterministic_algorithms(prev[0], warn_only=prev[1])
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = prev_cudnn


# --------------------------------------------------------------------------------------------
# batches
# --------------------------------------------------------------------------------------------


class _ShardSampler:
    """Every ``world``-th index from ``rank``, in order, without padding (for sharded evaluation)."""

    def __init__(self, n: int, rank: int, world: int) -> None:
        self.indices = list(range(rank, n, world))

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


class _Indexed:
    """Wraps a dataset of dict items, adding ``"index"`` when the items lack it."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> Any:
        import torch

        item = self.dataset[i]
        if not isinstance(item, Mapping):
            raise TypeError(
                f"dataset items must be dicts of tensors (e.g. saliqa.data_cache.PictureDataset), got "
                f"{type(item).__name__} for item {i}"
            )
        if "index" not in item:
            item = dict(item)
            item["index"] = torch.tensor(i, dtype=torch.int64)
        return item


class _Batcher:
    """Moves a batch to the device and turns uint8 images into normalised float images there."""

    def __init__(self, device: torch.device, config: TrainConfig, channels_last: bool) -> None:
        import torch

        self.device = device
        self.key = config.image_key
        self.channels_last = channels_last
        self.non_blocking = device.type == "cuda"
        if config.mean is not None and config.std is not None:
            self.mean = torch.tensor(config.mean, device=device).view(1, -1, 1, 1) * 255.0
            self.inv_std = (1.0 / (torch.tensor(config.std, device=device) * 255.0)).view(1, -1, 1, 1)
        else:
            self.mean = None
            self.inv_std = torch.tensor(1.0 / 255.0, device=device)

    def __call__(self, batch: Mapping[str, Any]) -> dict[str, Any]:
        import torch

        if not isinstance(batch, Mapping):
            raise TypeError(f"batches must be dicts of tensors, got {type(batch).__name__}")
        if self.key not in batch:
            raise KeyError(
                f"the batch has no images under {self.key!r} (keys: {sorted(batch)}); set TrainConfig.image_key"
            )
        out: dict[str, Any] = {}
        for k, v in batch.items():
            out[k] = v.to(self.device, non_blocking=self.non_blocking) if isinstance(v, torch.Tensor) else v
        x = out[self.key]
        if x.dtype == torch.uint8:
            x = x.float()
            if self.mean is not None:
                x = x.sub_(self.mean)
            x = x.mul_(self.inv_std)
        if x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last if self.channels_last else torch.contiguous_format)
        out[self.key] = x
        return out


def _batch_len(batch: Mapping[str, Any], key: str) -> int:
    return int(batch[key].shape[0])


# --------------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------------


def _autocast(device_type: str, amp: bool) -> Any:
    import torch

    return torch.autocast(device_type=device_type, dtype=torch.bfloat16, enabled=amp)


def _run_eval(
    model: nn.Module,
    loader: Any,
    batcher: _Batcher,
    forward_fn: ForwardFn,
    score_fn: ScoreFn,
    loss_fn: LossFn | None,
    target_key: str,
    amp: bool,
    progress: Any = None,
    grad: bool = False,
) -> dict[str, Any]:
    import torch

    was_training = model.training
    model.eval()
    preds, targets, indices = [], [], []
    loss_sum, n = 0.0, 0
    mode = torch.enable_grad() if grad else torch.inference_mode()
    try:
        with mode, _autocast(batcher.device.type, amp):
            for batch in loader:
                b = batcher(batch)
                try:
                    out = forward_fn(model, b)
                except RuntimeError as err:
                    if grad or "grad" not in str(err):
                        raise
                    raise RuntimeError(
                        f"the model's forward failed under torch.inference_mode ({err}); if it "
                        "differentiates inside forward (e.g. a GradCAM output), pass eval_grad=True"
                    ) from err
                score = score_fn(out, b).detach().float().reshape(-1)
                bs = _batch_len(b, batcher.key)
                if score.shape[0] != bs:
                    raise ValueError(f"score_fn returned {score.shape[0]} scores for a batch of {bs} pictures")
                preds.append(score.cpu())
                if target_key in b:
                    targets.append(_target(b, target_key).float().cpu())
                indices.append(b["index"].reshape(-1).cpu())
                if loss_fn is not None:
                    loss_sum += float(loss_fn(out, b).detach().float()) * bs
                n += bs
                if progress is not None:
                    progress.update(1)
    finally:
        model.train(was_training)
    cat = (lambda xs: torch.cat(xs).numpy().astype(np.float64)) if preds else (lambda xs: np.zeros(0))
    return {
        "pred": cat(preds),
        "target": cat(targets) if targets else None,
        "index": torch.cat(indices).numpy() if indices else np.zeros(0, dtype=np.int64),
        "loss_sum": loss_sum,
        "n": n,
    }


def _correlations(pred: np.ndarray, target: np.ndarray | None, epoch: int | None) -> tuple[float, float]:
    from saliqa.metrics.correlation import plcc, srcc

    if target is None:
        return math.nan, math.nan
    try:
        return srcc(pred, target), plcc(pred, target)
    except ValueError as err:
        where = f" after epoch {epoch}" if epoch is not None else ""
        warnings.warn(f"validation SRCC / PLCC undefined{where} ({err}); recorded as NaN", RuntimeWarning, stacklevel=3)
        return math.nan, math.nan


def _make_loader(
    dataset: Any,
    batch_size: int,
    sampler: Any,
    *,
    workers: int,
    pin: bool,
    drop_last: bool,
    generator: Any,
    config: TrainConfig,
) -> Any:
    from torch.utils.data import DataLoader, default_collate

    collate = getattr(dataset, "collate_fn", None) or default_collate
    kwargs: dict[str, Any] = {}
    if workers > 0:
        kwargs = {
            "persistent_workers": config.persistent_workers,
            "prefetch_factor": config.prefetch_factor,
            "worker_init_fn": seed_worker,
        }
    return DataLoader(
        _Indexed(dataset),
        batch_size=batch_size,
        sampler=sampler,
        num_workers=workers,
        pin_memory=pin,
        drop_last=drop_last,
        collate_fn=collate,
        generator=generator,
        **kwargs,
    )


def _default_workers(device_type: str, world: int) -> int:
    if device_type != "cuda":
        return 0
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        cpus = os.cpu_count() or 1
    return max(1, min(8, cpus // max(1, world) - 1))


def _prepare_dataset(dataset: Any, workers: int) -> None:
    share = getattr(dataset, "share_memory", None)
    if workers > 0 and callable(share):
        share()


def _check_dataset(data: Any, name: str, min_items: int) -> None:
    try:
        n = len(data)
    except TypeError as err:
        raise TypeError(
            f"{name} must be a map-style dataset with __len__ and __getitem__, got {type(data).__name__}"
        ) from err
    if n == 0:
        raise ValueError(f"{name} is empty: no pictures to {'train' if name == 'train_data' else 'evaluate'} on")
    if n < min_items:
        raise ValueError(f"{name} has {n} items; validation SRCC / PLCC need at least {min_items}")


def predict(
    model: nn.Module,
    dataset: Any,
    *,
    score_fn: ScoreFn = picture_score,
    forward_fn: ForwardFn | None = None,
    config: TrainConfig | None = None,
    batch_size: int = 32,
    device: str = "auto",
    progress: bool = False,
    eval_grad: bool = False,
) -> pd.DataFrame:
    """Predicted picture scores of ``model`` on ``dataset``, in dataset order (one process).

    Parameters
    ----------
    model
        The network (moved to the device).
    dataset
        Map-style dataset of dict items (e.g. :class:`saliqa.data_cache.PictureDataset`).
    score_fn, forward_fn
        As in :func:`fit`.
    config
        Supplies ``image_key``, ``target_key``, ``mean`` / ``std``, ``amp``, ``channels_last``,
        ``num_workers`` (default :class:`TrainConfig`).
    batch_size
        Pictures per forward pass.
    device
        ``"auto"``, ``"cpu"``, ``"cuda[:n]"``.
    progress
        Show a tqdm bar.
    eval_grad
        Run the forward passes with autograd on (for models that differentiate inside forward,
        e.g. notebook 03's GradCAM output); default ``torch.inference_mode``.

    Returns
    -------
    pandas.DataFrame
        Columns ``index``, ``pred`` and, when the items hold the target, ``target``.
    """
    import torch
    from tqdm.std import tqdm

    cfg = config or TrainConfig()
    _check_dataset(dataset, "dataset", 1)
    check_int(batch_size, "batch_size", low=1)
    dev = torch.device(resolve_device(device))
    amp = cfg.amp if cfg.amp is not None else dev.type == "cuda"
    cl = cfg.channels_last if cfg.channels_last is not None else dev.type == "cuda"
    model.to(dev)
    if cl:
        model.to(memory_format=torch.channels_last)
    workers = cfg.num_workers if cfg.num_workers is not None else _default_workers(dev.type, 1)
    _prepare_dataset(dataset, workers)
    loader = _make_loader(
        dataset, batch_size, None, workers=workers, pin=dev.type == "cuda", drop_last=False, generator=None, config=cfg
    )
    fwd = forward_fn or (lambda m, b: default_forward(m, b, cfg.image_key))
    bar = tqdm(total=len(loader), desc="predict", disable=not (progress and progress_bars()), file=sys.stderr)
    try:
        res = _run_eval(
            model, loader, _Batcher(dev, cfg, cl), fwd, score_fn, None, cfg.target_key, amp, bar, grad=eval_grad
        )
    finally:
        bar.close()
    table = pd.DataFrame({"index": res["index"], "pred": res["pred"]})
    if res["target"] is not None:
        table["target"] = res["target"]
    return table


def evaluate(model: nn.Module, dataset: Any, **kwargs: Any) -> dict[str, float]:
    """SRCC and PLCC of ``model``'s picture scores against the dataset's target.

    Keyword arguments are those of :func:`predict`. Returns ``{"srcc", "plcc", "n"}``.

    Raises
    ------
    ValueError
        If the items hold no target, or the correlations are undefined (constant predictions).
    """
    from saliqa.metrics.correlation import plcc, srcc

    table = predict(model, dataset, **kwargs)
    if "target" not in table:
        raise ValueError("the dataset items hold no target (TrainConfig.target_key) to correlate with")
    return {
        "srcc": srcc(table["pred"], table["target"]),
        "plcc": plcc(table["pred"], table["target"]),
        "n": float(len(table)),
    }


# --------------------------------------------------------------------------------------------
# the loop
# --------------------------------------------------------------------------------------------


def _build_optimizer(groups: list[dict[str, Any]], config: TrainConfig, device_type: str) -> torch.optim.Optimizer:
    import torch

    fused = config.fused_optimizer if config.fused_optimizer is not None else device_type == "cuda"
    cls = torch.optim.AdamW if config.decoupled_weight_decay else torch.optim.Adam
    kwargs: dict[str, Any] = {"betas": config.betas, "eps": config.eps, "weight_decay": config.weight_decay}
    if fused:
        kwargs["fused"] = True
    return cls(groups, lr=groups[0]["lr"], **kwargs)


def _build_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainConfig, total_steps: int, factory: Callable[[Any, int], Any] | None
) -> Any:
    from torch.optim.lr_scheduler import OneCycleLR

    if factory is not None:
        return factory(optimizer, total_steps)
    if config.schedule == "constant":
        return None
    lo, hi = config.momentum_range
    return OneCycleLR(
        optimizer,
        max_lr=[g["lr"] for g in optimizer.param_groups],
        total_steps=total_steps,
        pct_start=config.pct_start,
        anneal_strategy="cos",
        cycle_momentum=config.cycle_momentum,
        base_momentum=lo,
        max_momentum=hi,
        div_factor=config.div_factor,
        final_div_factor=config.final_div_factor,
    )


def _normalise_groups(
    model: nn.Module,
    groups: Sequence[Mapping[str, Any]] | None,
    config: TrainConfig,
) -> list[dict[str, Any]]:
    if groups is None:
        out = body_head_groups(model, config.head, config.lr_body, config.lr_head)
    else:
        out = []
        for i, g in enumerate(groups):
            if not isinstance(g, Mapping) or "params" not in g:
                raise ValueError(f"param_groups[{i}] must be a dict with 'params' (and 'lr'), got {g!r}")
            d = dict(g)
            d["params"] = list(d["params"])
            d.setdefault("name", f"group{i}")
            if "lr" not in d:
                raise ValueError(f"param_groups[{i}] ({d['name']!r}) has no 'lr'")
            check_positive(d["lr"], f"param_groups[{i}]['lr']")
            out.append(d)
        if not out:
            raise ValueError("param_groups is empty")
    owned = {id(p): n for n, p in model.named_parameters()}
    seen: set[int] = set()
    for g in out:
        for p in g["params"]:
            if id(p) not in owned:
                raise ValueError(
                    f"parameter group {g['name']!r} holds a tensor of shape {tuple(p.shape)} that is not "
                    "a parameter of the model given to fit()"
                )
            if id(p) in seen:
                raise ValueError(f"parameter {owned[id(p)]!r} is in more than one parameter group")
            seen.add(id(p))
    left = [n for n, p in model.named_parameters() if p.requires_grad and id(p) not in seen]
    if left:
        warnings.warn(
            f"trainable parameters in no parameter group (they will not be trained): {_list(left)}", stacklevel=3
        )
    return out


def _group_signature(groups: Sequence[Mapping[str, Any]], model: nn.Module) -> list[list[Any]]:
    names = {id(p): n for n, p in model.named_parameters()}
    return [[str(g.get("name", i)), [names[id(p)] for p in g["params"]]] for i, g in enumerate(groups)]


def fit(
    model: nn.Module,
    train_data: Any,
    val_data: Any | None = None,
    *,
    config: TrainConfig | None = None,
    loss_fn: LossFn | None = None,
    score_fn: ScoreFn = picture_score,
    forward_fn: ForwardFn | None = None,
    param_groups: Sequence[Mapping[str, Any]] | None = None,
    scheduler_factory: Callable[[Any, int], Any] | None = None,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    resume: bool | str | os.PathLike[str] = True,
    device: str = "auto",
    distributed: bool | Literal["auto"] = "auto",
    progress: bool = True,
    callbacks: Sequence[Callable[[EpochEnd], None]] = (),
    val_loss: bool = True,
    eval_grad: bool = False,
) -> TrainResult:
    """Train ``model`` on ``train_data``, validating on ``val_data`` after every epoch.

    Parameters
    ----------
    model
        The network; trained in place (moved to the device).
    train_data, val_data
        Map-style datasets whose items are dicts of tensors: images under
        ``config.image_key`` (uint8 ``(3, H, W)`` or float), the target under
        ``config.target_key``, anything else the loss needs (e.g.
        :class:`saliqa.data_cache.PictureDataset`). A dataset's ``collate_fn`` attribute, when
        present, builds the batches. ``val_data`` needs at least 3 items.
    config
        :class:`TrainConfig` (default: the paper's settings).
    loss_fn
        ``loss_fn(output, batch) -> scalar`` mean over the batch (default :func:`mse_loss` of
        ``score_fn`` against ``config.target_key``). Computed under autocast on CUDA.
    score_fn
        ``score_fn(output, batch) -> (B,)`` picture scores for validation SRCC / PLCC.
    forward_fn
        ``forward_fn(model, batch) -> output`` (default ``model(batch[config.image_key])``).
    param_groups
        Optimiser parameter groups (dicts with ``params``, ``lr``, optional ``name``; the ``lr``
        is the peak rate of the one-cycle schedule). Default: :func:`body_head_groups` with
        ``config.head``, ``config.lr_body``, ``config.lr_head``.
    scheduler_factory
        ``factory(optimizer, total_steps) -> scheduler`` stepped once per batch, replacing
        ``config.schedule``.
    checkpoint_dir
        Folder for ``last.pt``, ``best.pt`` and ``history.csv`` (None: no checkpoints).
    resume
        True: continue from ``checkpoint_dir/last.pt`` when it exists; a path: continue from
        that checkpoint (it must exist); False: start afresh (existing files are overwritten).
    device
        ``"auto"`` (CUDA, else CPU), ``"cpu"``, ``"cuda"``. Under torchrun with CUDA each rank
        uses ``cuda:LOCAL_RANK``.
    distributed
        ``"auto"``: DDP when launched by torchrun with ``WORLD_SIZE > 1`` (or a process group
        exists); False: never.
    progress
        tqdm bars (rank 0 only) and a summary line per epoch.
    callbacks
        Called with an :class:`EpochEnd` after each epoch's checkpoint, on every rank; raise
        :class:`StopTraining` to stop.
    val_loss
        Also compute ``loss_fn`` on the validation set (off: ``val_loss`` is NaN; for losses that
        need training-only inputs).
    eval_grad
        Validate with autograd on instead of ``torch.inference_mode`` (models that differentiate
        inside forward, e.g. notebook 03's GradCAM output; parameters are not updated).

    Returns
    -------
    TrainResult
        The history table (one row per epoch, including those of a resumed checkpoint), the
        model, best epoch and SRCC, checkpoint paths and the effective settings.

    Raises
    ------
    ValueError
        Empty datasets, a training set smaller than one batch, a batch size not divisible by the
        number of ranks, bad parameter groups, a loss that is not a scalar.
    CheckpointMismatchError
        When resuming from a checkpoint of another model (the mismatched keys are named), other
        parameter groups or other training settings.
    FloatingPointError
        When the training loss becomes NaN or infinite (the checkpoint of the last good epoch stays).
    """
    import torch
    from torch import nn
    from tqdm.std import tqdm

    cfg = config or TrainConfig()
    if not isinstance(cfg, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(cfg).__name__}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    _check_dataset(train_data, "train_data", 1)
    if val_data is not None:
        _check_dataset(val_data, "val_data", 3)
    for i, cb in enumerate(callbacks):
        if not callable(cb):
            raise TypeError(f"callbacks[{i}] is not callable")

    device_name = resolve_device(device)
    dist_ctx = _setup_distributed(distributed, torch.device(device_name).type)
    rank, world = dist_ctx.rank, dist_ctx.world
    if dist_ctx.active and device_name.startswith("cuda"):
        device_name = f"cuda:{dist_ctx.local_rank}"
        torch.cuda.set_device(dist_ctx.local_rank)
    dev = torch.device(device_name)
    is_main = rank == 0
    amp = cfg.amp if cfg.amp is not None else dev.type == "cuda"
    channels_last = cfg.channels_last if cfg.channels_last is not None else dev.type == "cuda"
    deterministic = cfg.deterministic if cfg.deterministic is not None else dev.type == "cpu"
    if cfg.batch_size % world:
        raise ValueError(f"batch_size={cfg.batch_size} (global) is not divisible by the {world} ranks")
    local_batch = cfg.batch_size // world
    workers = cfg.num_workers if cfg.num_workers is not None else _default_workers(dev.type, world)
    pin = dev.type == "cuda"

    fwd: ForwardFn = forward_fn or (lambda m, b: default_forward(m, b, cfg.image_key))
    loss_function: LossFn = loss_fn or mse_loss(score_fn, cfg.target_key)

    from torch.utils.data.distributed import DistributedSampler

    sampler = DistributedSampler(
        _Indexed(train_data), num_replicas=world, rank=rank, shuffle=True, seed=cfg.seed, drop_last=True
    )
    loader_gen = torch.Generator()
    _prepare_dataset(train_data, workers)
    train_loader = _make_loader(
        train_data, local_batch, sampler, workers=workers, pin=pin, drop_last=True, generator=loader_gen, config=cfg
    )
    steps = len(train_loader)
    if steps == 0:
        raise ValueError(
            f"train_data has {len(train_data)} items, fewer than one batch of {cfg.batch_size} "
            "(incomplete batches are dropped): lower batch_size"
        )
    val_loader = None
    if val_data is not None:
        _prepare_dataset(val_data, workers)
        vb = cfg.val_batch_size or local_batch
        val_loader = _make_loader(
            val_data,
            vb,
            _ShardSampler(len(val_data), rank, world),
            workers=workers,
            pin=pin,
            drop_last=False,
            generator=None,
            config=cfg,
        )

    model.to(dev)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    groups = _normalise_groups(model, param_groups, cfg)
    group_names = [str(g["name"]) for g in groups]
    peak_lrs = {str(g["name"]): float(g["lr"]) for g in groups}
    optimizer = _build_optimizer(groups, cfg, dev.type)
    scheduler = _build_scheduler(optimizer, cfg, cfg.epochs * steps, scheduler_factory)
    signature = _group_signature(groups, model)
    model_class = f"{type(model).__module__}.{type(model).__qualname__}"

    ckpt_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
    last_path = ckpt_dir / "last.pt" if ckpt_dir is not None else None
    best_path = ckpt_dir / "best.pt" if ckpt_dir is not None else None
    history: list[dict[str, Any]] = []
    start_epoch, best_srcc, best_epoch, resumed_from = 0, -math.inf, None, None

    source: Path | None = None
    if resume is True:
        source = last_path if last_path is not None and last_path.is_file() else None
    elif resume is not False:
        source = Path(resume)
        if not source.is_file():
            raise FileNotFoundError(f"resume={str(resume)!r}: checkpoint not found")
    if source is not None:
        state = load_checkpoint(source)
        origin = repr(str(source))
        _check_state_dict(state["model"], model, origin, state.get("model_class"))
        if state.get("param_groups") != signature:
            saved = [(g[0], len(g[1])) for g in state.get("param_groups", [])]
            now = [(g[0], len(g[1])) for g in signature]
            raise CheckpointMismatchError(f"checkpoint {origin} has parameter groups (name, size) {saved}, now {now}")
        _check_config(state["config"], cfg, origin)
        if state.get("steps_per_epoch") != steps:
            raise CheckpointMismatchError(
                f"checkpoint {origin} had {state.get('steps_per_epoch')} steps per epoch, now {steps}: the training "
                "set or batch size changed"
            )
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None and state.get("scheduler") is not None:
            scheduler.load_state_dict(state["scheduler"])
        start_epoch = int(state["epoch"])
        history = [dict(r) for r in state["history"]]
        best_srcc = state["best"]["srcc"] if state["best"]["srcc"] is not None else -math.inf
        best_epoch = state["best"]["epoch"]
        resumed_from = start_epoch
        _set_rng_state(state["rng"])
        if is_main and progress:
            tqdm.write(f"resuming from {source} after epoch {start_epoch}/{cfg.epochs}", file=sys.stderr)

    train_model: nn.Module = model
    if dist_ctx.active:
        from torch.nn.parallel import DistributedDataParallel

        train_model = DistributedDataParallel(
            model,
            device_ids=[dev.index] if dev.type == "cuda" else None,
            find_unused_parameters=cfg.find_unused_parameters,
        )
    batcher = _Batcher(dev, cfg, channels_last)

    def all_reduce_sum(values: list[float]) -> list[float]:
        if not dist_ctx.active:
            return values
        import torch.distributed as dist

        t = torch.tensor(values, dtype=torch.float64, device=dev)
        dist.all_reduce(t)
        return t.tolist()

    def gather(obj: Any) -> list[Any]:
        if not dist_ctx.active:
            return [obj]
        import torch.distributed as dist

        out: list[Any] = [None] * world
        dist.all_gather_object(out, obj)
        return out

    def write_checkpoint(epoch: int, is_best: bool) -> None:
        if ckpt_dir is None or not is_main:
            return
        state = {
            "format": CHECKPOINT_FORMAT,
            "epoch": epoch,
            "model": model.state_dict(),
            "model_class": model_class,
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict() if scheduler is not None else None,
            "rng": _rng_state(),
            "history": history,
            "config": _config_dict(cfg),
            "best": {"srcc": None if best_epoch is None else best_srcc, "epoch": best_epoch},
            "param_groups": signature,
            "steps_per_epoch": steps,
            "world_size": world,
            "torch_version": str(torch.__version__),
        }
        buf = io.BytesIO()
        torch.save(state, buf)
        data = buf.getvalue()
        assert last_path is not None and best_path is not None
        atomic_write_bytes(last_path, data)
        if is_best:
            atomic_write_bytes(best_path, data)
        atomic_write_text(ckpt_dir / "history.csv", pd.DataFrame(history).to_csv(index=False))

    settings = {
        "num_workers": workers,
        "pin_memory": pin,
        "deterministic": deterministic,
        "local_batch_size": local_batch,
        "steps_per_epoch": steps,
        "dropped_per_epoch": len(train_data) - steps * cfg.batch_size,
        "schedule": "custom" if scheduler_factory is not None else cfg.schedule,
        "optimizer": type(optimizer).__name__,
        "peak_lr": peak_lrs,
    }
    stopped = False
    with _determinism(deterministic, dev.type):
        for epoch in range(start_epoch, cfg.epochs):
            _seed_everything(cfg.seed, epoch, rank)
            sampler.set_epoch(epoch)
            loader_gen.manual_seed(_derive_seed(cfg.seed, epoch, rank, 4))
            train_model.train()
            bar = tqdm(
                total=steps,
                desc=f"epoch {epoch + 1}/{cfg.epochs}",
                disable=not (progress and is_main and progress_bars()),
                file=sys.stderr,
                leave=False,
                mininterval=1.0,
            )
            t0 = time.perf_counter()
            loss_sum = torch.zeros((), dtype=torch.float64, device=dev)
            n_seen = 0
            last_report = t0
            for step, batch in enumerate(train_loader):
                b = batcher(batch)
                with _autocast(dev.type, amp):
                    out = fwd(train_model, b)
                    loss = loss_function(out, b)
                if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
                    shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
                    raise ValueError(f"loss_fn must return a scalar tensor (the batch mean), got {shape}")
                if not loss.requires_grad:
                    raise ValueError("the loss does not depend on any trainable parameter (requires_grad is False)")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.grad_clip_norm is not None:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip_norm)
                step_lrs = [g["lr"] for g in optimizer.param_groups]
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                bs = _batch_len(b, cfg.image_key)
                loss_sum += loss.detach().double() * bs
                n_seen += bs
                bar.update(1)
                now = time.perf_counter()
                if bar.disable is False and (now - last_report > 1.0 or step == steps - 1):
                    value = float(loss_sum) / n_seen
                    bar.set_postfix(loss=f"{value:.4g}", refresh=False)
                    last_report = now
            if dev.type == "cuda":
                torch.cuda.synchronize(dev)
            train_s = time.perf_counter() - t0
            bar.close()
            total_loss, total_n = all_reduce_sum([float(loss_sum), float(n_seen)])
            train_loss = total_loss / total_n
            if not math.isfinite(train_loss):
                raise FloatingPointError(
                    f"training loss is {train_loss} in epoch {epoch + 1}; the checkpoint of "
                    f"epoch {epoch} is kept (lower the learning rates or check the targets)"
                )
            row: dict[str, Any] = {"epoch": epoch + 1, "train_loss": train_loss}
            t1 = time.perf_counter()
            if val_loader is not None:
                vbar = tqdm(
                    total=len(val_loader),
                    desc="validate",
                    disable=not (progress and is_main and progress_bars()),
                    file=sys.stderr,
                    leave=False,
                    mininterval=1.0,
                )
                part = _run_eval(
                    model,
                    val_loader,
                    batcher,
                    fwd,
                    score_fn,
                    loss_function if val_loss else None,
                    cfg.target_key,
                    amp,
                    vbar,
                    grad=eval_grad,
                )
                vbar.close()
                parts = [p for p in gather(part) if p["n"] > 0]  # a rank may hold no validation item
                if any(p["target"] is None for p in parts):
                    raise KeyError(
                        f"val_data items have no target {cfg.target_key!r} to compute SRCC / PLCC with; "
                        "set TrainConfig.target_key"
                    )
                pred = np.concatenate([p["pred"] for p in parts])
                idx = np.concatenate([p["index"] for p in parts])
                order = np.argsort(idx, kind="stable")
                target = (
                    np.concatenate([p["target"] for p in parts])[order]
                    if all(p["target"] is not None for p in parts)
                    else None
                )
                pred = pred[order]
                row["val_loss"] = (
                    sum(p["loss_sum"] for p in parts) / max(1, sum(p["n"] for p in parts)) if val_loss else math.nan
                )
                row["val_srcc"], row["val_plcc"] = _correlations(pred, target, epoch + 1)
            else:
                row.update(val_loss=math.nan, val_srcc=math.nan, val_plcc=math.nan)
            val_s = time.perf_counter() - t1
            for name, lr in zip(group_names, step_lrs):
                row[f"lr_{name}"] = float(lr)
            row.update(train_s=train_s, val_s=val_s, images_per_s=total_n / train_s if train_s > 0 else math.nan)
            history.append(row)
            is_best = math.isfinite(row["val_srcc"]) and row["val_srcc"] > best_srcc
            if is_best:
                best_srcc, best_epoch = row["val_srcc"], epoch + 1
            write_checkpoint(epoch + 1, is_best)
            if is_main and progress:
                tqdm.write(
                    f"epoch {epoch + 1}/{cfg.epochs}: train_loss {train_loss:.4g}, val_srcc "
                    f"{row['val_srcc']:.4f}, val_plcc {row['val_plcc']:.4f}, "
                    f"{row['images_per_s']:.1f} images/s{' (best)' if is_best else ''}",
                    file=sys.stderr,
                )
            if dist_ctx.active:
                import torch.distributed as dist

                dist.barrier()
            try:
                for cb in callbacks:
                    cb(EpochEnd(epoch + 1, dict(row), is_best, model, rank))
            except StopTraining:
                stopped = True
            if stopped:
                break

    table = pd.DataFrame(history)
    return TrainResult(
        history=table,
        model=model,
        best_epoch=best_epoch,
        best_val_srcc=None if best_epoch is None else float(best_srcc),
        last_checkpoint=last_path if last_path is not None and last_path.is_file() else None,
        best_checkpoint=best_path if best_path is not None and best_path.is_file() else None,
        resumed_from_epoch=resumed_from,
        device=str(dev),
        world_size=world,
        amp=amp,
        channels_last=channels_last,
        settings=settings,
    )
