"""The differentiable GradCAM map of seed 002's Baseline-GradCAM-Loss (Sec. III-C).

.. math:: L_{GradCAM} = \\mathrm{ReLU}\\left(\\sum_k \\alpha_k A^k\\right), \\qquad
          \\alpha_k = \\frac{1}{Z} \\sum_i \\sum_j \\frac{\\partial y}{\\partial A^k_{ij}},

with ``y`` the model's (single) score and ``A`` the last feature map. "To ensure
differentiability, we detached alpha from the computational graph, calculating gradients
exclusively over the channel maps": ``alpha`` is computed with ``torch.autograd.grad``
(``create_graph=False``, ``retain_graph=True`` so that the IQA loss can still back-propagate
through the same graph) and carries no gradient; the map stays differentiable w.r.t. ``A`` and,
through it, the backbone. No resizing or scaling is applied (a loss resizes / normalises as it
needs). Its value is the map that :func:`saliqa.explain.cam` computes with
``method="gradcam"``, ``augment=None``, ``eigen_smooth=False`` after the ReLU and before its
scaling and resizing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from saliqa.explain.gradcam import gradcam_weights

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["gradcam_map"]


def gradcam_map(score: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    """GradCAM maps with detached channel weights, differentiable w.r.t. ``features`` (Sec. III-C).

    Parameters
    ----------
    score
        ``(B,)`` or ``(B, 1)`` scores computed from ``features`` (part of its autograd graph).
    features
        ``(B, C, h, w)`` feature map ``A`` (requires grad, e.g. the backbone's output).

    Returns
    -------
    torch.Tensor
        ``(B, h, w)`` maps ``ReLU(sum_k alpha_k A^k)``; gradients flow into ``features`` only
        through ``A^k`` (``alpha`` is detached). The graph of ``score`` is retained.

    Raises
    ------
    ValueError
        If the shapes are wrong, the batch sizes differ, or ``score`` does not depend on
        ``features``.
    """
    import torch

    if not isinstance(features, torch.Tensor) or features.ndim != 4 or not features.is_floating_point():
        got = tuple(features.shape) if isinstance(features, torch.Tensor) else type(features).__name__
        raise ValueError(f"features must be a float (B, C, h, w) tensor, got {got}")
    if not isinstance(score, torch.Tensor):
        raise ValueError(f"score must be a (B,) or (B, 1) tensor, got {type(score).__name__}")
    s = score[:, 0] if score.ndim == 2 and score.shape[1] == 1 else score
    if s.ndim != 1 or s.shape[0] != features.shape[0]:
        raise ValueError(
            f"score must have shape ({features.shape[0]},) or ({features.shape[0]}, 1) to match features, "
            f"got {tuple(score.shape)}"
        )
    if not (s.requires_grad and features.requires_grad):
        raise ValueError("score must be computed from features inside an autograd graph (both must require grad)")
    (grads,) = torch.autograd.grad(s.sum(), features, create_graph=False, retain_graph=True, allow_unused=True)
    if grads is None:
        raise ValueError("score does not depend on features (no gradient path)")
    alpha = gradcam_weights(grads).detach()
    return torch.relu((alpha * features).sum(dim=1))
