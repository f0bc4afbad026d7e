"""Class-activation maps (CAMs) of single-output IQA models: hooks, one batched pass, scaling.

Seed 002 Sec. III-A extracts saliency from trained IQA models with HiResCAM, smoothed "through
augmentations and SVD decompositions of feature maps": "every image was passed six times
through the model with small rotations", and the weighted feature maps are reduced to their
first principal component. The design follows pytorch-grad-cam 1.5.7 (``BaseCAM`` does the work;
each method only says how the weighted activations are formed: :mod:`saliqa.explain.gradcam`,
:mod:`saliqa.explain.hirescam`), with the same conventions, but faster:

* the model's parameters are frozen (``requires_grad=False``) during the call and restored
  afterwards, the model is in eval mode during the call (every module's ``training`` flag is
  restored afterwards), and the target layer's output is replaced by a detached leaf tensor, so
  nothing before the target layer builds an autograd graph;
* the gradient is ``torch.autograd.grad`` of the summed scores w.r.t. that leaf only (the scores
  of different images are independent in eval mode, so the gradient of the sum is each image's
  own gradient), never ``loss.backward()`` over all parameters;
* all augmentations of ``batch_size`` images are stacked along the batch axis: one forward and
  one backward pass per chunk, and scaling, resizing, SVD and de-rotation are batched tensor ops;
* the input batch is passed in ``channels_last`` memory format (``channels_last=True``, the
  default; about 1.4x faster for MobileNetV2 on the CPU; the values agree with the contiguous
  format to float rounding);
* everything runs on the model's device (that of its first parameter or buffer); maps come back
  as float32 on the CPU.

Model interface: ``model(x)`` returns ``(B,)`` or ``(B, 1)`` scores for ``(B, C, H, W)``
inputs (``ValueError`` otherwise). ``target_layer`` is a submodule of ``model`` that runs once
per forward pass and outputs the ``(B, C, h, w)`` feature map ``A``. Hooks exist only while a
call runs and are removed in a ``finally`` block, also when the call raises.

Pipeline of :func:`cam` / :class:`CAM` for each image (pytorch-grad-cam's, step by step):

1. (augmentation) the input is rotated by each angle of ``augment`` with
   :func:`saliqa.explain.smoothing.rotate` (bilinear, about the centre, positive =
   counter-clockwise, zero fill: for ImageNet-normalised inputs 0 is the mean colour);
2. one pass gives ``A`` and ``G = dy/dA``; the method forms the weighted activations ``W``
   (``alpha_k A^k`` or ``G ⊙ A``);
3. the raw map is ``sum_k W^k`` or, with ``eigen_smooth=True``, the first-principal-component
   projection :func:`saliqa.explain.smoothing.eigen_projection` (sign rule ``eigen_sign``);
4. ReLU; min-max scaling ``(m - min m) / (eps + max(m - min m))`` with ``eps = 1e-7``
   (pytorch-grad-cam's ``scale_cam_image``: an all-zero or constant map becomes all zero, never
   NaN); bilinear resize to ``output_size`` (default: the input size) with
   ``align_corners=False`` and no antialiasing (the sampling of ``cv2.resize(INTER_LINEAR)``);
   min-max scaling again (pytorch-grad-cam's ``aggregate_multi_layers`` with one layer);
5. (augmentation) each scaled map is rotated back by the opposite angle (bilinear, zero fill)
   and the maps of one image are averaged *after* the per-map scaling, exactly what a user of
   pytorch-grad-cam gets by calling it on each rotated image, de-rotating and averaging;
   the average is min-max scaled once more (a positive affine map, so the CC with the by-hand
   average is 1 and every returned map spans [0, 1] unless it is all zero).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Literal

from saliqa.checks import check_choice, check_int, check_positive, check_shape
from saliqa.explain.gradcam import gradcam_products
from saliqa.explain.hirescam import hirescam_products
from saliqa.explain.smoothing import PADDINGS, SIGNS, Padding, Sign, as_angles, eigen_projection, rotate

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from torch import nn

__all__ = ["CAM", "METHODS", "DEFAULT_ANGLES", "SCALE_EPS", "cam", "minmax_scale", "resize_maps", "model_device"]

Method = Literal["hirescam", "gradcam"]
Products = Callable[["torch.Tensor", "torch.Tensor"], "torch.Tensor"]

METHODS: dict[str, Products] = {"hirescam": hirescam_products, "gradcam": gradcam_products}
"""Method name -> function forming the weighted activations from ``(activations, grads)``."""

DEFAULT_ANGLES: tuple[float, ...] = (-5.0, -3.0, -1.0, 1.0, 3.0, 5.0)
"""Six small rotations (degrees), seed 002 Sec. III-A's "six times ... with small rotations"."""

SCALE_EPS: float = 1e-7
"""The regulariser of pytorch-grad-cam's ``scale_cam_image`` min-max scaling."""


def minmax_scale(maps: torch.Tensor, eps: float = SCALE_EPS) -> torch.Tensor:
    """Scale each map of a batch to [0, 1]: ``(m - min m) / (eps + max(m - min m))``.

    pytorch-grad-cam's ``scale_cam_image`` convention (step 4 of the module docstring); an
    all-zero or constant map becomes all zero (no NaN).

    Parameters
    ----------
    maps
        ``(B, H, W)`` tensor.
    eps
        Added to the denominator (default :data:`SCALE_EPS`).

    Returns
    -------
    torch.Tensor
        ``(B, H, W)``, same dtype and device.
    """
    low = maps.amin(dim=(-2, -1), keepdim=True)
    shifted = maps - low
    return shifted / (eps + shifted.amax(dim=(-2, -1), keepdim=True))


def resize_maps(maps: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of a batch of maps (``align_corners=False``, no antialiasing).

    The sampling of ``cv2.resize(..., interpolation=INTER_LINEAR)`` that pytorch-grad-cam uses
    (half-pixel centres, borders clamped); a no-op when the size already matches.

    Parameters
    ----------
    maps
        ``(B, h, w)`` floating tensor.
    size
        Target ``(H, W)``.

    Returns
    -------
    torch.Tensor
        ``(B, H, W)``.
    """
    import torch.nn.functional as F

    if tuple(maps.shape[-2:]) == tuple(size):
        return maps
    return F.interpolate(maps[:, None], size=tuple(size), mode="bilinear", align_corners=False, antialias=False)[:, 0]


def model_device(model: nn.Module) -> torch.device:
    """The device of ``model``'s first parameter (or buffer); the CPU for a model without either.

    Parameters
    ----------
    model
        A ``torch.nn.Module``.

    Returns
    -------
    torch.device
    """
    import torch

    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    return torch.device("cpu")


def _check_images(images: object) -> torch.Tensor:
    import torch

    if not isinstance(images, torch.Tensor):
        raise ValueError(f"images must be a float torch.Tensor (N, C, H, W), got {type(images).__name__}")
    if images.ndim != 4 or not images.is_floating_point() or min(images.shape) == 0:
        raise ValueError(
            "images must be a non-empty float tensor (N, C, H, W) normalised for the model, got "
            f"dtype {images.dtype} and shape {tuple(images.shape)}"
        )
    return images


def _scores(out: object, batch: int) -> torch.Tensor:
    import torch

    if not isinstance(out, torch.Tensor):
        raise ValueError(f"model must return a tensor of scores (B,) or (B, 1), got {type(out).__name__}")
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.ndim != 1 or out.shape[0] != batch:
        raise ValueError(
            f"model must return one score per image, shape ({batch},) or ({batch}, 1), got shape {tuple(out.shape)}; "
            "wrap a multi-output model so that it returns the one score to explain"
        )
    if not bool(torch.isfinite(out.detach()).all()):
        raise ValueError("model returned non-finite scores (NaN or inf)")
    return out


class CAM:
    """A reusable class-activation-map extractor for one model and target layer.

    Parameters
    ----------
    model
        ``nn.Module`` returning ``(B,)`` or ``(B, 1)`` scores.
    target_layer
        A submodule of ``model`` whose forward output is the ``(B, C, h, w)`` feature map.
    method
        ``"hirescam"`` (seed 002's choice) or ``"gradcam"``.

    Raises
    ------
    ValueError
        If ``model`` / ``target_layer`` are not modules, ``target_layer`` is not part of
        ``model`` or ``method`` is unknown.

    Notes
    -----
    Holds no hooks between calls (each call registers and removes its own), so the object can
    be kept, and ``with CAM(...) as c:`` works but is not needed.
    """

    def __init__(self, model: nn.Module, target_layer: nn.Module, method: Method = "hirescam") -> None:
        from torch import nn

        if not isinstance(model, nn.Module):
            raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if not isinstance(target_layer, nn.Module):
            raise ValueError(f"target_layer must be a torch.nn.Module inside model, got {type(target_layer).__name__}")
        if not any(module is target_layer for module in model.modules()):
            raise ValueError(f"target_layer ({type(target_layer).__name__}) is not a submodule of model")
        self.model = model
        self.target_layer = target_layer
        self.method: str = check_choice(method, "method", tuple(METHODS))
        self._products: Products = METHODS[self.method]

    def __enter__(self) -> CAM:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    @contextlib.contextmanager
    def _prepared(self, store: list[torch.Tensor]) -> Iterator[None]:
        """Freeze parameters, switch to eval mode and hook the target layer; undo all on exit."""
        import torch

        params = list(self.model.parameters())
        flags = [p.requires_grad for p in params]
        modules = list(self.model.modules())
        modes = [m.training for m in modules]

        def hook(module: nn.Module, inputs: object, output: object) -> torch.Tensor:
            if not isinstance(output, torch.Tensor) or output.ndim != 4 or not output.is_floating_point():
                got = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
                raise ValueError(
                    f"target_layer ({type(module).__name__}) must output a float (B, C, h, w) feature map, got {got}"
                )
            leaf = output.detach().requires_grad_(True)
            store.append(leaf)
            return leaf.clone()  # a non-leaf, so in-place ops after the layer are allowed

        handle = self.target_layer.register_forward_hook(hook)
        try:
            for p in params:
                p.requires_grad_(False)
            self.model.eval()
            yield
        finally:
            handle.remove()
            for p, flag in zip(params, flags):
                p.requires_grad_(flag)
            for m, mode in zip(modules, modes):
                m.training = mode

    def activations_and_gradients(
        self, x: torch.Tensor, channels_last: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One forward and one backward pass: target-layer activations, their gradients, the scores.

        Parameters
        ----------
        x
            ``(B, C, H, W)`` model inputs (moved to the model's device).
        channels_last
            Pass ``x`` in ``torch.channels_last`` memory format (faster convolutions).

        Returns
        -------
        activations, grads : torch.Tensor
            ``(B, C', h, w)`` feature map ``A`` and ``dy/dA`` (detached), on the model's device.
        scores : torch.Tensor
            ``(B,)`` detached scores.

        Raises
        ------
        ValueError
            On bad ``x``, a model output that is not one score per image or not finite, a target
            layer that does not run exactly once or whose output the scores do not depend on.
        """
        import torch

        x = _check_images(x).to(model_device(self.model))
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        store: list[torch.Tensor] = []
        with self._prepared(store), torch.enable_grad():
            scores = _scores(self.model(x), x.shape[0])
            if len(store) != 1:
                raise ValueError(
                    f"target_layer ({type(self.target_layer).__name__}) ran {len(store)} times in one forward "
                    "pass; it must run exactly once (pass the module whose output is the feature map)"
                )
            leaf = store[0]
            if not scores.requires_grad:
                raise ValueError("the model's scores do not depend on target_layer's output (no gradient path)")
            (grads,) = torch.autograd.grad(scores.sum(), leaf, allow_unused=True)
            if grads is None:
                raise ValueError("the model's scores do not depend on target_layer's output (no gradient path)")
        return leaf.detach(), grads, scores.detach()

    def __call__(
        self,
        images: torch.Tensor,
        *,
        augment: Sequence[float] | None = DEFAULT_ANGLES,
        eigen_smooth: bool = True,
        batch_size: int = 16,
        output_size: tuple[int, int] | None = None,
        eigen_sign: Sign = "align",
        eps: float = SCALE_EPS,
        channels_last: bool = True,
        padding: Padding = "zeros",
    ) -> torch.Tensor:
        """Maps for ``images``; the parameters and pipeline of :func:`cam` (module docstring)."""
        import torch

        images = _check_images(images)
        angles = as_angles(augment)
        batch_size = check_int(batch_size, "batch_size", low=1)
        check_choice(eigen_sign, "eigen_sign", SIGNS)
        check_choice(padding, "padding", PADDINGS)
        eps = check_positive(eps, "eps")
        n, _, height, width = images.shape
        size = (height, width) if output_size is None else check_shape(output_size, "output_size")
        device = model_device(self.model)
        out = torch.empty((n, *size), dtype=torch.float32)
        for start in range(0, n, batch_size):
            chunk = images[start : start + batch_size].to(device)
            out[start : start + chunk.shape[0]] = self._chunk(
                chunk, angles, eigen_smooth, size, eigen_sign, eps, channels_last, padding
            ).cpu()
        return out

    def _chunk(
        self,
        x: torch.Tensor,
        angles: tuple[float, ...],
        eigen_smooth: bool,
        size: tuple[int, int],
        eigen_sign: Sign,
        eps: float,
        channels_last: bool,
        padding: Padding = "zeros",
    ) -> torch.Tensor:
        import torch

        m = x.shape[0]
        if angles:
            angle_t = torch.tensor(angles, dtype=torch.float64).repeat_interleave(m)  # sample a*m + i
            x = rotate(x.repeat(len(angles), 1, 1, 1), angle_t, padding)
        activations, grads, _ = self.activations_and_gradients(x, channels_last)
        weighted = self._products(activations, grads)
        raw = eigen_projection(weighted, eigen_sign) if eigen_smooth else weighted.sum(dim=1)
        maps = minmax_scale(torch.relu(raw.float()), eps)
        maps = minmax_scale(resize_maps(maps, size), eps)
        if angles:
            maps = rotate(maps[:, None], -angle_t)[:, 0]
            maps = minmax_scale(maps.reshape(len(angles), m, *size).mean(dim=0), eps)
        return maps


def cam(
    model: nn.Module,
    images: torch.Tensor,
    target_layer: nn.Module,
    method: Method = "hirescam",
    *,
    augment: Sequence[float] | None = DEFAULT_ANGLES,
    eigen_smooth: bool = True,
    batch_size: int = 16,
    output_size: tuple[int, int] | None = None,
    eigen_sign: Sign = "align",
    eps: float = SCALE_EPS,
    channels_last: bool = True,
    padding: Padding = "zeros",
) -> torch.Tensor:
    """Class-activation maps of a single-output model, smoothed as in seed 002 Sec. III-A.

    Parameters
    ----------
    model
        ``nn.Module`` mapping ``(B, C, H, W)`` inputs to ``(B,)`` or ``(B, 1)`` scores.
    images
        Float tensor ``(N, C, H, W)`` already normalised for the model (any device).
    target_layer
        Submodule of ``model`` whose output is the ``(B, C', h, w)`` feature map (e.g. the
        backbone's last block).
    method
        ``"hirescam"`` (``ReLU(sum_k dy/dA^k ⊙ A^k)``, the paper's choice) or ``"gradcam"``
        (``ReLU(sum_k alpha_k A^k)``, ``alpha_k`` the spatial mean of ``dy/dA^k``).
    augment
        Rotation angles in degrees (default six: ±1, ±3, ±5), or ``None`` for no augmentation.
    eigen_smooth
        Replace the channel sum by the first-principal-component projection of the weighted
        activations (the paper's SVD smoothing, pytorch-grad-cam's ``eigen_smooth``).
    batch_size
        Images per pass; each pass holds ``batch_size * len(augment)`` samples.
    output_size
        ``(H, W)`` of the returned maps; default the input size.
    eigen_sign
        Sign rule of the SVD projection: ``"align"`` or ``"maxabs"``
        (:mod:`saliqa.explain.smoothing`).
    eps
        Regulariser of the min-max scaling (pytorch-grad-cam's 1e-7).
    channels_last
        Pass the inputs in ``channels_last`` memory format (faster; same values to rounding).
    padding
        Fill of the rotated inputs where the source falls outside the image: ``"zeros"``
        (default, as rotating with torchvision / ttach: black wedges in the corners), or
        ``"border"`` / ``"reflection"`` (no artificial black corners, which an IQA model may
        read as a distortion); the de-rotated maps are always zero-filled.

    Returns
    -------
    torch.Tensor
        ``(N, H, W)`` float32 maps on the CPU, each in [0, 1] (see the module docstring for the
        exact order of ReLU, scaling, resizing and de-rotation).

    Raises
    ------
    ValueError
        On a bad ``images`` tensor (not 4-D float), a model not returning one finite score per
        image, a ``target_layer`` outside the model, not run exactly once or not on the score's
        gradient path, an unknown ``method`` / ``eigen_sign``, bad angles or sizes.
    """
    return CAM(model, target_layer, method)(
        images,
        augment=augment,
        eigen_smooth=eigen_smooth,
        batch_size=batch_size,
        output_size=output_size,
        eigen_sign=eigen_sign,
        eps=eps,
        channels_last=channels_last,
        padding=padding,
    )
