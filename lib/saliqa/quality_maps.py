"""Perceptual quality maps from the RoIPool model (seed 003, section 4.3; Fig. 10).

Section 4.3: "(a) we partitioned each picture into a grid of 32x32 non-overlapping blocks, thus
preserving aspect ratio [...] (b) Each block's boundary coordinates (left, top, right, bottom)
were provided as input to the RoIPool [...] (c) For visualization, we applied bi-linear
interpolation to the block predictions, and represented the results as magma color maps. We then
alpha-blended the quality maps with the original pictures (alpha = 0.8)."

* :func:`block_boxes`: the grid of ``rows x cols`` blocks over each picture (32x32 blocks in the
  paper: the *number* of blocks per side, so a block is ``h / rows`` by ``w / cols`` pixels and
  keeps the picture's aspect ratio). Edges are ``linspace(0, size, n + 1)`` as in the released
  code (``get_blockwise_rois``), real-valued; RoIPool rounds them at the feature stride. With
  canvas offsets the grid covers the picture on the canvas, not the white padding.
* :func:`predict_block_scores`: all blocks of all pictures of a batch in ONE forward pass: the
  backbone runs once per picture, then one RoIPool and one head call over every block box (and
  the picture box). :func:`predict_block_scores_loop` is the naive reference (the whole model once
  per block), for tests and ``benchmarks/bench_quality_maps.py``.
* :func:`upsample_scores`: bilinear interpolation of the block scores to the picture size
  (``align_corners=False``: each block's score sits at its centre).
* :func:`blend_quality_map`: the magma colour map of the interpolated scores alpha-blended over
  the picture, ``(1 - alpha) * picture + alpha * colour`` (PIL's ``Image.blend``, as the released
  code), returned as an RGB array. Scores are mapped to colours on a fixed MOS range (0..100 by
  default, the released code's ``mos_range``) so maps of different pictures are comparable.

The released code colours the block grid first and resizes the coloured image; here the scores
are interpolated first and coloured afterwards, the order section 4.3 describes (the two differ
only where the colour map bends between neighbouring blocks).

Any model with ``features(images)`` and ``roi_scores(features, rois)`` works:
:class:`saliqa.models.paq2piq.RoIPoolModel` (the paper's choice) and
:class:`~saliqa.models.paq2piq.FeedbackModel` (its Head0). Put the model in eval mode: in training
mode BatchNorm would couple the blocks' scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F

from saliqa.checks import check_shape

__all__ = [
    "DEFAULT_GRID",
    "BlockScores",
    "block_boxes",
    "predict_block_scores",
    "predict_block_scores_loop",
    "upsample_scores",
    "blend_quality_map",
]

DEFAULT_GRID: tuple[int, int] = (32, 32)
"""Blocks per picture, ``(rows, cols)`` (section 4.3)."""


class _RoIScorer(Protocol):
    training: bool

    def features(self, images: torch.Tensor) -> torch.Tensor: ...

    def roi_scores(self, features: torch.Tensor, rois: torch.Tensor) -> torch.Tensor: ...


@dataclass(frozen=True)
class BlockScores:
    """Block-wise predictions of a batch.

    Attributes
    ----------
    picture
        ``(B,)`` the model's score of each whole-picture RoI (for the Feedback model: Head0's).
    blocks
        ``(B, rows, cols)`` block scores, row-major over the picture.
    boxes
        ``(B, rows * cols, 4)`` the block boxes used (network-input coordinates).
    """

    picture: torch.Tensor
    blocks: torch.Tensor
    boxes: torch.Tensor


def _grid(grid: int | Sequence[int]) -> tuple[int, int]:
    return check_shape(grid, "grid", allow_scalar=True)


def _as_sizes(sizes: torch.Tensor | Sequence[Sequence[int]]) -> torch.Tensor:
    t = torch.as_tensor(sizes, dtype=torch.float32)
    if t.ndim == 1:
        t = t[None]
    if t.ndim != 2 or t.shape[1] != 2:
        raise ValueError(f"sizes must be (B, 2) [height, width]; got shape {tuple(t.shape)}")
    if bool((t < 1).any()):
        raise ValueError("sizes must be positive")
    return t


def block_boxes(
    sizes: torch.Tensor | Sequence[Sequence[int]],
    grid: int | Sequence[int] = DEFAULT_GRID,
    offsets: torch.Tensor | None = None,
) -> torch.Tensor:
    """Boxes of a ``rows x cols`` grid of blocks over each picture (section 4.3), ``(B, rows*cols, 4)``.

    Parameters
    ----------
    sizes
        ``(B, 2)`` picture ``[height, width]`` (or one pair).
    grid
        Blocks per side ``(rows, cols)`` (32x32 in the paper), or one int.
    offsets
        ``(B, 2)`` ``[left, top]`` of the pictures on the canvas (:func:`saliqa.canvas.pad_to_canvas`);
        None: picture coordinates.

    Returns
    -------
    torch.Tensor
        float32 ``[x1, y1, x2, y2]``, row-major (block ``(i, j)`` at index ``i * cols + j``); edges
        ``size * k / n``, so neighbouring blocks share an edge, as in the released code.
    """
    rows, cols = _grid(grid)
    hw = _as_sizes(sizes)
    b = hw.shape[0]
    ys = hw[:, 0:1] * (torch.arange(rows + 1, dtype=torch.float32) / rows)  # (B, rows + 1)
    xs = hw[:, 1:2] * (torch.arange(cols + 1, dtype=torch.float32) / cols)  # (B, cols + 1)
    x1 = xs[:, None, :-1].expand(b, rows, cols)
    x2 = xs[:, None, 1:].expand(b, rows, cols)
    y1 = ys[:, :-1, None].expand(b, rows, cols)
    y2 = ys[:, 1:, None].expand(b, rows, cols)
    boxes = torch.stack([x1, y1, x2, y2], dim=-1).reshape(b, rows * cols, 4)
    if offsets is not None:
        from saliqa.canvas import shift_boxes

        boxes = shift_boxes(boxes, offsets)
    return boxes


def _picture_boxes(sizes: torch.Tensor, offsets: torch.Tensor | None) -> torch.Tensor:
    zeros = torch.zeros_like(sizes[:, 0])
    boxes = torch.stack([zeros, zeros, sizes[:, 1], sizes[:, 0]], dim=1)
    if offsets is not None:
        boxes = boxes + offsets.to(torch.float32).repeat(1, 2)
    return boxes


def _prepare(
    model: _RoIScorer,
    images: torch.Tensor,
    sizes: torch.Tensor | Sequence[Sequence[int]] | None,
    offsets: torch.Tensor | None,
    grid: int | Sequence[int],
) -> tuple[torch.Tensor, torch.Tensor, int, int]:
    if model.training:
        raise ValueError("model is in training mode (BatchNorm would couple the blocks); call model.eval() first")
    if images.ndim != 4:
        raise ValueError(f"images must be (B, 3, H, W); got {tuple(images.shape)}")
    b, _, h, w = images.shape
    hw = _as_sizes([[h, w]] * b if sizes is None else sizes)
    if hw.shape[0] != b:
        raise ValueError(f"{hw.shape[0]} sizes for {b} images")
    if offsets is not None and tuple(offsets.shape) != (b, 2):
        raise ValueError(f"offsets must be ({b}, 2) [left, top]; got {tuple(offsets.shape)}")
    rows, cols = _grid(grid)
    boxes = torch.cat([_picture_boxes(hw, offsets)[:, None], block_boxes(hw, (rows, cols), offsets)], dim=1)
    return boxes.to(images.device), hw, rows, cols


@torch.no_grad()
def predict_block_scores(
    model: _RoIScorer,
    images: torch.Tensor,
    sizes: torch.Tensor | Sequence[Sequence[int]] | None = None,
    offsets: torch.Tensor | None = None,
    grid: int | Sequence[int] = DEFAULT_GRID,
) -> BlockScores:
    """Block quality scores of every picture in one forward pass (section 4.3).

    Parameters
    ----------
    model
        Eval-mode :class:`~saliqa.models.paq2piq.RoIPoolModel` (or anything with ``features`` and
        ``roi_scores``).
    images
        ``(B, 3, H, W)`` network input on [0, 1]: padded canvases, or same-size pictures.
    sizes
        ``(B, 2)`` ``[height, width]`` of the pictures on the canvas; None: the whole input.
    offsets
        ``(B, 2)`` ``[left, top]`` canvas offsets; None: pictures at the origin.
    grid
        Blocks per side (32x32 in the paper).

    Returns
    -------
    BlockScores
        Picture scores ``(B,)``, block scores ``(B, rows, cols)`` and the block boxes.

    Raises
    ------
    ValueError
        The model is in training mode, or shapes do not match.
    """
    boxes, _, rows, cols = _prepare(model, images, sizes, offsets, grid)
    b, r = boxes.shape[:2]
    index = torch.arange(b, device=boxes.device, dtype=boxes.dtype).repeat_interleave(r)[:, None]
    rois = torch.cat([index, boxes.reshape(b * r, 4)], dim=1)
    scores = model.roi_scores(model.features(images), rois).reshape(b, r)
    return BlockScores(picture=scores[:, 0], blocks=scores[:, 1:].reshape(b, rows, cols), boxes=boxes[:, 1:])


@torch.no_grad()
def predict_block_scores_loop(
    model: _RoIScorer,
    images: torch.Tensor,
    sizes: torch.Tensor | Sequence[Sequence[int]] | None = None,
    offsets: torch.Tensor | None = None,
    grid: int | Sequence[int] = DEFAULT_GRID,
    *,
    reuse_features: bool = False,
) -> BlockScores:
    """The naive reference of :func:`predict_block_scores`: one RoI at a time.

    ``reuse_features=False`` runs the whole model (backbone included) once per RoI;
    ``True`` runs the backbone once per picture and the RoIPool + head once per RoI. Same
    arguments and result; for tests and benchmarks only (a Python loop over blocks).
    """
    boxes, _, rows, cols = _prepare(model, images, sizes, offsets, grid)
    b, r = boxes.shape[:2]
    scores = torch.empty(b, r, dtype=torch.float32, device=images.device)
    for i in range(b):
        picture = images[i : i + 1]
        feats = model.features(picture) if reuse_features else None
        for k in range(r):
            roi = torch.cat([boxes.new_zeros(1, 1), boxes[i, k : k + 1]], dim=1)
            f = feats if feats is not None else model.features(picture)
            scores[i, k] = model.roi_scores(f, roi)[0]
    return BlockScores(picture=scores[:, 0], blocks=scores[:, 1:].reshape(b, rows, cols), boxes=boxes[:, 1:])


def upsample_scores(blocks: torch.Tensor | np.ndarray, size: Sequence[int]) -> torch.Tensor:
    """Bilinear interpolation of block scores to a picture size (section 4.3 (c)).

    Parameters
    ----------
    blocks
        ``(rows, cols)`` or ``(B, rows, cols)`` scores.
    size
        ``(height, width)`` of the picture.

    Returns
    -------
    torch.Tensor
        ``(height, width)`` or ``(B, height, width)`` float32 (``align_corners=False``: each
        block's value at its centre, edges clamped).
    """
    t = torch.as_tensor(blocks, dtype=torch.float32)
    single = t.ndim == 2
    if t.ndim not in (2, 3):
        raise ValueError(f"blocks must be (rows, cols) or (B, rows, cols); got {tuple(t.shape)}")
    if not bool(torch.isfinite(t).all()):
        raise ValueError("blocks contain NaN or infinite scores")
    h, w = (int(v) for v in size)
    out = F.interpolate(t[:, None] if not single else t[None, None], size=(h, w), mode="bilinear", align_corners=False)[
        :, 0
    ]
    return out[0] if single else out


def _picture_array(picture: np.ndarray | torch.Tensor) -> np.ndarray:
    """(H, W, 3) float on [0, 1] from uint8 / float (H, W, 3) arrays or a (3, H, W) tensor."""
    if isinstance(picture, torch.Tensor):
        arr = picture.detach().cpu()
        if arr.ndim == 3 and arr.shape[0] == 3:
            arr = arr.permute(1, 2, 0)
        picture = arr.numpy()
    arr = np.asarray(picture)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"picture must be (H, W, 3) RGB (or a (3, H, W) tensor); got shape {arr.shape}")
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / 255.0
    arr = arr.astype(np.float32)
    if not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 1:
        raise ValueError("a floating-point picture must be finite and on [0, 1]")
    return arr


def blend_quality_map(
    picture: np.ndarray | torch.Tensor,
    blocks: torch.Tensor | np.ndarray,
    *,
    alpha: float = 0.8,
    cmap: str = "magma",
    value_range: tuple[float, float] = (0.0, 100.0),
) -> np.ndarray:
    """The quality map blended over its picture (section 4.3 (c), Fig. 10), as RGB.

    Parameters
    ----------
    picture
        ``(H, W, 3)`` ``uint8`` or float on [0, 1] (or a ``(3, H, W)`` tensor): the original
        picture, unpadded.
    blocks
        ``(rows, cols)`` block scores of that picture.
    alpha
        Weight of the colour map (0.8 in the paper).
    cmap
        A matplotlib colour-map name ("magma").
    value_range
        Scores mapped to the colour map's ends (clipped outside): the MOS range 0..100.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` float32 on [0, 1]: ``(1 - alpha) * picture + alpha * cmap(score)``.

    Raises
    ------
    ValueError
        Bad shapes, ``alpha`` outside [0, 1], an empty value range, non-finite scores.
    """
    import matplotlib

    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1]; got {alpha!r}")
    lo, hi = (float(v) for v in value_range)
    if not hi > lo:
        raise ValueError(f"value_range must be (low, high) with high > low; got {value_range!r}")
    img = _picture_array(picture)
    scores = upsample_scores(blocks, img.shape[:2]).numpy()
    if scores.ndim != 2:
        raise ValueError("blocks must be (rows, cols) for one picture")
    level = np.clip((scores - lo) / (hi - lo), 0.0, 1.0)
    colour = matplotlib.colormaps[cmap](level)[..., :3].astype(np.float32)
    return ((1.0 - alpha) * img + alpha * colour).astype(np.float32)
