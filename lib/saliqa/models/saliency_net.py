r"""A small saliency predictor: an ImageNet encoder and a light U-shaped decoder.

Notebook 03 (seed 002, Sec. III-C) needs saliency maps on IQA pictures that have no fixations;
the paper used MSINet's maps as proxy ground truth. :class:`SaliencyNet` is the project's own,
trained on real eye fixations (OSIE, :mod:`saliqa.saliency_predictor`), small enough to train on
a 2-core CPU in a minute or two.

Architecture
------------
* **Encoder**: ``saliqa.models.backbones.build(backbone_name)`` (offline ImageNet weights for
  ``mobilenet_v2`` and ``efficientnet_lite0``). Its ``features`` are cut into stages; the
  outputs of the last stage at stride 8, at stride 16 and of the whole encoder (stride 32) are
  used (found at construction by a dry run on a 64 x 64 input, so any backbone of
  :data:`saliqa.models.backbones.BACKBONE_NAMES` works).
* **Decoder** (``decoder.*``, 64 channels): ``1x1 conv`` on the stride-32 features, bilinear x2,
  add a ``1x1 conv`` of the stride-16 features, ``3x3 conv``; bilinear to stride 8, add a
  ``1x1 conv`` of the stride-8 features, ``3x3 conv`` to 32 channels, ``1x1 conv`` to one logit
  map. ReLU after every conv but the last.
* **Centre bias** (``centre.*``, optional): a learnable anisotropic Gaussian log-prior added to
  the logits, :math:`b(x, y) = -\frac{(u - 0.5)^2}{2 s_x^2} - \frac{(v - 0.5)^2}{2 s_y^2}` with
  ``(u, v)`` the pixel centres in ``[0, 1]`` image coordinates, ``s = exp(log_sigma)`` (init 0.25
  of the width / height, :func:`saliqa.saliency.centre_prior`'s default) and a learnable weight
  (init 1): at initialisation the prediction is close to the centre prior, and training learns
  what the image adds (as DeepGaze's log centre bias).
* **Output**: a spatial softmax over the logits: each map is a probability density, non-negative
  and summing to 1, of shape ``(B, ceil(H/8), ceil(W/8))`` (stride 8; the exact size follows the
  backbone's stride-8 stage).

Inputs are ``(B, 3, H, W)`` images normalised with :meth:`SaliencyNet.normalize` (the backbone's
mean / std; ``saliqa.train.fit`` does it on the device for uint8 batches when
``TrainConfig.mean/std`` are the backbone's). The encoder can be frozen (``freeze_backbone``):
its batch-norm layers then stay in eval mode and its features can be computed once and cached
(:meth:`SaliencyNet.encode` / :meth:`SaliencyNet.decode`), which is how the CPU training of
:func:`saliqa.saliency_predictor.train_saliency_predictor` stays fast.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn
from torch.nn import functional as F

from saliqa.models.backbones import build

__all__ = ["SaliencyNet", "encoder_stages"]


def encoder_stages(features: nn.Module) -> list[nn.Module]:
    """The backbone's ``features`` as a flat list of sequential stages.

    Top-level children of ``features``; a child that is itself an ``nn.Sequential`` of blocks
    (timm's ``blocks``) is expanded one level, so each stage is one block of the network.

    Parameters
    ----------
    features
        ``Backbone.features`` (an ``nn.Sequential``).

    Returns
    -------
    list of nn.Module
        Applying them in order equals ``features(x)``.

    Raises
    ------
    ValueError
        If ``features`` has no children.
    """
    out: list[nn.Module] = []
    for child in features.children():
        if isinstance(child, nn.Sequential) and len(child) > 1 and all(isinstance(c, nn.Module) for c in child):
            out.extend(child.children())
        else:
            out.append(child)
    if not out:
        raise ValueError(f"backbone features {type(features).__name__} has no stages")
    return out


def _conv(cin: int, cout: int, k: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, padding=k // 2)


class _Decoder(nn.Module):
    """Light U-shaped decoder (see the module docstring)."""

    def __init__(self, c8: int, c16: int, c32: int, width: int = 64) -> None:
        super().__init__()
        self.top = _conv(c32, width, 1)
        self.skip16 = _conv(c16, width, 1)
        self.mix16 = _conv(width, width, 3)
        self.skip8 = _conv(c8, width, 1)
        self.mix8 = _conv(width, width // 2, 3)
        self.out = _conv(width // 2, 1, 1)

    def forward(self, f8: torch.Tensor, f16: torch.Tensor, f32: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.top(f32))
        x = F.interpolate(x, size=f16.shape[-2:], mode="bilinear", align_corners=False)
        x = F.relu(self.mix16(F.relu(x + self.skip16(f16))))
        x = F.interpolate(x, size=f8.shape[-2:], mode="bilinear", align_corners=False)
        x = F.relu(self.mix8(F.relu(x + self.skip8(f8))))
        return self.out(x)[:, 0]


class _CentreBias(nn.Module):
    """Learnable Gaussian log-prior ``w * b(x, y)`` (module docstring)."""

    def __init__(self, sigma_frac: float = 0.25) -> None:
        super().__init__()
        self.log_sigma = nn.Parameter(torch.full((2,), math.log(sigma_frac)))  # (y, x)
        self.weight = nn.Parameter(torch.ones(()))

    def forward(self, h: int, w: int, like: torch.Tensor) -> torch.Tensor:
        v = (torch.arange(h, device=like.device, dtype=like.dtype) + 0.5) / h - 0.5
        u = (torch.arange(w, device=like.device, dtype=like.dtype) + 0.5) / w - 0.5
        s = torch.exp(self.log_sigma).to(like.dtype)
        b = -(v[:, None] ** 2) / (2 * s[0] ** 2) - (u[None, :] ** 2) / (2 * s[1] ** 2)
        return self.weight.to(like.dtype) * b


class SaliencyNet(nn.Module):
    """Encoder-decoder saliency predictor returning spatial-softmax densities ``(B, h, w)``.

    Parameters
    ----------
    backbone_name
        A :data:`saliqa.models.backbones.BACKBONE_NAMES` entry (``"mobilenet_v2"``: 2.2 M
        encoder parameters; ``"efficientnet_lite0"``).
    pretrained
        Passed to :func:`saliqa.models.backbones.build` (``"auto"``: ImageNet weights when found
        offline, else random init with a warning).
    freeze_backbone
        Keep the encoder's weights fixed (``requires_grad=False``) and its batch norms in eval
        mode.
    centre_bias
        Add the learnable Gaussian centre log-prior (module docstring).
    width
        Decoder channels.

    Attributes
    ----------
    weights : str
        The backbone provenance string (which ImageNet weights were loaded, or random init).
    backbone_name : str
    mean, std : tuple of float
        Input normalisation of the backbone (for ``TrainConfig(mean=..., std=...)``).
    strides : tuple of int
        ``(8, 16, 32)``: strides of the three features used.

    Raises
    ------
    ValueError
        Unknown backbone, or a backbone without stages at strides 8 and 16.
    """

    def __init__(
        self,
        backbone_name: str = "mobilenet_v2",
        pretrained: bool | Literal["auto"] = "auto",
        *,
        freeze_backbone: bool = False,
        centre_bias: bool = True,
        width: int = 64,
    ) -> None:
        super().__init__()
        bb = build(backbone_name, pretrained)
        self.backbone_name = backbone_name
        self.weights: str = bb.weights
        self.pretrained_loaded: bool = bb.pretrained_loaded
        self.mean = bb.mean
        self.std = bb.std
        self.stages = nn.ModuleList(encoder_stages(bb.features))
        self.freeze_backbone = bool(freeze_backbone)
        i8, i16, channels = self._find_taps()
        self.taps = (i8, i16, len(self.stages) - 1)
        self.strides = (8, 16, 32)
        self.decoder = _Decoder(channels[0], channels[1], channels[2], width)
        self.centre = _CentreBias() if centre_bias else None
        if self.freeze_backbone:
            for p in self.stages.parameters():
                p.requires_grad_(False)

    def _find_taps(self) -> tuple[int, int, tuple[int, int, int]]:
        """Indices of the last stages at stride 8 and 16, and the channels at 8 / 16 / 32."""
        size = 64
        x = torch.zeros(1, 3, size, size)
        last: dict[int, tuple[int, int]] = {}
        was = self.stages.training
        self.stages.eval()
        with torch.no_grad():
            for i, stage in enumerate(self.stages):
                x = stage(x)
                last[round(size / x.shape[-1])] = (i, int(x.shape[1]))
        self.stages.train(was)
        if 8 not in last or 16 not in last or 32 not in last:
            raise ValueError(
                f"backbone {self.backbone_name!r} has no stages at strides 8, 16 and 32 (found {sorted(last)})"
            )
        return last[8][0], last[16][0], (last[8][1], last[16][1], int(x.shape[1]))

    def train(self, mode: bool = True) -> SaliencyNet:
        """Like ``nn.Module.train``; a frozen encoder stays in eval mode (fixed batch norms)."""
        super().train(mode)
        if self.freeze_backbone:
            self.stages.eval()
        return self

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """Normalise RGB images in ``[0, 1]``, ``(B, 3, H, W)``, with the backbone's mean / std."""
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"images must be (B, 3, H, W) RGB in [0, 1]; got {tuple(images.shape)}")
        mean = torch.as_tensor(self.mean, dtype=images.dtype, device=images.device)[:, None, None]
        std = torch.as_tensor(self.std, dtype=images.dtype, device=images.device)[:, None, None]
        return (images - mean) / std

    def encode(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encoder features ``(f8, f16, f32)`` of normalised images ``(B, 3, H, W)``.

        Raises
        ------
        ValueError
            If ``images`` is not ``(B, 3, H, W)`` with H, W >= 32.
        """
        if images.ndim != 4 or images.shape[1] != 3 or min(images.shape[-2:]) < 32:
            raise ValueError(f"images must be (B, 3, H, W) with H, W >= 32; got {tuple(images.shape)}")
        feats: list[torch.Tensor] = []
        x = images
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in self.taps:
                feats.append(x)
        return feats[0], feats[1], feats[2]

    def decode(self, features: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Densities ``(B, h, w)`` (spatial softmax, each map sums to 1) from encoder features."""
        f8, f16, f32 = features
        logits = self.decoder(f8, f16, f32)
        if self.centre is not None:
            logits = logits + self.centre(logits.shape[-2], logits.shape[-1], logits)
        b, h, w = logits.shape
        return torch.softmax(logits.float().reshape(b, h * w), dim=1).reshape(b, h, w)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Saliency densities ``(B, ~H/8, ~W/8)`` of normalised images ``(B, 3, H, W)``."""
        if self.freeze_backbone:
            with torch.no_grad():
                feats = self.encode(images)
        else:
            feats = self.encode(images)
        return self.decode(feats)
