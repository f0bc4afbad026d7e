"""One notebook run's output folder: figures, tables, metrics.json and the scorecard.

Layout (what ``run_all.sh`` links from ``reports/<profile>/index.html``)::

    <out_dir>/metrics.json     run facts, flat metrics, scorecard rows
    <out_dir>/scorecard.csv    paper vs obtained, per claim
    <out_dir>/figures/*.png
    <out_dir>/tables/*.csv

``out_dir=None`` (interactive use) writes to ``reports/interactive/<stem>/``.

A run's folder holds that run's outputs and nothing else: :func:`start_run` (and the runner,
before it starts the kernel) empties it with :func:`clear_run_folder`. A folder is only ever
emptied when a saliqa run made it (it holds the marker file :data:`RUN_MARKER`) or when it is
empty, so a mistyped ``out_dir`` never deletes someone's files.

Figures go through :meth:`Run.figure`, the one path by which a notebook shows them: the figure is
saved as PNG and that file's bytes are displayed as an ``image/png`` output, identical in
JupyterLab, in papermill's executed notebooks and in the HTML reports.
"""

from __future__ import annotations

import math
import platform
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from saliqa import paths
from saliqa.io import atomic_write_text, write_json
from saliqa.scorecard import Scorecard, load_reference

__all__ = [
    "Run",
    "start_run",
    "configure_display",
    "clear_run_folder",
    "resolve_device",
    "data_mode_banner",
    "RUN_MARKER",
]

PROFILES = ("smoke", "default", "full")
RUN_MARKER = ".saliqa-run"
"""File that marks a folder as a saliqa run's output folder (so it may be emptied)."""


def configure_display(max_colwidth: int = 200, precision: int = 4, max_columns: int = 40) -> None:
    """Pandas display options for readable reports: whole cell texts, 4 significant decimals.

    pandas' defaults cut text cells at 50 characters ("IQA-task maps are broader th...") and
    show 6 decimals; the HTML reports are read, so :func:`start_run` sets these for every notebook.
    """
    pd.set_option("display.max_colwidth", max_colwidth)
    pd.set_option("display.precision", precision)
    pd.set_option("display.max_columns", max_columns)


def clear_run_folder(folder: str | Path) -> Path:
    """Empty a run's output folder (create it when missing) and mark it as a run folder.

    Parameters
    ----------
    folder
        The output folder.

    Returns
    -------
    Path
        The folder, now holding only :data:`RUN_MARKER`.

    Raises
    ------
    ValueError
        If the folder holds files but no :data:`RUN_MARKER` (it was not made by a saliqa run),
        or is not a folder.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"run output folder {folder} exists and is not a folder")
    if folder.is_dir():
        entries = list(folder.iterdir())
        if entries and not (folder / RUN_MARKER).is_file():
            raise ValueError(
                f"run output folder {folder} holds {len(entries)} entries but no {RUN_MARKER} marker: it was not "
                "made by a saliqa run, so it is not emptied; choose an empty or new folder as out_dir"
            )
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / RUN_MARKER, "output folder of a saliqa notebook run; emptied at each run\n")
    return folder


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
    title: str = ""
    claim: str = ""
    seed_file: str = ""
    datasets: list[str] = field(default_factory=list)
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

    def figure(self, fig, name: str, *, show: bool = True) -> Path:
        """Save ``fig`` as ``figures/<name>.png`` (atomic) and show that PNG once.

        Parameters
        ----------
        fig
            A matplotlib figure.
        name
            File stem, unique within the run.
        show
            Display the saved PNG as the cell's ``image/png`` output (inside IPython).

        Returns
        -------
        Path
            The saved file.

        Raises
        ------
        ValueError
            If ``name`` was already used in this run (a figure would be overwritten).
        """
        from saliqa.plots import save_figure, show_png

        if f"{name}.png" in self.figures:
            raise ValueError(f"figure name {name!r} used twice in this run; each figure needs its own name")
        path = save_figure(fig, self.figures_dir, name)[0]
        self.figures.append(path.name)
        if show:
            show_png(path.read_bytes(), name=path.name)
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
            "title": self.title,
            "claim": self.claim,
            "seed_file": self.seed_file,
            "datasets": list(self.datasets),
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
    title: str = "",
    claim: str = "",
    seed_file: str = "",
    datasets: list[str] | None = None,
) -> Run:
    """Start a notebook run: an emptied output folder and a scorecard bound to the reference.

    Parameters
    ----------
    stem
        Notebook stem; ``data/reference/<stem>.csv`` holds its claims when it has any.
    profile, data_dir, seed, params
        The run's parameters (recorded in ``metrics.json``).
    out_dir
        Output folder (default ``reports/interactive/<stem>``), emptied by
        :func:`clear_run_folder`.
    simulated_observers
        Whether the observers are simulated (recorded, and shown on the index page).
    title, claim, seed_file
        The study's title, the claim under test and the seed file, for the index page.
    datasets
        Names of the data sources used (e.g. ``["osie", "bubbleview"]``), for the index page.
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
    folder = clear_run_folder(Path(out_dir) if out_dir else paths.reports_dir("interactive") / stem)
    configure_display()
    for sub in ("figures", "tables"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    try:
        reference = load_reference(stem)
    except FileNotFoundError:
        reference = None
    return Run(
        stem=stem,
        out_dir=folder.resolve(),
        profile=profile,
        data="builtin" if data_dir is None else str(data_dir),
        simulated_observers=simulated_observers,
        seed=int(seed),
        params=dict(params or {}),
        title=title,
        claim=claim,
        seed_file=seed_file,
        datasets=list(datasets or []),
        scorecard=Scorecard(reference),
    )
