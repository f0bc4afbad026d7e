"""Tests of saliqa.simulate.paq2piq: the simulated PaQ-2-PiQ database and its planted effects."""

from __future__ import annotations

import json
import re
from dataclasses import fields

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from saliqa import patches as PT
from saliqa.datasets import builtin
from saliqa.datasets.tables import validate
from saliqa.simulate import paq2piq as P


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("paq2piq-cache")


@pytest.fixture()
def use_cache(cache, monkeypatch):
    monkeypatch.setenv("SALIQA_CACHE", str(cache))
    return cache


@pytest.fixture(scope="module")
def smoke(cache):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALIQA_CACHE", str(cache))
        return P.simulate_database(P.smoke_config(), seed=0)


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    """The default-size database (600 pictures, about 20 s on 2 cores): the planted effects."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALIQA_CACHE", str(tmp_path_factory.mktemp("paq2piq-default")))
        db = P.simulate_database(P.Paq2piqConfig(), seed=0)
    return db, P.recovered_effects(db)


# ------------------------------------------------------------------------------------- config


def test_config_docstring_states_the_defaults():
    doc = P.Paq2piqConfig.__doc__
    default = P.Paq2piqConfig()
    checked = 0
    for f in fields(P.Paq2piqConfig):
        m = re.search(rf"^\s+{f.name} : \w+ = (\S+)$", doc, flags=re.M)
        if m and isinstance(getattr(default, f.name), (int, float)):
            assert float(m.group(1)) == pytest.approx(getattr(default, f.name)), f.name
            checked += 1
    assert checked >= 25
    assert all(re.search(rf"^\s+{f.name} : ", doc, flags=re.M) for f in fields(P.Paq2piqConfig))


def test_config_validation_and_key():
    cfg = P.Paq2piqConfig(long_side=[200, 300], layers=[2, 2])  # YAML lists are accepted
    assert cfg.long_side == (200, 300) and cfg.layers == (2, 2)
    assert cfg.key() != P.Paq2piqConfig().key() and len(cfg.key()) == 12
    assert json.loads(json.dumps(cfg.as_dict()))["levels"]["jpeg"] == [6.0, 35.0]
    assert P.smoke_config().n_pictures == 24 and P.smoke_config(n_pictures=30).n_pictures == 30
    for kwargs, match in [
        ({"n_pictures": 2}, "n_pictures"),
        ({"long_side": (400, 200)}, "long_side"),
        ({"layers": (1, 6)}, "layers"),
        ({"coverage": (0.2, 1.5)}, "coverage"),
        ({"contents_per_hit": 12}, "contents_per_hit"),
        ({"worker_mix": {"bot": 1.0}}, "worker_mix"),
        ({"levels": {"jpeg": (10, 20)}}, "levels"),
        ({"levels": {**P.Paq2piqConfig().levels, "jpeg": (0.0, 20.0)}}, "quality"),
        ({"split_weights": (0, 0)}, "split_weights"),
        ({"taste_sd": -1}, "taste_sd"),
        ({"hits_per_worker_mean": 0.5}, "hits_per_worker_mean"),
        ({"gold_per_hit": 20, "contents_per_hit": 40}, "gold"),
    ]:
        with pytest.raises(ValueError, match=match):
            P.Paq2piqConfig(**kwargs)
    with pytest.raises(ValueError, match="Paq2piqConfig"):
        P.simulate_database({"n_pictures": 24})
    with pytest.raises(ValueError, match="seed"):
        P.simulate_database(P.smoke_config(), seed=-1)


def test_picture_sizes_spread_like_fig4():
    cfg = P.Paq2piqConfig(n_pictures=2000)
    sizes = P.picture_sizes(cfg, np.random.default_rng(1))
    longer, shorter = sizes.max(axis=1), sizes.min(axis=1)
    assert longer.min() >= 160 and longer.max() <= 400
    assert np.isin(longer, cfg.common_long_sides).mean() > 0.45  # the dense columns of Fig. 4
    square = sizes[:, 1] == sizes[:, 0]
    portrait = sizes[~square, 1] > sizes[~square, 0]
    assert 0.25 < portrait.mean() < 0.35
    ratio = longer / shorter
    for r in cfg.aspect_ratios:
        assert np.any(np.abs(ratio - r) < 0.02)
    assert len({tuple(s) for s in sizes}) > 200  # diverse sizes


def test_pool_quality_hand_values():
    v = np.arange(1.0, 11.0)  # mean 5.5, lowest 10 %: [1]
    assert P.pool_quality(v, 0.1, 0.0) == pytest.approx(5.5)
    assert P.pool_quality(v, 0.1, 1.0) == pytest.approx(1.0)
    assert P.pool_quality(v, 0.25, 0.5) == pytest.approx(0.5 * 5.5 + 0.5 * 2.0)  # ceil(2.5) = 3 lowest
    with pytest.raises(ValueError, match="no values"):
        P.pool_quality(np.zeros(0), 0.1, 0.5)


def test_quality_map_falls_where_the_distortion_is():
    from saliqa import distortions as D

    cfg = P.Paq2piqConfig()
    pristine = builtin.load_photo("chelsea")[::2, ::2].copy()
    np.testing.assert_allclose(P.quality_map(pristine, pristine, 77.0, cfg), 77.0)
    mask = np.zeros(pristine.shape[:2])
    mask[:, : pristine.shape[1] // 2] = 1.0
    q = P.quality_map(pristine, D.regional(pristine, "white_noise", 20, mask, seed=1), 80.0, cfg)
    left, right = q[:, : pristine.shape[1] // 2 - 10], q[:, pristine.shape[1] // 2 + 10 :]
    assert left.mean() < 80 - 5 and right.min() == pytest.approx(80.0, abs=0.01)
    assert q.max() <= 80.0 + 1e-9 and q.min() >= 80.0 - cfg.impairment_gain - 1e-9


# --------------------------------------------------------------------------------- smoke database


def test_smoke_tables_are_canonical_and_counted(smoke):
    images, patches, ratings = smoke["images"], smoke["patches"], smoke["ratings"]
    validate(images, "images")
    validate(patches, "patches")
    validate(ratings, "ratings")
    s = smoke["summary"]
    assert (s["n_pictures"], s["n_patches"]) == (24, 72)
    assert s["n_contents"] == images["content_id"].nunique() == 24  # distinct builtin crops used
    assert s["n_photos"] == 12 == len(builtin.PHOTOS)  # photo-stratified: every photograph
    assert set(images["content_id"]) <= {c.content_id for c in builtin.CROPS}
    assert images["image_id"].is_unique and patches["patch_id"].is_unique
    for table in (images, patches):
        assert table["mos"].min() == 0 and table["mos"].max() == pytest.approx(100)  # min-max to [0, 100]
        assert (table["n_ratings"] >= 25).all()  # 30 ratings, minus the screened-out ones
    assert set(ratings["campaign"]) == {"picture", "patch"}
    assert ratings["score"].between(0, 100).all() and (ratings["score"] == np.rint(ratings["score"])).all()
    json.dumps(smoke["planted"])  # JSON-serialisable
    assert set(smoke["planted"]["effects"]) == set(P.recovered_effects(smoke)["holds"])


def test_smoke_pictures_are_lossless_pngs_of_the_right_size(smoke):
    images = smoke["images"]
    for row in images.itertuples():
        with Image.open(row.path) as im:
            assert im.format == "PNG" and im.size == (row.width, row.height)
            assert im.mode == ("L" if row.is_grey else "RGB")
    boxes = images[["window_left", "window_top", "window_right", "window_bottom"]].to_numpy()
    for (left, top, right, bottom), content in zip(boxes, images["content_id"]):
        crop = next(c for c in builtin.CROPS if c.content_id == content)
        cl, ct, cr, cb = crop.box
        assert cl - 1e-6 <= left < right <= cr + 1e-6 and ct - 1e-6 <= top < bottom <= cb + 1e-6
    aspect = (boxes[:, 2] - boxes[:, 0]) / (boxes[:, 3] - boxes[:, 1])
    np.testing.assert_allclose(aspect, images["width"] / images["height"], rtol=1e-9)
    upsampling = images["width"] / (boxes[:, 2] - boxes[:, 0])
    assert upsampling.max() <= 1.34


def test_smoke_distortions_are_regional(smoke):
    images, patches = smoke["images"], smoke["patches"]
    layers = images["layers"].map(json.loads)
    assert (layers.map(len) == 3).all()
    assert {layer["type"] for ls in layers for layer in ls} == set(P.DISTORTION_ORDER)
    coverage = np.array([layer["coverage"] for ls in layers for layer in ls])
    assert ((coverage >= 0.2) & (coverage <= 0.4)).mean() > 0.8  # mostly regional (5 % whole-picture)
    assert images["distortion"].str.count(r"\+").eq(2).all()
    # patch quality differs from picture quality, the more so the smaller the patch
    pic = images.set_index("image_id")["latent_quality"].reindex(patches["image_id"]).to_numpy()
    dev = (patches["latent_quality"] - pic).abs().groupby(patches["fraction"]).mean()
    assert dev[0.2] > dev[0.4] > 0.5
    above = (patches["latent_quality"] > pic).groupby(patches["image_id"]).any()
    below = (patches["latent_quality"] < pic).groupby(patches["image_id"]).any()
    assert above.any() and below.any()


def test_smoke_patches_follow_the_sampler(smoke):
    images, patches = smoke["images"], smoke["patches"]
    boxes = patches[["left", "top", "right", "bottom"]].to_numpy().reshape(-1, 3, 4)
    sizes = images[["width", "height"]].to_numpy()
    np.testing.assert_array_equal(
        (boxes[..., 2] - boxes[..., 0])[:, 0], PT.patch_size(sizes[:, 0], sizes[:, 1], 0.4)[0]
    )
    assert PT.boxes_inside(boxes, sizes[:, 0, None], sizes[:, 1, None]).all()
    assert (PT.max_pairwise_overlap(boxes) <= PT.MAX_OVERLAP + 1e-12).all()
    assert list(patches["fraction"].unique()) == [0.4, 0.3, 0.2]


def test_smoke_hit_design(smoke):
    cfg = P.smoke_config()
    ratings = smoke["ratings"]
    per_hit = ratings.groupby("hit_id")
    assert (per_hit.size() == cfg.contents_per_hit).all()
    assert (per_hit["rater_id"].nunique() == 1).all()  # one worker per HIT
    assert (per_hit["is_repeat"].sum() == cfg.repeats_per_hit).all()
    assert (per_hit["is_gold"].sum() == cfg.gold_per_hit).all()
    assert (per_hit["position"].apply(lambda p: sorted(p) == list(range(cfg.contents_per_hit)))).all()
    # a repeat is the second showing of a content of the same HIT, after the first
    firsts = ratings.loc[~ratings["is_repeat"]].set_index(["hit_id", "image_id"])["position"]
    reps = ratings.loc[ratings["is_repeat"]]
    first_pos = firsts.reindex(pd.MultiIndex.from_frame(reps[["hit_id", "image_id"]])).to_numpy()
    assert (first_pos < reps["position"].to_numpy()).all()
    assert not reps["is_gold"].any()
    # every database content gets its ratings (or one more); gold contents are not in the database
    for task, n_ratings, ids in (
        ("picture", cfg.ratings_per_picture, smoke["images"]["image_id"]),
        ("patch", cfg.ratings_per_patch, smoke["patches"]["patch_id"]),
    ):
        sub = ratings.loc[(ratings["campaign"] == task) & ~ratings["is_gold"] & ~ratings["is_repeat"]]
        counts = sub["image_id"].value_counts().reindex(ids)
        assert counts.between(n_ratings, n_ratings + 1).all()
        gold = ratings.loc[(ratings["campaign"] == task) & ratings["is_gold"], "image_id"]
        assert not gold.isin(ids).any() and gold.isin(smoke["gold"]["image_id"]).all()


def test_smoke_workers(smoke):
    cfg = P.smoke_config()
    raters, ratings = smoke["raters"], smoke["ratings"]
    assert raters[["campaign", "worker_id"]].drop_duplicates().shape[0] == len(raters)
    pic, pat = (set(raters.loc[raters["campaign"] == t, "worker_id"]) for t in P.TASKS)
    n_pat = len(pat)
    assert len(pic & pat) == round(cfg.both_tasks_fraction * n_pat)  # most workers did one task
    assert (raters["acceptance_rate"] < 0.75).any() and (raters["acceptance_rate"] > 0.75).mean() > 0.7
    assert set(raters["worker_type"]) <= set(P.WORKER_TYPES)
    constant = raters.loc[raters["worker_type"] == "constant", ["campaign", "worker_id"]]
    for row in constant.itertuples():
        scores = ratings.loc[(ratings["campaign"] == row.campaign) & (ratings["rater_id"] == row.worker_id), "score"]
        assert scores.value_counts(normalize=True).iloc[0] > 0.5
    shared = raters.loc[raters["worker_id"].isin(pic & pat)].sort_values(["worker_id", "campaign"])
    traits = shared.groupby("worker_id")[["worker_type", "acceptance_rate", "bias", "scale"]].nunique()
    assert (traits == 1).all().all()  # the same person in both pools


def test_smoke_gold_spans_the_range(smoke):
    gold = smoke["gold"]
    cfg = P.smoke_config()
    assert (gold["task"] == "picture").sum() == cfg.n_gold_pictures
    assert (gold["task"] == "patch").sum() == cfg.n_gold_patches
    assert gold.groupby("task")["latent_quality"].std().min() > 2 * smoke["images"]["latent_quality"].std()
    np.testing.assert_allclose(gold["lab_score"], gold["latent_quality"], atol=5 * cfg.lab_noise_sd)


def test_smoke_splits(smoke):
    from saliqa.canvas import larger_than_canvas

    images = smoke["images"]
    cfg = P.smoke_config()
    big = larger_than_canvas(images["height"], images["width"], cfg.canvas)
    np.testing.assert_array_equal(images["split"] == "test", big)
    rest = images.loc[~big, "split"]
    assert set(rest) == {"train", "val"}
    assert (rest == "val").sum() == round(len(rest) * 0.19 / 0.94)


def test_smoke_screening_and_processing(smoke):
    for task in P.TASKS:
        st = smoke["screening"][task]
        res = smoke["processing"][task]
        assert set(st["removed_by"]) <= {"kept", "acceptance_rate", "repeat", "identical"}
        low = smoke["raters"].query("campaign == @task and acceptance_rate <= 0.75")["worker_id"]
        assert (st.loc[st["rater_id"].isin(low), "removed_by"] == "acceptance_rate").all()
        kept_units = st.loc[st["removed_by"] == "kept", ["rater_id", "hit_id"]]
        kept_rows = res.ratings[["rater_id", "hit_id"]].drop_duplicates()
        assert len(kept_units.merge(kept_rows)) == len(kept_units) == len(kept_rows)
        assert res.consistency is not None and res.consistency.values.size == 25
        assert smoke["mos"][task]["image_id"].is_unique


def test_cache_reuse_and_determinism(smoke, use_cache, tmp_path, monkeypatch):
    again = P.simulate_database(P.smoke_config(), seed=0)
    assert again["summary"]["reused"] and not smoke["summary"]["reused"]
    monkeypatch.setenv("SALIQA_CACHE", str(tmp_path))  # a fresh generation elsewhere
    fresh = P.simulate_database(P.smoke_config(), seed=0)
    assert not fresh["summary"]["reused"]
    for name in ("images", "patches", "ratings", "raters", "gold"):
        a, b, c = smoke[name], again[name], fresh[name]
        if name == "images":
            a, b, c = (t.drop(columns="path") for t in (a, b, c))
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        pd.testing.assert_frame_equal(a, c, check_exact=True)
    for path in fresh["images"]["path"]:
        rel = path.split("pictures/")[-1]
        a = np.asarray(Image.open(f"{smoke['summary']['folder']}/pictures/{rel}"))
        np.testing.assert_array_equal(a, np.asarray(Image.open(path)))
    other = P.simulate_database(P.smoke_config(), seed=1)
    assert not other["images"]["latent_quality"].equals(smoke["images"]["latent_quality"])


def test_gold_rule_option(smoke, use_cache):
    db = P.simulate_database(P.smoke_config(), seed=0, gold_min_srcc=0.0)
    removed = db["screening"]["picture"]["removed_by"]
    assert "gold" in set(db["screening"]["patch"]["removed_by"]) | set(removed)
    both = smoke["screening"]["picture"].merge(db["screening"]["picture"], on=["rater_id", "hit_id"])
    assert (both["removed_by_y"] != "kept").sum() >= (both["removed_by_x"] != "kept").sum()


# -------------------------------------------------------------------------- the planted effects


def test_planted_effects_recovered_at_default_size(default):
    db, rec = default
    assert rec["holds"] == {
        "picture_patch_lcc_falls": True,
        "patches_more_consistent": True,
        "screening_effective": True,
        "mos_tracks_latent": True,
    }
    lcc, latent = rec["picture_patch_lcc"], rec["latent_picture_patch_lcc"]
    assert lcc[0.4] > lcc[0.3] > lcc[0.2] > 0.25  # FLIVE real 0.50 / 0.41 / 0.34, paper 0.43 / 0.36 / 0.28
    assert latent[0.4] > latent[0.3] > latent[0.2]
    assert all(latent[f] > lcc[f] for f in lcc)  # rating noise attenuates the latent relation
    sh = rec["split_half"]
    assert 0.3 < sh["picture"] < sh["patch"] < 0.85  # paper 0.48 < 0.65
    assert min(rec["spammer_units_removed"]) > 0.9 and min(rec["diligent_units_kept"]) > 0.85
    assert min(rec["gold_positive_srcc_kept"].values()) > 0.85  # "nearly all" positive, as the paper
    assert rec["mos_latent_srcc"]["patch"] > rec["mos_latent_srcc"]["picture"] > 0.7
    assert db["summary"]["n_contents"] == len(builtin.CROPS)


def test_picture_sizes_keep_to_long_side():
    cfg = P.Paq2piqConfig(n_pictures=500, long_side=(80, 200))  # no common size inside: all uniform
    longer = P.picture_sizes(cfg, np.random.default_rng(0)).max(axis=1)
    assert longer.min() >= 80 and longer.max() <= 200 and len(np.unique(longer)) > 60
    cfg = P.Paq2piqConfig(n_pictures=500, long_side=(120, 250))  # only 240 of the common sizes
    longer = P.picture_sizes(cfg, np.random.default_rng(0)).max(axis=1)
    assert longer.max() <= 250 and (longer == 240).mean() > 0.4
