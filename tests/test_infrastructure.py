"""paths, canonical tables, atomic IO, scorecard, run folders, notebook runner helpers."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from saliqa import paths, runner
from saliqa.datasets import tables
from saliqa.io import to_jsonable, write_json
from saliqa.runs import data_mode_banner, resolve_device, start_run


def test_paths_found_from_package_file():
    root = paths.repo_root()
    assert (root / "lib" / "saliqa" / "paths.py").is_file()
    assert paths.data_dir() == root / "data"
    assert paths.params_dir("smoke") == root / "params" / "smoke"
    assert paths.reports_dir("smoke") == root / "reports" / "smoke"


def test_cache_dir_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv("SALIQA_CACHE", str(tmp_path / "c"))
    assert paths.cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()


def test_dataset_dir_errors(tmp_path):
    with pytest.raises(ValueError, match="needs a data_root"):
        paths.dataset_dir(None, "osie")
    with pytest.raises(FileNotFoundError, match="expected 'osie/' under data_root"):
        paths.dataset_dir(tmp_path, "osie")
    (tmp_path / "osie").mkdir()
    assert paths.dataset_dir(tmp_path, "osie") == (tmp_path / "osie").resolve()


def _fixations(**over):
    base = dict(
        image_id=["a", "a"],
        observer_id=[1, 2],
        x=[1.0, 2.0],
        y=[3.0, 4.0],
        source=["eye", "click"],
        task=["free", "iqa"],
    )
    base.update(over)
    return pd.DataFrame(base)


def test_tables_validate_accepts_and_names_problems():
    assert tables.validate(_fixations(), "fixations", "f.csv") is not None
    with pytest.raises(ValueError, match=r"f.csv: missing column\(s\) \['task'\]"):
        tables.validate(_fixations().drop(columns="task"), "fixations", "f.csv")
    with pytest.raises(ValueError, match=r"f.csv: row 1 field 'x' = nan is not a finite number"):
        tables.validate(_fixations(x=[1.0, np.nan]), "fixations", "f.csv")
    with pytest.raises(ValueError, match=r"row 0 field 'source' = 'gaze'"):
        tables.validate(_fixations(source=["gaze", "eye"]), "fixations", "f.csv")
    with pytest.raises(ValueError, match="unknown table kind"):
        tables.validate(_fixations(), "nope")
    assert list(tables.empty("ratings").columns) == ["image_id", "rater_id", "score"]


def test_to_jsonable_and_write_json(tmp_path):
    doc = {"a": np.float32(1.5), "b": np.arange(3), "c": float("nan"), "d": np.bool_(True), 5: np.int64(7)}
    assert to_jsonable(doc) == {"a": 1.5, "b": [0, 1, 2], "c": None, "d": True, "5": 7}
    path = write_json(tmp_path / "x" / "m.json", doc)
    assert json.loads(path.read_text())["b"] == [0, 1, 2]
    assert not list((tmp_path / "x").glob(".m.json.*"))  # no temp file left


def test_run_writes_metrics_and_scorecard(tmp_path):
    run = start_run(
        "99_x",
        profile="smoke",
        data_dir=None,
        seed=3,
        out_dir=str(tmp_path / "o"),
        simulated_observers=True,
        params={"n": 2},
    )
    run.record(mean_cc=0.5, bad=float("inf"))
    run.scorecard.report("cc positive", 0.5)
    run.table(pd.DataFrame({"a": [1]}), "t1")
    doc = run.finish()
    saved = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert saved["metrics"]["mean_cc"] == 0.5 and saved["metrics"]["bad"] is None
    assert saved["non_finite_metrics"] == ["bad"]
    assert saved["simulated_observers"] is True and saved["data"] == "builtin"
    assert saved["scorecard_summary"] == "0/0 claims pass (1 reported without verdict)" == doc["scorecard_summary"]
    assert (tmp_path / "o" / "tables" / "t1.csv").read_text().strip() == "a\n1"
    assert pd.read_csv(tmp_path / "o" / "scorecard.csv")["label"].tolist() == ["cc positive"]
    with pytest.raises(ValueError, match="profile must be one of"):
        start_run("x", profile="huge", data_dir=None, seed=0, simulated_observers=False)


def test_banner_and_device():
    assert "SIMULATED" in data_mode_banner(None, True) and "NOT the paper's" in data_mode_banner(None, True)
    assert "real human data" in data_mode_banner("/d", False)
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") in {"cpu", "cuda"}
    with pytest.raises(ValueError, match="device must be"):
        resolve_device("tpu")


def test_select_notebooks(tmp_path):
    for stem in ("00_env", "01_first", "02_second"):
        (tmp_path / f"{stem}.ipynb").write_text("{}")
    (tmp_path / "scratch.ipynb").write_text("{}")
    names = lambda sel: [p.stem for p in runner.select_notebooks(sel, tmp_path)]  # noqa: E731
    assert names([]) == ["00_env", "01_first", "02_second"]
    assert names(["2", "00"]) == ["02_second", "00_env"]
    assert names(["01_first", "1"]) == ["01_first"]
    with pytest.raises(ValueError, match="no notebook matches '07'"):
        runner.select_notebooks(["07"], tmp_path)


def test_write_index_keeps_earlier_rows(tmp_path):
    r1 = runner.NotebookResult("00_env", "ok", 12.3, "", "2/2 claims pass", "builtin")
    runner.write_index([r1], "smoke", tmp_path)
    r2 = runner.NotebookResult("01_first", "failed", 4.0, "boom <error>", "", "builtin")
    page = runner.write_index([r2], "smoke", tmp_path).read_text()
    assert "00_env" in page and "01_first" in page and "12.3 s" in page
    assert "boom &lt;error&gt;" in page and "2/2 claims pass" in page
    assert math.isclose(json.loads((tmp_path / "index.json").read_text())["00_env"]["seconds"], 12.3)


def test_runner_rejects_missing_params_and_data_root(tmp_path, capsys):
    nb = tmp_path / "98_none.ipynb"
    nb.write_text("{}")
    result = runner.run_notebook(nb, "smoke", None, report_root=tmp_path / "r")
    assert result.status == "failed" and "parameters file missing" in result.message
    assert runner.main(["--data-root", str(tmp_path / "absent")]) == 2
    assert "is not a folder" in capsys.readouterr().err
