"""Project paths, found from this file's location (never from the working directory).

The package lives in ``<repo>/lib/saliqa``; every folder the notebooks read or write is derived
from that. ``SALIQA_SHARED_DATA`` overrides where the shared real data (``../shared/data``) is
looked for; ``SALIQA_CACHE`` overrides the builtin-data cache folder.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "repo_root",
    "data_dir",
    "cache_dir",
    "reference_dir",
    "reports_dir",
    "notebooks_dir",
    "params_dir",
    "shared_data_root",
    "dataset_dir",
]


def repo_root() -> Path:
    """The repository root (two levels above the package folder ``lib/saliqa``)."""
    return Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """``<repo>/data``: dataset README, paper reference values, builtin cache."""
    return repo_root() / "data"


def cache_dir() -> Path:
    """Folder for generated builtin data (git-ignored); ``SALIQA_CACHE`` overrides it."""
    env = os.environ.get("SALIQA_CACHE")
    path = Path(env) if env else data_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def reference_dir() -> Path:
    """``<repo>/data/reference``: values transcribed from the papers, for the scorecards."""
    return data_dir() / "reference"


def reports_dir(profile: str | None = None) -> Path:
    """``<repo>/reports`` or ``<repo>/reports/<profile>`` (not created here)."""
    root = repo_root() / "reports"
    return root / profile if profile else root


def notebooks_dir() -> Path:
    """``<repo>/notebooks``."""
    return repo_root() / "notebooks"


def params_dir(profile: str) -> Path:
    """``<repo>/params/<profile>`` holding one papermill YAML per notebook."""
    return repo_root() / "params" / profile


def shared_data_root() -> Path:
    """Where the shared real third-party data is expected (``<repo>/../shared/data``).

    ``SALIQA_SHARED_DATA`` overrides it. The folder may be absent (a user's clone); callers
    check ``.is_dir()``.
    """
    env = os.environ.get("SALIQA_SHARED_DATA")
    return Path(env) if env else repo_root().parent / "shared" / "data"


def dataset_dir(data_root: str | os.PathLike[str] | None, name: str) -> Path:
    """The folder of dataset ``name`` (e.g. ``"osie"``) under ``data_root``.

    Raises
    ------
    ValueError
        If ``data_root`` is None (builtin data has no dataset folders).
    FileNotFoundError
        If ``data_root/name`` does not exist; the message names the expected folder and points
        to ``data/README.md`` for the layout.
    """
    if data_root is None:
        raise ValueError(f"dataset {name!r} needs a data_root; None means builtin data")
    path = Path(data_root).expanduser().resolve() / name
    if not path.is_dir():
        raise FileNotFoundError(
            f"dataset folder {str(path)!r} not found: expected '{name}/' under data_root "
            f"{str(data_root)!r} (layout documented in data/README.md)"
        )
    return path
