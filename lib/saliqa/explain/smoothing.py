"""Smoothing of class-activation maps: rotation augmentation and the SVD (eigen) projection.

Seed 002 Sec. III-A: "to improve the quality of maps and remove noise, we applied smoothing
through augmentations and SVD decompositions of feature maps ... Every image was passed six times
through the model with small rotations. Then feature map from the last channel was channel-wise
decomposed via SVD-decomposition and the first main component was taken."

Conventions
-----------
Rotation (:func:`rotate`)
    About the image centre, by ``angle`` degrees, positive = counter-clockwise as displayed
    (rows grow downwards), the convention of ``torchvision.transforms.functional.rotate``.
    Bilinear sampling with ``torch.nn.functional.grid_sample(align_corners=False)``; pixels whose
    source falls outside the image are filled according to ``padding``: ``"zeros"`` (the
    default; for ImageNet-normalised inputs 0 is the ImageNet mean colour, and for maps it is
    "no relevance"), ``"border"`` (edge replicate) or ``"reflection"``. The sampling grid is
    corrected for the aspect ratio, so non-square images are rotated rigidly (not sheared).
    Every sample of a batch has its own angle: all augmentations of all images are one call.
Eigen projection (:func:`eigen_projection`)
    pytorch-grad-cam 1.5.7's ``get_2d_projection``, batched: per map, the weighted activations
    ``(C, h, w)`` are reshaped to ``X`` of shape ``(h*w, C)``, each column's mean is
    subtracted, and the map is ``X @ v1`` with ``v1`` the first right singular vector of the
    centred ``X`` (``torch.linalg.svd`` over the whole batch at once).

    The sign of a singular vector is arbitrary, and pytorch-grad-cam's ``get_2d_projection``
    does nothing about it: its map is whatever numpy's LAPACK ``gesdd`` returns, and after the
    ReLU a flipped sign shows the *complement* of the evidence. That is not a convention one can
    replicate: on this machine torch's (MKL) and numpy's (OpenBLAS) ``gesdd`` return opposite
    signs for about 40 % of random float32 matrices (and cuSOLVER differs again). Two
    deterministic rules are offered instead:

    ``sign="align"`` (the default)
        ``v1`` is flipped when ``sum(v1) < 0``. Since ``X^T X v1 = s1^2 v1``, the dot product of
        the projection with the centred plain map ``X @ 1`` (the channel sum, i.e. the
        un-smoothed CAM) is ``s1^2 * sum(v1)``: the smoothed map is made to correlate positively
        with the map it smooths.
    ``sign="maxabs"``
        pytorch-grad-cam's own sign correction (``get_2d_projection_with_sign_correction``, used
        by its Seg-Eigen-CAM; Chung & Ying 2025, eq. 13): the projection is negated when
        ``|min| > |max|``.

    Whenever LAPACK happens to return the aligned sign, pytorch-grad-cam's ``eigen_smooth=True``
    map equals ours; ``tests/test_explain_cam.py`` checks the projection against theirs up to the
    sign and, with the sign rule applied to their projection, the whole pipeline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["PADDINGS", "SIGNS", "rotate", "eigen_projection", "as_angles"]

Padding = Literal["zeros", "border", "reflection"]
Sign = Literal["align", "maxabs"]
PADDINGS: tuple[str, ...] = ("zeros", "border", "reflection")
SIGNS: tuple[str, ...] = ("align", "maxabs")


def as_angles(augment: Sequence[float] | None) -> tuple[float, ...]:
    """Validate rotation angles (degrees); ``None`` means no augmentation (an empty tuple).

    Parameters
    ----------
    augment
        ``None`` or a non-empty sequence of finite angles in degrees.

    Returns
    -------
    tuple of float
        The angles (empty for ``None``).

    Raises
    ------
    ValueError
        If ``augment`` is not ``None`` and not a non-empty sequence of finite numbers.
    """
    if augment is None:
        return ()
    if isinstance(augment, (str, bytes)):
        raise ValueError(f"augment must be None or a non-empty sequence of angles in degrees, got {augment!r}")
    try:
        angles = tuple(float(a) for a in augment)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"augment must be None or a non-empty sequence of angles in degrees, got {augment!r}"
        ) from error
    if not angles:
        raise ValueError("augment must be None (no augmentation) or a non-empty sequence of angles; got an empty one")
    if not all(math.isfinite(a) for a in angles):
        raise ValueError(f"augment must hold finite angles in degrees, got {augment!r}")
    return angles


def _rotation_grid(angles: torch.Tensor, size: tuple[int, int], dtype: torch.dtype) -> torch.Tensor:
    """``affine_grid`` sampling grid ``(N, H, W, 2)`` that rotates by ``angles`` (degrees, CCW)."""
    import torch
    import torch.nn.functional as F

    height, width = size
    rad = angles.to(torch.float64) * (math.pi / 180.0)
    cos, sin = torch.cos(rad), torch.sin(rad)
    zero = torch.zeros_like(cos)
    # output (u, v) in [-1, 1] (x right, y down) -> source location: pixel coordinates rotated by
    # -angle about the centre, expressed in each axis' normalised units (hence the aspect factors)
    theta = torch.stack(
        [
            torch.stack([cos, -sin * (height / width), zero], dim=-1),
            torch.stack([sin * (width / height), cos, zero], dim=-1),
        ],
        dim=-2,
    ).to(dtype)
    return F.affine_grid(theta, [angles.shape[0], 1, height, width], align_corners=False)


def rotate(images: torch.Tensor, angles: torch.Tensor | Sequence[float], padding: Padding = "zeros") -> torch.Tensor:
    """Rotate each of ``N`` images (or maps) about its centre by its own angle, bilinearly.

    Parameters
    ----------
    images
        Float tensor ``(N, C, H, W)``.
    angles
        ``N`` angles in degrees, positive = counter-clockwise as displayed (torchvision's
        ``rotate`` convention).
    padding
        Fill of pixels whose source is outside the image: ``"zeros"``, ``"border"`` or
        ``"reflection"`` (``grid_sample``'s ``padding_mode``).

    Returns
    -------
    torch.Tensor
        ``(N, C, H, W)``, same dtype and device.

    Raises
    ------
    ValueError
        If ``images`` is not a 4-D floating tensor, the number of angles is not ``N``, or
        ``padding`` is unknown.
    """
    import torch
    import torch.nn.functional as F

    if not isinstance(images, torch.Tensor) or images.ndim != 4 or not images.is_floating_point():
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must be a floating (N, C, H, W) tensor, got {shape}")
    if padding not in PADDINGS:
        raise ValueError(f"padding must be one of {PADDINGS}, got {padding!r}")
    angle_t = torch.as_tensor(angles, dtype=torch.float64).reshape(-1)
    if angle_t.shape[0] != images.shape[0]:
        raise ValueError(f"angles must hold one angle per image ({images.shape[0]}), got {angle_t.shape[0]}")
    grid = _rotation_grid(angle_t, (images.shape[2], images.shape[3]), images.dtype).to(images.device)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode=padding, align_corners=False)


def eigen_projection(weighted: torch.Tensor, sign: Sign = "align") -> torch.Tensor:
    """First-principal-component projection of weighted activations (pytorch-grad-cam's SVD smoothing).

    Seed 002 Sec. III-A ("the first main component was taken"); see the module docstring for
    the centring and the sign rules. NaN entries are set to 0 first, as pytorch-grad-cam does.

    Parameters
    ----------
    weighted
        ``(B, C, h, w)`` weighted activations: ``alpha_k * A^k`` (GradCAM) or
        ``dy/dA * A`` (HiResCAM).
    sign
        ``"align"`` (flip so that the projection correlates positively with the channel sum) or
        ``"maxabs"`` (flip when ``|min| > |max|``, pytorch-grad-cam's sign correction).

    Returns
    -------
    torch.Tensor
        ``(B, h, w)`` projections (may be negative), on the device and in the dtype of
        ``weighted``; detached from the autograd graph.

    Raises
    ------
    ValueError
        If ``weighted`` is not a 4-D floating tensor or ``sign`` is unknown.
    """
    import torch

    if not isinstance(weighted, torch.Tensor) or weighted.ndim != 4 or not weighted.is_floating_point():
        shape = tuple(weighted.shape) if isinstance(weighted, torch.Tensor) else type(weighted).__name__
        raise ValueError(f"weighted must be a floating (B, C, h, w) tensor, got {shape}")
    if sign not in SIGNS:
        raise ValueError(f"sign must be one of {SIGNS}, got {sign!r}")
    b, c, h, w = weighted.shape
    x = torch.nan_to_num(weighted.detach(), nan=0.0).reshape(b, c, h * w).transpose(1, 2)  # (B, h*w, C)
    x = x - x.mean(dim=1, keepdim=True)
    u, s, vh = torch.linalg.svd(x, full_matrices=False)
    if sign == "align":
        flip = torch.where(vh[:, 0, :].sum(dim=1) < 0, -1.0, 1.0).to(x.dtype)
    projection = u[:, :, 0] * s[:, :1]  # = X @ v1, (B, h*w)
    if sign == "maxabs":
        lo, hi = torch.aminmax(projection, dim=1)
        flip = torch.where(lo.abs() > hi.abs(), -1.0, 1.0).to(x.dtype)
    return (projection * flip[:, None]).reshape(b, h, w)
