"""Tests of saliqa.metrics.saliency_torch: equal to the numpy metrics, batched, differentiable."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from saliqa.metrics import saliency as M
from saliqa.metrics import saliency_torch as T


@pytest.fixture(scope="module")
def batch() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    a = rng.random((4, 24, 32)) ** 3
    b = rng.random((4, 24, 32)) ** 2
    a[0, :5] = 0.0  # exact zeros: the eps terms matter
    b[1, :, :7] = 0.0
    fix = (rng.random((4, 24, 32)) < 0.05) * rng.integers(1, 4, (4, 24, 32)).astype(np.float64)
    fix[:, 3, 4] = 2.0  # at least one fixation per map
    return a, b, fix


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("kld", {}),
        ("kld", {"eps": 1e-8}),
        ("cc", {}),
        ("sim", {}),
        ("sim", {"minmax": False}),
        ("bhattacharyya", {}),
    ],
)
def test_pair_metrics_equal_numpy(batch: tuple[np.ndarray, np.ndarray, np.ndarray], name: str, kwargs: dict) -> None:
    a, b, _ = batch
    got = getattr(T, name)(torch.from_numpy(a), torch.from_numpy(b), **kwargs)
    assert got.shape == (4,) and got.dtype == torch.float64
    want = np.array([getattr(M, name)(a[i], b[i], **kwargs) for i in range(4)])
    np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-10)
    # reversed arguments too (kld is asymmetric)
    got_r = getattr(T, name)(torch.from_numpy(b), torch.from_numpy(a), **kwargs)
    want_r = np.array([getattr(M, name)(b[i], a[i], **kwargs) for i in range(4)])
    np.testing.assert_allclose(got_r.numpy(), want_r, rtol=0, atol=1e-10)


@pytest.mark.parametrize("kwargs", [{}, {"per_fixation": True}, {"ddof": 0}])
def test_nss_equals_numpy(batch: tuple[np.ndarray, np.ndarray, np.ndarray], kwargs: dict) -> None:
    a, _, fix = batch
    got = T.nss(torch.from_numpy(a), torch.from_numpy(fix), **kwargs)
    want = np.array([M.nss(a[i], fix[i], **kwargs) for i in range(4)])
    assert got.shape == (4,)
    np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-10)


def test_nss_hand_3x3() -> None:
    s = torch.zeros(3, 3, dtype=torch.float64)
    s[1, 1] = 9.0  # mean 1, sample std 3 -> z(centre) = 8/3, z(corner) = -1/3
    f = torch.zeros(3, 3, dtype=torch.float64)
    f[1, 1], f[0, 0] = 2, 1
    assert T.nss(s, f).item() == pytest.approx(7 / 6, rel=1e-14)
    assert T.nss(s, f, per_fixation=True).item() == pytest.approx(5 / 3, rel=1e-14)


def test_unbatched_and_broadcast(batch: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    a, b, _ = batch
    single = T.kld(torch.from_numpy(a[2]), torch.from_numpy(b[2]))
    assert single.ndim == 0
    assert single.item() == pytest.approx(M.kld(a[2], b[2]), abs=1e-12)
    # one (H, W) map against a batch
    got = T.cc(torch.from_numpy(a), torch.from_numpy(b[0]))
    want = np.array([M.cc(a[i], b[0]) for i in range(4)])
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)
    # numpy / list inputs are accepted
    assert T.sim(a[1], b[1]).item() == pytest.approx(M.sim(a[1], b[1]), abs=1e-12)


def test_hand_values_and_identities() -> None:
    p = torch.tensor([[[1.0, 1.0], [1.0, 1.0]]], dtype=torch.float64)
    q = torch.tensor([[[1.0, 1.0], [1.0, 5.0]]], dtype=torch.float64)
    assert T.kld(p, q).item() == pytest.approx(0.75 * math.log(2) + 0.25 * math.log(0.4), rel=1e-12)
    assert T.bhattacharyya(torch.tensor([[1.0, 1.0]]), torch.tensor([[1.0, 3.0]])).item() == pytest.approx(
        -math.log(math.sqrt(1 / 8) + math.sqrt(3 / 8)), rel=1e-6
    )
    x = torch.rand(3, 10, 12, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    # (plain comparisons: torch.testing imports slowly)
    assert torch.all((T.cc(x, 2 * x + 1) - 1).abs() < 1e-12)
    assert torch.all((T.cc(x, x.amax() - x) + 1).abs() < 1e-12)
    assert torch.all((T.sim(x, x) - 1).abs() < 1e-12)
    assert torch.all(T.bhattacharyya(x, x).abs() < 1e-12)


def test_float32_close_to_float64(batch: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    a, b, _ = batch
    got = T.cc(torch.from_numpy(a).float(), torch.from_numpy(b).float())
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), [M.cc(a[i], b[i]) for i in range(4)], atol=1e-5)


def test_gradients_flow_kld_cc() -> None:
    g = torch.Generator().manual_seed(3)
    p = torch.rand(2, 5, 6, dtype=torch.float64, generator=g) + 0.1
    q = (torch.rand(2, 5, 6, dtype=torch.float64, generator=g) + 0.1).requires_grad_(True)
    loss = T.kld(p, q).sum() + (1 - T.cc(p, q)).sum()
    loss.backward()
    assert q.grad is not None and torch.all(torch.isfinite(q.grad)) and q.grad.abs().sum() > 0
    # analytic gradients equal central finite differences (a light-weight gradcheck)
    for fn, wrt_q in (
        (lambda t: T.kld(p, t), True),
        (lambda t: T.cc(p, t), True),
        (lambda t: T.kld(t, q.detach()), False),
    ):
        x0 = (q if wrt_q else p).detach().clone().requires_grad_(True)
        fn(x0).sum().backward()
        h = 1e-6
        for idx in [(0, 0, 0), (0, 2, 3), (1, 4, 5), (1, 1, 0)]:
            xp, xm = x0.detach().clone(), x0.detach().clone()
            xp[idx] += h
            xm[idx] -= h
            fd = (fn(xp).sum() - fn(xm).sum()).item() / (2 * h)
            assert x0.grad[idx].item() == pytest.approx(fd, rel=1e-5, abs=1e-8)
    s = q.detach().clone().requires_grad_(True)
    T.nss(s, (p > 0.8).double()).sum().backward()
    assert s.grad is not None and torch.all(torch.isfinite(s.grad))


def test_validation_errors() -> None:
    good = torch.rand(2, 4, 5, generator=torch.Generator().manual_seed(1)) + 0.1
    bad_neg = good.clone()
    bad_neg[1, 0, 0] = -1.0
    with pytest.raises(ValueError, match=r"q contains negative values \(batch index 1\)"):
        T.kld(good, bad_neg)
    zero = good.clone()
    zero[1] = 0
    with pytest.raises(ValueError, match=r"p is all zero \(batch index 1\)"):
        T.kld(zero, good)
    nan = good.clone()
    nan[0, 1, 1] = float("nan")
    with pytest.raises(ValueError, match=r"a contains non-finite values \(NaN or inf\) \(batch index 0\)"):
        T.cc(nan, good)
    with pytest.raises(ValueError, match="shape mismatch"):
        T.sim(good, torch.rand(2, 5, 4))
    with pytest.raises(ValueError, match="shape mismatch: batch sizes"):
        T.bhattacharyya(good, torch.rand(3, 4, 5))
    with pytest.raises(ValueError, match=r"must be a \(B, H, W\) or \(H, W\)"):
        T.cc(good[None], good[None])
    const = good.clone()
    const[0] = 1.0
    with pytest.raises(ValueError, match=r"b is constant \(batch index 0\)"):
        T.cc(good, const)
    with pytest.raises(ValueError, match=r"saliency is constant \(batch index 0\)"):
        T.nss(const, good)
    fix = torch.zeros(2, 4, 5)
    fix[0, 1, 1] = 1
    with pytest.raises(ValueError, match=r"fixations is an empty fixation map \(no pixel > 0\) \(batch index 1\)"):
        T.nss(good, fix)
    with pytest.raises(ValueError, match="eps must be"):
        T.kld(good, good, eps=float("nan"))
    # validate=False skips the checks (for training loops)
    assert torch.isnan(T.cc(good, const, validate=False)[0])
