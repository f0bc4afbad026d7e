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

from saliqa.attention import agreement, asymmetry, maps, mos, selection
from saliqa.attention.agreement import (
    MEASURES as MEASURES,
)
from saliqa.attention.agreement import (
    compare_maps as compare_maps,
)
from saliqa.attention.agreement import (
    format_table1 as format_table1,
)
from saliqa.attention.agreement import (
    table1 as table1,
)
from saliqa.attention.agreement import (
    table1_comparisons as table1_comparisons,
)
from saliqa.attention.asymmetry import (
    AsymmetryRules as AsymmetryRules,
)
from saliqa.attention.asymmetry import (
    KLAsymmetry as KLAsymmetry,
)
from saliqa.attention.asymmetry import (
    kl_asymmetry as kl_asymmetry,
)
from saliqa.attention.asymmetry import (
    read_asymmetry as read_asymmetry,
)
from saliqa.attention.maps import (
    experiment_maps as experiment_maps,
)
from saliqa.attention.maps import (
    image_shapes as image_shapes,
)
from saliqa.attention.maps import (
    pooled_saliency_maps as pooled_saliency_maps,
)
from saliqa.attention.maps import (
    sigma_px_from_geometry as sigma_px_from_geometry,
)
from saliqa.attention.maps import (
    study_maps as study_maps,
)
from saliqa.attention.mos import (
    lab_mos_vs_jpeg as lab_mos_vs_jpeg,
)
from saliqa.attention.mos import (
    mos_vs_jpeg as mos_vs_jpeg,
)
from saliqa.attention.mos import (
    ordinal_levels as ordinal_levels,
)
from saliqa.attention.selection import map_grid_selection as map_grid_selection
from saliqa.datasets.attention_design import (
    ASYMMETRY_PAIRS as ASYMMETRY_PAIRS,
)
from saliqa.datasets.attention_design import (
    EXPERIMENTS as EXPERIMENTS,
)
from saliqa.datasets.attention_design import (
    TABLE1_COMPARISONS as TABLE1_COMPARISONS,
)

__all__ = [
    "EXPERIMENTS",
    "TABLE1_COMPARISONS",
    "ASYMMETRY_PAIRS",
    *maps.__all__,
    *agreement.__all__,
    *asymmetry.__all__,
    *mos.__all__,
    *selection.__all__,
]
