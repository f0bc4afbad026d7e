"""Notebook tests: papermill runs each notebook with the smoke profile and we assert on its
metrics.json; nbval then re-executes the executed notebook and checks that the cells marked
``# NBVAL_CHECK_OUTPUT`` reproduce exactly (determinism), with sanitisers for timings/paths."""

from __future__ import annotations

import ast
import base64
import json
import math
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from saliqa import paths, runner

pytestmark = pytest.mark.notebook

NOTEBOOKS = runner.select_notebooks([])
IDS = [nb.stem for nb in NOTEBOOKS]
TESTS_DIR = Path(__file__).resolve().parent


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str, list[str]]]:
    return [(c.cell_type, c.source.strip(), list(c.metadata.get("tags", []))) for c in nb.cells]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_sources_in_sync(notebook: Path):
    """Each notebook is paired by jupytext with its py:percent source and holds the same cells."""
    import jupytext

    source = notebook.parent / "src" / f"{notebook.stem}.py"
    assert source.is_file(), f"{source} missing: pair it with jupytext --set-formats ipynb,src//py:percent"
    nb = nbformat.read(notebook, as_version=4)
    assert nb.metadata.get("jupytext", {}).get("formats") == "ipynb,src//py:percent", "not paired by jupytext"
    text = jupytext.read(source, fmt="py:percent")
    assert _cells(nb) == _cells(text), f"{notebook.name} and {source.name} differ: run jupytext --sync {notebook}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_anatomy(notebook: Path):
    nb = nbformat.read(notebook, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    tree = ast.parse(tagged[0].source)
    names = set()
    for node in tree.body:
        assert isinstance(node, ast.Assign), "parameters cell holds only assignments"
        ast.literal_eval(node.value)  # literals only
        names.update(t.id for t in node.targets)
    assert {"profile", "data_dir", "device", "seed", "out_dir"} <= names
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "stored without outputs"
    assert nb.cells[0].cell_type == "markdown" and "seed" in nb.cells[0].source.lower()
    for profile in ("smoke", "default", "full"):
        assert (paths.params_dir(profile) / f"{notebook.stem}.yaml").is_file()


@pytest.mark.parametrize("stem", IDS)
def test_smoke_run_metrics(stem, smoke_runs):
    result, root = smoke_runs[stem]
    assert result.status == "ok", result.message
    doc = json.loads((root / stem / "metrics.json").read_text())
    for key in ("notebook", "profile", "data", "simulated_observers", "metrics", "scorecard", "runtime_s"):
        assert key in doc
    assert doc["profile"] == "smoke" and doc["data"] == "builtin"
    assert doc["non_finite_metrics"] == []
    for key, value in doc["metrics"].items():
        if isinstance(value, float):
            assert math.isfinite(value), key
    failed = [row["label"] for row in doc["scorecard"] if row["passed"] is False and row.get("scope") != "finding"]
    assert not failed, f"scorecard claims not recovered: {failed}"
    for name in doc["figures"]:
        assert (root / stem / "figures" / name).stat().st_size > 1000
    assert (root / f"{stem}.html").stat().st_size > 10_000


@pytest.mark.parametrize("stem", IDS)
def test_nbval_reproduces_marked_cells(stem, smoke_runs):
    result, root = smoke_runs[stem]
    executed = root / f"{stem}.ipynb"
    assert executed.is_file(), result.message
    n_marked = sum("NBVAL_CHECK_OUTPUT" in c.source for c in nbformat.read(executed, as_version=4).cells)
    assert n_marked >= 1, "at least one result cell is marked for nbval"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            "--nbval-current-env",
            "--nbval-sanitize-with",
            str(TESTS_DIR / "nbval_sanitize.cfg"),
            str(executed),
        ],
        capture_output=True,
        text=True,
        cwd=str(paths.notebooks_dir()),
        timeout=600,
        env={**__import__("os").environ, "MPLBACKEND": "Agg"},
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


@pytest.mark.parametrize("stem", IDS)
def test_every_figure_shown_once_as_image(stem, smoke_runs):
    """Each figure of metrics.json is an image/png output (the saved file's bytes) exactly once, the
    HTML embeds it, and no output is the text '<Figure size ...>'."""
    result, root = smoke_runs[stem]
    doc = json.loads((root / stem / "metrics.json").read_text())
    nb = nbformat.read(root / f"{stem}.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    pngs = [o["data"]["image/png"].replace("\n", "") for o in outputs if "image/png" in o.get("data", {})]
    page = (root / f"{stem}.html").read_text()
    assert doc["figures"], "each notebook makes at least one figure"
    for name in doc["figures"]:
        encoded = base64.b64encode((root / stem / "figures" / name).read_bytes()).decode()
        assert pngs.count(encoded) == 1, f"{name}: shown {pngs.count(encoded)} times as image/png"
        assert f"data:image/png;base64,{encoded}" in page, f"{name}: not embedded in {stem}.html"
    assert len(pngs) == len(doc["figures"]), "an image output that is not a saved figure"
    texts = [str(o.get("data", {}).get("text/plain", "")) + str(o.get("text", "")) for o in outputs]
    assert not [t for t in texts if "<Figure size" in t]
    assert "&lt;Figure size" not in page
