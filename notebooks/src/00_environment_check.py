# ---
# jupyter:
#   jupytext:
#     formats: ipynb,src//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (saliqa)
#     language: python
#     name: saliqa
# ---

# %% [markdown]
# # 00 Environment check
#
# Not a paper reproduction (no seed): it checks what the other notebooks stand on.
#
# 1. package versions and the compute device;
# 2. which ImageNet weights the backbones of `saliqa.models.backbones` find offline;
# 3. the builtin corpus of real photographs (scikit-image) that the builtin data tier uses;
# 4. with `data_dir` set and `osie/` in it: a real-data sanity check, OSIE in-lab eye-fixation
#    maps vs crowdsourced (MTurk) mouse-tracking maps on a few images, with CC / SIM / KL
#    (MIT saliency benchmark conventions, `saliqa.metrics.saliency`).

# %% tags=["parameters"]
profile = "default"
data_dir = None
device = "auto"
seed = 0
out_dir = None
n_corpus_images = 12
corpus_size = [192, 256]
n_real_images = 6
sigma_deg = 1.0
osie_pixels_per_degree = None  # None: the library's attention_study.OSIE_PIXELS_PER_DEGREE (800 px / 33.7 deg)
backbone_demo = "mobilenet_v2"

# %%
import warnings

import pandas as pd

from saliqa import attention, environment, plots, runs
from saliqa.datasets import attention_study, builtin
from saliqa.models import backbones
from saliqa.paths import dataset_dir

run = runs.start_run(
    "00_environment_check",
    profile=profile,
    data_dir=data_dir,
    seed=seed,
    out_dir=out_dir,
    simulated_observers=False,
    params=dict(n_corpus_images=n_corpus_images, sigma_deg=sigma_deg),
    title="Environment check",
    seed_file="-",
    claim="The environment the other notebooks stand on: versions, device, weights, builtin corpus, "
    "and (with data_dir) a real-data sanity check",
)
print(runs.data_mode_banner(data_dir, simulated_observers=False))
print("outputs:", run.out_dir)

# %% [markdown]
# ## Versions and device

# %%
versions = environment.versions()
run.table(versions, "versions")
device_facts = environment.device_info()
print("device:", runs.resolve_device(device), "|", device_facts)
versions

# %% [markdown]
# ## Pretrained weights
#
# The backbones load ImageNet weights from the torch hub cache, or from the files that installed
# packages ship (see `scripts/install_offline_weights.py`); otherwise they build with random
# initialisation and say so. Nothing is downloaded at build time.

# %%
weights = backbones.available_weights()
run.table(weights, "weights")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    demo = backbones.build(backbone_demo, pretrained="auto")
print(f"{demo.name}: stride {demo.stride}, {demo.channels} channels, weights: {demo.weights}")
run.record(
    n_backbones_with_imagenet_weights=int(weights["found"].sum()), demo_backbone_pretrained=bool(demo.pretrained_loaded)
)
weights[["name", "found", "source"]]

# %% [markdown]
# ## The builtin corpus
#
# Real photographs bundled with scikit-image, cut into contents by the documented crop boxes of
# `saliqa.datasets.builtin.CROPS` (see `data/README.md`).

# %%
corpus = builtin.contents(n_corpus_images, size=tuple(corpus_size), seed=seed)
corpus_table = pd.DataFrame(
    [
        dict(content_id=c.content_id, photo=c.photo, crop_box=c.crop_box, is_grey=c.is_grey, label=c.label)
        for c in corpus
    ]
)
run.table(corpus_table, "builtin_corpus")
fig = plots.plot_image_grid([c.image for c in corpus], [c.content_id for c in corpus])
run.figure(fig, "builtin_corpus")
run.record(
    n_corpus_images=len(corpus),
    n_corpus_photos=int(corpus_table["photo"].nunique()),
    n_corpus_grey=int(corpus_table["is_grey"].sum()),
)

# %%
# NBVAL_CHECK_OUTPUT
print(corpus_table[["content_id", "photo", "is_grey"]].to_string(index=False))

# %% [markdown]
# ## Real-data sanity check: OSIE eye fixations vs crowd mouse tracking
#
# Runs when `data_dir` holds `osie/`. Maps are seed 000's pooled sums of Gaussians with
# sigma = `sigma_deg` degrees of visual angle; OSIE's 800x600 stimuli subtend about
# 33.7 x 25.3 degrees (Xu et al., JoV 2014), 800 / 33.7 = 23.7 px per degree
# (`attention_study.OSIE_PIXELS_PER_DEGREE`, or `osie_pixels_per_degree`). The study and its maps
# are notebook 01's (`attention_study.osie_study`, `attention.study_maps`), here at full resolution.
# KL is D_KL(eye || mouse) (the eye map as the 'true' distribution), MIT eps = 2.2204e-16.

# %%
osie_root = None
if data_dir is not None:
    try:
        osie_root = dataset_dir(data_dir, "osie")
    except FileNotFoundError as exc:
        print(f"real-data section skipped: {exc}")
if osie_root is None:
    print("real-data section skipped: no data_dir with osie/ (builtin run)")
    real = None
else:
    study = attention_study.osie_study(
        osie_root, n_images=n_real_images, sigma_deg=sigma_deg, map_scale=1.0, pixels_per_degree=osie_pixels_per_degree
    )
    print(f"OSIE: {len(study.images)} images, sigma = {study.sigma_px:.1f} px;", "; ".join(study.notes))
    maps = attention.study_maps(study)
    real = attention.compare_maps(maps["eye_free"], maps["crowd_mouse_free"])
    run.table(real, "osie_eye_vs_crowd_mouse")
    ids = study.images["image_id"]
    selection = pd.DataFrame({"image_id": ids, "role": "original", "content_id": ids})
    fig = plots.plot_map_grid(study.images, maps, selection, experiments=["eye_free", "crowd_mouse_free"])
    run.figure(fig, "osie_eye_vs_crowd_mouse")
    run.record(
        osie_n_images=len(real),
        osie_mean_cc=float(real["pcc"].mean()),
        osie_mean_sim=float(real["sim"].mean()),
        osie_mean_kl_eye_mouse=float(real["kl_ab"].mean()),
    )
    run.scorecard.check(
        "osie_eye_mouse_correlate", float(real["pcc"].mean()), label="OSIE eye vs crowd mouse maps: mean CC"
    )
    display(real[["image_id", "pcc", "sim", "kl_ab", "kl_ba"]].round(3))

# %% [markdown]
# ## Scorecard and metrics

# %%
run.scorecard.check(
    "corpus_colour_and_grey",
    float(corpus_table["is_grey"].nunique()),
    label="builtin corpus has colour and grey photographs",
)
doc = run.finish()
print(doc["scorecard_summary"])
run.scorecard.to_frame()
