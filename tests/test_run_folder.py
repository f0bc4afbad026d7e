"""A run's output folder holds that run's outputs only; report files are readable by others."""

from __future__ import annotations

import json
import os

import nbformat
import pytest
import yaml
from conftest import notebook_kernel

from saliqa import plots, runner, runs
from saliqa.io import atomic_write_bytes, atomic_write_text


def _umask_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def test_clear_run_folder_empties_only_run_folders(tmp_path):
    folder = runs.clear_run_folder(tmp_path / "new")
    assert sorted(p.name for p in folder.iterdir()) == [runs.RUN_MARKER]
    (folder / "figures").mkdir()
    (folder / "figures" / "old.png").write_bytes(b"x")
    (folder / "metrics.json").write_text("{}")
    runs.clear_run_folder(folder)
    assert sorted(p.name for p in folder.iterdir()) == [runs.RUN_MARKER]
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    with pytest.raises(ValueError, match="no .saliqa-run marker"):
        runs.clear_run_folder(foreign)
    assert (foreign / "thesis.tex").read_text() == "precious"
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="not a folder"):
        runs.clear_run_folder(tmp_path / "file")


def test_start_run_starts_from_an_empty_folder(tmp_path):
    out = tmp_path / "o"
    run = runs.start_run("99_x", profile="smoke", data_dir=None, seed=0, out_dir=str(out), simulated_observers=False)
    run.table(__import__("pandas").DataFrame({"a": [1]}), "stale")
    run.finish()
    runs.start_run("99_x", profile="smoke", data_dir=None, seed=0, out_dir=str(out), simulated_observers=False)
    assert not (out / "metrics.json").exists() and not (out / "tables" / "stale.csv").exists()


def test_written_files_get_the_umask_mode(tmp_path):
    from matplotlib.figure import Figure

    mode = _umask_mode()
    assert atomic_write_text(tmp_path / "a.csv", "x").stat().st_mode & 0o777 == mode
    assert atomic_write_bytes(tmp_path / "b.bin", b"x").stat().st_mode & 0o777 == mode
    fig = Figure()
    fig.add_subplot().plot([0, 1])
    (png,) = plots.save_figure(fig, tmp_path, "f")
    assert png.stat().st_mode & 0o777 == mode
    run = runs.start_run(
        "99_x", profile="smoke", data_dir=None, seed=0, out_dir=str(tmp_path / "r"), simulated_observers=False
    )
    run.figure(fig, "g")
    run.finish()
    for name in ("metrics.json", "scorecard.csv", "figures/g.png"):
        assert (tmp_path / "r" / name).stat().st_mode & 0o777 == mode, name


_TINY = [
    ("parameters", 'profile = "smoke"\ndata_dir = None\ndevice = "auto"\nseed = 0\nout_dir = None\nfail = False'),
    (
        "",
        "from matplotlib.figure import Figure\nfrom saliqa import runs\n"
        'run = runs.start_run("99_tiny", profile=profile, data_dir=data_dir, seed=seed, out_dir=out_dir,\n'
        "                     simulated_observers=False)\n"
        "fig = Figure()\nfig.add_subplot().plot([0, 1])\n"
        'run.figure(fig, "second" if fail else "first")\n'
        'if fail:\n    raise RuntimeError("planned failure")\n'
        "run.finish()",
    ),
]


def test_failed_rerun_leaves_no_stale_results(tmp_path, monkeypatch):
    """ok run, then a failing run: the folder has only the failed run's files, the index says failed."""
    nb = nbformat.v4.new_notebook()
    for tag, code in _TINY:
        cell = nbformat.v4.new_code_cell(code)
        if tag:
            cell.metadata["tags"] = [tag]
        nb.cells.append(cell)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# 99 Tiny test notebook"))
    nb.metadata["kernelspec"] = {"name": notebook_kernel(), "display_name": "Python", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    notebook = tmp_path / "99_tiny.ipynb"
    nbformat.write(nb, notebook)
    params = tmp_path / "params" / "smoke"
    params.mkdir(parents=True)
    monkeypatch.setattr(runner.paths, "params_dir", lambda profile: tmp_path / "params" / profile)
    root = tmp_path / "reports" / "smoke"

    (params / "99_tiny.yaml").write_text(yaml.safe_dump({"fail": False}))
    first = runner.run_notebook(notebook, "smoke", None, kernel=notebook_kernel(), report_root=root)
    runner.write_index([first], "smoke", root, [notebook])
    assert first.status == "ok", first.message
    assert (root / "99_tiny" / "figures" / "first.png").is_file() and (root / "99_tiny" / "metrics.json").is_file()

    (params / "99_tiny.yaml").write_text(yaml.safe_dump({"fail": True}))
    second = runner.run_notebook(notebook, "smoke", None, kernel=notebook_kernel(), report_root=root)
    page = runner.write_index([second], "smoke", root, [notebook]).read_text()
    assert second.status == "failed" and "planned failure" in second.message
    out = root / "99_tiny"
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == [runs.RUN_MARKER, "figures/second.png"], files
    entry = json.loads((root / "index.json").read_text())["99_tiny"]
    assert entry["status"] == "failed" and entry["scorecard"] == [] and entry["figures"] == []
    assert "FAILED" in page and "planned failure" in page and "99 Tiny test notebook" in page
    assert (root / "99_tiny.html").is_file()  # the failed notebook's report shows the traceback
    assert (root / "99_tiny.html").stat().st_mode & 0o777 == _umask_mode()
