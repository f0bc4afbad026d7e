"""The path a GPU-box user takes: ``./run_all.sh --profile full --data-root DIR 03`` with the datasets on disk.

Notebook 03 runs end to end with the ``full`` profile's code path (EfficientNet-B0 and ResNet-50
backbones, ten-repeat machinery, SALICON / CAT2000 extra sets, SACID's published scores) on small
fixtures in the official layouts that the test writes -- KonIQ-10k (labels CSV + ``1024x768/``),
SALICON, CAT2000 and SACID -- with the real OSIE fixations at hand (``../shared/data/osie``),
sizes shrunk by parameters so that it runs on a CPU in a few minutes.
"""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import notebook_kernel
from PIL import Image
from test_datasets_salicon_cat2000 import _cat2000, _salicon

from saliqa import paths, runner
from saliqa.datasets import builtin

pytestmark = pytest.mark.notebook


def write_koniq_layout(root: Path, n: int = 40, seed: int = 0) -> Path:
    """``root/koniq``: labels CSV and ``1024x768/`` pictures (small JPEGs of builtin photos; MOS follow quality)."""
    base = root / "koniq"
    (base / "1024x768").mkdir(parents=True)
    rng = np.random.default_rng(seed)
    contents = builtin.contents(min(n, builtin.max_contents()), size=(72, 96), seed=seed)
    rows = []
    for i in range(n):
        quality = int(rng.integers(5, 95))
        name = f"{1000 + i}.jpg"
        Image.fromarray(contents[i % len(contents)].image).save(base / "1024x768" / name, quality=quality)
        votes = rng.multinomial(100, np.full(5, 0.2)) / 100
        mos = float(np.clip(10 + 0.8 * quality + rng.normal(0, 4), 1, 99))
        rows.append([name, *votes, 100, mos, 0.8, "training" if i % 5 else "test"])
    cols = ["image_name", "c1", "c2", "c3", "c4", "c5", "c_total", "MOS", "SD", "set"]
    pd.DataFrame(rows, columns=cols).to_csv(base / "koniq10k_distributions_sets.csv", index=False)
    return base


def write_sacid_layout(root: Path, seed: int = 0) -> Path:
    """``root/sacid``: ``moses.csv``, ``reference/``, ``saliency/``, ``compressed/<seq>/`` (JPEG versions as PNG)."""
    base = root / "sacid"
    rng = np.random.default_rng(seed)
    rows = []
    for k, content in enumerate(builtin.contents(2, size=(128, 128), seed=seed)):
        seq = f"seq{k}"
        for sub in ("reference", "saliency", f"compressed/{seq}"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        Image.fromarray(content.image).save(base / "reference" / f"{seq}.png")
        yy, xx = np.mgrid[0:128, 0:128]
        sal = np.exp(-((xx - 64) ** 2 + (yy - 64) ** 2) / (2 * 30.0**2))
        Image.fromarray((255 * sal).astype(np.uint8)).save(base / "saliency" / f"{seq}.png")
        for quality in (5, 15, 30, 60):
            buf = BytesIO()
            Image.fromarray(content.image).save(buf, format="JPEG", quality=quality)
            name = f"uniform_q{quality}.png"
            Image.open(buf).convert("RGB").save(base / "compressed" / seq / name)
            rows.append(f"{seq},{name},{0.05 * quality + rng.normal(0, 0.1):.4f}")
    (base / "moses.csv").write_text("sequence,test_case,subjective_score\n" + "\n".join(rows) + "\n")
    return base


def test_full_profile_on_official_layouts(tmp_path: Path):
    osie = paths.shared_data_root() / "osie"
    if not (osie / "data" / "eye" / "fixations.mat").is_file():
        pytest.skip(f"the real OSIE fixations are not at hand ({osie})")
    data_root = tmp_path / "data"
    data_root.mkdir()
    (data_root / "osie").symlink_to(osie, target_is_directory=True)
    write_koniq_layout(data_root)
    _salicon(data_root)
    _cat2000(data_root)
    write_sacid_layout(data_root)
    overrides = dict(
        size=[64, 96], repeats=2, epochs=1, batch_size=8, target_size=[8, 12], predictor_epochs=1,
        predictor_batch_size=8, predictor_size=[64, 96], predictor_max_train=40, held_out=8, gt_size=[32, 48],
        cam_angles=[-3, 3], n_extra_images=5, n_masking=5, fractions=[0.0, 0.5], halfimage_combinations=4, n_fig1=2,
        checkpoints=False,
    )  # fmt: skip
    report_root = tmp_path / "reports" / "full"
    notebook = paths.notebooks_dir() / "03_iqa_saliency_gradcam.ipynb"
    result = runner.run_notebook(
        notebook, "full", str(data_root), kernel=notebook_kernel(), report_root=report_root, overrides=overrides
    )
    assert result.status == "ok", result.message
    doc = json.loads((report_root / "03_iqa_saliency_gradcam" / "metrics.json").read_text())
    assert doc["params"]["backbone"] == "efficientnet_b0" and doc["params"]["repeats"] == 2
    assert {"koniq", "osie", "salicon", "cat2000"} <= set(doc["datasets"])
    tables = report_root / "03_iqa_saliency_gradcam" / "tables"
    table1 = pd.read_csv(tables / "table1_saliency_from_iqa_models.csv")
    assert {"OSIE", "SALICON", "CAT2000"} <= set(table1["set"])
    assert {"Baseline-efficientnet_b0", "Baseline-resnet50"} <= set(table1["method"])
    table2 = pd.read_csv(tables / "table2_dual_task.csv", header=[0, 1, 2], index_col=0)
    assert list(table2.index) == ["Center Prior", "Baseline", "Baseline-Sal-Loss", "Baseline-GradCAM-Loss"]
    table3 = pd.read_csv(tables / "table3_sacid.csv")
    assert {"PSNR", "EW-PSNR", "SSIM", "EW-SSIM", "VIF", "Baseline"} <= set(table3["method"])
    # SACID's published scores (not the simulated study): no Bradley-Terry recovery claim
    assert not any(r["claim"] == "sim_bt_recovery" for r in doc["scorecard"])
