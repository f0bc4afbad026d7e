"""saliqa.models.roi: pure-torch RoIPool with torchvision's semantics."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from saliqa.models.roi import RoIPool, boxes_to_rois, roi_pool, roi_pool_auto
from saliqa.tv import import_torchvision, torchvision_ops_available

F32 = np.float32


def _c_round(x: np.float32) -> int:
    """C ``round`` (halves away from zero); exact for a float32 value evaluated in double."""
    return int(math.copysign(math.floor(abs(float(x)) + 0.5), float(x)))


def _naive(features: torch.Tensor, rois: torch.Tensor, ph: int, pw: int, scale: float):
    """Loop-by-loop transcription of the Fast R-CNN / torchvision CPU kernel (float32)."""
    feats = features.detach().numpy()
    _, channels, height, width = feats.shape
    out = np.zeros((rois.shape[0], channels, ph, pw), dtype=feats.dtype)
    arg = np.full(out.shape, -1, dtype=np.int64)
    s = F32(scale)
    for n, roi in enumerate(rois.numpy().astype(np.float32)):
        b = int(roi[0])
        x1, y1, x2, y2 = (_c_round(F32(v) * s) for v in roi[1:])
        rw, rh = max(x2 - x1 + 1, 1), max(y2 - y1 + 1, 1)
        bh, bw = F32(rh) / F32(ph), F32(rw) / F32(pw)
        for i in range(ph):
            for j in range(pw):
                hs = min(max(int(math.floor(F32(i) * bh)) + y1, 0), height)
                he = min(max(int(math.ceil(F32(i + 1) * bh)) + y1, 0), height)
                ws = min(max(int(math.floor(F32(j) * bw)) + x1, 0), width)
                we = min(max(int(math.ceil(F32(j + 1) * bw)) + x1, 0), width)
                empty = he <= hs or we <= ws
                for c in range(channels):
                    best, where = (0.0 if empty else -np.finfo(np.float32).max), -1
                    for h in range(hs, he):
                        for w in range(ws, we):
                            if feats[b, c, h, w] > best:
                                best, where = feats[b, c, h, w], h * width + w
                    out[n, c, i, j], arg[n, c, i, j] = best, where
    return torch.from_numpy(out), arg


def _grad_from_argmax(features: torch.Tensor, rois: torch.Tensor, arg: np.ndarray, grad_out: torch.Tensor):
    grad = torch.zeros_like(features)
    _, _, _, width = features.shape
    for n, c, i, j in np.ndindex(*arg.shape):
        if arg[n, c, i, j] >= 0:
            b = int(rois[n, 0])
            grad[b, c, arg[n, c, i, j] // width, arg[n, c, i, j] % width] += grad_out[n, c, i, j]
    return grad


@pytest.fixture
def grid() -> torch.Tensor:
    """1x1x4x4 map with value 4*row + col."""
    return torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4)


def test_hand_computed_whole_map(grid: torch.Tensor) -> None:
    out = roi_pool(grid, torch.tensor([[0.0, 0, 0, 3, 3]]), 2, 1.0)
    assert out.shape == (1, 1, 2, 2)
    assert out[0, 0].tolist() == [[5.0, 7.0], [13.0, 15.0]]


def test_hand_computed_fractional_bins_overlap(grid: torch.Tensor) -> None:
    # a 3x3 box in 2x2 bins: bin size 1.5 -> cells [0, 2) and [1, 3): bins share the middle cell
    out = roi_pool(grid, torch.tensor([[0.0, 0, 0, 2, 2]]), 2, 1.0)
    assert out[0, 0].tolist() == [[5.0, 6.0], [9.0, 10.0]]


def test_hand_computed_rounding_half_away_from_zero(grid: torch.Tensor) -> None:
    # 1 * 0.5 = 0.5 rounds to 1 (C round), not 0 (banker's rounding): pick cell (1, 1) of -grid
    out = roi_pool(-grid, torch.tensor([[0.0, 1, 1, 1, 1]]), 1, 0.5)
    assert out.item() == -5.0


def test_hand_computed_empty_bins_are_zero(grid: torch.Tensor) -> None:
    out = roi_pool(grid, torch.tensor([[0.0, 3, 3, 6, 6], [0.0, 5, 5, 9, 9]]), 2, 1.0)
    assert out[0, 0].tolist() == [[15.0, 0.0], [0.0, 0.0]]
    assert out[1, 0].tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_hand_computed_malformed_box_is_one_cell(grid: torch.Tensor) -> None:
    out = roi_pool(grid, torch.tensor([[0.0, 2, 2, 1, 1]]), 2, 1.0)
    assert out[0, 0].tolist() == [[10.0, 10.0], [10.0, 10.0]]


def test_list_of_boxes_and_batch_index() -> None:
    feats = torch.stack([torch.arange(16.0).reshape(1, 4, 4), 100 + torch.arange(16.0).reshape(1, 4, 4)])
    boxes = [torch.tensor([[0.0, 0, 1, 1]]), torch.tensor([[0.0, 0, 1, 1], [2.0, 2, 3, 3]])]
    as_list = roi_pool(feats, boxes, 1)
    as_rois = roi_pool(feats, torch.tensor([[0.0, 0, 0, 1, 1], [1, 0, 0, 1, 1], [1, 2, 2, 3, 3]]), 1)
    assert torch.equal(as_list, as_rois)
    assert as_rois.flatten().tolist() == [5.0, 105.0, 115.0]
    assert boxes_to_rois([torch.zeros(2, 4), torch.zeros(1, 4)])[:, 0].tolist() == [0.0, 0.0, 1.0]


def test_rectangular_output_and_channels() -> None:
    torch.manual_seed(0)
    feats = torch.randn(2, 3, 5, 7)
    rois = torch.tensor([[1.0, 0, 0, 6, 4], [0, 1, 2, 5, 3]])
    out = roi_pool(feats, rois, (2, 3), 1.0)
    ref, _ = _naive(feats, rois, 2, 3, 1.0)
    assert out.shape == (2, 3, 2, 3)
    assert torch.equal(out, ref)


def _random_case(seed: int, n: int = 2, c: int = 3, h: int = 9, w: int = 11, k: int = 24):
    g = torch.Generator().manual_seed(seed)
    feats = torch.randn(n, c, h, w, generator=g)
    # boxes in image pixels of a stride-4 map, some partly outside, some inverted, some tiny
    xy = torch.rand(k, 4, generator=g) * torch.tensor([w * 4 + 8, h * 4 + 8, w * 4 + 8, h * 4 + 8]) - 4
    xy[: k // 2, 2:] = xy[: k // 2, :2] + torch.rand(k // 2, 2, generator=g) * 20
    batch = torch.randint(0, n, (k, 1), generator=g).float()
    return feats, torch.cat([batch, xy], dim=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("size", "scale"), [((2, 2), 0.25), ((3, 2), 0.25), ((7, 7), 0.5), ((1, 1), 0.125)])
def test_equals_reference_kernel_transcription(seed: int, size: tuple[int, int], scale: float) -> None:
    feats, rois = _random_case(seed)
    out = roi_pool(feats, rois, size, scale)
    ref, _ = _naive(feats, rois, *size, scale)
    assert torch.equal(out, ref)


def test_grouping_gives_the_same_result() -> None:
    feats, rois = _random_case(3)
    whole = roi_pool(feats, rois, (3, 3), 0.25)
    grouped = roi_pool(feats, rois, (3, 3), 0.25, max_elements=1)
    assert torch.equal(whole, grouped)


def test_gradient_flows_to_argmax_like_torchvision() -> None:
    feats, rois = _random_case(4)
    feats = feats.double().requires_grad_(True)
    out = roi_pool(feats, rois.double(), (2, 3), 0.25)
    grad_out = torch.randn_like(out)
    out.backward(grad_out)
    _, arg = _naive(feats.detach().float(), rois, 2, 3, 0.25)
    expected = _grad_from_argmax(feats.detach(), rois, arg, grad_out)
    assert feats.grad is not None and feats.grad.abs().sum() > 0
    assert torch.allclose(feats.grad, expected)


def test_gradcheck() -> None:
    torch.manual_seed(5)
    feats = torch.randn(1, 2, 5, 5, dtype=torch.float64, requires_grad=True)
    rois = torch.tensor([[0.0, 0, 0, 4, 4], [0, 1, 1, 3, 2]], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda f: roi_pool(f, rois, 2, 1.0), (feats,))


def test_equals_torchvision_when_its_ops_load() -> None:
    if not torchvision_ops_available():
        pytest.skip("torchvision's compiled ops do not load with this torch (CPU torch, CUDA torchvision)")
    tv = import_torchvision()
    for seed, size, scale in [(0, (2, 2), 0.25), (1, (7, 7), 0.5), (2, (3, 2), 0.125)]:
        feats, rois = _random_case(seed)
        feats = feats.requires_grad_(True)
        ours = roi_pool(feats, rois, size, scale)
        theirs = tv.ops.roi_pool(feats, rois, size, scale)
        assert torch.equal(ours, theirs)
        g = torch.randn_like(ours)
        (ga,) = torch.autograd.grad(ours, feats, g)
        (gb,) = torch.autograd.grad(theirs, feats, g)
        assert torch.allclose(ga, gb)


def test_auto_and_module_match_pure() -> None:
    feats, rois = _random_case(6)
    expected = roi_pool(feats, rois, 2, 0.25)
    assert torch.equal(roi_pool_auto(feats, rois, 2, 0.25), expected)
    module = RoIPool(2, 0.25)
    assert torch.equal(module(feats, rois), expected)
    assert "spatial_scale=0.25" in repr(module)


def test_empty_box_set_and_bad_input() -> None:
    feats = torch.zeros(1, 2, 4, 4)
    assert roi_pool(feats, torch.zeros(0, 5), 2).shape == (0, 2, 2, 2)
    with pytest.raises(ValueError, match=r"\(K, 5\)"):
        roi_pool(feats, torch.zeros(3, 4), 2)
    with pytest.raises(ValueError, match=r"boxes\[1\]"):
        roi_pool(feats, [torch.zeros(1, 4), torch.zeros(1, 5)], 2)
    with pytest.raises(ValueError, match="batch indices"):
        roi_pool(feats, torch.tensor([[1.0, 0, 0, 1, 1]]), 2)
    with pytest.raises(ValueError, match="output_size"):
        roi_pool(feats, torch.tensor([[0.0, 0, 0, 1, 1]]), 0)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        roi_pool(feats[0], torch.tensor([[0.0, 0, 0, 1, 1]]), 2)
