"""GradCAM channel weights (Selvaraju et al. 2017; seed 002 Sec. III-C).

For a single-output regression model (an IQA score ``y``; the class index ``c`` of the paper's
equation is 1) and target-layer activations ``A`` of shape ``(B, C, h, w)``:

.. math:: \\alpha_k = \\frac{1}{Z} \\sum_i \\sum_j \\frac{\\partial y}{\\partial A^k_{ij}}, \\qquad
          L = \\mathrm{ReLU}\\left(\\sum_k \\alpha_k A^k\\right), \\quad Z = h w.

This module only forms the weighted activations ``alpha_k * A^k``; :mod:`saliqa.explain.base`
does the hooks, the pass, the channel sum or SVD projection, the ReLU and the scaling
(pytorch-grad-cam's ``GradCAM.get_cam_weights`` + ``BaseCAM.get_cam_image``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["gradcam_weights", "gradcam_products"]


def gradcam_weights(grads: torch.Tensor) -> torch.Tensor:
    """GradCAM's channel weights: the spatial mean of the gradients (seed 002, Sec. III-C).

    Parameters
    ----------
    grads
        ``(B, C, h, w)`` gradients ``dy/dA`` of the score w.r.t. the activations.

    Returns
    -------
    torch.Tensor
        ``(B, C, 1, 1)`` weights ``alpha_k``.
    """
    return grads.mean(dim=(2, 3), keepdim=True)


def gradcam_products(activations: torch.Tensor, grads: torch.Tensor) -> torch.Tensor:
    """Weighted activations ``alpha_k * A^k`` whose channel sum is the GradCAM map (before the ReLU).

    Parameters
    ----------
    activations
        ``(B, C, h, w)`` target-layer activations ``A``.
    grads
        ``(B, C, h, w)`` gradients ``dy/dA``.

    Returns
    -------
    torch.Tensor
        ``(B, C, h, w)``.
    """
    return gradcam_weights(grads) * activations
