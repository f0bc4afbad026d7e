"""Explanations of single-output IQA models: class-activation maps, MoRF / LeRF masking, HalfImage.

Seed 002 (Kirillov et al., "Bridging the Gap Between Saliency Prediction and IQA"):

* :func:`cam` (Sec. III-A): HiResCAM / GradCAM maps with rotation and SVD smoothing
  (:mod:`saliqa.explain.base`, :mod:`~saliqa.explain.gradcam`, :mod:`~saliqa.explain.hirescam`,
  :mod:`~saliqa.explain.smoothing`);
* :func:`gradcam_map` (Sec. III-C): the differentiable map of Baseline-GradCAM-Loss;
* :func:`mask_image`, :func:`masked_batch`, :func:`masking_curve`, :func:`area_between`
  (Sec. III-B): Most / Least Relevant First masking and the SROCC curves;
* :func:`halfimage_explanation`: the patch-combination explanation of You et al. 2023.

The masking functions need only numpy and OpenCV; torch is imported when a CAM function is
first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from saliqa.explain.halfimage import halfimage_explanation
from saliqa.explain.masking import area_between, mask_image, masked_batch, masking_curve

if TYPE_CHECKING:  # pragma: no cover
    from saliqa.explain.base import CAM, cam
    from saliqa.explain.differentiable import gradcam_map

__all__ = [
    "CAM",
    "cam",
    "gradcam_map",
    "mask_image",
    "masked_batch",
    "masking_curve",
    "area_between",
    "halfimage_explanation",
]

_LAZY = {"CAM": "saliqa.explain.base", "cam": "saliqa.explain.base", "gradcam_map": "saliqa.explain.differentiable"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'saliqa.explain' has no attribute {name!r}")
