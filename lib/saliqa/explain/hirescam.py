"""HiResCAM products (Draelos & Carin 2021; the method of seed 002 Sec. III-A).

HiResCAM multiplies the gradient and the activation elementwise instead of averaging the
gradient over space first:

.. math:: L = \\mathrm{ReLU}\\left(\\sum_k \\frac{\\partial y}{\\partial A^k} \\odot A^k\\right).

For a model whose head is global average pooling followed by one linear layer, the gradient is
spatially constant and HiResCAM equals GradCAM; in general HiResCAM is the map that provably
shows the locations the score was computed from (for a GAP + linear head, ``h w`` times each
location's exact contribution to the score). As pytorch-grad-cam's ``HiResCAM``, only the
products are defined here; :mod:`saliqa.explain.base` does the rest. (pytorch-grad-cam prints a
warning that the faithfulness guarantee does not hold once the map is SVD-smoothed; the same
caveat applies to ``eigen_smooth=True`` here.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["hirescam_products"]


def hirescam_products(activations: torch.Tensor, grads: torch.Tensor) -> torch.Tensor:
    """Elementwise products ``dy/dA^k ⊙ A^k`` whose channel sum is the HiResCAM map (before the ReLU).

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
    return grads * activations
