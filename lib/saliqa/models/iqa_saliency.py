"""Seed 002's IQA models: Baseline, Baseline-Sal-Loss and Baseline-GradCAM-Loss (Sec. III-A, III-C).

All three are the paper's "simple baseline model, consisting of a backbone, GAP pooling, and MLP
head" with one output (the quality score):

    backbone (last feature map A, (B, C, h, w)) -> AdaptiveAvgPool2d(1) -> Flatten
    -> Linear(C -> hidden) -> ReLU -> Dropout(p) -> Linear(hidden -> 1)

The paper gives no head width or dropout; ``hidden=256`` and ``p=0.2`` are ours (stated in the
notebook). Backbones: EfficientNet-B0 and ResNet-50 in the paper; any
:mod:`saliqa.models.backbones` entry here (offline: the ImageNet-pretrained EfficientNet-Lite0 and
MobileNetV2 that install with the project).

Variants (``variant``):

``"baseline"``
    IQA only. Its saliency is extracted after training with a CAM (:mod:`saliqa.explain`).
``"sal_loss"`` (Baseline-Sal-Loss)
    Plus "a small decoder ... a single convolutional layer with a 1x1 kernel, followed by a
    sigmoid activation" on ``A``: a saliency map at the feature map's resolution, trained with a
    saliency loss against the (proxy) saliency target.
``"gradcam_loss"`` (Baseline-GradCAM-Loss)
    The GradCAM of the score w.r.t. ``A`` as a second output, Sec. III-C's equation
    ``L = ReLU(sum_k alpha_k A^k)``, ``alpha_k = mean_ij dy/dA^k_ij``, with alpha detached from
    the graph so that the saliency loss differentiates through the channel maps ``A^k`` only
    (:func:`saliqa.explain.differentiable.gradcam_map`). No extra parameters: the paper's
    "parameter-free dual-task training".

:meth:`DualTaskIQA.forward` returns the score ``(B,)`` only (what CAM extraction, prediction and
masking call); :meth:`DualTaskIQA.forward_dual` returns a dict with ``score``, ``features`` and,
for the dual-task variants, ``saliency`` ``(B, h, w)``. Inputs are RGB on [0, 1], normalised
with the backbone's mean / std inside the model; the CAM target layer is :attr:`target_layer`
(the backbone, whose output is ``A``).
"""

from __future__ import annotations

import os
from typing import Any, Literal

import torch
from torch import nn

from saliqa.models.paq2piq import _BackboneModel, count_parameters

__all__ = ["VARIANTS", "Variant", "DualTaskIQA", "mlp_head", "parameter_counts"]

Variant = Literal["baseline", "sal_loss", "gradcam_loss"]
VARIANTS: tuple[str, ...] = ("baseline", "sal_loss", "gradcam_loss")
VARIANT_LABELS: dict[str, str] = {
    "baseline": "Baseline",
    "sal_loss": "Baseline-Sal-Loss",
    "gradcam_loss": "Baseline-GradCAM-Loss",
}


def mlp_head(in_features: int, *, hidden: int = 256, dropout: float = 0.2) -> nn.Sequential:
    """GAP + MLP head with one output (seed 002, Sec. III-A "GAP pooling, and MLP head").

    Parameters
    ----------
    in_features
        Channels ``C`` of the feature map.
    hidden
        Width of the hidden layer (ours: the paper gives none).
    dropout
        Dropout rate before the output layer (ours).

    Returns
    -------
    torch.nn.Sequential
        ``AdaptiveAvgPool2d(1), Flatten, Linear(C, hidden), ReLU, Dropout, Linear(hidden, 1)``.
    """
    if hidden < 1:
        raise ValueError(f"hidden must be >= 1, got {hidden}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    return nn.Sequential(
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(in_features, hidden),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(hidden, 1),
    )


class DualTaskIQA(_BackboneModel):
    """Seed 002's Baseline and its two dual-task variants (module docstring).

    Parameters
    ----------
    backbone
        A :mod:`saliqa.models.backbones` name.
    variant
        ``"baseline"``, ``"sal_loss"`` or ``"gradcam_loss"``.
    pretrained
        ``"auto"`` / True / False, passed to :func:`saliqa.models.backbones.build`.
    hidden, dropout
        The MLP head (:func:`mlp_head`).
    weights_path
        Explicit backbone state-dict file.
    """

    def __init__(
        self,
        backbone: str = "efficientnet_lite0",
        variant: Variant = "baseline",
        pretrained: bool | Literal["auto"] = "auto",
        *,
        hidden: int = 256,
        dropout: float = 0.2,
        weights_path: str | os.PathLike[str] | None = None,
    ) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        super().__init__(backbone, pretrained, weights_path, normalize_input=True)
        self.variant: str = variant
        self.head = mlp_head(self.channels, hidden=hidden, dropout=dropout)
        self.decoder: nn.Module | None = None
        if variant == "sal_loss":
            self.decoder = nn.Sequential(nn.Conv2d(self.channels, 1, kernel_size=1), nn.Sigmoid())

    @property
    def label(self) -> str:
        """The paper's name of the variant (e.g. ``"Baseline-Sal-Loss"``)."""
        return VARIANT_LABELS[self.variant]

    @property
    def target_layer(self) -> nn.Module:
        """The module whose output is the last feature map ``A`` (the CAM target layer)."""
        return self.body

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Quality scores ``(B,)`` of RGB ``[0, 1]`` images ``(B, 3, H, W)``."""
        return self.head(self.features(images))[:, 0]

    def forward_dual(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Score, features and (dual-task variants) the saliency output.

        Returns
        -------
        dict
            ``score`` ``(B,)``, ``features`` ``A`` ``(B, C, h, w)``; ``saliency`` ``(B, h, w)``
            for ``"sal_loss"`` (the decoder's sigmoid map) and ``"gradcam_loss"`` (the
            differentiable GradCAM, which needs autograd: call it with gradients enabled).
        """
        features = self.features(images)
        score = self.head(features)[:, 0]
        out: dict[str, torch.Tensor] = {"score": score, "features": features}
        if self.decoder is not None:
            out["saliency"] = self.decoder(features)[:, 0]
        elif self.variant == "gradcam_loss":
            from saliqa.explain.differentiable import gradcam_map

            if not torch.is_grad_enabled():
                raise RuntimeError(
                    "Baseline-GradCAM-Loss's saliency output is a GradCAM: call forward_dual with "
                    "gradients enabled (not under torch.no_grad / inference_mode)"
                )
            out["saliency"] = gradcam_map(score, features)
        return out

    def saliency(self, images: torch.Tensor) -> torch.Tensor:
        """The variant's own saliency output ``(B, h, w)`` (not for ``"baseline"``), without a graph."""
        if self.variant == "baseline":
            raise ValueError("the Baseline has no saliency output; extract a CAM with saliqa.explain.cam")
        with torch.enable_grad():
            out = self.forward_dual(images)["saliency"]
        return out.detach()


def parameter_counts(model: nn.Module) -> dict[str, Any]:
    """Parameters of the backbone, head and decoder of a :class:`DualTaskIQA` (no extra for GradCAM-Loss)."""
    if not isinstance(model, DualTaskIQA):
        raise ValueError(f"model must be a DualTaskIQA, got {type(model).__name__}")
    return {
        "model": model.label,
        "backbone": count_parameters(model.body),
        "head": count_parameters(model.head),
        "decoder": count_parameters(model.decoder) if model.decoder is not None else 0,
        "total": count_parameters(model),
    }
