"""One notebook run's output folder: figures, tables, metrics.json and the scorecard.

Layout (what ``run_all.sh`` links from ``reports/<profile>/index.html``)::

    <out_dir>/metrics.json     run facts, flat metrics, scorecard rows
    <out_dir>/scorecard.csv    paper vs obtained, per claim
    <out_dir>/figures/*.png
    <out_dir>/tables/*.csv

``out_dir=None`` (interactive use) writes to ``reports/interactive/<stem>/``.
"""

from __future__ import annotations

import math
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from saliqa import paths
from saliqa.io import atomic_write_text, write_json
from saliqa.scorecard import Scorecard

__all__ = ["Run", "start_run", "resolve_device", "data_mode_banner"]

PROFILES = ("smoke", "default", "full")


def resolve_device(device: str = "auto") -> str:
    """``"auto"`` -> ``"cuda"`` when a GPU is usable, else ``"cpu"``; other values checked."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} requested but torch.cuda.is_available() is False")
    if not (device == "cpu" or device.startswith("cuda") or device == "mps"):
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda[:n]' or 'mps', got {device!r}")
    return device


def data_mode_banner(data_dir: str | None, simulated_observers: bool) -> str:
    """The first line a notebook prints: which data it runs on, and whether observers are simulated."""
    if data_dir is None:
        where = "BUILTIN data (real photographs from scikit-image, real distortions)"
    else:
        where = f"data_root = {data_dir}"
    if simulated_observers:
        return (
            f"{where}. OBSERVERS ARE SIMULATED from a documented generative model: the numbers "
            "below test that the planted effects are recovered; they are NOT the paper's results."
        )
    return f"{where}. Observers are real human data."


@dataclass
class Run:
    """Collects a notebook run's outputs; ``finish`` writes ``metrics.json`` and the scorecard."""

    stem: str
    out_dir: Path
    profile: str
    data: str
    simulated_observers: bool
    seed: int
    params: dict[str, Any]
    started: float = field(default_factory=time.perf_counter)
    metrics: dict[str, Any] = field(default_factory=dict)
    scorecard: Scorecard = field(default_factory=Scorecard)
    figures: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)

    @property
    def figures_dir(self) -> Path:
        return self.out_dir / "figures"

    @property
    def tables_dir(self) -> Path:
        return self.out_dir / "tables"

    def figure(self, fig, name: str) -> Path:
        """Save a matplotlib figure as ``figures/<name>.png`` (atomic) and return the path."""
        from saliqa.plots import save_figure

        saved = save_figure(fig, self.figures_dir, name)
        path = Path(saved[0]) if isinstance(saved, (list, tuple)) else Path(saved)
        self.figures.append(path.name)
        return path

    def table(self, frame: pd.DataFrame, name: str, index: bool = False) -> Path:
        """Save a table as ``tables/<name>.csv`` (atomic) and return the path."""
        path = self.tables_dir / f"{name}.csv"
        atomic_write_text(path, frame.to_csv(index=index))
        self.tables.append(path.name)
        return path

    def record(self, **values: Any) -> None:
        """Add flat metrics (numbers, strings, small lists) to ``metrics.json``."""
        self.metrics.update(values)

    def finish(self) -> dict[str, Any]:
        """Write ``scorecard.csv`` and ``metrics.json``; return the metrics document."""
        card = self.scorecard.to_frame()
        atomic_write_text(self.out_dir / "scorecard.csv", card.to_csv(index=False))
        non_finite = [k for k, v in self.metrics.items() if isinstance(v, float) and not math.isfinite(v)]
        doc = {
            "notebook": self.stem,
            "profile": self.profile,
            "data": self.data,
            "simulated_observers": self.simulated_observers,
            "seed": self.seed,
            "params": self.params,
            "runtime_s": round(time.perf_counter() - self.started, 2),
            "python": platform.python_version(),
            "metrics": self.metrics,
            "non_finite_metrics": non_finite,
            "scorecard": card.to_dict(orient="records"),
            "scorecard_summary": self.scorecard.summary(),
            "figures": sorted(set(self.figures)),
            "tables": sorted(set(self.tables)),
        }
        write_json(self.out_dir / "metrics.json", doc)
        return doc


def start_run(
    stem: str,
    *,
    profile: str,
    data_dir: str | None,
    seed: int,
    out_dir: str | None = None,
    simulated_observers: bool,
    params: dict[str, Any] | None = None,
) -> Run:
    """Create the output folder of a notebook run (``reports/interactive/<stem>`` by default)."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
    folder = Path(out_dir) if out_dir else paths.reports_dir("interactive") / stem
    for sub in ("", "figures", "tables"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return Run(
        stem=stem,
        out_dir=folder.resolve(),
        profile=profile,
        data="builtin" if data_dir is None else str(data_dir),
        simulated_observers=simulated_observers,
        seed=int(seed),
        params=dict(params or {}),
    )
