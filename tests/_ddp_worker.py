"""Tiny models and data for the training-loop tests, and the script ``torchrun`` runs in them.

Run as ``torchrun --standalone --nproc_per_node=2 tests/_ddp_worker.py OUT_DIR [EPOCHS]``: every
rank builds the same tiny model (seeded) and data, trains with :func:`saliqa.train.fit` (gloo on
CPU), and rank 0 saves the final weights and history to ``OUT_DIR/final.pt``; checkpoints go to
``OUT_DIR/ckpt``. The test runs the same in one process and compares.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

from saliqa.train import TrainConfig


class TinyNet(nn.Module):
    """Two convolutions, global average pooling and a linear head; BatchNorm-free."""

    def __init__(self, width: int = 4, dropout: float = 0.0) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * width, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def tiny_model(seed: int = 0, **kwargs: float) -> TinyNet:
    torch.manual_seed(seed)
    return TinyNet(**kwargs)


class DictData:
    """Items ``{"image": uint8 (3, S, S), "mos": float32}``; the MOS follows the mean brightness."""

    def __init__(self, n: int, size: int = 12, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        level = rng.uniform(30, 220, size=n)
        noise = rng.normal(0, 25, size=(n, 3, size, size))
        self.images = torch.from_numpy(np.clip(level[:, None, None, None] + noise, 0, 255).astype(np.uint8))
        self.mos = torch.from_numpy((level / 255 * 4 + 1 + rng.normal(0, 0.2, n)).astype(np.float32))

    def __len__(self) -> int:
        return len(self.mos)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"image": self.images[i], "mos": self.mos[i]}


DDP_CONFIG = TrainConfig(epochs=2, batch_size=8, lr_body=3e-3, lr_head=3e-2, seed=3, num_workers=0)
DDP_TRAIN_N, DDP_VAL_N = 36, 10  # 36 = 4 full global batches of 8 and 4 left over (dropped)


def run(out_dir: Path, epochs: int = 2) -> dict:
    """Train the tiny model as the DDP test does; returns the fit result's pieces."""
    from dataclasses import replace

    from saliqa.train import fit

    config = replace(DDP_CONFIG, epochs=epochs)
    result = fit(
        tiny_model(0),
        DictData(DDP_TRAIN_N, seed=1),
        DictData(DDP_VAL_N, seed=2),
        config=config,
        checkpoint_dir=out_dir / "ckpt",
        device="cpu",
        progress=False,
    )
    return {
        "state": {k: v.detach().clone() for k, v in result.model.state_dict().items()},
        "history": result.history.to_dict("list"),
        "world_size": result.world_size,
    }


if __name__ == "__main__":
    torch.set_num_threads(1)
    out = Path(sys.argv[1])
    res = run(out, int(sys.argv[2]) if len(sys.argv) > 2 else 2)
    import torch.distributed as dist

    rank = dist.get_rank() if dist.is_initialized() else 0
    if rank == 0:
        torch.save(res, out / "final.pt")
