"""Simulated TUD-like study: eye fixations, crowd clicks, crowd workers and quality ratings.

The builtin data of notebook 01 (seed 000, "crowdsourced self-reported attention vs eye
tracking, free viewing vs an IQA task"). Real photographs (:mod:`saliqa.datasets.builtin`) are
JPEG-compressed at several quality factors (the TUD design: originals x 4 JPEG levels) and
*simulated* observers look at / click on / rate them. Nothing here is the paper's data: the
numbers a notebook obtains on it test that the analysis recovers the effects planted below.

Generative model
----------------
All lengths are in degrees of visual angle and converted with the viewing geometry
(``viewing_distance_cm``, ``display_width_cm``: the displayed image width) through
:func:`saliqa.saliency.pixels_per_degree` (``ppd = W_px / angle subtended by the image``).

1. **Bottom-up density** ``F`` per content, computed on the *reference* image so free viewing is
   the same for every JPEG version (:func:`free_viewing_density`): three feature maps of the
   luminance / colour image -- local RMS contrast (Gaussian window ``contrast_scale_deg``),
   colour-opponency distinctiveness (red-green and blue-yellow channels blurred at
   ``colour_scale_deg``, distance from their image means) and edge energy (Sobel magnitude
   blurred at ``contrast_scale_deg``) -- each divided by its maximum, averaged with
   ``feature_weights``, blurred at ``feature_blur_deg``, raised to ``feature_gamma`` (peaky
   "objects") and sum-normalised; then mixed with a Gaussian centre bias
   (:func:`saliqa.saliency.centre_prior`, ``centre_sigma_frac``):
   ``F = (1 - centre_weight) * feat + centre_weight * centre``.
2. **Distortion visibility** ``V`` per image version (:func:`distortion_visibility`): the
   absolute luminance difference between the version and its reference, pooled with a Gaussian
   of ``visibility_pool_deg``, divided by ``masking_constant + local contrast of the reference``
   (contrast masking: blocking in smooth areas is the most visible), plus
   ``visibility_floor`` (a near-perfect version is searched everywhere), sum-normalised.
3. **Task densities.** Free viewing: ``F``. IQA task:
   ``T = (1 - iqa_visibility_weight) * F + iqa_visibility_weight * V``, a superposition of free
   viewing and task-specific information (seed 000, section 3.2).
4. **Eye fixations** (``source="eye"``): for each version and task, ``n_eye_observers``
   observers (different people per task, as in TUD: Liu et al. free viewing, Alers et al. IQA)
   each make ``eye_fixations`` (uniform integer range) fixations drawn from the task density,
   displaced by isotropic Gaussian eye-tracker error of ``eye_error_deg``.
5. **Crowd clicks** (``source="click"``): one answer is one worker's clicks on one version.
   Clicks come from the task density with each component *sharpened*,
   ``S_g(D) = D**g / sum``: free ``S_a(F)``; IQA
   ``(1 - iqa_visibility_weight) S_a(F) + iqa_visibility_weight S_b(V)`` with
   ``a = click_gamma > 1`` (the densest peaks; seed 000: "users preferred to click on meaningful
   locations") and ``b = click_visibility_gamma`` (default 1: clicks also go to the artefacts,
   "they pick many off-subject locations ... compression artifacts"). A diligent worker's
   click is uniformly random with probability ``click_uniform_frac``; careless workers and
   spammers click uniformly at random. Positions get Gaussian pointing error
   ``click_error_deg``. Clicks per answer: ``free_clicks`` / ``iqa_clicks`` ranges (seed: 3-10
   free, >= 3 IQA with "3 to 5" asked); spammers give the minimum.
6. **Worker pools**, one per campaign (``"free"``, ``"iqa"``): each worker has a type drawn
   from ``*_worker_mix`` (``diligent``, ``careless``, ``spammer``), a country from
   :data:`COUNTRY_WEIGHTS` (INVENTED, see there), a platform accuracy from a Beta distribution
   per type (:data:`PLATFORM_ACCURACY_BETA`) and a number of answers from a Gamma distribution
   (mean ``*_answers_per_worker_mean``, shape ``answers_per_worker_shape``) rounded and
   clipped to ``1 .. min(max_answers_per_worker, number of versions)``. Workers join until
   every version has ``*_answers_per_image`` answers; each picks distinct versions among the
   least-answered ones (CrowdFlower-style judgments per unit), so every version ends with
   exactly that many answers before screening. No worker goes past the cap, so the cap rule of
   :func:`saliqa.crowd.screen_workers` removes nothing on this data (it is tested on
   constructed cases).
7. **IQA ratings** (5-point ACR scale, seed section 2.2): latent quality per version
   ``q = 1 + 4 / (1 + exp(-(PSNR - psnr_mid) / psnr_slope)) + content offset``
   (``content_quality_sd``; PSNR over the RGB channels, :func:`saliqa.metrics.fidelity.psnr`), so
   ``q`` falls monotonically as the JPEG quality factor falls (PSNR of the reference itself is
   infinite: ``q = 5``); clipped to ``[1, 5]``. A diligent
   rater answers ``round(q + b + e)`` (bias ``b ~ N(0, diligent_bias_sd)``, noise
   ``e ~ N(0, diligent_noise_sd)``), a careless one the same with ``careless_*`` spreads, a
   spammer a constant drawn from 1..5; all clipped to 1..5.
8. **Test questions** (IQA campaign only; the free campaign had none and no quiz): the
   ``n_test_questions`` gold versions are drawn from the set; the allowed answers of one are the
   integers within ``gold_tolerance`` of its ``q`` (at least ``round(q)``). Each worker first
   takes a quiz of ``quiz_size`` gold questions and works only with an accuracy
   ``>= quiz_pass_accuracy``; in work mode one answer in ``1 / gold_rate`` is a hidden test
   question. ``test_accuracy`` is the fraction of work-mode test questions answered within
   the allowed range. Workers are not stopped when they fall below 70 % (the platform did);
   :func:`saliqa.crowd.screen_workers` removes them afterwards with all their answers.

Planted effects (``simulate_study(...)["planted"]``)
---------------------------------------------------
1. IQA maps are broader than free-viewing maps and overlap them: mean
   ``D_KL(IQA || Free) > D_KL(Free || IQA)``, for eye and for crowd data.
2. Crowd and eye maps agree: mean CC(crowd, eye) > 0.5 in both tasks.
3. MOS falls as JPEG compression increases (rises with the quality factor ``level``).
4. Screening removes most spammers and keeps most diligent workers.

Tables returned by :func:`simulate_study` are the canonical ones of
:mod:`saliqa.datasets.tables`, plus a ``workers`` table and the ``planted`` dict.

Modules
-------
This module assembles the study (:func:`simulate_study`) and re-exports the public names of the
pieces: :mod:`saliqa.simulate.config` (:class:`SimulationConfig`, every parameter above),
:mod:`saliqa.simulate.density` (steps 1-3), :mod:`saliqa.simulate.points` (drawing fixations
and clicks), :mod:`saliqa.simulate.workers` (step 6), :mod:`saliqa.simulate.ratings` (steps
7-8; PSNR by :func:`saliqa.metrics.fidelity.psnr`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from saliqa.checks import check_seed
from saliqa.constants import BT601_LUMA
from saliqa.datasets.attention_design import REFERENCE_DISTORTIONS, is_reference
from saliqa.datasets.tables import validate
from saliqa.metrics.fidelity import psnr as psnr_db
from saliqa.simulate.config import GENERATOR_VERSION, SimulationConfig
from saliqa.simulate.density import (
    as_rgb01,
    distortion_visibility,
    feature_saliency,
    free_viewing_density,
    iqa_density,
    local_std,
    luminance,
    sharpen,
    visibility_density,
)
from saliqa.simulate.points import sample_points
from saliqa.simulate.ratings import RaterPool, latent_quality, quality_from_psnr, rate
from saliqa.simulate.workers import COUNTRY_WEIGHTS, PLATFORM_ACCURACY_BETA, WORKER_TYPES, draw_workers

__all__ = [
    "GENERATOR_VERSION",
    "WORKER_TYPES",
    "COUNTRY_WEIGHTS",
    "PLATFORM_ACCURACY_BETA",
    "REFERENCE_DISTORTIONS",
    "SimulationConfig",
    "luminance",
    "feature_saliency",
    "free_viewing_density",
    "distortion_visibility",
    "iqa_density",
    "sharpen",
    "sample_points",
    "latent_quality",
    "simulate_study",
    "planted_effects",
]


class _Columns:
    """Accumulates column arrays and builds one DataFrame at the end (no per-image frames)."""

    def __init__(self) -> None:
        self._cols: dict[str, list[np.ndarray]] = {}

    def add(self, **cols: np.ndarray) -> None:
        for k, v in cols.items():
            self._cols.setdefault(k, []).append(np.asarray(v))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({k: np.concatenate(v) for k, v in self._cols.items()})


@dataclass
class _Versions:
    """The observed versions: ids, densities ``(F, V)``, pixels per degree, latent quality, PSNR."""

    image_ids: np.ndarray
    dens: list[tuple[np.ndarray, np.ndarray]]
    ppds: np.ndarray
    q: np.ndarray
    psnr: np.ndarray

    def __len__(self) -> int:
        return len(self.dens)


def _references(
    images: pd.DataFrame, references: Mapping[Any, Any] | None, load: Callable[[Any], np.ndarray]
) -> tuple[pd.DataFrame, dict[Any, np.ndarray]]:
    """The observed (distorted) rows and each content's reference image."""
    is_ref = is_reference(images)
    observed = images.loc[~is_ref].reset_index(drop=True)
    if observed.empty:
        raise ValueError(
            f"images: no distorted rows to simulate observers on (every row has distortion in {REFERENCE_DISTORTIONS})"
        )
    refs: dict[Any, np.ndarray] = {}
    if references is not None:
        for cid, ref in references.items():
            refs[cid] = np.asarray(load(ref)) if not isinstance(ref, np.ndarray) else ref
    for _, row in images.loc[is_ref].iterrows():
        refs.setdefault(row["content_id"], np.asarray(load(row["path"])))
    missing = sorted(set(observed["content_id"]) - set(refs), key=str)
    if missing:
        raise ValueError(
            f"images: no reference image for content_id {missing[:5]} ({len(missing)} contents); include "
            f"reference rows (distortion in {REFERENCE_DISTORTIONS}, e.g. distorted_set(..., "
            "include_reference=True)) or pass references={content_id: path or array}"
        )
    return observed, refs


def _versions(
    observed: pd.DataFrame,
    refs: Mapping[Any, np.ndarray],
    load_image: Callable[[Any], np.ndarray],
    cfg: SimulationConfig,
    rng_rate: np.random.Generator,
) -> _Versions:
    """Steps 1-3 and 7 per version: densities ``F`` (per content) and ``V``, latent quality (loop over images)."""
    n_img = len(observed)
    content_offset: dict[Any, float] = {}
    per_content: dict[Any, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # content -> (F, L_ref, contrast)
    dens: list[tuple[np.ndarray, np.ndarray]] = []
    ppds, q, psnr = np.empty(n_img), np.empty(n_img), np.empty(n_img)
    for i, row in observed.iterrows():
        cid = row["content_id"]
        ref = as_rgb01(refs[cid], f"reference of content {cid!r}")
        img = as_rgb01(np.asarray(load_image(row["path"])), f"image {row['image_id']!r}")
        h, w = int(row["height"]), int(row["width"])
        for what, arr in (("image", img), ("reference", ref)):
            if arr.shape[:2] != (h, w):
                raise ValueError(
                    f"images row {i} ({row['image_id']!r}): {what} has shape {arr.shape[:2]}, "
                    f"table says (height, width) = ({h}, {w})"
                )
        ppd = cfg.pixels_per_degree(w)
        ppds[i] = ppd
        if cid not in per_content:
            lum_ref = ref @ BT601_LUMA
            per_content[cid] = (
                free_viewing_density(ref, ppd, cfg),
                lum_ref,
                local_std(lum_ref, cfg.visibility_pool_deg * ppd),
            )
            content_offset[cid] = float(cfg.content_quality_sd * rng_rate.standard_normal())
        F, lum_ref, ref_contrast = per_content[cid]
        dens.append((F, visibility_density(lum_ref, img @ BT601_LUMA, ppd, cfg, ref_contrast)))
        psnr[i] = psnr_db(ref, img, data_range=1.0)
        q[i] = float(np.clip(quality_from_psnr(psnr[i], cfg) + content_offset[cid], 1.0, 5.0))
    return _Versions(observed["image_id"].to_numpy(), dens, ppds, q, psnr)


def _eye_fixations(fx: _Columns, v: _Versions, cfg: SimulationConfig, rng: np.random.Generator) -> None:
    """Step 4: ``n_eye_observers`` observers per task and version (different people per task)."""
    lo, hi = cfg.eye_fixations
    for task in ("free", "iqa"):
        obs_ids = np.array([f"eye{'F' if task == 'free' else 'Q'}{k + 1:02d}" for k in range(cfg.n_eye_observers)])
        for i in range(len(v)):
            F, V = v.dens[i]
            d = F if task == "free" else iqa_density(F, V, cfg.iqa_visibility_weight)
            counts = rng.integers(lo, hi + 1, size=cfg.n_eye_observers)
            pts = sample_points(d, int(counts.sum()), rng, error_px=cfg.eye_error_deg * v.ppds[i])
            n = pts.shape[0]
            fx.add(
                image_id=np.full(n, v.image_ids[i], dtype=object),
                observer_id=np.repeat(obs_ids, counts),
                x=pts[:, 0],
                y=pts[:, 1],
                source=np.full(n, "eye", dtype=object),
                task=np.full(n, task, dtype=object),
                campaign=np.full(n, "eye", dtype=object),
                answer_order=np.full(n, -1, dtype=np.int64),
            )


def _gold_items(n_img: int, cfg: SimulationConfig, rng: np.random.Generator) -> np.ndarray:
    """Step 8: indices of the gold versions (test questions)."""
    n_gold = min(cfg.n_test_questions, n_img)
    if n_gold < cfg.n_test_questions:
        warnings.warn(
            f"simulate_study: only {n_img} image versions, so {n_gold} test questions instead of "
            f"n_test_questions={cfg.n_test_questions}",
            stacklevel=3,
        )
    return np.sort(rng.choice(n_img, size=n_gold, replace=False))


def _answer_orders(
    n_assigned: np.ndarray, n_test: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each worker's sequence: work answers and hidden test questions interleaved at random slots."""
    order = np.empty(int(n_assigned.sum()), dtype=np.int64)
    gold_order: list[np.ndarray] = []
    start = 0
    for n_k, t_k in zip(n_assigned.tolist(), n_test.tolist()):  # loop over workers
        slots = rng.permutation(n_k + t_k)
        order[start : start + n_k] = np.sort(slots[:n_k])
        gold_order.append(np.sort(slots[n_k:]))
        start += n_k
    return order, gold_order


def _clicks(
    fx: _Columns,
    campaign: str,
    v: _Versions,
    wids: np.ndarray,
    ans_worker: np.ndarray,
    ans_image: np.ndarray,
    wtypes: np.ndarray,
    order: np.ndarray,
    sharp_free: dict[int, np.ndarray],
    cfg: SimulationConfig,
    rng: np.random.Generator,
) -> None:
    """Step 5: the clicks of every answer of one campaign (loop over versions, vectorised within)."""
    clo, chi = cfg.free_clicks if campaign == "free" else cfg.iqa_clicks
    n_clicks = np.where(wtypes == "spammer", clo, rng.integers(clo, chi + 1, size=ans_worker.size))
    p_uniform = np.where(wtypes == "diligent", cfg.click_uniform_frac, 1.0)
    for i in range(len(v)):
        sel = np.flatnonzero(ans_image == i)
        if sel.size == 0:
            continue
        F, V = v.dens[i]
        if id(F) not in sharp_free:  # S(F), one per content (keyed by the array's identity)
            sharp_free[id(F)] = sharpen(F, cfg.click_gamma)
        crowd = sharp_free[id(F)]
        if campaign == "iqa":
            w = cfg.iqa_visibility_weight
            crowd = (1.0 - w) * crowd + w * sharpen(V, cfg.click_visibility_gamma)
        k = n_clicks[sel]
        total = int(k.sum())
        uni = rng.random(total) < np.repeat(p_uniform[sel], k)
        pts = sample_points(crowd, total, rng, error_px=cfg.click_error_deg * v.ppds[i])
        h, wd = crowd.shape
        upts = np.column_stack([rng.uniform(0, wd - 1, total), rng.uniform(0, h - 1, total)])
        pts = np.where(uni[:, None], upts, pts)
        fx.add(
            image_id=np.full(total, v.image_ids[i], dtype=object),
            observer_id=np.repeat(wids[ans_worker[sel]], k),
            x=pts[:, 0],
            y=pts[:, 1],
            source=np.full(total, "click", dtype=object),
            task=np.full(total, campaign, dtype=object),
            campaign=np.full(total, campaign, dtype=object),
            answer_order=np.repeat(order[sel], k),
        )


def _iqa_ratings(
    rt: _Columns,
    v: _Versions,
    wids: np.ndarray,
    ans_worker: np.ndarray,
    ans_image: np.ndarray,
    wtypes: np.ndarray,
    order: np.ndarray,
    n_test: np.ndarray,
    gold_order: list[np.ndarray],
    gold_idx: np.ndarray,
    raters: RaterPool,
    cfg: SimulationConfig,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Steps 7-8: work ratings, quiz and hidden test-question rows; per-worker quiz / test accuracy."""
    bias = np.array([raters.raters[w][1] for w in wids])
    const = np.array([raters.raters[w][2] for w in wids])
    scores = rate(wtypes, bias[ans_worker], const[ans_worker], v.q[ans_image], cfg, rng)
    n = scores.size
    rt.add(
        image_id=v.image_ids[ans_image],
        rater_id=wids[ans_worker],
        score=scores,
        is_gold=np.zeros(n, bool),
        phase=np.full(n, "work", dtype=object),
        answer_order=order,
        gold_correct=np.full(n, -1, dtype=np.int8),
    )
    quiz_acc, test_acc = np.full(len(wids), np.nan), np.full(len(wids), np.nan)
    for k, wid in enumerate(wids):  # loop over workers: quiz and hidden test questions
        rec = raters.quizzes[wid]
        quiz_acc[k] = float(rec["ok"].mean())
        n = rec["items"].size
        rt.add(
            image_id=v.image_ids[gold_idx[rec["items"]]],
            rater_id=np.full(n, wid, dtype=object),
            score=rec["scores"],
            is_gold=np.ones(n, bool),
            phase=np.full(n, "quiz", dtype=object),
            answer_order=np.full(n, -1, dtype=np.int64),
            gold_correct=rec["ok"].astype(np.int8),
        )
        t_k = int(n_test[k])
        if t_k:
            items = rng.choice(raters.n_gold, size=t_k, replace=t_k > raters.n_gold)
            sc, ok = raters.answer_gold(wid, items, rng)
            test_acc[k] = float(ok.mean())
            rt.add(
                image_id=v.image_ids[gold_idx[items]],
                rater_id=np.full(t_k, wid, dtype=object),
                score=sc,
                is_gold=np.ones(t_k, bool),
                phase=np.full(t_k, "work", dtype=object),
                answer_order=gold_order[k],
                gold_correct=ok.astype(np.int8),
            )
    return quiz_acc, test_acc


def _campaign(
    campaign: str,
    v: _Versions,
    gold_idx: np.ndarray,
    raters: RaterPool,
    fx: _Columns,
    rt: _Columns,
    sharp_free: dict[int, np.ndarray],
    cfg: SimulationConfig,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Steps 5-8 for one campaign: workers, their answers' clicks and (IQA) ratings; the workers table."""
    pool = draw_workers(campaign, len(v), cfg, rng, raters.quiz if campaign == "iqa" else None)
    wids = pool["worker_id"].to_numpy(dtype=object)
    n_assigned = pool["assigned"].map(len).to_numpy()
    ans_worker = np.repeat(np.arange(len(pool)), n_assigned)
    ans_image = np.concatenate([np.asarray(a, dtype=np.int64) for a in pool["assigned"]] + [np.zeros(0, np.int64)])
    wtypes = pool["worker_type"].to_numpy()[ans_worker]
    if campaign == "iqa":  # work-mode test questions, one per 1 / gold_rate answers
        n_test = np.where(n_assigned > 0, np.maximum(1, np.rint(n_assigned * cfg.gold_rate)), 0).astype(np.int64)
    else:
        n_test = np.zeros(len(pool), dtype=np.int64)
    order, gold_order = _answer_orders(n_assigned, n_test, rng)
    _clicks(fx, campaign, v, wids, ans_worker, ans_image, wtypes, order, sharp_free, cfg, rng)
    quiz_acc, test_acc = np.full(len(pool), np.nan), np.full(len(pool), np.nan)
    if campaign == "iqa":
        quiz_acc, test_acc = _iqa_ratings(
            rt, v, wids, ans_worker, ans_image, wtypes, order, n_test, gold_order, gold_idx, raters, cfg, rng
        )
    return pd.DataFrame(
        {
            "worker_id": wids,
            "campaign": campaign,
            "country": pool["country"].to_numpy(),
            "platform_accuracy": pool["platform_accuracy"].to_numpy(),
            "passed_quiz": pd.array(
                pool["passed_quiz"].to_numpy() if campaign == "iqa" else [pd.NA] * len(pool), dtype="boolean"
            ),
            "quiz_accuracy": quiz_acc,
            "test_accuracy": test_acc,
            "n_test_questions": n_test,
            "n_answers": n_assigned.astype(np.int64),
            "worker_type": pool["worker_type"].to_numpy(),
        }
    )


def _order_column(values: pd.Series) -> pd.arrays.IntegerArray:
    """``answer_order`` with the -1 placeholders as NA."""
    return pd.array(np.where(values < 0, pd.NA, values), dtype="Int64")


def simulate_study(
    images: pd.DataFrame,
    config: SimulationConfig | None = None,
    seed: int = 0,
    *,
    references: Mapping[Any, Any] | None = None,
    load_image: Callable[[Any], np.ndarray] | None = None,
) -> dict[str, Any]:
    """Simulate the TUD-like study of seed 000 on an ``images`` table (module docstring).

    Parameters
    ----------
    images
        Canonical ``images`` table (e.g. ``builtin.distorted_set(n, "jpeg", levels, size, seed,
        include_reference=True)``). Rows whose ``distortion`` is in
        :data:`REFERENCE_DISTORTIONS` are the references (not shown to observers); every other
        row is an observed version.
    config
        Model parameters (default :class:`SimulationConfig`).
    seed
        Non-negative int; the tables are identical for the same images, config and seed.
    references
        Optional ``{content_id: path or (H, W, 3) array}`` used when the table has no reference
        rows.
    load_image
        Reader of a path (default :func:`saliqa.datasets.builtin.load_image`).

    Returns
    -------
    dict
        ``fixations`` (canonical; plus ``campaign`` = ``"eye"`` | ``"free"`` | ``"iqa"`` and
        ``answer_order``, the worker's answer index, NA for eye data), ``ratings`` (canonical
        with ``is_gold``; plus ``campaign``, ``phase`` = ``"quiz"`` | ``"work"``,
        ``answer_order``, ``gold_correct``), ``workers`` (``worker_id, campaign, country,
        platform_accuracy, passed_quiz, quiz_accuracy, test_accuracy, n_test_questions,
        n_answers, worker_type``), ``images`` (the observed versions with ``latent_quality``,
        ``psnr``, ``is_gold_item``), ``planted`` (JSON-serialisable dict of planted effects,
        expected directions, config and generator version).

    Raises
    ------
    ValueError
        Missing columns, images whose size differs from the table, no references, bad seed.
    """
    cfg = config or SimulationConfig()
    if not isinstance(cfg, SimulationConfig):
        raise ValueError(f"config must be a SimulationConfig, got {type(cfg).__name__}")
    cfg = config or SimulationConfig()
    if not isinstance(cfg, SimulationConfig):
        raise ValueError(f"config must be a SimulationConfig, got {type(cfg).__name__}")
    seed = check_seed(seed)
    validate(images, "images", origin="simulate_study images")
    if images["image_id"].duplicated().any():
        dup = images.loc[images["image_id"].duplicated(), "image_id"].iloc[0]
        raise ValueError(f"images: duplicated image_id {dup!r}")
    if load_image is None:
        from saliqa.datasets.builtin import load_image as _load

        load_image = _load
    observed, refs = _references(images, references, load_image)
    base = np.random.SeedSequence([seed, 1000 + GENERATOR_VERSION])
    (ss_eye, ss_free, ss_iqa, ss_rate, ss_gold) = base.spawn(5)
    v = _versions(observed, refs, load_image, cfg, np.random.default_rng(ss_rate))
    fx, rt = _Columns(), _Columns()
    _eye_fixations(fx, v, cfg, np.random.default_rng(ss_eye))
    gold_idx = _gold_items(len(v), cfg, np.random.default_rng(ss_gold))
    raters = RaterPool(v.q[gold_idx], cfg)
    sharp_free: dict[int, np.ndarray] = {}
    workers = pd.concat(
        [
            _campaign(campaign, v, gold_idx, raters, fx, rt, sharp_free, cfg, np.random.default_rng(ss))
            for campaign, ss in (("free", ss_free), ("iqa", ss_iqa))
        ],
        ignore_index=True,
    )

    fixations = fx.frame()
    fixations["answer_order"] = _order_column(fixations["answer_order"])
    fixations = validate(fixations, "fixations", origin="simulate_study fixations")
    ratings = rt.frame()
    ratings.insert(4, "campaign", "iqa")
    ratings["answer_order"] = _order_column(ratings["answer_order"])
    gc = ratings["gold_correct"].to_numpy()
    ratings["gold_correct"] = pd.array(np.where(gc < 0, pd.NA, gc == 1), dtype="boolean")
    ratings = validate(ratings, "ratings", origin="simulate_study ratings")
    info = observed.copy()
    info["latent_quality"] = v.q
    info["psnr"] = v.psnr
    info["is_gold_item"] = np.isin(np.arange(len(v)), gold_idx)
    info["gold_allowed_low"] = np.nan
    info["gold_allowed_high"] = np.nan
    info.loc[gold_idx, "gold_allowed_low"] = raters.allowed_lo
    info.loc[gold_idx, "gold_allowed_high"] = raters.allowed_hi
    return {
        "fixations": fixations,
        "ratings": ratings,
        "workers": workers,
        "images": info,
        "planted": planted_effects(cfg, seed),
    }


def planted_effects(config: SimulationConfig, seed: int) -> dict[str, Any]:
    """The planted effects with their expected directions (JSON-serialisable)."""
    return {
        "generator": "saliqa.simulate.attention",
        "generator_version": GENERATOR_VERSION,
        "seed": int(seed),
        "config": config.as_dict(),
        "config_key": config.key(),
        "effects": {
            "iqa_broader_than_free": {
                "statement": "IQA-task maps are broader than free-viewing maps and overlap them",
                "measure": "mean D_KL(IQA||Free) - mean D_KL(Free||IQA) over image versions",
                "expected": "> 0",
                "applies_to": ["eye", "click"],
                "mechanism": f"IQA density = (1 - {config.iqa_visibility_weight}) free + "
                f"{config.iqa_visibility_weight} distortion visibility",
            },
            "crowd_eye_agreement": {
                "statement": "crowd click maps agree with eye-tracking maps",
                "measure": "mean CC(crowd map, eye map) over image versions, per task",
                "expected": "> 0.5",
                "applies_to": ["free", "iqa"],
                "mechanism": f"clicks drawn from the same task density, free-viewing component sharpened "
                f"(gamma {config.click_gamma})",
            },
            "mos_falls_with_compression": {
                "statement": "MOS falls as JPEG compression increases",
                "measure": "Spearman correlation of JPEG quality factor (level) and MOS",
                "expected": "> 0",
                "mechanism": f"latent quality logistic in PSNR (mid {config.psnr_mid} dB, "
                f"slope {config.psnr_slope} dB)",
            },
            "screening_effective": {
                "statement": "screening removes most spammers and keeps most diligent workers",
                "measure": "share of spammers removed; share of diligent workers kept",
                "expected": "> 0.5 and > 0.5",
            },
        },
        "not_simulated": [
            "campaign turnaround time (pass duration_hours from the paper)",
            "workers stopped mid-campaign when below 70 % test accuracy (removed afterwards instead)",
        ],
    }
