"""saliqa.explain CAMs: equal to pytorch-grad-cam 1.5.7 (plain, SVD-smoothed, rotation-smoothed),
closed-form cases, the differentiable GradCAM map, hooks / flags restored, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from saliqa.tv import import_torchvision

tv = import_torchvision()  # before pytorch_grad_cam, which imports torchvision

import pytorch_grad_cam.base_cam as gc_base  # noqa: E402
import pytorch_grad_cam.hirescam as gc_hires  # noqa: E402
from pytorch_grad_cam import GradCAM, HiResCAM  # noqa: E402
from pytorch_grad_cam.utils import svd_on_activations as gc_svd  # noqa: E402

from saliqa.explain import CAM, cam, gradcam_map  # noqa: E402
from saliqa.explain.base import minmax_scale  # noqa: E402
from saliqa.explain.gradcam import gradcam_products  # noqa: E402
from saliqa.explain.hirescam import hirescam_products  # noqa: E402
from saliqa.explain.smoothing import eigen_projection, rotate  # noqa: E402

torch.set_num_threads(1)
ANGLES = (-5.0, -3.0, -1.0, 1.0, 3.0, 5.0)
REFERENCE = {"gradcam": GradCAM, "hirescam": HiResCAM}


class TinyNet(nn.Module):
    """Three convs (the last is the target layer) + a non-linear head with GAP and a linear layer."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 16, 3, stride=2, padding=1),
        )
        self.head = nn.Sequential(
            nn.ReLU(), nn.Conv2d(16, 8, 1), nn.Tanh(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 1)
        )
        self.target_layer = self.features[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def _tiny() -> TinyNet:
    torch.manual_seed(3)  # a seed for which no test image gets an all-zero map (CC defined)
    return TinyNet()


def _photos(size: tuple[int, int]) -> torch.Tensor:
    """Three real photographs from scikit-image, resized and ImageNet-normalised."""
    import skimage.data
    import torch.nn.functional as F

    imgs = [skimage.data.astronaut(), skimage.data.chelsea(), skimage.data.coffee()]
    tensors = [torch.from_numpy(np.ascontiguousarray(i)).permute(2, 0, 1)[None].float() / 255 for i in imgs]
    x = torch.cat([F.interpolate(t, size=size, mode="bilinear", antialias=True) for t in tensors])
    mean = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
    std = torch.tensor([0.229, 0.224, 0.225])[:, None, None]
    return (x - mean) / std


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    torch.manual_seed(1)
    return torch.cat([_photos((32, 40)), torch.randn(2, 3, 32, 40)])


@pytest.fixture(scope="module")
def mobilenet() -> nn.Module:
    torch.manual_seed(0)
    model = tv.models.mobilenet_v2(weights=None)
    model.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1))
    model.target_layer = model.features[-1]
    return model.eval()


def _targets(n: int) -> list:
    return [lambda output: output] * n  # a regression target: the model's score itself


def _reference(method: str, model: nn.Module, x: torch.Tensor, eigen_smooth: bool = False) -> np.ndarray:
    return REFERENCE[method](model, [model.target_layer])(x, targets=_targets(len(x)), eigen_smooth=eigen_smooth)


def _cc(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    a, b = a - a.mean(1, keepdims=True), b - b.mean(1, keepdims=True)
    return (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1))


def _align_sign_projection(activations: np.ndarray) -> np.ndarray:
    """pytorch-grad-cam's own SVD projection, with our "align" sign rule applied afterwards."""
    p = gc_svd.get_2d_projection(activations)
    plain = np.nan_to_num(activations).reshape(*activations.shape[:2], -1).sum(1)
    plain = plain - plain.mean(1, keepdims=True)
    sign = np.where((p.reshape(len(p), -1) * plain).sum(1) < 0, -1.0, 1.0)
    return np.float32(p * sign[:, None, None])


@pytest.fixture
def patched_projection(monkeypatch):
    def use(fn):
        monkeypatch.setattr(gc_base, "get_2d_projection", fn)
        monkeypatch.setattr(gc_hires, "get_2d_projection", fn)

    return use


# ------------------------------------------------------------------ pytorch-grad-cam references


@pytest.mark.parametrize("method", ["gradcam", "hirescam"])
def test_plain_maps_equal_pytorch_grad_cam(method, images):
    model = _tiny()
    ours = cam(model, images, model.target_layer, method, augment=None, eigen_smooth=False).numpy()
    theirs = _reference(method, model, images)
    assert ours.shape == theirs.shape == (5, 32, 40) and ours.dtype == np.float32
    assert np.abs(ours - theirs).max() < 1e-5
    assert _cc(ours, theirs).min() > 0.99999


@pytest.mark.parametrize("method", ["gradcam", "hirescam"])
def test_eigen_smoothed_maps_equal_pytorch_grad_cam(method, images, patched_projection, capsys):
    model = _tiny()
    # their SVD code with our "align" sign rule applied to its (LAPACK-signed) output
    patched_projection(_align_sign_projection)
    ours = cam(model, images, model.target_layer, method, augment=None, eigen_smooth=True).numpy()
    theirs = _reference(method, model, images, eigen_smooth=True)
    assert np.abs(ours - theirs).max() < 1e-5 and _cc(ours, theirs).min() > 0.9999
    # their own sign correction (Seg-Eigen-CAM) = our "maxabs"
    patched_projection(gc_svd.get_2d_projection_with_sign_correction)
    ours = cam(model, images, model.target_layer, method, augment=None, eigen_smooth=True, eigen_sign="maxabs")
    theirs = _reference(method, model, images, eigen_smooth=True)
    assert np.abs(ours.numpy() - theirs).max() < 1e-5


def test_eigen_projection_is_their_svd_projection_up_to_sign():
    torch.manual_seed(3)
    weighted = torch.randn(6, 20, 5, 7) * torch.rand(1, 20, 1, 1)
    ours = eigen_projection(weighted).numpy()
    theirs = gc_svd.get_2d_projection(weighted.numpy())
    assert np.abs(np.abs(_cc(ours, theirs)) - 1).max() < 1e-5
    assert np.allclose(np.abs(ours), np.abs(theirs), atol=1e-4)
    # "align": positive correlation with the (centred) channel sum; "maxabs": |max| >= |min|
    plain = weighted.sum(1).numpy()
    assert (_cc(ours, plain) > 0).all()
    m = eigen_projection(weighted, "maxabs").reshape(6, -1)
    assert (m.amax(1) >= -m.amin(1)).all()


@pytest.mark.parametrize("eigen_smooth", [False, True])
def test_rotation_smoothing_equals_pytorch_grad_cam_by_hand(images, eigen_smooth, patched_projection):
    model = _tiny()
    patched_projection(_align_sign_projection)
    ours = cam(model, images, model.target_layer, "hirescam", eigen_smooth=eigen_smooth, batch_size=2).numpy()
    n = len(images)
    reference = HiResCAM(model, [model.target_layer])
    per_angle = []
    for angle in ANGLES:  # what a user of pytorch-grad-cam does: rotate, explain, rotate back, average
        maps = reference(rotate(images, [angle] * n), targets=_targets(n), eigen_smooth=eigen_smooth)
        per_angle.append(rotate(torch.from_numpy(maps)[:, None], [-angle] * n)[:, 0])
    by_hand = torch.stack(per_angle).mean(0)
    assert _cc(ours, by_hand.numpy()).min() > 0.9999
    assert torch.allclose(torch.from_numpy(ours), minmax_scale(by_hand), atol=1e-5)


def test_mobilenet_v2_smoothed_hirescam_equals_reference(mobilenet, patched_projection):
    x = _photos((64, 64))
    patched_projection(_align_sign_projection)
    ours = cam(mobilenet, x, mobilenet.target_layer, "hirescam").numpy()
    reference = HiResCAM(mobilenet, [mobilenet.target_layer])
    per_angle = []
    for angle in ANGLES:
        maps = reference(rotate(x, [angle] * 3), targets=_targets(3), eigen_smooth=True)
        per_angle.append(rotate(torch.from_numpy(maps)[:, None], [-angle] * 3)[:, 0])
    by_hand = torch.stack(per_angle).mean(0).numpy()
    assert ours.shape == (3, 64, 64)
    assert _cc(ours, by_hand).min() > 0.999
    plain = cam(mobilenet, x, mobilenet.target_layer, "gradcam", augment=None, eigen_smooth=False).numpy()
    assert np.abs(plain - _reference("gradcam", mobilenet, x)).max() < 1e-5


def test_rotate_matches_torchvision_and_rot90():
    import torchvision.transforms.functional as TF

    torch.manual_seed(0)
    x = torch.rand(2, 3, 17, 23)  # non-square: the grid is aspect-corrected
    for angle in (5.0, -3.0, 30.0):
        ref = TF.rotate(x, angle, interpolation=TF.InterpolationMode.BILINEAR)
        assert (rotate(x, [angle, angle]) - ref).abs().max() < 1e-5
    square = torch.rand(1, 1, 6, 6)
    assert torch.allclose(rotate(square, [90.0]), torch.rot90(square, 1, (2, 3)), atol=1e-6)  # CCW = np.rot90
    assert torch.allclose(rotate(square, [0.0]), square, atol=1e-6)


# ------------------------------------------------------------------ closed-form cases


class Linear(nn.Module):
    """score = sum(V * A): HiResCAM = ReLU(V * A) exactly; GradCAM = ReLU(mean(V) * A)."""

    def __init__(self, v: torch.Tensor) -> None:
        super().__init__()
        self.target_layer = nn.Identity()
        self.v = nn.Parameter(v)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.target_layer(x) * self.v).sum(dim=(1, 2, 3))


def test_closed_form_linear_model():
    x = torch.tensor([[[[1.0, -2.0], [3.0, 0.0]]]])
    v = torch.tensor([[[2.0, 1.0], [-1.0, 0.5]]])
    model = Linear(v)
    activations, grads, scores = CAM(model, model.target_layer).activations_and_gradients(x)
    assert torch.equal(grads, v.expand(1, 1, 2, 2)) and scores.item() == pytest.approx(2 - 2 - 3 + 0)
    # HiResCAM: V * A = [[2, -2], [-3, 0]] -> ReLU -> [[2, 0], [0, 0]] -> scaled [[1, 0], [0, 0]]
    hires = cam(model, x, model.target_layer, "hirescam", augment=None, eigen_smooth=False)
    assert torch.allclose(hires, torch.tensor([[[1.0, 0.0], [0.0, 0.0]]]), atol=1e-6)
    # GradCAM: mean(V) = 0.625; 0.625 * A -> ReLU -> [[0.625, 0], [1.875, 0]] -> scaled [[1/3, 0], [1, 0]]
    grad = cam(model, x, model.target_layer, "gradcam", augment=None, eigen_smooth=False)
    assert torch.allclose(grad, torch.tensor([[[1 / 3, 0.0], [1.0, 0.0]]]), atol=1e-6)
    assert torch.equal(hirescam_products(activations, grads), v * x)
    assert torch.allclose(gradcam_products(activations, grads), 0.625 * x)


def test_gap_linear_head_hirescam_equals_gradcam_and_resizes_bilinearly():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 1))
    x = torch.randn(3, 3, 8, 8)
    a = cam(model, x, model[0], "hirescam", augment=None, eigen_smooth=False, output_size=(16, 20))
    b = cam(model, x, model[0], "gradcam", augment=None, eigen_smooth=False, output_size=(16, 20))
    assert a.shape == (3, 16, 20) and torch.allclose(a, b, atol=1e-6)
    assert torch.allclose(a.amax(dim=(1, 2)), torch.ones(3), atol=1e-5) and a.min() >= 0


def test_all_zero_map_stays_zero_without_nan():
    model = Linear(torch.ones(1, 4, 4))
    x = -torch.rand(2, 1, 4, 4) - 0.1  # V * A < 0 everywhere: the ReLU leaves nothing
    out = cam(model, x, model.target_layer, "hirescam", eigen_smooth=False)
    assert torch.equal(out, torch.zeros(2, 4, 4))


# ------------------------------------------------------------------ the differentiable map


class Backbone(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 6, 3, stride=2, padding=1))
        self.head = nn.Sequential(nn.Conv2d(6, 4, 1), nn.Tanh(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.body(x)
        return self.head(features)[:, 0], features


class ScoreOnly(nn.Module):
    """The same network as a (B,)-score model (target layer: its body)."""

    def __init__(self, net: Backbone) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[0]


def test_gradcam_map_value_matches_cam_before_scaling():
    net = Backbone()
    torch.manual_seed(2)
    x = torch.randn(4, 3, 12, 16)
    score, features = net(x)
    maps = gradcam_map(score, features)
    assert maps.shape == (4, 6, 8)
    reference = cam(ScoreOnly(net), x, net.body, "gradcam", augment=None, eigen_smooth=False, output_size=(6, 8))
    assert torch.allclose(minmax_scale(minmax_scale(maps.detach())), reference, atol=1e-6)


def test_gradcam_map_gradients_reach_backbone_and_alpha_is_detached():
    net = Backbone()
    x = torch.randn(3, 3, 12, 16)
    score, features = net(x)
    maps = gradcam_map(score, features)
    (grad_ours,) = torch.autograd.grad(maps.sum(), features, retain_graph=True)
    # hand-built: alpha detached -> d(sum ReLU(sum_k alpha_k A^k))/dA = alpha * 1[raw > 0]
    (g,) = torch.autograd.grad(score.sum(), features, retain_graph=True)
    alpha = g.mean(dim=(2, 3), keepdim=True)
    raw = (alpha * features).sum(1, keepdim=True)
    assert torch.allclose(grad_ours, alpha * (raw > 0), atol=1e-7)
    # without detaching alpha the gradient differs (second-order terms through the tanh head)
    (g2,) = torch.autograd.grad(score.sum(), features, create_graph=True)
    attached = torch.relu((g2.mean(dim=(2, 3), keepdim=True) * features).sum(1))
    (grad_attached,) = torch.autograd.grad(attached.sum(), features, retain_graph=True)
    assert (grad_attached - grad_ours).abs().max() > 1e-5  # 100x the tolerance above
    # a loss on the map reaches the backbone's parameters; the IQA loss can still back-propagate
    (maps.mean() + score.mean()).backward()
    assert net.body[0].weight.grad is not None and net.body[0].weight.grad.abs().sum() > 0


def test_gradcam_map_bad_input():
    net = Backbone()
    score, features = net(torch.randn(2, 3, 8, 8))
    with pytest.raises(ValueError, match="features must be a float"):
        gradcam_map(score, features[0])
    with pytest.raises(ValueError, match="score must have shape"):
        gradcam_map(torch.stack([score, score], 1), features)
    with pytest.raises(ValueError, match="autograd graph"):
        gradcam_map(score.detach(), features)


# ------------------------------------------------------------------ state, errors, determinism


class TwoOutputs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.target_layer = nn.Conv2d(3, 4, 3)
        self.head = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.target_layer(x).mean(dim=(2, 3)))


def test_hooks_removed_and_flags_restored_after_errors():
    model = TwoOutputs().train()
    model.head.eval()
    model.head.weight.requires_grad_(False)
    with pytest.raises(ValueError, match=r"one score per image, shape \(2,\) or \(2, 1\), got shape \(2, 2\)"):
        cam(model, torch.randn(2, 3, 8, 8), model.target_layer, augment=None)
    assert len(model.target_layer._forward_hooks) == 0
    assert model.training and model.target_layer.training and not model.head.training
    assert [p.requires_grad for p in model.parameters()] == [True, True, False, True]


def test_parameters_untouched_and_deterministic(images):
    model = _tiny().train()
    flags = [p.requires_grad for p in model.parameters()]
    a = cam(model, images, model.target_layer)
    assert torch.equal(a, CAM(model, model.target_layer)(images))  # bit for bit
    assert torch.allclose(a, cam(model, images, model.target_layer, batch_size=3), atol=1e-5)  # other chunks
    assert all(p.grad is None for p in model.parameters())  # no backward over the parameters
    assert [p.requires_grad for p in model.parameters()] == flags and model.training
    assert len(model.target_layer._forward_hooks) == 0
    assert a.dtype == torch.float32 and a.device.type == "cpu" and 0 <= a.min() and a.max() <= 1


def test_bad_input_raises_clear_errors(images):
    model = _tiny()
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        cam(model, images[0], model.target_layer)
    with pytest.raises(ValueError, match="float torch.Tensor"):
        cam(model, images.numpy(), model.target_layer)
    with pytest.raises(ValueError, match="not a submodule"):
        cam(model, images, nn.Conv2d(3, 3, 1))
    with pytest.raises(ValueError, match="method must be one of"):
        cam(model, images, model.target_layer, "scorecam")
    with pytest.raises(ValueError, match="non-empty sequence"):
        cam(model, images, model.target_layer, augment=[])
    with pytest.raises(ValueError, match="batch_size"):
        cam(model, images, model.target_layer, batch_size=0)

    class Unused(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.target_layer = nn.Conv2d(3, 2, 1)
            self.head = nn.Linear(3, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.target_layer(x)
            return self.head(x.mean(dim=(2, 3)))

    unused = Unused()
    with pytest.raises(ValueError, match="do not depend on target_layer"):
        cam(unused, images, unused.target_layer)

    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.target_layer = nn.Conv2d(3, 3, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.target_layer(self.target_layer(x)).mean(dim=(1, 2, 3))

    twice = Twice()
    with pytest.raises(ValueError, match="ran 2 times"):
        cam(twice, images, twice.target_layer)
    assert len(twice.target_layer._forward_hooks) == 0


def test_rotation_padding_changes_only_the_filled_corners(images):
    """``padding`` fills the rotated inputs' corners; with no rotation it has no effect."""
    torch.manual_seed(0)
    model = _tiny()
    layer = model.target_layer
    zeros = cam(model, images, layer, augment=(10.0,), eigen_smooth=False)
    border = cam(model, images, layer, augment=(10.0,), eigen_smooth=False, padding="border")
    assert zeros.shape == border.shape and torch.isfinite(border).all()
    assert not torch.allclose(zeros, border)
    plain = cam(model, images, layer, augment=None, eigen_smooth=False)
    assert torch.equal(plain, cam(model, images, layer, augment=None, eigen_smooth=False, padding="reflection"))
    with pytest.raises(ValueError, match="padding"):
        cam(model, images, layer, padding="wrap")
