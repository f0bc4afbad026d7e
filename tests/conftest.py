"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from saliqa import paths


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
