"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from saliqa import paths, runner


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real-data folder (``../shared/data``); skips the test with a reason when absent."""
    root = paths.shared_data_root()
    if not root.is_dir():
        pytest.skip(f"shared real data not found at {root} (set SALIQA_SHARED_DATA or place ../shared/data)")
    return root


def require(path: Path) -> Path:
    """Skip the calling test with a reason if ``path`` does not exist."""
    if not path.exists():
        pytest.skip(f"required data file not found: {path}")
    return path


def tid2013_calibration(shared_data: Path, names) -> tuple:
    """The TID2013 calibration set: official metric values (rows: metric) and ``{name: (ref, dist)}`` uint8 RGB.

    Skips the calling test with a reason when a file is missing.
    """
    import numpy as np
    import pandas as pd
    from PIL import Image

    root = shared_data / "tid2013-calibration" / "ResultsCalibra"
    official = pd.read_csv(require(root / "results_official.csv"), index_col=0)
    pairs = {
        name: (
            np.asarray(Image.open(require(root / "ref_dir" / name))),
            np.asarray(Image.open(require(root / "dist_dir" / name))),
        )
        for name in names
    }
    return official, pairs


def notebook_kernel() -> str:
    """The Jupyter kernel the notebooks run on: ``saliqa`` when registered, else ``python3``."""
    from jupyter_client.kernelspec import find_kernel_specs

    return "saliqa" if "saliqa" in find_kernel_specs() else "python3"


@pytest.fixture(scope="session")
def smoke_runs(tmp_path_factory) -> dict[str, tuple[runner.NotebookResult, Path]]:
    """Execute every notebook once with the smoke profile (builtin data) into a temp report root.

    The index page of that root is written too (``root / "index.html"``).
    """
    root = tmp_path_factory.mktemp("reports") / "smoke"
    notebooks = runner.select_notebooks([])
    results = {
        nb.stem: runner.run_notebook(nb, "smoke", None, kernel=notebook_kernel(), report_root=root) for nb in notebooks
    }
    runner.write_index(list(results.values()), "smoke", root, notebooks)
    return {stem: (result, root) for stem, result in results.items()}
