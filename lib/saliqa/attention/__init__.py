"""Seed 000's analysis: pooled saliency maps, map agreement (Table 1), KL asymmetry (Fig. 3), MOS (Fig. 2).

Seed 000 (crowdsourced self-reported attention vs eye tracking, free viewing vs an IQA task).
One module per computation; every public name is re-exported here, so
``from saliqa import attention; attention.table1(...)`` works:

* :mod:`saliqa.attention.maps` -- section 2.3: one saliency map per stimulus and experiment,
  pooling the points of *all* participants and summing Gaussians of a fixed ``sigma`` of about
  2 degrees of visual angle (the fovea): :func:`sigma_px_from_geometry`,
  :func:`pooled_saliency_maps`, :func:`experiment_maps`, :func:`study_maps`;
* :mod:`saliqa.attention.agreement` -- section 3.2 / Table 1: PCC, Bhattacharyya distance and
  KL divergence between the maps of the same image version from two experiments, averaged over
  versions: :func:`compare_maps`, :func:`table1_comparisons`, :func:`table1` (adds SIM and
  bootstrap confidence intervals), :func:`format_table1`;
* :mod:`saliqa.attention.asymmetry` -- section 3.2 / Figure 3: ``D_KL`` in both directions and
  the asymmetry rules: :func:`kl_asymmetry`, :class:`AsymmetryRules`, :func:`read_asymmetry`;
* :mod:`saliqa.attention.mos` -- section 3.1 / Figure 2: MOS per image version against the JPEG
  quality level: :func:`mos_vs_jpeg`, :func:`lab_mos_vs_jpeg`, :func:`ordinal_levels`;
* :mod:`saliqa.attention.selection` -- Figure 4: which versions the map grid shows:
  :func:`map_grid_selection`;
* :mod:`saliqa.attention.scorecard` -- which obtained number is checked against which claim of
  the notebook's reference table.

The four experiments are named as in :data:`EXPERIMENTS`: ``eye_free``, ``eye_iqa``,
``crowd_free``, ``crowd_iqa`` (``source`` eye|click x ``task`` free|iqa of the canonical
``fixations`` table); the design itself (experiments, compared pairs) is data and lives in
:mod:`saliqa.datasets.attention_design`. KL convention: ``D_KL(P||Q)`` with ``P`` the posterior
("true") map and ``Q`` the prior (:func:`saliqa.metrics.saliency.kld`, MIT form, explicit
``eps``).
"""

from saliqa.attention.agreement import MEASURES, compare_maps, format_table1, table1, table1_comparisons
from saliqa.attention.asymmetry import AsymmetryRules, KLAsymmetry, kl_asymmetry, read_asymmetry
from saliqa.attention.maps import (
    experiment_maps,
    image_shapes,
    pooled_saliency_maps,
    sigma_px_from_geometry,
    study_maps,
)
from saliqa.attention.mos import lab_mos_vs_jpeg, mos_vs_jpeg, ordinal_levels
from saliqa.attention.selection import map_grid_selection
from saliqa.datasets.attention_design import ASYMMETRY_PAIRS, EXPERIMENTS, TABLE1_COMPARISONS

__all__ = [
    "EXPERIMENTS",
    "TABLE1_COMPARISONS",
    "ASYMMETRY_PAIRS",
    "MEASURES",
    "sigma_px_from_geometry",
    "image_shapes",
    "pooled_saliency_maps",
    "experiment_maps",
    "study_maps",
    "compare_maps",
    "table1_comparisons",
    "table1",
    "format_table1",
    "AsymmetryRules",
    "KLAsymmetry",
    "read_asymmetry",
    "kl_asymmetry",
    "mos_vs_jpeg",
    "lab_mos_vs_jpeg",
    "ordinal_levels",
    "map_grid_selection",
]
