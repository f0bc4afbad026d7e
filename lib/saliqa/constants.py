"""Numerical conventions shared by several modules, each defined once.

Every module that needs one of these imports it from here; a seed whose convention differs
passes its own value explicitly (e.g. SSPNet's ``eps=1e-8``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["MATLAB_EPS", "BT601_LUMA", "IMAGENET_MEAN", "IMAGENET_STD"]

MATLAB_EPS: float = 2.220446049250313e-16
"""MATLAB's ``eps`` (``np.finfo(float).eps``), the MIT saliency benchmark's regulariser."""

BT601_LUMA: np.ndarray = np.array([0.299, 0.587, 0.114])
"""ITU-R BT.601 luma weights of R, G, B (``Y = 0.299 R + 0.587 G + 0.114 B``)."""
BT601_LUMA.setflags(write=False)

IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
"""ImageNet channel means on [0, 1] (torchvision's normalisation; the masking fill of seed 002)."""

IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)
"""ImageNet channel standard deviations on [0, 1] (torchvision's normalisation)."""
