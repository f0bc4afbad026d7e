"""Lint and format: ruff, configured in pyproject.toml (pycodestyle, pyflakes, isort, bugbear,
pyupgrade, numpydoc-style docstrings), over the library, tests, benchmarks, scripts and the
notebooks' py:percent sources."""

from __future__ import annotations

import subprocess
import sys

import pytest

from saliqa import paths

TARGETS = ["lib", "tests", "benchmarks", "scripts", "notebooks/src"]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    try:
        import ruff  # noqa: F401
    except ImportError:
        pytest.fail("ruff is not installed (it is in requirements-lock.txt and the test extra)")
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, *TARGETS], cwd=paths.repo_root(), capture_output=True, text=True
    )


def test_ruff_check():
    proc = _ruff("check", "--output-format", "concise")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_ruff_format():
    proc = _ruff("format", "--check")
    assert proc.returncode == 0, "run `ruff format` on:\n" + proc.stdout[-4000:] + proc.stderr[-2000:]
