"""saliqa.models.backbones / weights and scripts/install_offline_weights.py."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from saliqa import paths
from saliqa.models import backbones, weights
from saliqa.models.backbones import BACKBONE_NAMES, PretrainedWeightsMissingWarning, build

# stride 32 everywhere; a 64x64 input gives a 2x2 map
EXPECTED_CHANNELS = {
    "resnet18": 512,
    "resnet50": 2048,
    "vgg16": 512,
    "efficientnet_b0": 1280,
    "mobilenet_v2": 1280,
    "efficientnet_lite0": 1280,
}
CAT_CLASSES = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat
SCRIPT = paths.repo_root() / "scripts" / "install_offline_weights.py"


@pytest.mark.parametrize("name", BACKBONE_NAMES)
def test_random_init_shapes(name: str) -> None:
    torch.manual_seed(0)
    bb = build(name, pretrained=False)
    assert bb.name == name
    assert bb.stride == 32
    assert bb.channels == EXPECTED_CHANNELS[name]
    assert bb.pretrained_loaded is False
    assert bb.weights == "random init (pretrained=False)"
    assert len(bb.mean) == 3 and len(bb.std) == 3
    with torch.no_grad():
        out = bb(bb.normalize(torch.rand(1, 3, 64, 64)))
    assert out.shape == (1, EXPECTED_CHANNELS[name], 2, 2)
    assert torch.isfinite(out).all()
    # features are part of the full classifier (shared parameters)
    feature_params = {id(p) for p in bb.features.parameters()}
    assert feature_params <= {id(p) for p in bb.model.parameters()}


def test_unknown_name_lists_names() -> None:
    with pytest.raises(ValueError, match="resnet18.*efficientnet_lite0"):
        build("alexnet")
    with pytest.raises(ValueError, match="pretrained"):
        build("resnet18", pretrained="yes")  # type: ignore[arg-type]


@pytest.fixture
def empty_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A torch hub with no weights, and no lite0 weight package importable."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setattr(weights, "lite0_package_file", lambda: None)
    return tmp_path / "torch_home" / "hub" / "checkpoints"


@pytest.mark.parametrize("name", ["resnet18", "efficientnet_lite0"])
def test_pretrained_true_missing_raises(empty_hub: Path, name: str) -> None:
    with pytest.raises(FileNotFoundError, match=str(empty_hub).replace("\\", "\\\\")):
        build(name, pretrained=True)


def test_pretrained_auto_missing_warns_and_says_random(empty_hub: Path) -> None:
    with pytest.warns(PretrainedWeightsMissingWarning, match="RANDOM INIT"):
        bb = build("mobilenet_v2", pretrained="auto")
    assert bb.pretrained_loaded is False
    assert bb.weights.startswith("random init (no ImageNet weights found offline")
    assert str(empty_hub / "mobilenet_v2-b0353104.pth") in bb.weights


def test_weights_path_missing_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        build("resnet18", weights_path=tmp_path / "nope.pth")


def test_weights_path_roundtrip(tmp_path: Path) -> None:
    torch.manual_seed(1)
    source = build("resnet18", pretrained=False)
    path = tmp_path / "r18.pth"
    torch.save(source.model.state_dict(), path)
    loaded = build("resnet18", weights_path=path)
    assert loaded.pretrained_loaded is True
    assert str(path) in loaded.weights
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded(x), source(x))


def test_available_weights_table() -> None:
    table = backbones.available_weights()
    assert list(table.columns[:3]) == ["name", "found", "where"]
    assert list(table["name"]) == list(BACKBONE_NAMES)
    assert table["found"].dtype == bool
    assert table["where"].map(lambda s: isinstance(s, str) and len(s) > 0).all()


def test_lite0_package_file_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = weights.OFFLINE_FILES["efficientnet_lite0"]
    package = tmp_path / "site" / info.module
    (package / "models").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "models" / info.filename).write_bytes(b"x")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert weights.lite0_package_file() == package / "models" / info.filename
    location = weights.locate("efficientnet_lite0")
    assert location.found and location.source == f"{info.package} package"


def test_lite0_key_mapping_matches_reference_implementation(tmp_path: Path) -> None:
    ref_pkg = pytest.importorskip("efficientnet_lite_pytorch", reason="efficientnet-lite-pytorch not installed")
    torch.manual_seed(2)
    reference = ref_pkg.EfficientNet.from_name("efficientnet-lite0").eval()
    with torch.no_grad():  # non-trivial BN statistics
        for module in reference.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.1, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    path = tmp_path / "lite0.pth"
    torch.save(reference.state_dict(), path)
    ours = build("efficientnet_lite0", weights_path=path)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert torch.allclose(ours.model(x), reference(x), atol=1e-5)
        assert torch.allclose(ours(x), reference.extract_features(x), atol=1e-5)


def _imagenet_batch(mean: tuple[float, ...], std: tuple[float, ...]) -> torch.Tensor:
    from skimage import data

    x = torch.from_numpy(np.ascontiguousarray(data.chelsea())).permute(2, 0, 1).float()[None] / 255.0
    h, w = x.shape[-2:]
    scale = 256 / min(h, w)
    x = F.interpolate(x, size=(round(h * scale), round(w * scale)), mode="bilinear", antialias=True)
    h, w = x.shape[-2:]
    top, left = (h - 224) // 2, (w - 224) // 2
    x = x[..., top : top + 224, left : left + 224]
    return (x - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]


@pytest.mark.parametrize("name", ["mobilenet_v2", "efficientnet_lite0"])
def test_offline_imagenet_weights_are_real(name: str) -> None:
    location = weights.locate(name)
    if not location.found:
        pytest.skip(f"{name}: offline ImageNet weights not installed (run scripts/install_offline_weights.py)")
    bb = build(name, pretrained=True)
    assert bb.pretrained_loaded is True
    assert bb.weights.startswith("imagenet") and str(location.path) in bb.weights
    with torch.no_grad():
        logits = bb.model(_imagenet_batch(bb.mean, bb.std))
        feats = bb(_imagenet_batch(bb.mean, bb.std))
    top1 = int(logits.argmax(1))
    assert top1 in CAT_CLASSES, f"{name} top-1 on skimage's chelsea is class {top1}, not a cat"
    assert feats.shape == (1, 1280, 7, 7)


def _run_script(*args: str, env_home: Path) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ, TORCH_HOME=str(env_home))
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120, env=env)


def test_install_script_check_reports_missing_and_present(tmp_path: Path) -> None:
    dest = tmp_path / "ckpt"
    missing = _run_script("--check", "--dest", str(dest), env_home=tmp_path)
    assert missing.returncode in (0, 1)
    if weights.lite0_package_file() is None:
        assert "efficientnet_lite0: MISSING" in missing.stdout
    assert "mobilenet_v2: MISSING" in missing.stdout and missing.returncode == 1
    dest.mkdir()
    for info in weights.OFFLINE_FILES.values():
        (dest / info.filename).write_bytes(b"placeholder")
    present = _run_script("--dest", str(dest), env_home=tmp_path)
    assert present.returncode == 0, present.stdout + present.stderr
    assert "mobilenet_v2: present" in present.stdout
    assert "efficientnet_lite0: present" in present.stdout
    assert "NOT installed" not in present.stdout


def test_hub_dir_follows_torch_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert weights.hub_checkpoints_dir() == tmp_path / "hub" / "checkpoints"


def test_no_download_is_attempted(empty_hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch.hub

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a download was attempted")

    monkeypatch.setattr(torch.hub, "download_url_to_file", forbidden)
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", forbidden)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PretrainedWeightsMissingWarning)
        for name in ("resnet18", "efficientnet_lite0"):
            assert build(name).pretrained_loaded is False
