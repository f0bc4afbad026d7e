"""The path a GPU-box user takes: ``./run_all.sh --profile full --data-root DIR 02`` with FLIVE on disk.

Notebook 02 runs end to end with the ``full`` profile's code path (ResNet-18 backbone, the models
trained on FLIVE because its pictures are present) on a small database in FLIVE's official layout
that the test writes: the three real FLIVE pictures with their shipped patches (when
``../shared/data`` is at hand) plus synthetic pictures cut from the builtin photographs, with sizes
shrunk by parameters so it runs on a CPU in about a minute.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import notebook_kernel
from PIL import Image
from test_datasets_flive import _wide_rows

from saliqa import patches as P
from saliqa import paths, runner
from saliqa.datasets import builtin, flive

pytestmark = pytest.mark.notebook

CANVAS = 160


def _label_rows(rows: list[tuple]) -> pd.DataFrame:
    """labels640-style wide rows from (name, (w, h), boxes, mos, patch mos) tuples (test_datasets_flive's writer)."""
    return _wide_rows(*(list(col) for col in zip(*rows)))


def write_flive_layout(root: Path, real: Path | None, n_synthetic: int = 40, seed: int = 0) -> Path:
    """``root/flive/database`` in FLIVE's layout (``flive.LAYOUT``): pictures, patches, both label CSVs."""
    db = root / "flive" / "database"
    (db / "patches").mkdir(parents=True)
    (db / "voc_emotic_ava").mkdir()
    test_rows, padded_rows, names, mos_all = [], [], [], []
    rng = np.random.default_rng(seed)
    if real is not None:
        (db / "EE371R").mkdir()
        located = flive.locate_patches(real)
        for image_id, g in located.groupby("image_id", sort=True):
            shutil.copy(real / image_id, db / image_id)
            for k in (1, 2, 3):
                shutil.copy(real / flive.patch_file_name(image_id, k), db / flive.patch_file_name(image_id, k))
            with Image.open(db / image_id) as im:
                size = im.size
            mos = float(rng.uniform(30, 80))
            boxes = g.sort_values("patch_index")[["left", "top", "right", "bottom"]].to_numpy()
            test_rows.append((image_id, size, boxes, mos, mos + rng.normal(0, 5, 3)))
            names.append(image_id)
            mos_all.append(mos)
    contents = builtin.contents(min(n_synthetic, builtin.max_contents()), size=(120, 160), seed=seed)
    sizes = np.column_stack([rng.integers(96, 190, n_synthetic), rng.integers(80, 170, n_synthetic)])
    all_boxes = P.sample_patch_boxes(sizes, seed=seed)
    for i, ((w, h), boxes) in enumerate(zip(sizes, all_boxes)):
        quality = int(rng.integers(10, 95))
        picture = Image.fromarray(contents[i % len(contents)].image).resize((int(w), int(h)), Image.LANCZOS)
        name = f"voc_emotic_ava/SYN__{i:03d}.jpg"
        picture.save(db / name, quality=quality)
        with Image.open(db / name) as im:
            decoded = np.asarray(im.convert("RGB"))
        for k in (1, 2, 3):
            Image.fromarray(np.ascontiguousarray(P.crop_patch(decoded, boxes[k - 1]))).save(
                db / flive.patch_file_name(name, k), quality=95
            )
        mos = 20 + 0.6 * quality + float(rng.normal(0, 3))
        row = (name, (int(w), int(h)), boxes, mos, mos + rng.normal(0, 4, 3))
        (test_rows if max(w, h) > CANVAS else padded_rows).append(row)
        names.append(name)
        mos_all.append(mos)
    # as the release: labels640.csv = the test pictures (a side over the canvas), labels=640_padded.csv
    # = the training and validation pictures (is_valid marks validation)
    _label_rows(test_rows).to_csv(db / "labels640.csv", index=False)
    padded = _label_rows(padded_rows)
    padded["is_valid"] = np.arange(len(padded)) % 4 == 0
    padded.to_csv(db / "labels=640_padded.csv", index=False)
    pd.DataFrame({"name": names, "mos": mos_all}).to_csv(db / "labels_image.csv", index=False)
    return root


def test_full_profile_on_flive_layout(tmp_path: Path):
    real_root = paths.shared_data_root() / "flive"
    real = flive.database_dir(real_root) if (real_root / "database").is_dir() else None
    data_root = write_flive_layout(tmp_path / "data", real)
    overrides = dict(
        n_pictures=24, canvas=CANVAS, long_side=[80, 200], epochs=1, batch_size=4, quality_map_grid=4,
        n_quality_maps=2, n_failure_cases=2, n_fig5=2, n_ugc_pictures=12,
    )  # fmt: skip
    report_root = tmp_path / "reports" / "full"
    notebook = paths.notebooks_dir() / "02_paq2piq.ipynb"
    result = runner.run_notebook(
        notebook, "full", str(data_root), kernel=notebook_kernel(), report_root=report_root, overrides=overrides
    )
    assert result.status == "ok", result.message
    doc = json.loads((report_root / "02_paq2piq" / "metrics.json").read_text())
    assert doc["params"]["backbone"] == "resnet18"  # the full profile's code path
    assert doc["metrics"]["trained_on"] == "flive"
    assert "FLIVE" in doc["datasets"]
    tables = report_root / "02_paq2piq" / "tables"
    table2 = pd.read_csv(tables / "table2_pictures.csv", header=[0, 1], index_col=0)
    assert {"Baseline Model (Sec. 4.1)", "RoIPool Model (Sec. 4.2)", "Feedback Model (Sec. 4.4)"} <= set(table2.index)
    # the FLIVE runs set the paper's Table 2 values beside the obtained ones
    paper_rows = [r for r in doc["scorecard"] if r["claim"].startswith("table2_")]
    assert paper_rows and all(r["paper"] is not None for r in paper_rows)
    if real is not None:  # Fig. 5 shows the real pictures with their shipped patches
        assert "fig5_picture_patches_0.png" in doc["figures"]
