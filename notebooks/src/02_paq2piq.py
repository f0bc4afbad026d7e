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
# # 02 PaQ-2-PiQ: picture and patch quality, Baseline / RoIPool / Feedback models, quality maps
#
# Reproduces seed `003_9a04322f4c464272.txt` (Ying et al., *From Patches to Pictures
# (PaQ-2-PiQ): Mapping the Perceptual Space of Picture Quality*, CVPR 2020).
#
# **Claims**: picture quality is related to, but not determined by, the quality of its patches
# (picture MOS vs patch MOS LCC 0.43 / 0.36 / 0.28 for 40 / 30 / 20 % patches, Sec. 3.4); the
# database's MOS is narrower and peakier than CLIVE's and KonIQ's (Fig. 8); a region-based model
# trained on pictures *and* patches (RoIPool, Sec. 4.2) beats the picture-only Baseline (Sec. 4.1),
# most on small patches, and local-to-global feedback (Sec. 4.4) improves the picture predictions
# further (Tables 2-3); deep models beat BRISQUE and NIQE; RoIPool gives local quality maps (Fig. 10).
#
# **Produced here**: Table 1 (databases at hand), Fig. 4 (picture sizes), Fig. 5 (pictures and their
# patches), the UGC features of Sec. 3.1 with their histograms, the Sec. 3.4 subjective processing
# (screening, Z-score MOS, split-half consistency), Fig. 8 (MOS histograms), Fig. 7 right / Fig. 12
# (picture vs patch MOS), Table 8 (parameter counts), the training of Baseline / RoIPool / Feedback /
# NIMA / CNNIQA with one loop (`saliqa.train`), Tables 2 and 3 with NIQE and BRISQUE rows, Table 4
# when KonIQ-10k / CLIVE pictures are at hand, Fig. 10 (quality maps), Fig. 11 (failure cases), and
# the scorecard.
#
# **Data modes** (`data_dir`): `None` = builtin: real photographs with real distortions applied to
# regions, *simulated* raters (`saliqa.simulate.paq2piq`, planted effects stated below). A folder
# with `flive/`, `koniq/`, `iqa-meta/` = the real label files for the database figures (Fig. 4, 7, 8,
# 12, Table 1); the models train on FLIVE when its pictures are there, else on the builtin database
# (the output says which). Layouts: `data/README.md`.
#
# **Deviations, stated**: offline there are no ImageNet weights for ResNet-18, so the `default`
# profile uses MobileNetV2 (weights installed offline) as the backbone of every deep model; `full`
# uses the paper's ResNet-18. Canvas, epochs and batch are shrunk outside `full`. The paper reports
# one split; so do we. NIQE uses the pristine model of the LIVE release (125 pristine pictures).

# %% tags=["parameters"]
profile = "default"
data_dir = None
device = "auto"
seed = 0
out_dir = None
n_pictures = 450
canvas = 256
long_side = [112, 320]
models = ["baseline", "roipool", "feedback", "nima", "cnniqa"]
backbone = "mobilenet_v2"
nima_backbone = "mobilenet_v2"
epochs = 2
batch_size = 16
lr_body = 3e-4
lr_head = 3e-3
classic_baselines = True
quality_map_grid = 16
n_quality_maps = 3
n_failure_cases = 4
n_fig5 = 3
n_ugc_pictures = 200

# %%
import pandas as pd

from saliqa import (
    paq2piq_classic,
    paq2piq_database,
    paq2piq_scorecard,
    paq2piq_study,
    plots_paq2piq,
    plots_quality_maps,
    runs,
    ugc_features,
)
from saliqa.datasets import paq2piq_sources
from saliqa.models import paq2piq
from saliqa.paths import cache_dir
from saliqa.simulate import paq2piq as simulate

labels = paq2piq_sources.load_label_databases(data_dir)
flive_db = labels.flive
trained_on = "flive" if flive_db is not None and flive_db.images_present else "builtin"
sim_config = simulate.Paq2piqConfig(n_pictures=n_pictures, canvas=canvas, long_side=tuple(long_side))
sim = simulate.simulate_database(sim_config, seed=seed)
run = runs.start_run(
    "02_paq2piq",
    profile=profile,
    data_dir=data_dir,
    seed=seed,
    out_dir=out_dir,
    simulated_observers=trained_on == "builtin",
    params=dict(n_pictures=n_pictures, canvas=canvas, models=models, backbone=backbone, epochs=epochs),
    title="PaQ-2-PiQ: picture and patch quality",
    claim="Picture quality relates to patch quality (LCC 0.43 / 0.36 / 0.28); RoIPool and Feedback models trained "
    "on pictures and patches beat the picture-only Baseline and classic NR models (Tables 2-3)",
    seed_file="003_9a04322f4c464272.txt",
    datasets=["builtin"] + list(labels.mos),
)
print(runs.data_mode_banner(data_dir, simulated_observers=trained_on == "builtin"))
print(f"models trained on: {trained_on}", "|", "; ".join(labels.notes))
summary = sim["summary"]
print(
    f"builtin database: {summary['n_pictures']} pictures, {summary['n_patches']} patches, "
    f"{summary['n_contents']} distinct contents from {summary['n_photos']} photographs, "
    f"{summary['n_test_pictures']} test pictures (larger than the {canvas} px canvas)"
)
run.record(builtin_n_contents=summary["n_contents"], builtin_n_photos=summary["n_photos"], trained_on=trained_on)
display(pd.DataFrame(sim["planted"]["effects"]).T.rename_axis("planted effect"))

# %% [markdown]
# ## Table 1: the databases at hand
#
# Counts from the tables (pictures, patches, ratings and raters where the files hold them). The
# paper's Table 1 lists LIVE, TID2008/2013, CLIVE, KonIQ and its own database (39,810 pictures,
# 119,430 patches, 7,865 annotators, 3,931,710 annotations).

# %%
rows = [
    paq2piq_database.dataset_counts(
        "builtin (simulated raters)",
        sim["images"],
        patches=sim["patches"],
        ratings=sim["ratings"],
        distortion_type="real, regional",
        framework="simulated crowd",
    )
]
for name, table in labels.mos.items():
    patches = flive_db.patches if name == "FLIVE" and flive_db is not None else None
    rows.append(paq2piq_database.dataset_counts(name, table, patches=patches, distortion_type="in-the-wild"))
table1 = paq2piq_database.dataset_summary(rows)
run.table(table1, "table1_databases", index=True)
table1

# %% [markdown]
# ## Fig. 4: picture sizes, and Fig. 5: pictures with their three patches

# %%
size_source = flive_db.images if flive_db is not None else sim["images"]
sizes = paq2piq_database.size_counts(size_source.dropna(subset=["width", "height"]))
run.table(sizes, "fig4_sizes")
run.figure(plots_paq2piq.plot_size_scatter(sizes), "fig4_picture_sizes")
print(paq2piq_database.size_summary(size_source.dropna(subset=["width", "height"]), canvas=canvas))

# %%
for k, example in enumerate(paq2piq_sources.fig5_examples(labels, sim, n=n_fig5, seed=seed)):
    fig = plots_paq2piq.plot_picture_patches(
        example.picture, example.boxes, patches=example.patches, title=example.title
    )
    run.figure(fig, f"fig5_picture_patches_{k}")

# %% [markdown]
# ## UGC features (Sec. 3.1)
#
# Absolute brightness R + G + B, colourfulness (Hasler and Süsstrunk), RMS contrast, spatial
# information (std of the Sobel magnitude), pixel count and detected faces, on the builtin pictures
# (and on FLIVE's when they are at hand).

# %%
ugc_source = (flive_db.images if trained_on == "flive" else sim["images"]).head(n_ugc_pictures)
features = ugc_features.ugc_features(list(paq2piq_study.view_images(paq2piq_study.picture_views(ugc_source))))
run.table(features, "ugc_features")
run.figure(plots_paq2piq.plot_feature_histograms(features), "ugc_feature_histograms")
features.describe().T

# %% [markdown]
# ## Subjective processing (Sec. 3.4) on the builtin raters
#
# Acceptance rate > 75 %, repeated contents vs the rater's overall std, more than 50 % identical
# scores, gold contents (SRCC with the lab scores); per-rater Z-scores averaged and rescaled to
# [0, 100]; split-half consistency over 25 random splits (paper: 0.48 pictures, 0.65 patches).
# FLIVE releases no individual ratings, so this runs on the simulated raters only.

# %%
recovered = simulate.recovered_effects(sim)
screening = pd.concat(
    {task: table["removed_by"].value_counts() for task, table in sim["screening"].items()}, axis=1
).fillna(0)
run.table(screening, "screening_counts", index=True)
display(screening)
consistency = pd.DataFrame(
    {"split-half LCC (builtin)": recovered["split_half"], "paper": {"picture": 0.48, "patch": 0.65}}
)
run.table(consistency, "split_half_consistency", index=True)
consistency

# %% [markdown]
# ## Fig. 8: MOS histograms, and Fig. 7 right / Fig. 12: picture MOS vs patch MOS

# %%
distributions = paq2piq_database.mos_distributions({"builtin": sim["images"], **labels.mos})
run.table(distributions, "fig8_mos_distributions", index=True)
run.figure(plots_paq2piq.plot_mos_histograms(distributions), "fig8_mos_histograms")
distributions

# %%
pairs_sources = {"builtin": (sim["images"], sim["patches"])}
if flive_db is not None and len(flive_db.patches):
    pairs_sources["FLIVE"] = (flive_db.images, flive_db.patches)
lcc_tables = {}
for name, (images, patches) in pairs_sources.items():
    pairs = paq2piq_database.picture_patch_pairs(images, patches)
    lcc_tables[name] = paq2piq_database.picture_patch_correlation(images, patches)
    run.table(lcc_tables[name], f"fig12_{name}_picture_patch_lcc")
    run.figure(plots_paq2piq.plot_picture_vs_patch(pairs), f"fig12_{name}_picture_vs_patch")
pd.concat(lcc_tables, names=["database"])

# %%
# NBVAL_CHECK_OUTPUT
for name, table in lcc_tables.items():
    print(name, table[["fraction", "n", "lcc"]].round(3).to_string(index=False))

# %% [markdown]
# ## Table 8: parameter counts
#
# Every total matches the paper. The printed backbone / head split of the ResNet-18 rows matches
# when the backbone's BatchNorm parameters are counted with the head (what fastai reports as
# trainable after `freeze()`); the MobileNetV2 NIMA row's split matches no single convention (its
# head equals the ResNet-18 NIMA head's number). See `saliqa.models.paq2piq.parameter_table`.

# %%
table8 = paq2piq.parameter_table()
run.table(table8, "table8_parameters")
table8[["model", "part", "unit", "paper", "ours_printed", "match", "ours_module", "match_module"]]

# %% [markdown]
# ## Training (Sec. 4.1-4.4)
#
# One training loop for every model (`saliqa.train.fit`: MSE, Adam (0.9, 0.99), weight decay 0.01,
# learning rates 3e-4 body / 3e-3 head, one-cycle schedule; checkpoints each epoch, resumable).
# Pictures are white-padded, centred, to the canvas; pictures larger than the canvas are test
# pictures. RoIPool and Feedback see the picture and its three patches as four RoIs.

# %%
train_tables = (flive_db.images, flive_db.patches) if trained_on == "flive" else (sim["images"], sim["patches"])
data = paq2piq_study.study_data(*train_tables, canvas=canvas, seed=seed)
display(paq2piq_study.split_summary(data))
config = paq2piq_study.study_config(epochs=epochs, batch_size=batch_size, lr_body=lr_body, lr_head=lr_head, seed=seed)
trained = paq2piq_study.train_models(
    data,
    models,
    backbone=backbone,
    nima_backbone=nima_backbone,
    canvas=canvas,
    config=config,
    checkpoint_root=paq2piq_study.checkpoint_folder(
        cache_dir() / "checkpoints" / "02_paq2piq",
        data,
        models=models,
        backbone=backbone,
        nima_backbone=nima_backbone,
        config=str(config),
    ),
    device=device,
    seed=seed,
)
history = pd.concat({name: result.history for name, result in trained.items()}, names=["model"])
run.table(history, "training_history", index=True)
history[["train_loss", "val_srcc", "val_plcc", "images_per_s"]]

# %% [markdown]
# ## Tables 2 and 3: pictures and patches (validation and test)
#
# Picture-only models (Baseline, NIMA, CNNIQA) score a patch by running on the cropped patch;
# RoIPool and Feedback score patches as RoIs of the full picture. NIQE (LIVE pristine model, not
# trained) and BRISQUE (SVR trained on the training pictures) join as rows; NIQE cannot score a
# view smaller than one 96 x 96 block (left out, counted).

# %%
views = paq2piq_study.evaluation_views(data, ("val", "test"))
predictions = paq2piq_study.predict_study(trained, views, canvas=data.canvas)
if classic_baselines:
    classic = paq2piq_classic.classic_predictions(data, views, seed=seed)
    print(
        f"of {len(views)} views, NIQE could not score {classic.attrs['n_unscored_niqe']} (smaller than 96 px), "
        f"BRISQUE {classic.attrs['n_unscored_brisque']} (undefined features)"
    )
    predictions = pd.concat([predictions, classic], ignore_index=True)
run.table(predictions, "predictions")
table2 = paq2piq_study.table2_pictures(predictions)
table3 = paq2piq_study.table3_patches(predictions)
run.table(table2, "table2_pictures", index=True)
run.table(table3, "table3_patches", index=True)
display(table2.round(3))
table3.round(3)

# %%
# NBVAL_CHECK_OUTPUT
print(table2.round(3).to_string())

# %% [markdown]
# ## Table 4: other databases without fine-tuning
#
# Runs when KonIQ-10k or CLIVE *pictures* are under `data_dir` (the label files alone cannot be
# scored).

# %%
cross = {
    name: table for name, table in labels.mos.items() if name != "FLIVE" and paq2piq_sources.pictures_present(table)
}
if cross:
    cross_predictions = pd.concat(
        [paq2piq_study.cross_database_predictions(trained, t, n, canvas=data.canvas) for n, t in cross.items()],
        ignore_index=True,
    )
    table4 = paq2piq_study.table4_cross_database(cross_predictions, list(cross))
    run.table(table4, "table4_cross_database", index=True)
    display(table4.round(3))
else:
    print("Table 4 skipped: no KonIQ-10k / CLIVE pictures under data_dir (label files only, or builtin run)")

# %% [markdown]
# ## Fig. 10: quality maps, and Fig. 11: failure cases

# %%
if "roipool" in trained:
    maps = paq2piq_study.quality_maps(
        trained["roipool"].model, data, split="test", n=n_quality_maps, grid=quality_map_grid, canvas=data.canvas
    )
    fig = plots_quality_maps.plot_quality_maps(
        [m.picture for m in maps], [m.blend for m in maps], [f"{m.image_id} (MOS {m.mos:.0f})" for m in maps]
    )
    run.figure(fig, "fig10_quality_maps")

# %%
worst_model = "feedback" if "feedback" in trained else next(iter(trained))
worst = paq2piq_study.failure_cases(predictions, worst_model, split="test", n=n_failure_cases)
run.table(worst, "fig11_failure_cases")
run.figure(plots_paq2piq.plot_failure_cases(list(paq2piq_study.view_images(worst)), worst), "fig11_failure_cases")
worst

# %% [markdown]
# ## Scorecard
#
# Paper values and verdict rules: `data/reference/02_paq2piq.csv`. Table 8 is checked to the digit
# the paper prints. The database LCCs on the real FLIVE label files stand beside the paper's (its
# values are on the whole database, ours on the 1,827 test pictures whose patches are released).
# On builtin data the planted effects must hold; the paper's findings about the models are
# reported as they come out (a FAIL there is a finding on this data, not a defect). Table 2's paper
# values appear only when the models were trained and tested on FLIVE itself.

# %%
card = run.scorecard
paq2piq_scorecard.score_table8(card, table8)
if "FLIVE" in lcc_tables:
    flive_lcc = dict(zip(lcc_tables["FLIVE"]["fraction"], lcc_tables["FLIVE"]["lcc"]))
    paq2piq_scorecard.score_database(card, flive_lcc, source="FLIVE test pictures")
    run.record(**{f"flive_picture_patch_lcc_{int(100 * f)}": float(v) for f, v in flive_lcc.items()})
paq2piq_scorecard.score_simulated(card, recovered)
paq2piq_scorecard.score_table2(card, predictions, trained_on=trained_on)
paq2piq_scorecard.score_findings(card, predictions, data=trained_on)
run.record(**{f"test_srcc_{m}": v for m, v in paq2piq_scorecard.split_srcc(predictions).items()})
frame = card.to_frame()
doc = run.finish()
print(doc["scorecard_summary"])
frame
