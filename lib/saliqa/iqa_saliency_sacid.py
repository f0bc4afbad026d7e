"""Table III of seed 002 (Sec. III-D): IQA metrics on saliency-aware, non-uniformly compressed pictures.

:func:`sacid_study` gives the pictures with subjective scores: SACID itself when ``data_dir/sacid``
holds it (:mod:`saliqa.datasets.sacid`: the published ``moses.csv`` scores), else the builtin
SACID-like set (:func:`saliqa.simulate.sacid.sacid_set`: real photographs, real JPEG coding with
per-macroblock quality following a saliency map, four presets x three rates) whose scores come
from a *simulated* pairwise study like the paper's (25 random pairs and 3 verification pairs per
assessor, a "same" answer; :func:`saliqa.subjective.pairwise.simulate_comparisons`), screened on
the verification pairs and scaled by a Bradley-Terry fit (``choix``;
:func:`saliqa.subjective.pairwise.bradley_terry_scores`). The saliency map the builtin codec
follows is the proxy predictor's (the paper used TranSalNet's).

:func:`table3_all` scores every picture with the full-reference metrics of
:func:`saliqa.sacid_benchmark.default_fr_metrics` (PSNR, SSIM, MS-SSIM, VIF, EW-PSNR, EW-SSIM:
the EW versions weighted by the saliency map), BRISQUE and NIQE (notebook 02's,
:mod:`saliqa.models.nr_classic`; lower is better, negated), the trained IQA models of this
notebook and any pyiqa model at hand, then ranks them by SROCC, PLCC and FracCP
(:func:`saliqa.sacid_benchmark.table3`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from saliqa.metrics.correlation import srcc

__all__ = ["SacidStudy", "sacid_study", "table3_all", "model_scores"]


@dataclass
class SacidStudy:
    """Compressed pictures with subjective scores (``mos``) and how they were obtained.

    Attributes
    ----------
    images
        Canonical ``images`` table: ``image_id``, ``path``, ``content_id`` (the reference),
        ``reference_path``, ``saliency_path``, ``mos`` (scale values), plus the set's columns.
    description
        One line for the notebook.
    simulated
        True for the builtin set with simulated judgements.
    screening
        Assessor screening counts (builtin), else None.
    recovery
        Spearman correlation of the Bradley-Terry scale with the planted latent quality (builtin).
    planted
        The builtin set's planted effects.
    """

    images: pd.DataFrame
    description: str
    simulated: bool
    screening: pd.DataFrame | None = None
    recovery: float | None = None
    planted: dict[str, Any] = field(default_factory=dict)


def _predictor_saliency(predictor: Any, predictor_size: tuple[int, int]) -> Any:
    from saliqa.saliency_predictor import predict_saliency

    def saliency(image: np.ndarray) -> np.ndarray:
        return predict_saliency(predictor, [image], size=predictor_size, out_size=image.shape[:2])[0]

    return saliency


def sacid_study(
    data_dir: str | os.PathLike[str] | None,
    predictor: Any,
    *,
    predictor_size: tuple[int, int],
    n_references: int = 8,
    size: tuple[int, int] = (256, 256),
    n_assessors: int = 300,
    seed: int = 0,
) -> SacidStudy:
    """SACID when present, else the builtin SACID-like set with a simulated pairwise study.

    Parameters
    ----------
    data_dir
        Root that may hold ``sacid/`` (published layout).
    predictor
        The proxy saliency predictor: the builtin codec's saliency maps.
    predictor_size
        Its input size.
    n_references, size
        Builtin set: reference photographs and their size.
    n_assessors
        Builtin pairwise study: simulated assessors (25 random + 3 verification pairs each).
    seed
        Seed of the set and the study.
    """
    root = Path(data_dir) / "sacid" if data_dir is not None else None
    if root is not None and root.is_dir():
        from saliqa.datasets import sacid as sacid_data

        images = sacid_data.load_images(root)
        return SacidStudy(images, f"SACID from {root}: {len(images)} compressed pictures, published scores", False)
    from saliqa.simulate import sacid as sim
    from saliqa.subjective import pairwise

    config = sim.SacidConfig(n_references=int(n_references), size=(int(size[0]), int(size[1])))
    images = sim.sacid_set(config, seed=seed, saliency=_predictor_saliency(predictor, predictor_size))
    items, verification = sim.study_items(images)
    study = pairwise.simulate_comparisons(items, verification, n_assessors=int(n_assessors), seed=seed)
    screening = pairwise.screen_assessors(study.comparisons)
    kept_ids = set(screening.kept["assessor_id"])
    kept = study.comparisons.loc[study.comparisons["assessor_id"].isin(kept_ids)]
    scale = pairwise.bradley_terry_scores(kept)
    scores = scale.set_index("item")["score"]
    studied = images.loc[images["image_id"].isin(scores.index)].copy()
    studied["mos"] = scores.loc[studied["image_id"]].to_numpy()
    latent = items.set_index("item")["latent"].loc[studied["image_id"]].to_numpy()
    # Bradley-Terry scales have no common zero across references (centred per reference): compare
    # with the latent quality centred the same way
    centred = latent - pd.Series(latent).groupby(studied["content_id"].to_numpy()).transform("mean").to_numpy()
    recovery = srcc(studied["mos"].to_numpy(), centred)
    n_refs = studied["content_id"].nunique()
    desc = (
        f"builtin SACID-like set: {len(studied)} compressed versions of {n_refs} real photographs "
        f"({len(images) - len(studied)} references / anchors not in the study), scores from a SIMULATED pairwise "
        f"study of {int(n_assessors)} assessors ({len(kept_ids)} kept by the verification pairs), Bradley-Terry scale"
    )
    return SacidStudy(
        studied.reset_index(drop=True), desc, True, screening.counts, float(recovery), sim.planted_effects(config)
    )


def model_scores(model: torch.nn.Module, paths: Sequence[str], size: tuple[int, int]) -> np.ndarray:
    """Scores of a ``(B, 3, H, W)`` [0, 1] -> ``(B,)`` model on image files stretched to ``size``."""
    from saliqa.datasets.fixation_sets import read_images
    from saliqa.iqa_saliency_masking import model_predictor

    return model_predictor(model)(read_images(list(paths), size))


def table3_all(
    sacid: SacidStudy,
    trained: Mapping[str, torch.nn.Module],
    external: Sequence[Any] = (),
    *,
    size: tuple[int, int],
    classic: bool = True,
) -> pd.DataFrame:
    """Table III: every metric's SROCC, PLCC and FracCP against the subjective scores.

    Parameters
    ----------
    sacid
        :func:`sacid_study`.
    trained
        ``{label: model}`` of this notebook (Baseline, Baseline-Sal-Loss, Baseline-GradCAM-Loss).
    external
        :class:`saliqa.iqa_saliency_study.ExternalModel` entries (pyiqa, PaQ-2-PiQ).
    size
        The trained models' input size (the pictures are stretched to it).
    classic
        Include BRISQUE and NIQE (notebook 02's implementations).
    """
    from saliqa import sacid_benchmark as bench
    from saliqa.models import nr_classic

    metrics = dict(bench.default_fr_metrics())
    types = {name: "NSS based" for name in metrics}
    if classic:
        metrics["BRISQUE"] = bench.nr_metric(nr_classic.brisque_score, higher_is_better=False)
        niqe_model = nr_classic.load_niqe_model()
        metrics["NIQE"] = bench.nr_metric(lambda im: nr_classic.niqe(im, niqe_model), higher_is_better=False)
        types |= {"BRISQUE": "NSS based", "NIQE": "NSS based"}
    images = sacid.images
    scores = bench.metric_scores(images, metrics)
    paths = images["path"].tolist()
    for label, model in [*trained.items(), *((e.name, e.model) for e in external)]:
        pred = pd.Series(model_scores(model, paths, size), index=images["image_id"].to_numpy())
        scores = bench.with_predictions(scores, label, pred)
        types[label] = "NR (ours)" if label in trained else "NR"
    constant = [c for c in scores.columns if c in types and np.ptp(scores[c].to_numpy(dtype=float)) == 0]
    if constant:  # correlations are undefined: reported as NaN rows, not dropped silently
        warnings.warn(f"Table III: constant scores from {constant}; their rows are NaN", stacklevel=2)
    kept = scores.drop(columns=constant)
    table = bench.table3(kept, images["mos"].to_numpy(), images["content_id"].to_numpy(), types=types)
    nan_rows = pd.DataFrame(
        {"method": constant, "type": [types[c] for c in constant], "SROCC": np.nan, "PLCC": np.nan, "FracCP": np.nan}
    )
    return pd.concat([table, nan_rows], ignore_index=True) if constant else table
