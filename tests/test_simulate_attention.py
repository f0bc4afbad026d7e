"""Tests of saliqa.simulate.attention: the documented generative model and its planted effects."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from saliqa import attention as at
from saliqa import crowd
from saliqa.datasets import builtin
from saliqa.datasets.tables import validate
from saliqa.metrics import saliency as msal
from saliqa.simulate import attention as sa

SIZE = (120, 160)
SMALL = sa.SimulationConfig(n_eye_observers=8, free_answers_per_image=20, iqa_answers_per_image=30)


@pytest.fixture(scope="module")
def images() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # builtin crops smaller than SIZE are upsampled (warned there)
        return builtin.distorted_set(6, "jpeg", levels=(90, 50, 30, 10), size=SIZE, seed=0, include_reference=True)


@pytest.fixture(scope="module")
def study(images):
    return sa.simulate_study(images, SMALL, seed=3)


@pytest.fixture(scope="module")
def screened(study):
    return crowd.screen_workers(study["workers"], study["ratings"], study["fixations"])


@pytest.fixture(scope="module")
def maps(images, screened):
    sigma = at.sigma_px_from_geometry(2.0, **SMALL.viewing_geometry(SIZE[1]))
    return at.experiment_maps(screened.fixations, images, sigma)


# ------------------------------------------------------------------------- model pieces


def test_sample_points_follow_density_and_stay_inside():
    d = np.zeros((20, 30))
    d[5, 7] = 1.0
    pts = sa.sample_points(d, 500, np.random.default_rng(0))
    assert pts.shape == (500, 2)
    assert np.all(np.abs(pts[:, 0] - 7) <= 0.5) and np.all(np.abs(pts[:, 1] - 5) <= 0.5)
    noisy = sa.sample_points(d, 2000, np.random.default_rng(0), error_px=50.0)
    assert noisy[:, 0].min() >= 0 and noisy[:, 0].max() <= 29 and noisy[:, 1].max() <= 19


def test_densities_are_normalised_and_iqa_is_a_mixture():
    rng = np.random.default_rng(0)
    ref = (rng.random((40, 60, 3)) * 255).astype(np.uint8)
    dist = np.clip(ref.astype(int) + rng.integers(-20, 21, ref.shape), 0, 255).astype(np.uint8)
    F = sa.free_viewing_density(ref, 5.0)
    V = sa.distortion_visibility(ref, dist, 5.0)
    assert F.sum() == pytest.approx(1.0) and V.sum() == pytest.approx(1.0) and F.min() >= 0
    T = sa.iqa_density(F, V, 0.25)
    np.testing.assert_allclose(T, 0.75 * F + 0.25 * V)
    flat = sa.distortion_visibility(ref, ref, 5.0)
    np.testing.assert_allclose(flat, np.full(flat.shape, 1.0 / flat.size))
    s = sa.sharpen(F, 2.0)
    assert s.sum() == pytest.approx(1.0) and s.max() > F.max()


def test_latent_quality_monotone_in_psnr():
    rng = np.random.default_rng(1)
    ref = rng.random((30, 30, 3))
    qs = [sa.latent_quality(ref, np.clip(ref + rng.normal(0, s, ref.shape), 0, 1))[0] for s in (0.01, 0.05, 0.2)]
    assert qs[0] > qs[1] > qs[2] and 1 <= qs[2] and qs[0] <= 5
    assert sa.latent_quality(ref, ref) == (5.0, float("inf"))


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"iqa_visibility_weight": 1.5}, "iqa_visibility_weight"),
        ({"n_eye_observers": 0}, "n_eye_observers"),
        ({"free_clicks": (5, 3)}, "free_clicks"),
        ({"iqa_worker_mix": {"diligent": 1.0}}, "iqa_worker_mix"),
        ({"click_gamma": -1.0}, "click_gamma"),
        ({"feature_weights": (0.0, 0.0, 0.0)}, "feature_weights"),
    ],
)
def test_config_validation_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        sa.SimulationConfig(**kwargs)


def test_config_key_and_dict_are_stable():
    a, b = sa.SimulationConfig(), sa.SimulationConfig()
    assert sa.SimulationConfig(eye_fixations=[8, 14]) == a  # lists (YAML) become tuples
    assert a.key() == b.key() and a.key() != sa.SimulationConfig(click_gamma=3.0).key()
    json.dumps(a.as_dict())


def test_simulate_requires_references(images):
    no_ref = images.loc[images["distortion"] != "none"]
    with pytest.raises(ValueError, match="no reference image"):
        sa.simulate_study(no_ref, SMALL, seed=0)
    with pytest.raises(ValueError, match="seed"):
        sa.simulate_study(images, SMALL, seed=-1)


# ------------------------------------------------------------------------- the study


def test_simulation_is_deterministic(images):
    one = images.loc[images["content_id"] == images["content_id"].iloc[0]]
    cfg = sa.SimulationConfig(
        n_eye_observers=3, free_answers_per_image=5, iqa_answers_per_image=6, n_test_questions=3, quiz_size=3
    )
    a = sa.simulate_study(one, cfg, seed=11)
    b = sa.simulate_study(one, cfg, seed=11)
    c = sa.simulate_study(one, cfg, seed=12)
    for name in ("fixations", "ratings", "workers", "images"):
        pd.testing.assert_frame_equal(a[name], b[name])
    assert a["planted"] == b["planted"]
    assert not a["fixations"][["x", "y"]].equals(c["fixations"][["x", "y"]])


def test_tables_are_canonical_and_complete(study, images):
    fx, rt, wk = study["fixations"], study["ratings"], study["workers"]
    validate(fx, "fixations")
    validate(rt, "ratings")
    observed = images.loc[images["distortion"] != "none", "image_id"]
    assert set(fx["image_id"]) == set(observed)
    assert set(fx["source"]) == {"eye", "click"} and set(fx["task"]) == {"free", "iqa"}
    assert fx["x"].between(0, SIZE[1] - 1).all() and fx["y"].between(0, SIZE[0] - 1).all()
    # answers per version exactly as configured, before screening; no worker above the cap
    clicks = fx.loc[fx["source"] == "click"]
    per_img = clicks.groupby(["task", "image_id"])["observer_id"].nunique()
    assert (per_img.loc["free"] == SMALL.free_answers_per_image).all()
    assert (per_img.loc["iqa"] == SMALL.iqa_answers_per_image).all()
    work = rt.loc[~rt["is_gold"]]
    assert (work.groupby("image_id")["rater_id"].nunique() == SMALL.iqa_answers_per_image).all()
    assert wk["n_answers"].max() <= min(SMALL.max_answers_per_worker, len(observed))
    # eye observers: n per task, fixations per observer within the configured range
    eye = fx.loc[fx["source"] == "eye"]
    assert eye.groupby("task")["observer_id"].nunique().tolist() == [8, 8]
    per_obs = eye.groupby(["task", "image_id", "observer_id"]).size()
    assert per_obs.between(*SMALL.eye_fixations).all()
    # clicks per answer within range (spammers give the minimum)
    per_ans = clicks.groupby(["task", "image_id", "observer_id"]).size()
    assert per_ans.loc["free"].between(*SMALL.free_clicks).all()
    assert per_ans.loc["iqa"].between(*SMALL.iqa_clicks).all()
    # ratings on the 5-point scale; workers table columns and consistency with ratings
    assert rt["score"].between(1, 5).all()
    assert {
        "worker_id",
        "campaign",
        "country",
        "platform_accuracy",
        "passed_quiz",
        "test_accuracy",
        "n_answers",
        "worker_type",
    } <= set(wk.columns)
    iqa = wk.loc[wk["campaign"] == "iqa"].set_index("worker_id")
    n_work = work.groupby("rater_id").size()
    assert (iqa.loc[n_work.index, "n_answers"] == n_work).all()
    assert (iqa.loc[~iqa["passed_quiz"].astype(bool), "n_answers"] == 0).all()
    gold = rt.loc[rt["is_gold"] & (rt["phase"] == "work")]
    acc = gold.groupby("rater_id")["gold_correct"].mean()
    np.testing.assert_allclose(iqa.loc[acc.index, "test_accuracy"], acc.to_numpy(dtype=float))
    assert wk.loc[wk["campaign"] == "free", "passed_quiz"].isna().all()
    json.dumps(study["planted"])
    assert set(study["planted"]["effects"]) == {
        "iqa_broader_than_free",
        "crowd_eye_agreement",
        "mos_falls_with_compression",
        "screening_effective",
    }


def test_planted_effect_iqa_maps_broader(maps, images):
    asym = at.kl_asymmetry(maps, images=images).summary.set_index(["p", "q"])
    for source in ("eye", "crowd"):
        row = asym.loc[(f"{source}_iqa", f"{source}_free")]
        assert row["mean_d_pq"] > row["mean_d_qp"], source  # D(IQA||Free) > D(Free||IQA)
        assert row["effect_size"] > 0.5


def test_planted_effect_crowd_eye_agreement(maps):
    for task in ("free", "iqa"):
        eye, crowd_maps = maps[f"eye_{task}"], maps[f"crowd_{task}"]
        cc = np.mean([msal.cc(eye[k], crowd_maps[k]) for k in eye])
        assert cc > 0.5, task


def test_planted_effect_mos_falls_with_compression(screened, images):
    mos = at.mos_vs_jpeg(screened.ratings, images)
    assert sps.spearmanr(mos["level"], mos["mos"]).statistic > 0.7
    by_level = mos.groupby("level")["mos"].mean()
    assert list(by_level.sort_index().to_numpy()) == sorted(by_level.to_numpy())


def test_planted_effect_screening(screened, images):
    # on the default worker mix (few spammers) ...
    ws = screened.status
    diligent = ws.loc[ws["worker_type"] == "diligent"]
    assert (diligent["removed_by"] == "kept").mean() > 0.8
    assert (ws.loc[(ws["worker_type"] == "spammer") & (ws["campaign"] == "iqa"), "removed_by"] != "kept").all()
    # ... and on a pool with many spammers and careless workers
    two = images.loc[images["content_id"].isin(images["content_id"].unique()[:2])]
    mix = {"diligent": 0.5, "careless": 0.25, "spammer": 0.25}
    cfg = sa.SimulationConfig(
        n_eye_observers=2,
        free_answers_per_image=15,
        iqa_answers_per_image=25,
        free_worker_mix=mix,
        iqa_worker_mix=mix,
        free_answers_per_worker_mean=4.0,
        iqa_answers_per_worker_mean=4.0,
    )
    with pytest.warns(UserWarning, match="8 test questions instead of n_test_questions=10"):
        out = sa.simulate_study(two, cfg, seed=5)
    ws = crowd.screen_workers(out["workers"], out["ratings"], out["fixations"]).status
    spam = ws.loc[ws["worker_type"] == "spammer"]
    assert len(spam) >= 10
    assert (spam["removed_by"] != "kept").mean() > 0.5
    assert (ws.loc[ws["worker_type"] == "diligent", "removed_by"] == "kept").mean() > 0.8
