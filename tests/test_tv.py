"""saliqa.tv: torchvision imports with or without its compiled ops."""

from __future__ import annotations

import logging
import sys

import pytest

from saliqa import tv


def test_import_torchvision_is_idempotent() -> None:
    first = tv.import_torchvision()
    second = tv.import_torchvision()
    assert first is second
    assert first is sys.modules["torchvision"]
    # the models and weight enums work whatever the ops situation
    assert callable(first.models.resnet18)
    assert first.models.get_model_weights("mobilenet_v2").IMAGENET1K_V1.url.endswith(".pth")


def test_registered_schemas_match_ops_availability() -> None:
    tv.import_torchvision()
    registered = tv.registered_schemas()
    available = tv.torchvision_ops_available()
    assert isinstance(available, bool)
    assert all(op.startswith("torchvision::") for op in registered)
    if available:
        # matching torch/torchvision: the shim must have done nothing
        assert registered == []


def test_timm_imports_after_shim() -> None:
    tv.import_torchvision()
    import timm

    assert hasattr(timm, "create_model")


def test_retry_loop_defines_only_reported_schemas(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The shim's logic on a simulated broken import (works on any machine)."""
    import types

    op = "_saliqa_test_placeholder"
    fake = types.ModuleType("torchvision")
    fake.__version__ = "0.0-fake"
    calls = {"n": 0}

    def fake_import(name: str) -> types.ModuleType:
        assert name == "torchvision"
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError(f"operator torchvision::{op} does not exist")
        return fake

    purged: list[int] = []
    monkeypatch.setattr(tv, "_module", None)
    monkeypatch.setattr(tv, "_registered", [])
    monkeypatch.setattr(tv, "_purge_partial_import", lambda: purged.append(1))
    monkeypatch.setitem(tv._KNOWN_SCHEMAS, op, "(Tensor x) -> Tensor")
    monkeypatch.setattr(tv.importlib, "import_module", fake_import)
    with caplog.at_level(logging.DEBUG, logger="saliqa.tv"):
        assert tv.import_torchvision() is fake
        assert tv.import_torchvision() is fake  # cached: no second import
    assert calls["n"] == 2 and purged == [1]
    assert tv.registered_schemas() == [f"torchvision::{op}"]
    assert f"registered placeholder operator schemas torchvision::{op}" in caplog.text
    import torch

    assert hasattr(torch.ops.torchvision, op)


def test_unknown_missing_operator_raises_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_import(name: str):
        raise RuntimeError("operator torchvision::no_such_op_xyz does not exist")

    monkeypatch.setattr(tv, "_module", None)
    monkeypatch.setattr(tv, "_registered", [])
    monkeypatch.setattr(tv, "_purge_partial_import", lambda: None)
    monkeypatch.setattr(tv.importlib, "import_module", fake_import)
    with pytest.raises(RuntimeError, match="no_such_op_xyz.*knows no schema"):
        tv.import_torchvision()


def test_other_import_errors_propagate(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_import(name: str):
        raise RuntimeError("something else entirely")

    monkeypatch.setattr(tv, "_module", None)
    monkeypatch.setattr(tv.importlib, "import_module", fake_import)
    with pytest.raises(RuntimeError, match="something else entirely"):
        tv.import_torchvision()


def test_ops_unavailable_raise_torchvision_error_not_crash(caplog: pytest.LogCaptureFixture) -> None:
    module = tv.import_torchvision()
    if tv.torchvision_ops_available():
        pytest.skip("torchvision's compiled ops load here; nothing to check about their absence")
    import torch

    with caplog.at_level(logging.DEBUG, logger="saliqa.tv"):
        with pytest.raises(RuntimeError, match="Couldn't load custom C\\+\\+ ops"):
            module.ops.nms(torch.rand(3, 4), torch.rand(3), 0.5)
