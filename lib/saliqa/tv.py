"""Import torchvision even when its compiled operators cannot load.

The torchvision wheel installed next to a CPU-only torch may be a CUDA build whose compiled
extension (``torchvision/_C.so``) does not load. Recent torchvision versions then fail at
import time, because their Python side registers fake (meta) kernels for operators such as
``torchvision::nms`` that only the compiled extension defines::

    RuntimeError: operator torchvision::nms does not exist

:func:`import_torchvision` imports torchvision normally. Only when that import fails with the
error above does it define the missing operator *schemas* (no kernels) with
:func:`torch.library.define`, one at a time as the import reports them, and import again. The
models, transforms and weight enums then work; functions that need the compiled kernels
(``torchvision.ops.roi_pool``, ``nms``, ``roi_align``, ...) keep raising torchvision's own
"Couldn't load custom C++ ops" error. :func:`torchvision_ops_available` says which case holds;
:mod:`saliqa.models.roi` uses it to pick torchvision's RoIPool or the pure-torch one.

On a machine whose torch and torchvision match (e.g. a CUDA box), the first import succeeds and
nothing is registered.

Import ``timm``, ``pytorch_grad_cam`` or anything else that imports torchvision only after
calling :func:`import_torchvision` (``timm`` imports ``torchvision`` at its own import).
"""

from __future__ import annotations

import importlib
import logging
import re
import sys
import threading
from types import ModuleType

__all__ = ["import_torchvision", "torchvision_ops_available", "registered_schemas"]

logger = logging.getLogger(__name__)

# Schemas of torchvision's compiled operators, as torchvision's C++ sources declare them.
# Only the ones an import reports missing are defined.
_KNOWN_SCHEMAS: dict[str, str] = {
    "nms": "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "roi_align": (
        "(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor"
    ),
    "_roi_align_backward": (
        "(Tensor grad, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width, "
        "int sampling_ratio, bool aligned) -> Tensor"
    ),
    "roi_pool": (
        "(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width) -> (Tensor, Tensor)"
    ),
    "_roi_pool_backward": (
        "(Tensor grad, Tensor rois, Tensor argmax, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, "
        "SymInt width) -> Tensor"
    ),
    "ps_roi_align": (
        "(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width, int sampling_ratio) -> (Tensor, Tensor)"
    ),
    "_ps_roi_align_backward": (
        "(Tensor grad, Tensor rois, Tensor channel_mapping, float spatial_scale, "
        "SymInt pooled_height, SymInt pooled_width, int sampling_ratio, SymInt batch_size, "
        "SymInt channels, SymInt height, SymInt width) -> Tensor"
    ),
    "ps_roi_pool": (
        "(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width) -> (Tensor, Tensor)"
    ),
    "_ps_roi_pool_backward": (
        "(Tensor grad, Tensor rois, Tensor channel_mapping, float spatial_scale, "
        "SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, "
        "SymInt height, SymInt width) -> Tensor"
    ),
    "deform_conv2d": (
        "(Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, "
        "SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, "
        "SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) -> Tensor"
    ),
    "_deform_conv2d_backward": (
        "(Tensor grad, Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, "
        "SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, "
        "SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) "
        "-> (Tensor, Tensor, Tensor, Tensor, Tensor)"
    ),
}

_MISSING_OP = re.compile(r"operator torchvision::(\w+) does not exist")

_lock = threading.RLock()
_module: ModuleType | None = None
_registered: list[str] = []
_ops_available: bool | None = None


def _purge_partial_import() -> None:
    """Drop the half-imported ``torchvision`` modules a failed import leaves in ``sys.modules``."""
    for name in list(sys.modules):
        if name == "torchvision" or name.startswith("torchvision."):
            del sys.modules[name]


def _define_schema(op: str, error: BaseException) -> None:
    import torch

    schema = _KNOWN_SCHEMAS.get(op)
    if schema is None:
        raise RuntimeError(
            f"importing torchvision failed because operator torchvision::{op} is not defined "
            f"(its compiled ops did not load), and saliqa.tv knows no schema for {op!r}. "
            f"Install a torchvision that matches torch {torch.__version__} (see "
            "https://github.com/pytorch/vision#installation)."
        ) from error
    torch.library.define(f"torchvision::{op}", schema)


def import_torchvision() -> ModuleType:
    """Import and return :mod:`torchvision`, defining missing operator schemas only if needed.

    Idempotent and thread-safe: the first successful call caches the module; later calls return
    it at once. What it did is logged on the ``saliqa.tv`` logger (INFO when schemas were
    registered, DEBUG otherwise); :func:`registered_schemas` lists the registered operators.

    Raises
    ------
    ImportError
        If torchvision is not installed.
    RuntimeError
        If the import fails for another reason than a missing ``torchvision::`` operator, or
        for an operator whose schema is unknown here; the message names the operator.
    """
    global _module
    if _module is not None:
        return _module
    with _lock:
        if _module is not None:
            return _module
        for _attempt in range(len(_KNOWN_SCHEMAS) + 2):
            try:
                module = importlib.import_module("torchvision")
            except RuntimeError as error:
                match = _MISSING_OP.search(str(error))
                if match is None:
                    raise
                op = match.group(1)
                if op in _registered:
                    raise RuntimeError(
                        f"torchvision still reports torchvision::{op} missing after saliqa.tv defined its schema"
                    ) from error
                _purge_partial_import()
                _define_schema(op, error)
                _registered.append(op)
                logger.debug("defined placeholder schema torchvision::%s; importing again", op)
                continue
            break
        else:  # pragma: no cover - bounded by the number of known schemas
            raise RuntimeError("importing torchvision kept failing; giving up")
        _module = module
        if _registered:
            import torch

            logger.info(
                "torchvision %s: compiled ops not loadable with torch %s; registered placeholder "
                "operator schemas %s so that it imports (models and transforms work; "
                "torchvision.ops kernels such as roi_pool/nms stay unavailable)",
                getattr(module, "__version__", "?"),
                torch.__version__,
                ", ".join(f"torchvision::{op}" for op in _registered),
            )
        else:
            logger.debug("torchvision %s imported normally", getattr(module, "__version__", "?"))
        return module


def registered_schemas() -> list[str]:
    """Operators (``"torchvision::nms"``, ...) whose schemas this module defined; empty if none."""
    with _lock:
        return [f"torchvision::{op}" for op in _registered]


def torchvision_ops_available() -> bool:
    """True when torchvision's compiled operators load and run here (checked once, cached).

    Checks that the extension loaded and that ``torchvision::roi_pool`` runs on a tiny CPU
    tensor (the operator :mod:`saliqa.models.roi` needs).
    """
    global _ops_available
    if _ops_available is not None:
        return _ops_available
    with _lock:
        if _ops_available is not None:
            return _ops_available
        tv = import_torchvision()
        available = False
        try:
            from torchvision import extension

            if extension._has_ops():
                import torch

                out = tv.ops.roi_pool(torch.ones(1, 1, 2, 2), torch.tensor([[0.0, 0.0, 0.0, 1.0, 1.0]]), 1)
                available = bool(out.shape == (1, 1, 1, 1))
        except Exception as error:  # noqa: BLE001 - any failure means "not usable"
            logger.debug("torchvision ops not usable: %s: %s", type(error).__name__, error)
            available = False
        _ops_available = available
        logger.debug("torchvision compiled ops available: %s", available)
        return available
