"""The data of notebook 01 (seed 000) in its three modes, as one ``AttentionStudy`` each.

- ``builtin``: builtin photographs x JPEG levels (:func:`saliqa.datasets.builtin.distorted_set`)
  with SIMULATED observers (:mod:`saliqa.simulate.attention`): eye tracking and crowd clicks in
  free viewing and during an IQA task, crowd workers and 5-point ratings.
- ``tud``: a TUD-style study in this project's CSV layout (:mod:`saliqa.datasets.tud`) under
  ``data_dir/tud/``: real observers, the four experiments wherever their points exist.
- ``real``: the human data at hand, free viewing only: OSIE (``data_dir/osie/``: in-lab eye
  fixations vs crowdsourced MTurk mouse tracking vs in-lab mouse tracking, 100 images) and
  BubbleView (``data_dir/bubbleview-osie/``: eye fixations vs BubbleView clicks vs mouse
  movements, 51 OSIE images, on the OSIE 800x600 grid).

An experiment is a filter on the canonical fixations table (``source``, ``task`` and, for the
real data whose crowd and lab mouse data share ``source="mouse"``, ``campaign``); seed 000's
design (experiments, compared pairs) is :mod:`saliqa.datasets.attention_design`. This module
only loads and assembles; :func:`saliqa.attention.study_maps` turns each experiment into seed
000's pooled Gaussian maps (section 2.3).

Viewing geometry. Seed 000 blurs with sigma = 2 degrees of visual angle. OSIE's 800x600 stimuli
subtend about 33.7 x 25.3 degrees (Xu et al., JoV 2014), so about 24 px per degree on the
800x600 grid (``OSIE_PIXELS_PER_DEGREE``). Real-data maps are computed on a grid scaled by
``map_scale`` (default 0.5: 400x300, sigma scaled alike) to keep the 100-image run short; every
metric of Table 1 is a ratio / normalised quantity, so a uniform rescale of points and sigma
changes values only through pixel discretisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from saliqa.checks import check_positive, check_real
from saliqa.datasets import bubbleview, builtin, osie, tud
from saliqa.datasets.attention_design import (
    ASYMMETRY_PAIRS,
    TABLE1_COMPARISONS,
    experiment_filters,
    select_experiment,
)
from saliqa.paths import dataset_dir

__all__ = [
    "OSIE_PIXELS_PER_DEGREE",
    "AttentionStudy",
    "builtin_study",
    "tud_study",
    "osie_study",
    "bubbleview_study",
    "load_studies",
    "scale_study",
    "image_loader",
]

OSIE_PIXELS_PER_DEGREE = 800 / 33.7
"""OSIE 800x600 stimuli subtend about 33.7 x 25.3 degrees (Xu et al., JoV 2014)."""


@dataclass
class AttentionStudy:
    """One data source of notebook 01.

    Attributes
    ----------
    name : str
        ``"builtin"``, ``"tud"``, ``"osie"`` or ``"bubbleview"``.
    simulated : bool
        True when the observers are simulated (builtin).
    images : DataFrame
        Canonical images table of the versions observers saw.
    fixations : DataFrame
        Canonical fixations table (plus ``campaign`` where needed).
    experiments : dict
        Experiment name -> column filter, e.g. ``{"source": "eye", "task": "free"}``.
    comparisons : dict
        Table 1 column -> (experiment P, experiment Q).
    asymmetry_pairs : list of tuple
        Figure 3's compared pairs.
    sigma_px : float
        Gaussian sigma in pixels of ``images`` (2 degrees of visual angle by default).
    ratings, workers : DataFrame or None
        Crowd IQA ratings and the worker records (screening, Figure 1).
    planted : dict or None
        The planted effects (simulated data only).
    paper_comparisons : dict
        Table 1 column of this study -> the paper's Table 1 column (``P_Free``, ...) that measured
        the same comparison. Only these get the paper's value beside them in the scorecard; the
        other comparisons of a study (e.g. OSIE eye vs in-lab mouse) have no paper counterpart.
    notes : list of str
        What the loader did that a reader should know (clipped points, ...).
    """

    name: str
    simulated: bool
    images: pd.DataFrame
    fixations: pd.DataFrame
    experiments: dict[str, dict[str, str]]
    comparisons: dict[str, tuple[str, str]]
    asymmetry_pairs: list[tuple[str, str]]
    sigma_px: float
    ratings: pd.DataFrame | None = None
    workers: pd.DataFrame | None = None
    planted: dict[str, Any] | None = None
    paper_comparisons: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


SEED000_EXPERIMENTS: dict[str, dict[str, str]] = experiment_filters()
"""Seed 000's four experiments as column filters of the fixations table."""


def builtin_study(
    n_contents: int,
    jpeg_levels: tuple[int, ...],
    size: tuple[int, int],
    seed: int,
    *,
    sigma_deg: float = 2.0,
    config: Any | None = None,
) -> AttentionStudy:
    """Builtin photographs x JPEG levels with simulated observers (module docstring).

    ``config`` is a :class:`saliqa.simulate.attention.SimulationConfig` (default parameters when
    None); its viewing geometry sets sigma (``sigma_deg`` times the pixels per degree of the
    displayed image, :meth:`~saliqa.simulate.attention.SimulationConfig.pixels_per_degree`).
    """
    from saliqa.simulate import attention as sim

    config = config or sim.SimulationConfig()
    table = builtin.distorted_set(
        n_contents, "jpeg", levels=tuple(jpeg_levels), size=tuple(size), seed=seed, include_reference=True
    )
    study = sim.simulate_study(table, config, seed=seed)
    width = int(study["images"]["width"].iloc[0])
    sigma_px = check_positive(sigma_deg, "sigma_deg") * config.pixels_per_degree(width)
    return AttentionStudy(
        name="builtin",
        simulated=True,
        images=study["images"],
        fixations=study["fixations"],
        experiments=dict(SEED000_EXPERIMENTS),
        comparisons=dict(TABLE1_COMPARISONS),
        asymmetry_pairs=list(ASYMMETRY_PAIRS),
        sigma_px=sigma_px,
        ratings=study["ratings"],
        workers=study["workers"],
        planted=study["planted"],
        paper_comparisons={c: c for c in TABLE1_COMPARISONS},
    )


def tud_study(root: str | Path, *, pixels_per_degree: float, sigma_deg: float = 2.0) -> AttentionStudy:
    """A TUD-style CSV study (:func:`saliqa.datasets.tud.load_study`) with the seed's four experiments.

    Experiments with no points are left out (the comparisons that need them too); the viewing
    geometry of the study is given as ``pixels_per_degree`` of its images.
    """
    tables = tud.load_study(root)
    fixations = tables["fixations"]
    present = {name: f for name, f in SEED000_EXPERIMENTS.items() if select_experiment(fixations, f).shape[0] > 0}
    if not present:
        raise ValueError(f"{root}: fixations.csv has no eye or click points for the free / iqa tasks")
    comparisons = {k: v for k, v in TABLE1_COMPARISONS.items() if set(v) <= set(present)}
    pairs = [p for p in ASYMMETRY_PAIRS if set(p) <= set(present)]
    images = tables["images"]
    shown = images[images["image_id"].isin(fixations["image_id"])].reset_index(drop=True)
    return AttentionStudy(
        name="tud",
        simulated=False,
        images=shown,
        fixations=fixations,
        experiments=present,
        comparisons=comparisons,
        asymmetry_pairs=pairs,
        sigma_px=float(sigma_deg * pixels_per_degree),
        ratings=tables.get("ratings"),
        workers=tables.get("workers"),
        paper_comparisons={c: c for c in comparisons},
    )


def osie_study(
    root: str | Path,
    *,
    n_images: int | None = None,
    sigma_deg: float = 2.0,
    map_scale: float = 0.5,
    pixels_per_degree: float | None = None,
) -> AttentionStudy:
    """OSIE free viewing: eye vs crowdsourced (MTurk) mouse vs in-lab mouse tracking.

    Parameters
    ----------
    root
        The ``osie/`` folder.
    n_images
        The first ``n_images`` of OSIE's subset (None: all).
    sigma_deg
        Gaussian sigma in degrees of visual angle (seed 000: 2).
    map_scale
        Grid scale of the maps (:func:`scale_study`).
    pixels_per_degree
        Of the 800x600 stimuli; None: :data:`OSIE_PIXELS_PER_DEGREE`.
    """
    ppd = (
        OSIE_PIXELS_PER_DEGREE if pixels_per_degree is None else check_positive(pixels_per_degree, "pixels_per_degree")
    )
    ids = osie.subset_ids(root)[: n_images or None]
    images = osie.load_images(root)
    images = images[images["image_id"].isin(ids)].reset_index(drop=True)
    fixations = osie.load_fixations(root, sources=("eye", "mouse_amt", "mouse_lab"), image_ids=ids)
    experiments = {
        "eye_free": {"campaign": "eye"},
        "crowd_mouse_free": {"campaign": "mouse_amt"},
        "lab_mouse_free": {"campaign": "mouse_lab"},
    }
    study = AttentionStudy(
        name="osie",
        simulated=False,
        images=images,
        fixations=fixations,
        experiments=experiments,
        comparisons={
            "P_Free (eye vs crowd mouse)": ("eye_free", "crowd_mouse_free"),
            "eye vs lab mouse": ("eye_free", "lab_mouse_free"),
            "crowd vs lab mouse": ("crowd_mouse_free", "lab_mouse_free"),
        },
        asymmetry_pairs=[
            ("eye_free", "crowd_mouse_free"),
            ("eye_free", "lab_mouse_free"),
            ("crowd_mouse_free", "lab_mouse_free"),
        ],
        sigma_px=sigma_deg * ppd,
        paper_comparisons={"P_Free (eye vs crowd mouse)": "P_Free"},
        notes=[f"{int(fixations.attrs.get('n_outside_clipped', 0))} points outside the image clipped by the loader"],
    )
    return scale_study(study, map_scale)


def bubbleview_study(
    root: str | Path,
    *,
    n_images: int | None = None,
    sigma_deg: float = 2.0,
    map_scale: float = 0.5,
    osie_root: str | Path | None = None,
) -> AttentionStudy:
    """BubbleView on 51 OSIE images: eye fixations vs BubbleView clicks vs mouse movements.

    Coordinates are put on the OSIE 800x600 grid by the loader (BubbleView shows 640x480).
    """
    images = bubbleview.load_images(root, osie_root=osie_root)
    ids = list(images["image_id"])[: n_images or None]
    images = images[images["image_id"].isin(ids)].reset_index(drop=True)
    fixations = bubbleview.load_fixations(root, kinds=("eye", "clicks", "mouse"), scale_to_original=True)
    fixations = fixations[fixations["image_id"].isin(ids)].reset_index(drop=True)
    experiments = {
        "eye_free": {"source": "eye"},
        "crowd_click_free": {"source": "click"},
        "crowd_mouse_free": {"source": "mouse"},
    }
    study = AttentionStudy(
        name="bubbleview",
        simulated=False,
        images=images,
        fixations=fixations,
        experiments=experiments,
        comparisons={
            "P_Free (eye vs BubbleView clicks)": ("eye_free", "crowd_click_free"),
            "eye vs mouse movements": ("eye_free", "crowd_mouse_free"),
        },
        asymmetry_pairs=[("eye_free", "crowd_click_free"), ("eye_free", "crowd_mouse_free")],
        sigma_px=sigma_deg * OSIE_PIXELS_PER_DEGREE,
        paper_comparisons={"P_Free (eye vs BubbleView clicks)": "P_Free"},
    )
    return scale_study(study, map_scale)


def scale_study(study: AttentionStudy, map_scale: float) -> AttentionStudy:
    """Rescale image sizes, points and sigma by ``map_scale`` (0 < scale <= 1) for the maps.

    Points are mapped so that pixel centres stay pixel centres (``x' = (x + 0.5) s - 0.5``),
    then clipped to the scaled image (they were inside the original one).
    """
    check_real(map_scale, "map_scale", low=0.0, high=1.0, low_open=True)
    if map_scale == 1:
        return study
    images = study.images.copy()
    images["width"] = np.maximum(1, np.round(images["width"].astype(float) * map_scale)).astype(int)
    images["height"] = np.maximum(1, np.round(images["height"].astype(float) * map_scale)).astype(int)
    size = images.set_index("image_id")[["width", "height"]]
    fx = study.fixations.copy()
    w = fx["image_id"].map(size["width"]).to_numpy(float)
    h = fx["image_id"].map(size["height"]).to_numpy(float)
    fx["x"] = np.clip((fx["x"].to_numpy(float) + 0.5) * map_scale - 0.5, 0, w - 1)
    fx["y"] = np.clip((fx["y"].to_numpy(float) + 0.5) * map_scale - 0.5, 0, h - 1)
    fx.attrs = dict(study.fixations.attrs)
    study.images, study.fixations, study.sigma_px = images, fx, study.sigma_px * map_scale
    study.notes.append(f"maps on a grid scaled by {map_scale} (sigma {study.sigma_px:.1f} px on that grid)")
    return study


def load_studies(
    data_dir: str | Path | None,
    *,
    n_contents: int,
    jpeg_levels: tuple[int, ...],
    size: tuple[int, int],
    seed: int,
    n_real_images: int | None = None,
    sigma_deg: float = 2.0,
    map_scale: float = 0.5,
    tud_pixels_per_degree: float = 30.0,
    config: Any | None = None,
) -> list[AttentionStudy]:
    """The studies a notebook-01 run analyses.

    ``data_dir=None``: ``[builtin]``. Otherwise every dataset found under ``data_dir`` among
    ``tud/``, ``osie/``, ``bubbleview-osie/`` (in that order).

    Raises
    ------
    FileNotFoundError
        When ``data_dir`` holds none of them (naming the folders looked for).
    """
    if data_dir is None:
        return [builtin_study(n_contents, jpeg_levels, size, seed, sigma_deg=sigma_deg, config=config)]
    root = Path(data_dir)
    studies: list[AttentionStudy] = []
    if (root / "tud").is_dir():
        studies.append(
            tud_study(dataset_dir(root, "tud"), pixels_per_degree=tud_pixels_per_degree, sigma_deg=sigma_deg)
        )
    if (root / "osie").is_dir():
        studies.append(
            osie_study(dataset_dir(root, "osie"), n_images=n_real_images, sigma_deg=sigma_deg, map_scale=map_scale)
        )
    if (root / "bubbleview-osie").is_dir():
        osie_root = root / "osie" if (root / "osie").is_dir() else None
        studies.append(
            bubbleview_study(
                dataset_dir(root, "bubbleview-osie"),
                n_images=n_real_images,
                sigma_deg=sigma_deg,
                map_scale=map_scale,
                osie_root=osie_root,
            )
        )
    if not studies:
        raise FileNotFoundError(
            f"data_dir {str(root)!r} holds none of tud/, osie/, bubbleview-osie/ (see data/README.md)"
        )
    return studies


def image_loader(study: AttentionStudy):
    """A ``path -> uint8 RGB`` reader that returns each image at the size of ``study.images``.

    After :func:`scale_study` the maps are on a reduced grid; Figure 4 overlays them on images
    resized (Pillow, Lanczos) to that grid.
    """
    from PIL import Image

    sizes = {str(p): (int(w), int(h)) for p, w, h in study.images[["path", "width", "height"]].itertuples(index=False)}

    def load(path: Any) -> np.ndarray:
        image = builtin.load_image(path)
        size = sizes.get(str(path))
        if size is None or (image.shape[1], image.shape[0]) == size:
            return image
        return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS))

    return load
