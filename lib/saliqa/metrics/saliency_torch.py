"""Batched, differentiable saliency-map metrics in torch (for losses and GPU evaluation).

Same definitions, defaults and conventions as :mod:`saliqa.metrics.saliency` (MIT saliency
benchmark), applied independently to each map of a batch:

* inputs are ``(B, H, W)`` or ``(H, W)`` tensors (anything :func:`torch.as_tensor` accepts);
  the leading batch dimensions of the two arguments broadcast (e.g. one ``(H, W)`` baseline
  against a ``(B, H, W)`` batch); ``H, W`` must match;
* the result is a ``(B,)`` tensor, or a 0-d tensor when both inputs are ``(H, W)``;
* non-floating inputs are cast to ``torch.get_default_dtype()``; float dtypes are kept (use
  float64 to agree with the numpy versions to ~1e-12);
* with ``validate=True`` (default) inputs are checked like the numpy versions (shape mismatch,
  non-finite, negative, all-zero map, constant map where a normalisation is undefined, empty
  fixation map -> ``ValueError`` naming the argument and, for batches, the first bad index). The
  check synchronises with the device once per call; pass ``validate=False`` inside a training
  loop once the data are known to be valid.

Gradients flow through :func:`kld`, :func:`cc`, :func:`sim` (sub-gradients of min / max) and
:func:`nss` (w.r.t. the saliency map). :func:`bhattacharyya` is differentiable where
``P * Q > 0``; at exact zeros the gradient of ``sqrt`` is infinite.
"""

from __future__ import annotations

import math

import torch

from saliqa.constants import MATLAB_EPS

__all__ = ["MATLAB_EPS", "kld", "cc", "sim", "bhattacharyya", "nss"]


_DIMS = (-2, -1)


def _as_float(x: object, name: str) -> torch.Tensor:
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(x)
    if not (t.is_floating_point()):
        t = t.to(torch.get_default_dtype())
    if t.ndim not in (2, 3):
        raise ValueError(f"{name} must be a (B, H, W) or (H, W) tensor, got shape {tuple(t.shape)}")
    if t.shape[-1] == 0 or t.shape[-2] == 0 or (t.ndim == 3 and t.shape[0] == 0):
        raise ValueError(f"{name} is empty (shape {tuple(t.shape)})")
    return t


def _first_bad(flags: torch.Tensor) -> int | None:
    """Index of the first True in a (B,) bool tensor, or None (one device sync)."""
    bad = torch.nonzero(flags.reshape(-1))
    return None if bad.numel() == 0 else int(bad[0, 0])


def _where(t: torch.Tensor, i: int) -> str:
    return f" (batch index {i})" if t.ndim == 3 else ""


def _validate_map(
    t: torch.Tensor, name: str, *, allow_zero: bool = False, forbid_constant: bool = False, what: str = ""
) -> None:
    # one min/max pass; amin / amax propagate NaN, so a non-finite extreme flags NaN / inf
    lo, hi = torch.aminmax(t.detach().reshape(-1, t.shape[-2] * t.shape[-1]), dim=1)
    nonfinite = ~(torch.isfinite(lo) & torch.isfinite(hi))
    flags = torch.stack([nonfinite, lo < 0, hi == 0, hi == lo]).cpu()
    i = _first_bad(flags[0])
    if i is not None:
        raise ValueError(f"{name} contains non-finite values (NaN or inf){_where(t, i)}")
    i = _first_bad(flags[1])
    if i is not None:
        raise ValueError(f"{name} contains negative values{_where(t, i)}; maps must be non-negative")
    if not allow_zero:
        i = _first_bad(flags[2])
        if i is not None:
            raise ValueError(f"{name} is all zero{_where(t, i)}; a map must have positive mass")
    if forbid_constant:
        i = _first_bad(flags[3])
        if i is not None:
            raise ValueError(f"{name} is constant{_where(t, i)}; {what} is undefined")


def _pair(a: object, b: object, name_a: str, name_b: str) -> tuple[torch.Tensor, torch.Tensor, bool]:
    x = _as_float(a, name_a)
    y = _as_float(b, name_b)
    if x.shape[-2:] != y.shape[-2:]:
        raise ValueError(f"shape mismatch: {name_a} has shape {tuple(x.shape)} but {name_b} has shape {tuple(y.shape)}")
    if x.ndim == 3 and y.ndim == 3 and x.shape[0] != y.shape[0] and 1 not in (x.shape[0], y.shape[0]):
        raise ValueError(f"shape mismatch: batch sizes of {name_a} ({x.shape[0]}) and {name_b} ({y.shape[0]}) differ")
    squeeze = x.ndim == 2 and y.ndim == 2
    dtype = torch.promote_types(x.dtype, y.dtype)
    x, y = torch.broadcast_tensors(x.to(dtype), y.to(dtype))
    return x, y, squeeze


def _out(v: torch.Tensor, squeeze: bool) -> torch.Tensor:
    return v.reshape(()) if squeeze else v.reshape(-1)


def _sum_norm(x: torch.Tensor) -> torch.Tensor:
    return x / x.sum(dim=_DIMS, keepdim=True)


def _minmax_sum_norm(x: torch.Tensor) -> torch.Tensor:
    """Min-max then sum normalisation, ``(x - lo) / sum(x - lo)`` (the ``hi - lo`` cancels)."""
    return _sum_norm(x - x.amin(dim=_DIMS, keepdim=True))


def kld(p: object, q: object, eps: float = MATLAB_EPS, *, validate: bool = True) -> torch.Tensor:
    """Batched ``D_KL(P || Q) = sum P ln(eps + P / (Q + eps))`` after sum-normalising each map.

    ``p`` is the true / posterior map, ``q`` the prediction; MIT ``KLdiv.m``; natural log.
    ``eps`` defaults to MATLAB's ``eps``; SSPNet (seed 004) passes ``1e-8``.
    See :func:`saliqa.metrics.saliency.kld`.
    """
    if not math.isfinite(eps) or eps < 0:
        raise ValueError(f"eps must be a non-negative finite number, got {eps!r}")
    x, y, squeeze = _pair(p, q, "p", "q")
    if validate:
        _validate_map(x, "p")
        _validate_map(y, "q")
    P, Q = _sum_norm(x), _sum_norm(y)
    return _out((P * torch.log(eps + P / (Q + eps))).sum(dim=_DIMS), squeeze)


def cc(a: object, b: object, *, validate: bool = True) -> torch.Tensor:
    """Batched Pearson correlation of two maps (MIT ``CC.m``, MATLAB ``corr2``).

    ``sum(A_c B_c) / sqrt(sum A_c^2 sum B_c^2)`` with ``A_c``, ``B_c`` the centred maps.
    See :func:`saliqa.metrics.saliency.cc`.
    """
    x, y, squeeze = _pair(a, b, "a", "b")
    if validate:
        _validate_map(x, "a", forbid_constant=True, what="the correlation")
        _validate_map(y, "b", forbid_constant=True, what="the correlation")
    xc = x - x.mean(dim=_DIMS, keepdim=True)
    yc = y - y.mean(dim=_DIMS, keepdim=True)
    r = (xc * yc).sum(dim=_DIMS) / torch.sqrt((xc * xc).sum(dim=_DIMS) * (yc * yc).sum(dim=_DIMS))
    return _out(r, squeeze)


def sim(a: object, b: object, minmax: bool = True, *, validate: bool = True) -> torch.Tensor:
    """Batched similarity ``sum min(P, Q)`` (MIT ``similarity.m``).

    Each map is min-max normalised (unless ``minmax=False``), then sum-normalised.
    See :func:`saliqa.metrics.saliency.sim`.
    """
    x, y, squeeze = _pair(a, b, "a", "b")
    if validate:
        _validate_map(x, "a", forbid_constant=minmax, what="min-max normalisation")
        _validate_map(y, "b", forbid_constant=minmax, what="min-max normalisation")
    norm = _minmax_sum_norm if minmax else _sum_norm
    return _out(torch.minimum(norm(x), norm(y)).sum(dim=_DIMS), squeeze)


def bhattacharyya(a: object, b: object, *, validate: bool = True) -> torch.Tensor:
    """Batched Bhattacharyya distance ``-ln sum sqrt(P Q)`` of sum-normalised maps.

    ``inf`` for maps with disjoint support. See :func:`saliqa.metrics.saliency.bhattacharyya`.
    """
    x, y, squeeze = _pair(a, b, "a", "b")
    if validate:
        _validate_map(x, "a")
        _validate_map(y, "b")
    return _out(-torch.log(torch.sqrt(_sum_norm(x) * _sum_norm(y)).sum(dim=_DIMS)), squeeze)


def nss(
    saliency: object,
    fixations: object,
    ddof: int = 1,
    per_fixation: bool = False,
    *,
    validate: bool = True,
) -> torch.Tensor:
    """Batched normalised scanpath saliency (MIT ``NSS.m``).

    Each map is standardised with ``std(correction=ddof)`` (1 = MATLAB, default) and averaged
    over its fixated pixels (``fixations > 0``, each once), or weighted by the counts with
    ``per_fixation=True``. See :func:`saliqa.metrics.saliency.nss`.
    """
    s, f, squeeze = _pair(saliency, fixations, "saliency", "fixations")
    if validate:
        _validate_map(s, "saliency", forbid_constant=True, what="NSS (std 0)")
        _validate_map(f, "fixations", allow_zero=True)
        empty = f.detach().reshape(-1, f.shape[-2] * f.shape[-1]).amax(dim=1) <= 0
        i = _first_bad(empty.cpu())
        if i is not None:
            raise ValueError(f"fixations is an empty fixation map (no pixel > 0){_where(f, i)}")
        if s.shape[-1] * s.shape[-2] <= ddof:
            raise ValueError(f"saliency has too few pixels for std with ddof={ddof}")
    flat = s.reshape(*s.shape[:-2], -1)
    mean = flat.mean(dim=-1)[..., None, None]
    sd = flat.std(dim=-1, correction=ddof)[..., None, None]
    z = (s - mean) / sd
    w = f if per_fixation else (f > 0).to(s.dtype)
    return _out((z * w).sum(dim=_DIMS) / w.sum(dim=_DIMS), squeeze)
