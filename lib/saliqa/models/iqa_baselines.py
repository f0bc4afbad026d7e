"""The deep baselines PaQ-2-PiQ compares with: a NIMA-style regressor and CNNIQA (seed 003).

Seed 003, section 4.1 (*Evaluation setup*): "We reimplemented two deep picture quality methods -
NIMA [46] which uses a Mobilenet-v2 [67] (except we replaced the output layer to regress a single
quality score), and CNNIQA [68], following the details provided by the authors." Supplementary A
adds NIMA with a ResNet-18 backbone (Tables 5-7) and supplementary B counts the parameters
(Table 8).

:class:`NIMA`
    Backbone (any :mod:`saliqa.models.backbones` entry; MobileNetV2 and ResNet-18 in the paper)
    -> global average pooling -> dropout -> linear. ``n_out=1`` (default) is the paper's variant:
    one score regressed with the MSE loss and the settings of section 4.1 (Adam (0.9, 0.99),
    weight decay 0.01, discriminative learning rates 3e-4 / 3e-3, 10 epochs, batch 120, 640x640
    white-padded pictures). ``n_out=10`` is Talebi and Milanfar's original head (a softmax over 10
    score bins trained with the EMD loss, :func:`emd_loss`; mean score by :meth:`NIMA.score`).
    Table 8 settles which one the paper trained: its NIMA head (10.11 K parameters) is one output
    (``Linear(512 -> 1)`` = 513, plus the backbone's BatchNorm parameters under the paper's way
    of counting, see :func:`saliqa.models.paq2piq.parameter_table`); ten bins would give
    14.73 K. The dropout rate is the original NIMA's, 0.75 (the seed does not give one).

:class:`CNNIQA`
    Kang et al., CVPR 2014 [68]: 32x32 grey patches, each locally contrast-normalised
    (:func:`local_contrast_normalize`), one 7x7 convolution with 50 kernels, global max and min
    pooling of each of the 50 maps (100 values), two fully connected layers of 800 units with
    ReLU, one output. 2,500 + 80,800 + 640,800 + 801 = 724,901 parameters: Table 8's 724.90 K.
    The picture score is the mean of its patches' scores (:meth:`CNNIQA.predict_pictures`); in
    training every patch carries its picture's MOS (Kang et al. minimise the L1 error).
    :func:`cnniqa_patches` is the patch preprocessing (grey, non-overlapping 32x32 patches, LCN),
    batched with ``unfold``.
"""

from __future__ import annotations

import os
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from saliqa.constants import BT601_LUMA
from saliqa.models.backbones import build

__all__ = [
    "NIMA",
    "emd_loss",
    "CNNIQA",
    "local_contrast_normalize",
    "rgb_to_grey255",
    "cnniqa_patches",
]


class NIMA(nn.Module):
    """NIMA-style quality regressor (Talebi and Milanfar 2018, as re-implemented in seed 003).

    Parameters
    ----------
    backbone
        A :mod:`saliqa.models.backbones` name: ``"mobilenet_v2"`` (the paper's NIMA, Table 2) or
        ``"resnet18"`` (supplementary A, Tables 5-7).
    pretrained
        Passed to :func:`saliqa.models.backbones.build` (``"auto"`` loads offline ImageNet
        weights when present and warns otherwise; ``False``: random init from torch's RNG).
    n_out
        1 (default): one quality score, the paper's variant ("we replaced the output layer to
        regress a single quality score", section 4.1; Table 8's head size confirms it).
        10: the original NIMA score distribution (softmax output, train with :func:`emd_loss`).
    dropout
        Dropout before the output layer (0.75, the original NIMA's).
    weights_path
        An explicit backbone state-dict file (see ``backbones.build``).
    normalize_input
        Normalise ``[0, 1]`` RGB input with the backbone's mean / std inside :meth:`forward`.

    Attributes
    ----------
    body
        The backbone's feature extractor (its ImageNet classifier is not part of the model).
    head
        ``AdaptiveAvgPool2d(1) -> Flatten -> Dropout -> Linear(C, n_out)``.
    weights
        Which backbone weights were loaded (``Backbone.weights``).
    """

    def __init__(
        self,
        backbone: str = "mobilenet_v2",
        pretrained: bool | Literal["auto"] = "auto",
        *,
        n_out: int = 1,
        dropout: float = 0.75,
        weights_path: str | os.PathLike[str] | None = None,
        normalize_input: bool = True,
    ) -> None:
        super().__init__()
        if n_out not in (1, 10):
            raise ValueError(f"n_out must be 1 (one score, the paper's NIMA) or 10 (score bins); got {n_out!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {dropout!r}")
        bb = build(backbone, pretrained, weights_path=weights_path)
        self.backbone_name = bb.name
        self.weights = bb.weights
        self.pretrained_loaded = bb.pretrained_loaded
        self.stride, self.channels = bb.stride, bb.channels
        self.n_out = int(n_out)
        self.normalize_input = bool(normalize_input)
        self.register_buffer("mean", torch.tensor(bb.mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(bb.std).view(1, 3, 1, 1), persistent=False)
        self.body = bb.features
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(bb.channels, n_out)
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Scores ``(B,)`` for ``n_out=1``; bin probabilities ``(B, 10)`` (softmax) for ``n_out=10``.

        ``images``: ``(B, 3, H, W)`` RGB on [0, 1] (normalised inside unless
        ``normalize_input=False``).
        """
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"images must be (B, 3, H, W); got {tuple(images.shape)}")
        x = (images - self.mean) / self.std if self.normalize_input else images
        out = self.head(self.body(x))
        return out[:, 0] if self.n_out == 1 else torch.softmax(out, dim=1)

    def score(self, images: torch.Tensor) -> torch.Tensor:
        """One score per picture: the output for ``n_out=1``, the mean bin (1..10) for 10 bins."""
        out = self(images)
        if self.n_out == 1:
            return out
        bins = torch.arange(1, 11, dtype=out.dtype, device=out.device)
        return out @ bins


def emd_loss(p: torch.Tensor, q: torch.Tensor, r: int = 2) -> torch.Tensor:
    """Earth mover's distance between score distributions (NIMA, eq. 1), mean over the batch.

    ``EMD(p, q) = (mean_k |CDF_p(k) - CDF_q(k)|^r)^(1/r)`` with ``r = 2``, for ``(B, N)``
    distributions (each row summing to 1).
    """
    if p.shape != q.shape or p.ndim != 2:
        raise ValueError(f"p and q must be (B, N) of the same shape; got {tuple(p.shape)} and {tuple(q.shape)}")
    cdf = torch.cumsum(p, dim=1) - torch.cumsum(q, dim=1)
    return (cdf.abs().pow(r).mean(dim=1)).pow(1.0 / r).mean()


# ------------------------------------------------------------------------------------------
# CNNIQA
# ------------------------------------------------------------------------------------------


def rgb_to_grey255(images: torch.Tensor) -> torch.Tensor:
    """BT.601 luma on the 0..255 scale, ``(B, 1, H, W)``, from ``(B, 3, H, W)`` RGB on [0, 1].

    ``uint8`` input (0..255) is accepted too. A 1-channel input is taken as grey already (on
    [0, 1] for floating point, 0..255 for ``uint8``).
    """
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must be (B, 3, H, W) RGB or (B, 1, H, W) grey; got {tuple(images.shape)}")
    scale = 1.0 if images.dtype == torch.uint8 else 255.0
    x = images.to(torch.float32) * scale if images.dtype == torch.uint8 else images * scale
    if x.shape[1] == 1:
        return x
    luma = torch.tensor(BT601_LUMA.tolist(), dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x * luma).sum(dim=1, keepdim=True)


def _symmetric_index(n: int, pad: int, device: torch.device) -> torch.Tensor:
    """Indices of ``numpy.pad(mode="symmetric")`` (edge repeated; scipy's ``boundary="symm"``)."""
    i = torch.arange(-pad, n + pad, device=device)
    period = 2 * n
    i = torch.remainder(i, period)
    return torch.where(i >= n, period - 1 - i, i)


def local_contrast_normalize(grey: torch.Tensor, window: int = 3, c: float = 1.0) -> torch.Tensor:
    """Kang et al.'s local contrast normalisation, ``(I - mu) / (sigma + C)``, per image.

    ``mu`` and ``sigma`` are the mean and (population) standard deviation of the
    ``window x window`` neighbourhood of each pixel, the image extended symmetrically at its
    borders (scipy ``convolve2d(boundary="symm")``); ``C = 1`` on the 0..255 grey scale keeps the
    flat regions from blowing up.

    Parameters
    ----------
    grey
        ``(N, 1, H, W)`` grey values on 0..255 (patches or whole images; each is normalised on its
        own, so a patch never sees its neighbours' pixels).
    window
        Odd neighbourhood side. Kang et al. write ``P = Q = 3``; the widely used CNNIQA
        re-implementation (lidq92/CNNIQA) reads that as a 3x3 window, the default here; the
        literal ``(2P + 1)`` reading of their sums is ``window=7``.
    c
        The positive constant ``C``.

    Returns
    -------
    torch.Tensor
        Same shape and dtype (floating point).

    Raises
    ------
    ValueError
        Bad shape, an even or non-positive window, a window larger than twice the image, or
        ``c <= 0``.
    """
    if grey.ndim != 4 or grey.shape[1] != 1:
        raise ValueError(f"grey must be (N, 1, H, W); got {tuple(grey.shape)}")
    if window < 1 or window % 2 == 0:
        raise ValueError(f"window must be a positive odd int; got {window!r}")
    if not c > 0:
        raise ValueError(f"c must be positive; got {c!r}")
    x = grey if grey.is_floating_point() else grey.to(torch.float32)
    pad = window // 2
    if pad > min(x.shape[-2:]):
        raise ValueError(f"window {window} too large for {tuple(x.shape[-2:])} images")
    rows = _symmetric_index(x.shape[-2], pad, x.device)
    cols = _symmetric_index(x.shape[-1], pad, x.device)
    padded = x.index_select(-2, rows).index_select(-1, cols)
    mean = F.avg_pool2d(padded, window, stride=1)
    mean_sq = F.avg_pool2d(padded * padded, window, stride=1)
    std = torch.sqrt(torch.clamp(mean_sq - mean * mean, min=0.0))
    return (x - mean) / (std + c)


def cnniqa_patches(
    images: torch.Tensor, patch: int = 32, stride: int | None = None, *, window: int = 3, c: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """CNNIQA's input: non-overlapping grey ``patch x patch`` patches, each LCN-normalised.

    Parameters
    ----------
    images
        ``(B, 3, H, W)`` RGB on [0, 1] (or ``uint8``), or ``(B, 1, H, W)`` grey; every picture
        of the batch the same size (pad or group pictures by size first). Pixels beyond the last
        whole patch are not used.
    patch, stride
        Patch side (32, Kang et al.) and step (default ``patch``: non-overlapping).
    window, c
        :func:`local_contrast_normalize` parameters.

    Returns
    -------
    patches : torch.Tensor
        ``(B * P, 1, patch, patch)``, picture by picture, row-major within each picture.
    index : torch.Tensor
        ``(B * P,)`` int64: the picture each patch comes from.

    Raises
    ------
    ValueError
        Pictures smaller than one patch.
    """
    stride = patch if stride is None else int(stride)
    grey = rgb_to_grey255(images)
    b, _, h, w = grey.shape
    if h < patch or w < patch:
        raise ValueError(f"pictures of {h}x{w} are smaller than one {patch}x{patch} patch")
    cols = F.unfold(grey, kernel_size=patch, stride=stride)  # (B, patch*patch, P)
    n = cols.shape[-1]
    patches = cols.transpose(1, 2).reshape(b * n, 1, patch, patch)
    index = torch.arange(b, device=grey.device).repeat_interleave(n)
    return local_contrast_normalize(patches, window=window, c=c), index


class CNNIQA(nn.Module):
    """Kang et al. (CVPR 2014) CNN for no-reference IQA, on 32x32 LCN patches (seed 003, [68]).

    ``conv 7x7 x 50 (no activation) -> [global max, global min] (100) -> FC 800 + ReLU + dropout ->
    FC 800 + ReLU + dropout -> FC 1``; 724,901 parameters (Table 8: 724.90 K).

    Parameters
    ----------
    n_kernels, kernel, n_hidden
        50, 7, 800 in Kang et al.
    dropout
        Dropout after each hidden FC layer (Kang et al. use dropout in the FC layers; 0.5 here).
    """

    def __init__(self, n_kernels: int = 50, kernel: int = 7, n_hidden: int = 800, dropout: float = 0.5) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, n_kernels, kernel)
        self.fc1 = nn.Linear(2 * n_kernels, n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_hidden)
        self.out = nn.Linear(n_hidden, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        """Scores ``(N,)`` for ``(N, 1, 32, 32)`` normalised patches (:func:`cnniqa_patches`)."""
        if patches.ndim != 4 or patches.shape[1] != 1:
            raise ValueError(f"patches must be (N, 1, h, w) grey LCN patches; got {tuple(patches.shape)}")
        maps = self.conv(patches).flatten(2)  # (N, K, h' * w')
        h = torch.cat([maps.amax(dim=2), maps.amin(dim=2)], dim=1)
        h = self.dropout(F.relu(self.fc1(h)))
        h = self.dropout(F.relu(self.fc2(h)))
        return self.out(h)[:, 0]

    def predict_pictures(self, images: torch.Tensor, patch: int = 32, **kwargs: float) -> torch.Tensor:
        """Picture scores ``(B,)``: the mean of each picture's patch scores (Kang et al.).

        ``images`` as in :func:`cnniqa_patches` (same-size pictures); ``kwargs`` go to it.
        """
        patches, index = cnniqa_patches(images, patch, **kwargs)  # type: ignore[arg-type]
        scores = self(patches)
        b = images.shape[0]
        sums = torch.zeros(b, dtype=scores.dtype, device=scores.device).index_add_(0, index, scores)
        counts = torch.bincount(index, minlength=b).to(scores.dtype)
        return sums / counts
