"""Fixed-size input canvases: pictures white-padded, centred (seed 003, section 4.1).

PaQ-2-PiQ feeds every training and validation picture on a constant-size canvas: "we white
padded each training picture to size 640x640, centering the content in each instance. Pictures
having one or both dimensions larger than 640 were moved to the test set" (section 4.1, *Input
image pre-processing*). The pictures themselves are never resized, cropped or flipped (a
psychometric constraint the paper insists on). This module holds those steps, batched in torch:

* :func:`larger_than_canvas` says which pictures do not fit (they go to the test set, where the
  paper feeds them at their own size);
* :func:`canvas_offsets` gives each picture's ``(left, top)`` position on the canvas
  (``(W_c - w) // 2, (H_c - h) // 2``: centred, the extra pixel of an odd margin on the right /
  bottom);
* :func:`pad_to_canvas` places pictures on a white canvas and returns the batch with the offsets;
* :func:`shift_boxes` moves boxes given in picture coordinates (patch boxes, block boxes) onto
  the canvas; :func:`picture_boxes` is each picture's own box there, and
  :func:`picture_and_patch_boxes` the ``(B, 1 + P, 4)`` RoI layout the RoIPool and Feedback
  models of :mod:`saliqa.models.paq2piq` take (the picture first, then its patches).

Sizes are ``(height, width)`` throughout; boxes are ``[x1, y1, x2, y2]`` = ``[left, top, right,
bottom]`` in pixels (the FLIVE label files' ``left/top/right/bottom`` columns).

White is 1.0 for floating-point pictures on [0, 1] and 255 for ``uint8`` (pass ``fill`` for any
other scale). Padding happens before the backbone's normalisation, as in the released code, so the
network sees normalised white, not zero. The pad colour is one of the known reproduction gaps of
the paper's pipeline (the paper says white; AMT rendered white borders).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from saliqa.checks import check_shape

__all__ = [
    "DEFAULT_CANVAS",
    "larger_than_canvas",
    "canvas_offsets",
    "pad_to_canvas",
    "shift_boxes",
    "picture_boxes",
    "picture_and_patch_boxes",
]

DEFAULT_CANVAS: tuple[int, int] = (640, 640)
"""The paper's canvas, ``(height, width)`` (section 4.1)."""


def _canvas(canvas: int | Sequence[int]) -> tuple[int, int]:
    return check_shape(canvas, "canvas", allow_scalar=True)


def _sizes(
    heights: Sequence[int] | np.ndarray | torch.Tensor, widths: Sequence[int] | np.ndarray | torch.Tensor
) -> tuple[np.ndarray, np.ndarray]:
    h = np.asarray(heights.cpu() if isinstance(heights, torch.Tensor) else heights).reshape(-1)
    w = np.asarray(widths.cpu() if isinstance(widths, torch.Tensor) else widths).reshape(-1)
    if h.shape != w.shape:
        raise ValueError(f"heights and widths differ in length: {h.shape[0]} vs {w.shape[0]}")
    if h.size and (not np.all(np.isfinite(h)) or not np.all(np.isfinite(w)) or h.min() < 1 or w.min() < 1):
        raise ValueError("heights and widths must be positive finite pixel counts")
    return h.astype(np.int64), w.astype(np.int64)


def larger_than_canvas(
    heights: Sequence[int] | np.ndarray | torch.Tensor,
    widths: Sequence[int] | np.ndarray | torch.Tensor,
    canvas: int | Sequence[int] = DEFAULT_CANVAS,
) -> np.ndarray:
    """Which pictures have one or both dimensions larger than the canvas (seed 003, section 4.1).

    Those pictures "were moved to the test set": the training and validation sets hold only
    pictures that fit the canvas; the test set is made of the others, fed at their own size.

    Parameters
    ----------
    heights, widths
        Picture sizes in pixels, one per picture.
    canvas
        ``(height, width)`` of the canvas, or one int for a square; 640x640 in the paper.

    Returns
    -------
    numpy.ndarray
        Boolean, one per picture: True where ``height > canvas_h`` or ``width > canvas_w``.

    Raises
    ------
    ValueError
        Lengths differ, or a size is not a positive finite number.
    """
    ch, cw = _canvas(canvas)
    h, w = _sizes(heights, widths)
    return (h > ch) | (w > cw)


def canvas_offsets(
    heights: Sequence[int] | np.ndarray | torch.Tensor,
    widths: Sequence[int] | np.ndarray | torch.Tensor,
    canvas: int | Sequence[int] = DEFAULT_CANVAS,
) -> torch.Tensor:
    """``(left, top)`` of each picture centred on the canvas: ``((W_c - w) // 2, (H_c - h) // 2)``.

    Returns
    -------
    torch.Tensor
        ``(B, 2)`` int64 offsets ``[left, top]``.

    Raises
    ------
    ValueError
        A picture larger than the canvas (its index and size are named), or bad sizes.
    """
    ch, cw = _canvas(canvas)
    h, w = _sizes(heights, widths)
    too_big = (h > ch) | (w > cw)
    if too_big.any():
        i = int(np.flatnonzero(too_big)[0])
        raise ValueError(
            f"picture {i} ({h[i]}x{w[i]}, height x width) is larger than the canvas {ch}x{cw}; "
            "such pictures go to the test set at their own size (see larger_than_canvas)"
        )
    return torch.from_numpy(np.stack([(cw - w) // 2, (ch - h) // 2], axis=1).astype(np.int64))


def _white(dtype: torch.dtype) -> float:
    return 255.0 if dtype == torch.uint8 else 1.0


def pad_to_canvas(
    images: torch.Tensor | Sequence[torch.Tensor],
    canvas: int | Sequence[int] = DEFAULT_CANVAS,
    *,
    fill: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """White-pad pictures, centred, to a fixed canvas (seed 003, section 4.1).

    Parameters
    ----------
    images
        A ``(B, C, h, w)`` batch (all the same size) or a sequence of ``(C, h_i, w_i)`` pictures
        of any sizes (the same dtype, device and channel count). RGB on [0, 1] or ``uint8``.
    canvas
        ``(height, width)`` or one int; 640x640 in the paper.
    fill
        Pad value; default white (1.0 for floating point, 255 for ``uint8``).

    Returns
    -------
    batch : torch.Tensor
        ``(B, C, H_c, W_c)``, the pictures' pixels unchanged at their offsets.
    offsets : torch.Tensor
        ``(B, 2)`` int64 ``[left, top]`` of each picture on the canvas (:func:`canvas_offsets`).

    Raises
    ------
    ValueError
        An empty sequence, a picture that is not ``(C, h, w)``, mixed channel counts / dtypes,
        or a picture larger than the canvas (named by index: such pictures belong to the test
        set, see :func:`larger_than_canvas`).

    Notes
    -----
    A same-size batch is padded with one :func:`torch.nn.functional.pad`; pictures of mixed sizes
    are copied one slice each into a pre-filled canvas (a loop over pictures, never over pixels).
    """
    ch, cw = _canvas(canvas)
    if isinstance(images, torch.Tensor):
        if images.ndim != 4:
            raise ValueError(f"images as a tensor must be (B, C, h, w); got shape {tuple(images.shape)}")
        b, c, h, w = images.shape
        offsets = canvas_offsets([h] * b, [w] * b, (ch, cw))
        left, top = (int(v) for v in offsets[0]) if b else (0, 0)
        value = _white(images.dtype) if fill is None else float(fill)
        batch = torch.nn.functional.pad(images, (left, cw - w - left, top, ch - h - top), value=value)
        return batch, offsets
    pictures = list(images)
    if not pictures:
        raise ValueError("images is empty; give a (B, C, h, w) tensor or a sequence of (C, h, w) pictures")
    for i, p in enumerate(pictures):
        if not isinstance(p, torch.Tensor) or p.ndim != 3:
            shape = tuple(p.shape) if isinstance(p, torch.Tensor) else type(p).__name__
            raise ValueError(f"images[{i}] must be a (C, h, w) tensor; got {shape}")
        if p.shape[0] != pictures[0].shape[0] or p.dtype != pictures[0].dtype:
            raise ValueError(
                f"images[{i}] is {p.shape[0]}-channel {p.dtype}; images[0] is "
                f"{pictures[0].shape[0]}-channel {pictures[0].dtype}"
            )
    offsets = canvas_offsets([p.shape[1] for p in pictures], [p.shape[2] for p in pictures], (ch, cw))
    first = pictures[0]
    value = _white(first.dtype) if fill is None else float(fill)
    batch = torch.full((len(pictures), first.shape[0], ch, cw), value, dtype=first.dtype, device=first.device)
    for i, (p, (left, top)) in enumerate(zip(pictures, offsets.tolist())):
        batch[i, :, top : top + p.shape[1], left : left + p.shape[2]] = p
    return batch, offsets


def shift_boxes(boxes: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Boxes from picture coordinates onto the canvas: ``+ [left, top, left, top]``.

    Parameters
    ----------
    boxes
        ``(B, R, 4)`` boxes ``[x1, y1, x2, y2]`` of each picture (or ``(B, 4)``, one box each).
    offsets
        ``(B, 2)`` ``[left, top]`` from :func:`pad_to_canvas` / :func:`canvas_offsets`.

    Returns
    -------
    torch.Tensor
        Same shape as ``boxes`` (floating point: boxes' dtype if floating, else float32).

    Raises
    ------
    ValueError
        Shapes that do not match.
    """
    if boxes.ndim not in (2, 3) or boxes.shape[-1] != 4:
        raise ValueError(f"boxes must be (B, R, 4) or (B, 4) [x1, y1, x2, y2]; got {tuple(boxes.shape)}")
    if offsets.ndim != 2 or offsets.shape[1] != 2 or offsets.shape[0] != boxes.shape[0]:
        raise ValueError(f"offsets must be (B, 2) [left, top] with B = {boxes.shape[0]}; got {tuple(offsets.shape)}")
    dtype = boxes.dtype if boxes.is_floating_point() else torch.float32
    shift = offsets.to(device=boxes.device, dtype=dtype).repeat(1, 2)  # [left, top, left, top]
    if boxes.ndim == 3:
        shift = shift[:, None, :]
    return boxes.to(dtype) + shift


def picture_boxes(
    heights: Sequence[int] | np.ndarray | torch.Tensor,
    widths: Sequence[int] | np.ndarray | torch.Tensor,
    offsets: torch.Tensor | None = None,
) -> torch.Tensor:
    """Each picture's own box ``[left, top, left + w, top + h]`` (float32, ``(B, 4)``).

    With ``offsets=None`` the boxes are in picture coordinates (``[0, 0, w, h]``, the released
    code's whole-picture RoI); with the canvas offsets they are on the canvas.
    """
    h, w = _sizes(heights, widths)
    boxes = torch.from_numpy(np.stack([np.zeros_like(w), np.zeros_like(h), w, h], axis=1).astype(np.float32))
    return boxes if offsets is None else shift_boxes(boxes, offsets)


def picture_and_patch_boxes(
    heights: Sequence[int] | np.ndarray | torch.Tensor,
    widths: Sequence[int] | np.ndarray | torch.Tensor,
    patch_boxes: torch.Tensor,
    offsets: torch.Tensor | None = None,
) -> torch.Tensor:
    """The RoIs of section 4.2: picture box first, then its patch boxes, ``(B, 1 + P, 4)``.

    Parameters
    ----------
    heights, widths
        Picture sizes.
    patch_boxes
        ``(B, P, 4)`` patch boxes in picture coordinates (``left, top, right, bottom``; P = 3 in
        the paper: the 40 / 30 / 20 % patches).
    offsets
        Canvas offsets (:func:`pad_to_canvas`); None keeps picture coordinates (test pictures fed
        at their own size).
    """
    if patch_boxes.ndim != 3 or patch_boxes.shape[-1] != 4:
        raise ValueError(f"patch_boxes must be (B, P, 4); got {tuple(patch_boxes.shape)}")
    pic = picture_boxes(heights, widths)
    if pic.shape[0] != patch_boxes.shape[0]:
        raise ValueError(f"{pic.shape[0]} picture sizes for {patch_boxes.shape[0]} sets of patch boxes")
    boxes = torch.cat([pic[:, None, :].to(patch_boxes.device), patch_boxes.to(torch.float32)], dim=1)
    return boxes if offsets is None else shift_boxes(boxes, offsets)
