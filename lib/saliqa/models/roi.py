"""RoIPool (Fast R-CNN max pooling over regions) in pure torch, and torchvision's when it loads.

:func:`roi_pool` reproduces ``torchvision.ops.roi_pool`` exactly (forward values, and the
gradient, which goes to the arg-max element of each bin), with no compiled extension:

* ``boxes`` is a ``(K, 5)`` tensor of ``[batch_index, x1, y1, x2, y2]`` or a list of ``(K_i, 4)``
  tensors ``[x1, y1, x2, y2]``, one per image of the batch, in input-image pixels;
* box corners are multiplied by ``spatial_scale`` (e.g. 1/32 for a stride-32 feature map) and
  rounded to the nearest integer (halves away from zero, as C's ``round``); the box spans
  ``x2 - x1 + 1`` cells, at least 1 (malformed boxes become 1x1);
* that span is split into ``output_size`` bins of real-valued size; bin ``p`` covers cells
  ``floor(p * size)`` up to ``ceil((p + 1) * size)`` (exclusive), offset by the box start and
  clipped to the feature map; bins therefore overlap by one cell where the size is fractional;
* each output is the maximum over its bin; a bin left empty by the clipping gives 0 (and no
  gradient). As in torchvision's kernel, a non-empty bin's value is at least ``-FLT_MAX``.

Vectorised over boxes, channels and bins with masks (a separable max: over the columns of
each bin, then over its rows), on a window of the feature map around each box: boxes are
bucketed by the size of the cell window their bins span (rounded up to a power of two, at most
the map), each bucket gathers its ``S_h x S_w`` windows and pools them, so many small boxes (the
blocks of a quality map) cost ``K * C * S_h * S_w * max(PH, PW)`` elements rather than
``K * C * H * W * max(PH, PW)``. A bucket is processed in groups when that exceeds
``max_elements`` (a loop over the few buckets and groups, never over individual bins or boxes).
Differences from torchvision's kernel: NaNs propagate (torchvision skips them), and half/bfloat16
inputs compute bin boundaries in float32.

:func:`roi_pool_auto` calls ``torchvision.ops.roi_pool`` when torchvision's compiled ops load
(:func:`saliqa.tv.torchvision_ops_available`) and :func:`roi_pool` otherwise;
:class:`RoIPool` is the module form.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from saliqa.checks import check_shape

__all__ = ["roi_pool", "roi_pool_auto", "RoIPool", "boxes_to_rois"]

_DEFAULT_MAX_ELEMENTS = 1 << 27  # ~512 MB of float32 per group of boxes


def _pair(output_size: int | Sequence[int]) -> tuple[int, int]:
    return check_shape(output_size, "output_size", allow_scalar=True)


def boxes_to_rois(boxes: torch.Tensor | Sequence[torch.Tensor], *, dtype: torch.dtype | None = None) -> torch.Tensor:
    """``(K, 5)`` rois ``[batch_index, x1, y1, x2, y2]`` from boxes in either layout.

    ``boxes`` is a ``(K, 5)`` tensor or a list of ``(K_i, 4)`` tensors (list entry ``i`` belongs
    to image ``i``).

    Raises
    ------
    ValueError
        On any other shape (the message names the offending entry).
    """
    if isinstance(boxes, torch.Tensor):
        if boxes.ndim != 2 or boxes.shape[1] != 5:
            raise ValueError(
                "boxes as a tensor must be (K, 5) [batch_index, x1, y1, x2, y2]; "
                f"got shape {tuple(boxes.shape)} (pass a list of (K_i, 4) tensors otherwise)"
            )
        rois = boxes
    elif isinstance(boxes, (list, tuple)):
        if len(boxes) == 0:
            raise ValueError("boxes is an empty list; give one (K_i, 4) tensor per image")
        parts = []
        for i, b in enumerate(boxes):
            if not isinstance(b, torch.Tensor) or b.ndim != 2 or b.shape[1] != 4:
                shape = tuple(b.shape) if isinstance(b, torch.Tensor) else type(b).__name__
                raise ValueError(f"boxes[{i}] must be a (K_i, 4) tensor [x1, y1, x2, y2]; got {shape}")
            index = torch.full((b.shape[0], 1), float(i), dtype=b.dtype, device=b.device)
            parts.append(torch.cat([index, b], dim=1))
        rois = torch.cat(parts, dim=0)
    else:
        raise ValueError(f"boxes must be a (K, 5) tensor or a list of (K_i, 4) tensors; got {type(boxes).__name__}")
    if dtype is not None:
        rois = rois.to(dtype)
    return rois


def _round_half_away(x: torch.Tensor) -> torch.Tensor:
    """C ``round``: nearest integer, halves away from zero (exact, unlike ``floor(x + 0.5)``)."""
    whole = torch.trunc(x)
    frac = x - whole
    return whole + torch.sign(x) * (frac.abs() >= 0.5).to(x.dtype)


def _bin_edges(
    start: torch.Tensor, end: torch.Tensor, pooled: int, limit: int, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-box bin [lo, hi) cell ranges along one axis, shape (K, pooled), clipped to [0, limit]."""
    span = torch.clamp(end - start + 1, min=1).to(dtype)
    size = span / torch.tensor(float(pooled), dtype=dtype, device=span.device)
    p = torch.arange(pooled, dtype=dtype, device=span.device)
    lo = torch.floor(p[None, :] * size[:, None]).to(torch.long) + start[:, None]
    hi = torch.ceil((p[None, :] + 1) * size[:, None]).to(torch.long) + start[:, None]
    return lo.clamp(0, limit), hi.clamp(0, limit)


def _next_pow2(x: torch.Tensor) -> torch.Tensor:
    """Smallest power of two >= x (x >= 1), elementwise, int64."""
    return torch.pow(2, torch.ceil(torch.log2(x.to(torch.float64))).to(torch.long))


def _pool_window(
    features: torch.Tensor,
    batch: torch.Tensor,
    h_lo: torch.Tensor,
    h_hi: torch.Tensor,
    w_lo: torch.Tensor,
    w_hi: torch.Tensor,
    win_h: int,
    win_w: int,
) -> torch.Tensor:
    """Pool boxes whose bins all lie in the ``win_h x win_w`` cells from ``(h_lo[:, 0], w_lo[:, 0])``."""
    _, _, height, width = features.shape
    device = features.device
    rows = h_lo[:, :1] + torch.arange(win_h, device=device)  # (K, win_h) cell rows, unclamped
    cols = w_lo[:, :1] + torch.arange(win_w, device=device)  # (K, win_w)
    # the window's cells, (K, C, win_h, win_w); cells beyond the map are read clamped and masked out
    f = features[
        batch[:, None, None], :, rows.clamp(max=height - 1)[:, :, None], cols.clamp(max=width - 1)[:, None, :]
    ].permute(0, 3, 1, 2)
    in_row = (rows[:, None, :] >= h_lo[..., None]) & (rows[:, None, :] < h_hi[..., None])  # (K, PH, win_h)
    in_col = (cols[:, None, :] >= w_lo[..., None]) & (cols[:, None, :] < w_hi[..., None])  # (K, PW, win_w)
    neg_inf = torch.tensor(float("-inf"), dtype=features.dtype, device=device)
    # max over each bin's columns: (K, C, win_h, PW, win_w) -> (K, C, win_h, PW)
    col_max = torch.where(in_col[:, None, None, :, :], f[:, :, :, None, :], neg_inf).max(dim=-1).values
    # then over its rows: (K, C, PH, win_h, PW) -> (K, C, PH, PW)
    out = torch.where(in_row[:, None, :, :, None], col_max[:, :, None, :, :], neg_inf).max(dim=3).values
    empty = (h_hi <= h_lo)[:, :, None] | (w_hi <= w_lo)[:, None, :]  # (K, PH, PW)
    if features.dtype in (torch.float32, torch.float64):  # torchvision starts each bin at -FLT_MAX
        out = torch.clamp(out, min=torch.finfo(torch.float32).min)
    return torch.where(empty[:, None], torch.zeros((), dtype=features.dtype, device=device), out)


def roi_pool(
    features: torch.Tensor,
    boxes: torch.Tensor | Sequence[torch.Tensor],
    output_size: int | Sequence[int],
    spatial_scale: float = 1.0,
    *,
    max_elements: int = _DEFAULT_MAX_ELEMENTS,
) -> torch.Tensor:
    """Pure-torch ``torchvision.ops.roi_pool``: ``(K, C, PH, PW)`` maxima over each box's bins.

    Parameters
    ----------
    features:
        ``(N, C, H, W)`` floating-point feature maps.
    boxes:
        ``(K, 5)`` tensor ``[batch_index, x1, y1, x2, y2]`` or a list of ``N`` tensors
        ``(K_i, 4)``, in the coordinates of the image that ``features`` was computed from.
    output_size:
        ``PH`` (square) or ``(PH, PW)``.
    spatial_scale:
        Factor from box coordinates to feature cells (1 / stride).
    max_elements:
        Bound on the intermediate tensor size; above it boxes are pooled in groups.

    Raises
    ------
    ValueError
        Bad shapes, a non-floating ``features``, or a batch index outside ``[0, N)``.
    """
    if features.ndim != 4:
        raise ValueError(f"features must be (N, C, H, W); got shape {tuple(features.shape)}")
    if not features.is_floating_point():
        raise ValueError(f"features must be floating point; got {features.dtype}")
    ph, pw = _pair(output_size)
    n, channels, height, width = features.shape
    rois = boxes_to_rois(boxes).to(features.device)
    k = rois.shape[0]
    if k == 0:
        return features.new_zeros((0, channels, ph, pw))
    compute = features.dtype if features.dtype in (torch.float32, torch.float64) else torch.float32
    rois = rois.to(compute)
    batch = rois[:, 0].to(torch.long)  # truncation, as the C++ int conversion
    if bool((batch < 0).any()) or bool((batch >= n).any()):
        raise ValueError(f"box batch indices must lie in [0, {n}); got {batch.min().item()}..{batch.max().item()}")
    scaled = _round_half_away(rois[:, 1:] * torch.tensor(spatial_scale, dtype=compute, device=rois.device))
    x1, y1, x2, y2 = scaled.to(torch.long).unbind(dim=1)
    h_lo, h_hi = _bin_edges(y1, y2, ph, height, compute)
    w_lo, w_hi = _bin_edges(x1, x2, pw, width, compute)

    # window of cells each box's bins span (bins are monotone: first lo, last hi), bucketed
    win_h = _next_pow2((h_hi[:, -1] - h_lo[:, 0]).clamp(min=1)).clamp(max=max(height, 1))
    win_w = _next_pow2((w_hi[:, -1] - w_lo[:, 0]).clamp(min=1)).clamp(max=max(width, 1))
    key = win_h * (width + 1) + win_w
    pieces, order = [], []
    for value in torch.unique(key).tolist():
        sel = torch.nonzero(key == value).flatten()
        wh, ww = int(value) // (width + 1), int(value) % (width + 1)
        per_box = channels * wh * ww * max(ph, pw)
        group = max(1, max_elements // max(per_box, 1))
        for s in range(0, sel.numel(), group):
            idx = sel[s : s + group]
            pieces.append(_pool_window(features, batch[idx], h_lo[idx], h_hi[idx], w_lo[idx], w_hi[idx], wh, ww))
            order.append(idx)
    if len(pieces) == 1:  # one bucket, one group: already in box order
        return pieces[0]
    inverse = torch.empty(k, dtype=torch.long, device=features.device)
    inverse[torch.cat(order)] = torch.arange(k, device=features.device)
    return torch.cat(pieces, dim=0).index_select(0, inverse)


def roi_pool_auto(
    features: torch.Tensor,
    boxes: torch.Tensor | Sequence[torch.Tensor],
    output_size: int | Sequence[int],
    spatial_scale: float = 1.0,
) -> torch.Tensor:
    """``torchvision.ops.roi_pool`` when torchvision's compiled ops load, else :func:`roi_pool`.

    Same arguments and result as :func:`roi_pool`.
    """
    from saliqa.tv import import_torchvision, torchvision_ops_available

    if torchvision_ops_available():
        tv = import_torchvision()
        # boxes stay float32: bf16 would round pixel coordinates to steps of up to 4 px at 640
        compute = features.dtype if features.dtype in (torch.float32, torch.float64) else torch.float32
        rois = boxes_to_rois(boxes, dtype=compute).to(features.device)
        out = tv.ops.roi_pool(features.to(compute), rois, _pair(output_size), spatial_scale)
        return out.to(features.dtype)
    return roi_pool(features, boxes, output_size, spatial_scale)


class RoIPool(nn.Module):
    """Module form of :func:`roi_pool_auto` (like ``torchvision.ops.RoIPool``)."""

    def __init__(self, output_size: int | Sequence[int], spatial_scale: float) -> None:
        super().__init__()
        self.output_size = _pair(output_size)
        self.spatial_scale = float(spatial_scale)

    def forward(self, features: torch.Tensor, boxes: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
        return roi_pool_auto(features, boxes, self.output_size, self.spatial_scale)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, spatial_scale={self.spatial_scale}"
