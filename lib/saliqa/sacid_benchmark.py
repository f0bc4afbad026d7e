"""The saliency-aware compression benchmark of seed 002 (Sec. III-D, Table III).

IQA metrics are scored on every compressed version of a SACID-like ``images`` table
(:func:`saliqa.simulate.sacid.sacid_set` or :func:`saliqa.datasets.sacid.load_sacid`) and compared
with the subjective scores by SROCC, PLCC and FracCP (:func:`table3`).

Conventions
-----------
- **Direction**: every score is oriented so that *higher = better quality*. PSNR, SSIM,
  MS-SSIM, VIF, EW-PSNR and EW-SSIM already are; NR metrics where lower is better (BRISQUE,
  NIQE) are negated by :func:`nr_metric` (``higher_is_better=False``). A trained model's
  predictions join as a precomputed column (:func:`with_predictions`), oriented by the caller.
- **Metric callables** take ``(ref, dist, saliency)``: ``uint8`` RGB ``(H, W, 3)`` pictures and
  the saliency map as float64 ``(H, W)`` on the stored 8-bit scale (0..255; scale free for the
  EW metrics, which sum-normalise it). FR metrics ignore the saliency, NR metrics the reference.
- **Metric settings** (:func:`default_fr_metrics`): the defaults of
  :mod:`saliqa.metrics.fidelity` (PSNR on RGB; SSIM, MS-SSIM, EW-SSIM on MATLAB ``rgb2gray``
  rounded luma; EW-PSNR on RGB; SSIM's automatic downsampling), VIF as
  :func:`saliqa.metrics.vif.vif` (the reference side fitted once per reference picture:
  :func:`metric_scores` passes the same reference array for every version of a content).
  MS-SSIM needs ``min(H, W) >= 11 * 2**4 = 176`` px for its five
  scales; on smaller pictures it uses the largest number of scales ``M`` that fits, with the
  first ``M`` exponents of the paper (``"product"`` pooling renormalises nothing: the exponents
  are used as they are), and warns once.
- **SROCC / PLCC** are averaged over the reference groups by default (``per_group=True``):
  subjective scores from pairwise comparisons *within* references (Bradley-Terry, centred per
  reference, :func:`saliqa.subjective.pairwise.bradley_terry_scores`) have no common zero
  across references, so a correlation pooled over every version would mostly measure how the
  metric varies between contents. ``per_group=False`` pools every version (the usual IQA
  practice, right for scores on a common scale such as a published MOS). The paper does not
  say which it used. PLCC is on the raw
  scores, without a logistic fit: the paper does not mention one. **FracCP** is
  :func:`saliqa.metrics.correlation.frac_concordant_pairs` with the reference as the group,
  prediction ties counting as not concordant.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from saliqa.datasets.builtin import load_image
from saliqa.metrics import fidelity
from saliqa.metrics.correlation import frac_concordant_pairs, plcc, srcc

__all__ = [
    "Metric",
    "PAPER_TYPES",
    "load_saliency",
    "ms_ssim_scales",
    "default_fr_metrics",
    "nr_metric",
    "metric_scores",
    "with_predictions",
    "table3",
]

Metric = Callable[[np.ndarray, np.ndarray, np.ndarray], float]
"""A metric ``(ref, dist, saliency) -> float``, higher = better (module docstring)."""

PAPER_TYPES: Mapping[str, str] = {
    "MS-SSIM": "NSS based",
    "BRISQUE": "NSS based",
    "PSNR": "NSS based",
    "SSIM": "NSS based",
    "VIF": "NSS based",
    "EW-SSIM": "NSS based",
    "EW-PSNR": "NSS based",
    "NIQE": "NSS based",
}
"""The ``Type`` column of Table III for the methods this module computes (others: pass ``types``)."""

_REQUIRED = ("image_id", "path", "content_id", "reference_path", "saliency_path")


def load_saliency(path: str) -> np.ndarray:
    """A saliency map file as float64 ``(H, W)`` (grey; colour maps are averaged over channels).

    Raises
    ------
    ValueError
        An unreadable file (naming it).
    """
    try:
        with Image.open(path) as im:
            a = np.asarray(im, dtype=np.float64)
    except OSError as err:
        raise ValueError(f"{path}: unreadable saliency map ({err})") from err
    return a.mean(axis=2) if a.ndim == 3 else a


def ms_ssim_scales(shape: tuple[int, ...], window_size: int = 11, max_scales: int = 5) -> int:
    """Largest number of MS-SSIM scales (<= ``max_scales``) a picture of ``shape`` allows.

    ``M`` scales need ``min(H, W) / 2**(M - 1) >= window_size``.

    Raises
    ------
    ValueError
        If the picture is smaller than one window.
    """
    side = min(shape[:2])
    if side < window_size:
        raise ValueError(f"picture of shape {tuple(shape)} is smaller than the {window_size}-px SSIM window")
    return int(min(max_scales, math.floor(math.log2(side / window_size)) + 1))


def default_fr_metrics(*, include_vif: bool = True) -> dict[str, Metric]:
    """The classic FR metrics of Table III: PSNR, SSIM, MS-SSIM, VIF, EW-PSNR, EW-SSIM.

    Parameters
    ----------
    include_vif : bool
        Include VIF (:func:`saliqa.metrics.vif.vif`).

    Returns
    -------
    dict of name -> Metric
        In the order above; settings in the module docstring.
    """
    warned: list[bool] = []

    def _ms_ssim(ref: np.ndarray, dist: np.ndarray, sal: np.ndarray) -> float:
        m = ms_ssim_scales(ref.shape)
        if m < 5 and not warned:
            warned.append(True)
            warnings.warn(
                f"MS-SSIM: pictures of shape {ref.shape[:2]} allow {m} scales, not 5 (needs min side >= 176 px); "
                f"using the first {m} exponents",
                UserWarning,
                stacklevel=2,
            )
        return fidelity.ms_ssim(ref, dist, weights=fidelity.MS_SSIM_WEIGHTS[:m])

    metrics: dict[str, Metric] = {
        "PSNR": lambda ref, dist, sal: fidelity.psnr(ref, dist),
        "SSIM": lambda ref, dist, sal: fidelity.ssim(ref, dist),
        "MS-SSIM": _ms_ssim,
    }
    if include_vif:
        metrics["VIF"] = _vif_metric()
    metrics["EW-PSNR"] = lambda ref, dist, sal: fidelity.ew_psnr(ref, dist, sal)
    metrics["EW-SSIM"] = lambda ref, dist, sal: fidelity.ew_ssim(ref, dist, sal)
    return metrics


def _vif_metric() -> Metric:
    """VIF that fits each reference once: the last reference *object* seen is kept with its model."""
    from saliqa.metrics.vif import vif_reference

    last: list[Any] = [None, None]

    def score(ref: np.ndarray, dist: np.ndarray, sal: np.ndarray) -> float:
        if last[0] is not ref:
            last[0], last[1] = ref, vif_reference(ref)
        return float(last[1](dist))

    return score


def nr_metric(function: Callable[[np.ndarray], float], *, higher_is_better: bool) -> Metric:
    """Wrap a no-reference metric ``function(dist) -> float`` as a :data:`Metric`, oriented.

    Parameters
    ----------
    function : callable
        E.g. :func:`saliqa.models.nr_classic.brisque_score` or
        :func:`saliqa.models.nr_classic.niqe` (both lower = better).
    higher_is_better : bool
        False negates the score, so that the wrapped metric is higher = better.

    Returns
    -------
    Metric
    """
    sign = 1.0 if higher_is_better else -1.0
    return lambda ref, dist, sal: sign * float(function(dist))


def _check_images(images: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(images, pd.DataFrame):
        raise ValueError(f"images_table must be a pandas DataFrame, got {type(images).__name__}")
    missing = [c for c in _REQUIRED if c not in images.columns]
    if missing:
        raise ValueError(
            f"images_table: missing column(s) {missing}; expected a SACID images table ({list(_REQUIRED)})"
        )
    if images["image_id"].duplicated().any():
        i = int(np.flatnonzero(images["image_id"].duplicated().to_numpy())[0])
        raise ValueError(f"images_table: row {i} repeats image_id {images['image_id'].iloc[i]!r}")
    return images


def metric_scores(images_table: pd.DataFrame, metrics: Mapping[str, Metric]) -> pd.DataFrame:
    """Score every version of ``images_table`` with every metric (higher = better).

    References and saliency maps are read once per content; each version once.

    Parameters
    ----------
    images_table : DataFrame
        ``image_id``, ``path``, ``content_id``, ``reference_path``, ``saliency_path``.
    metrics : mapping name -> Metric
        E.g. :func:`default_fr_metrics` plus :func:`nr_metric` wrappers.

    Returns
    -------
    DataFrame
        Indexed by ``image_id`` (table order), one float column per metric, plus
        ``content_id``.

    Raises
    ------
    ValueError
        Missing columns, duplicate ids, no metric, a metric returning a non-finite value (naming
        the metric and the image), or a saliency map whose shape differs from the picture's.
    """
    df = _check_images(images_table)
    if not metrics:
        raise ValueError("metrics is empty; expected at least one name -> callable(ref, dist, saliency)")
    refs: dict[str, np.ndarray] = {}
    sals: dict[str, np.ndarray] = {}
    out = np.empty((len(df), len(metrics)))
    for i, row in enumerate(df[list(_REQUIRED)].itertuples(index=False)):
        image_id, path, content, ref_path, sal_path = row
        if content not in refs:
            refs[content], sals[content] = load_image(ref_path), load_saliency(sal_path)
        ref, sal, dist = refs[content], sals[content], load_image(path)
        if dist.shape != ref.shape or sal.shape != ref.shape[:2]:
            raise ValueError(
                f"images_table: {image_id!r}: picture {dist.shape}, reference {ref.shape} and saliency {sal.shape} "
                "must share (H, W)"
            )
        for j, (name, fn) in enumerate(metrics.items()):
            value = float(fn(ref, dist, sal))
            if not math.isfinite(value):
                raise ValueError(f"metric {name!r} gave {value} on {image_id!r}; expected a finite score")
            out[i, j] = value
    scores = pd.DataFrame(out, columns=list(metrics), index=pd.Index(df["image_id"].astype(str), name="image_id"))
    scores["content_id"] = df["content_id"].astype(str).to_numpy()
    return scores


def with_predictions(
    scores: pd.DataFrame, name: str, predictions: Mapping[str, float] | pd.Series, *, higher_is_better: bool = True
) -> pd.DataFrame:
    """Add a trained model's precomputed predictions as a column (oriented higher = better).

    Parameters
    ----------
    scores : DataFrame
        Of :func:`metric_scores` (indexed by ``image_id``).
    name : str
        Column name (the method in Table III).
    predictions : mapping or Series image_id -> score
        One finite value per image of ``scores``.
    higher_is_better : bool
        False negates the predictions.

    Returns
    -------
    DataFrame
        A copy of ``scores`` with the column.

    Raises
    ------
    ValueError
        Images of ``scores`` without a prediction (counted, the first named) or non-finite values.
    """
    pred = pd.Series(predictions, dtype=float).reindex(scores.index)
    bad = ~np.isfinite(pred.to_numpy())
    if bad.any():
        raise ValueError(
            f"predictions {name!r}: {int(bad.sum())} of {len(pred)} images lack a finite prediction, "
            f"e.g. {pred.index[bad][0]!r}"
        )
    return scores.assign(**{name: pred.to_numpy() * (1.0 if higher_is_better else -1.0)})


def _mean_over_groups(fn: Callable[[Any, Any], float], pred: np.ndarray, mos: np.ndarray, groups: np.ndarray) -> float:
    codes, _ = pd.factorize(groups)
    values = [fn(pred[codes == g], mos[codes == g]) for g in range(codes.max() + 1)]
    return float(np.mean(values))


def table3(
    scores: pd.DataFrame,
    mos: Sequence[float] | pd.Series | np.ndarray,
    groups: Sequence[Any] | pd.Series | np.ndarray,
    *,
    methods: Sequence[str] | None = None,
    types: Mapping[str, str] | None = None,
    per_group: bool = True,
) -> pd.DataFrame:
    """Table III: SROCC, PLCC and FracCP of each method against the subjective scores.

    Parameters
    ----------
    scores : DataFrame
        One column per method (higher = better), one row per version; other columns are ignored
        unless named in ``methods``.
    mos : array_like, shape (n,)
        Subjective scores aligned with the rows of ``scores`` (e.g. Bradley-Terry scores).
    groups : array_like, shape (n,)
        The reference of each row (FracCP's groups; per-group SROCC / PLCC).
    methods : sequence of str, optional
        Columns to evaluate; default every numeric column of ``scores``.
    types : mapping, optional
        Method -> Table III type; default :data:`PAPER_TYPES`, ``"other"`` for the rest.
    per_group : bool
        Average SROCC and PLCC over the groups (default; module docstring) or pool every
        version (False).

    Returns
    -------
    DataFrame
        ``method``, ``type``, ``SROCC``, ``PLCC``, ``FracCP``, sorted by SROCC increasing, as in
        the paper.

    Raises
    ------
    ValueError
        Lengths that differ, an unknown method column, or the errors of the correlation
        functions (constant scores, NaN).
    """
    m = np.asarray(mos, dtype=np.float64).reshape(-1)
    g = np.asarray(groups, dtype=object).reshape(-1)
    if m.size != len(scores) or g.size != len(scores):
        raise ValueError(f"mos ({m.size}) and groups ({g.size}) must have one value per row of scores ({len(scores)})")
    if methods is None:
        methods = [c for c in scores.columns if pd.api.types.is_numeric_dtype(scores[c])]
    unknown = [c for c in methods if c not in scores.columns]
    if unknown:
        raise ValueError(f"methods {unknown} are not columns of scores ({list(scores.columns)})")
    kinds = dict(PAPER_TYPES if types is None else types)
    rows = []
    for name in methods:
        p = scores[name].to_numpy(dtype=np.float64)
        if per_group:
            s, r = _mean_over_groups(srcc, p, m, g), _mean_over_groups(plcc, p, m, g)
        else:
            s, r = srcc(p, m), plcc(p, m)
        rows.append(
            {
                "method": name,
                "type": kinds.get(name, "other"),
                "SROCC": s,
                "PLCC": r,
                "FracCP": frac_concordant_pairs(p, m, g),
            }
        )
    return pd.DataFrame(rows).sort_values("SROCC", kind="stable").reset_index(drop=True)
