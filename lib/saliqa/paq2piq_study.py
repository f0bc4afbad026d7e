"""The PaQ-2-PiQ learning experiments (seed 003, section 4): data, training, Tables 2-4, Figs. 10-11.

Seed 003 (Ying et al., "From Patches to Pictures (PaQ-2-PiQ)", CVPR 2020) trains three models of
its own and two deep baselines on one split of its picture + patch database and evaluates every
model, unmodified, on the validation and test pictures (Table 2), on their patches of three sizes
(Table 3) and on two other databases without fine-tuning (Table 4). This module does that on the
canonical ``images`` / ``patches`` tables (:mod:`saliqa.datasets.tables`), whatever produced them
(the FLIVE loader :mod:`saliqa.datasets.flive`, a builtin simulator), for notebook 02.

Data (section 4.1, *Input image pre-processing* and *Training setup*): :func:`study_data`
    Every picture is white-padded, centred and never resized, onto a fixed canvas (640x640 in the
    paper; :class:`saliqa.data_cache.PictureDataset` with ``CanvasSpec(fit="pad", fill=255)``).
    Pictures with a side larger than the canvas "were moved to the test set" (section 4.1): such a
    picture is put in ``test`` whatever ``images.split`` says, and the move is counted. The other
    pictures keep ``images.split`` (``train`` / ``val`` / ``test``); where the table has no split,
    :func:`assign_splits` draws one, by content (all pictures cut from one photograph land in the
    same split), with the paper's share of validation pictures among those that fit (7.7K of
    37.7K, about 0.2). Each picture's patches fill the slots of :data:`~saliqa.patches.PATCH_FRACTIONS`
    (0.4, 0.3, 0.2: from ``patch_index``, else ``fraction``, else the box's linear size); a
    missing patch or patch MOS is masked out of the loss, never invented.

Training (sections 4.1, 4.2, 4.4; :func:`train_models`)
    Each model goes through :func:`saliqa.train.fit` with the paper's settings (MSE, Adam (0.9,
    0.99), weight decay 0.01, learning rates 3e-4 for the body and 3e-3 for the head, 10 epochs,
    batch 120: :func:`study_config`), one checkpoint folder per model (resumable). RoIPool and
    Feedback see four RoIs per picture, the picture box and its three patch boxes mapped onto the
    canvas (:meth:`saliqa.data_cache.Placement.map_boxes`), and are trained on the MSE over the four
    (:func:`saliqa.models.paq2piq.roi_mse_loss`); Baseline and NIMA on the picture MOS. CNNIQA is
    trained as Kang et al. [68]: on 32x32 grey, locally contrast-normalised patches of the
    picture itself (never of the padding), each patch labelled with its picture's MOS, L1 loss
    (Kang et al.'s), ``cnniqa_patches`` random patches per picture per epoch (the paper is silent;
    Kang et al. use all of them, which at FLIVE's size is 9M patches an epoch); its weights form
    one group at the head rate (it has no pretrained body).

Evaluation (section 4.1, *Evaluation setup*; :func:`evaluation_views`, :func:`predict_study`)
    A *view* is what a model scores: a whole picture, or one patch of it. Picture-only models
    (Baseline, NIMA) score a patch by running on the patch cropped from the picture and
    white-padded to the canvas, as the paper tested them ("Although the baseline model was trained
    on whole pictures, we tested it on both pictures and patches"); CNNIQA on the crop itself
    (the mean of all its 32x32 patches, Kang et al.'s picture score; crops smaller than 32 px are
    white-padded to one patch). RoIPool and Feedback score the picture and its patches at once, as
    RoIs on the full picture (section 4.2, *Train and test setup*); the Feedback model's picture
    score is Head1's, its patch scores Head0's. Views that fit the canvas are padded onto it; a
    larger one (every test picture) is fed at its own size, unpadded, as the released code does
    (batches of equal-size pictures): ``large="native"``. ``"shrink"`` (downscale to fit, aspect
    kept, then pad) and ``"skip"`` (left out, counted) are the alternatives.

Tables (:func:`table2_pictures`, :func:`table3_patches`, :func:`table4_cross_database`)
    SRCC and LCC (Pearson, no logistic mapping: the paper names none; ``fit=`` passes one to
    :func:`saliqa.metrics.correlation.plcc`) per model and split, laid out as the paper's tables:
    rows the models in the paper's order (externally computed predictors such as NIQE and BRISQUE
    join through :func:`external_predictions`), columns split x metric (Table 3: patch size x split
    x metric; Table 4: database x metric). Table 4 (section 4.5) scores KonIQ-10k / CLIVE tables
    whose images are present with :func:`cross_database_predictions`: KonIQ's 1024x768 pictures
    are larger than the canvas and are fed at their own size (``large="native"``, as the paper's
    own test set); CLIVE's 500x500 fit and are padded. These databases have no patch boxes: the
    Feedback model, whose Head1 reads Head0's predictions of three patches, gets three patches
    drawn by the section 3.2 sampler (:func:`saliqa.patches.sample_patch_boxes`, seeded), unless a
    ``patches`` table is given.

Figures: :func:`failure_cases` (Fig. 11: the pictures with the largest ``|prediction - MOS|``) and
:func:`quality_maps` (Fig. 10: 32x32-block maps from the RoIPool model,
:mod:`saliqa.quality_maps`, blended over the picture with magma at alpha 0.8).

Known reproduction gaps (state them with the tables): the paper reports one split, not repeats;
the padding colour (white, as the paper says and AMT showed) makes the picture-only models see
borders their test pictures (fed unpadded) do not have.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from saliqa.canvas import DEFAULT_CANVAS, larger_than_canvas
from saliqa.checks import check_choice, check_int, check_real, check_seed, check_shape, require_columns
from saliqa.data_cache import CanvasSpec, PictureDataset, Placement, place_on_canvas, read_image
from saliqa.patches import PATCH_FRACTIONS
from saliqa.train import TrainConfig, TrainResult, body_head_groups, fit, progress_bars

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from torch import nn

__all__ = [
    "MODEL_NAMES",
    "DEFAULT_MODELS",
    "MODEL_KINDS",
    "MODEL_LABELS",
    "SPLIT_LABELS",
    "VIEW_COLUMNS",
    "LargeMode",
    "StudyData",
    "study_data",
    "assign_splits",
    "split_summary",
    "picture_dataset",
    "CnniqaPatchDataset",
    "study_config",
    "build_model",
    "train_models",
    "init_output_bias",
    "checkpoint_folder",
    "roi_forward",
    "roi_loss",
    "roi_picture_score",
    "cnniqa_forward",
    "cnniqa_loss",
    "cnniqa_picture_score",
    "evaluation_views",
    "picture_views",
    "view_images",
    "score_views",
    "predict_views",
    "predict_study",
    "external_predictions",
    "cross_database_predictions",
    "correlations",
    "table2_pictures",
    "table3_patches",
    "table4_cross_database",
    "failure_cases",
    "QualityMap",
    "quality_maps",
]

logger = logging.getLogger(__name__)

LargeMode = Literal["native", "shrink", "skip"]
Kind = Literal["picture", "roi", "cnniqa"]

MODEL_KINDS: dict[str, Kind] = {
    "baseline": "picture",
    "roipool": "roi",
    "feedback": "roi",
    "nima": "picture",
    "nima_resnet18": "picture",
    "cnniqa": "cnniqa",
}
"""How each model scores a view: ``picture`` (the input is the view), ``roi`` (RoIs on the full
picture) or ``cnniqa`` (32x32 patches of the view)."""
MODEL_NAMES: tuple[str, ...] = tuple(MODEL_KINDS)
DEFAULT_MODELS: tuple[str, ...] = ("baseline", "roipool", "feedback", "nima", "cnniqa")
"""The deep models of Tables 2-4 (``nima_resnet18``, supplementary Tables 5-7, on request)."""
MODEL_LABELS: dict[str, str] = {
    "niqe": "NIQE [11]",
    "brisque": "BRISQUE [10]",
    "cnniqa": "CNNIQA [68]",
    "nima": "NIMA [46]",
    "nima_resnet18": "NIMA (ResNet 18) [46]",
    "baseline": "Baseline Model (Sec. 4.1)",
    "roipool": "RoIPool Model (Sec. 4.2)",
    "feedback": "Feedback Model (Sec. 4.4)",
}
"""Row labels of Tables 2-4, in the paper's row order; other predictors follow in their own order."""
SPLIT_LABELS: dict[str, str] = {"train": "Training", "val": "Validation", "test": "Test"}
_HEADS: dict[str, tuple[str, ...]] = {
    "baseline": ("head",),
    "roipool": ("head",),
    "feedback": ("head0", "head1"),
    "nima": ("head",),
    "nima_resnet18": ("head",),
}
_SPLITS = ("train", "val", "test")
_PATCH = 32  # CNNIQA's patch side (Kang et al.)
VIEW_COLUMNS: tuple[str, ...] = (
    "view",
    "image_id",
    "patch_id",
    "split",
    "unit",
    "patch_index",
    "fraction",
    "left",
    "top",
    "right",
    "bottom",
    "mos",
    "path",
    "width",
    "height",
)
"""Columns of a views table (:func:`evaluation_views`): ``unit`` is ``picture`` or ``patch``;
``patch_index`` 0 for the picture, 1.. for the patches (largest first); ``fraction`` 1.0 for the
picture; ``left .. bottom`` the crop in picture pixels (right / bottom exclusive)."""


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class StudyData:
    """Pictures, their patch slots and splits, ready for training and evaluation (:func:`study_data`).

    Attributes
    ----------
    images
        One row per picture: ``image_id``, ``path`` (absolute), ``width``, ``height``,
        ``content_id``, ``mos``, ``split`` (the one used), ``split_source`` (``table``,
        ``larger_than_canvas``: moved to test, ``assigned``: drawn by :func:`assign_splits`),
        ``fits_canvas``, ``n_patches``; positional index 0..N-1.
    boxes
        ``(N, P, 4)`` float64 patch boxes ``(left, top, right, bottom)`` in picture pixels, slot
        ``k`` the patch of linear size ``fractions[k]``; NaN where a picture lacks that patch.
    patch_mos
        ``(N, P)`` patch MOS (NaN where unknown).
    patch_ids
        ``(N, P)`` object array of ``patch_id`` (None where missing).
    fractions
        Linear patch sizes of the slots (0.4, 0.3, 0.2).
    canvas
        ``(height, width)`` of the canvas.
    counts
        What was moved, assigned or left out: ``moved_to_test``, ``assigned``,
        ``patches_without_picture``, ``missing_patches``, ``missing_patch_mos``.
    """

    images: pd.DataFrame
    boxes: NDArray[np.float64]
    patch_mos: NDArray[np.float64]
    patch_ids: NDArray[np.object_]
    fractions: tuple[float, ...]
    canvas: tuple[int, int]
    counts: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.images)

    def indices(self, split: str) -> NDArray[np.int64]:
        """Positions of the pictures of ``split`` (``train`` / ``val`` / ``test``)."""
        check_choice(split, "split", _SPLITS)
        return np.flatnonzero(self.images["split"].to_numpy() == split).astype(np.int64)

    def roi_boxes(self) -> NDArray[np.float64]:
        """``(N, 1 + P, 4)`` RoIs in picture pixels: the picture box ``(0, 0, W, H)``, then the patches.

        A missing patch's slot holds the picture box (its target is masked out of the loss).
        """
        w = self.images["width"].to_numpy(dtype=np.float64)
        h = self.images["height"].to_numpy(dtype=np.float64)
        picture = np.stack([np.zeros_like(w), np.zeros_like(h), w, h], axis=1)
        patches = np.where(np.isnan(self.boxes), picture[:, None, :], self.boxes)
        return np.concatenate([picture[:, None, :], patches], axis=1)

    def roi_targets(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(N, 1 + P)`` targets (picture MOS, then patch MOS; 0 where unknown) and the 0/1 mask."""
        mos = np.concatenate([self.images["mos"].to_numpy(dtype=np.float64)[:, None], self.patch_mos], axis=1)
        mask = np.isfinite(mos)
        return np.where(mask, mos, 0.0), mask.astype(np.float64)


def _canvas_pair(canvas: int | Sequence[int]) -> tuple[int, int]:
    return check_shape(canvas, "canvas", allow_scalar=True)


def assign_splits(
    images: pd.DataFrame,
    canvas: int | Sequence[int] = DEFAULT_CANVAS,
    *,
    val_fraction: float = 0.2,
    seed: int = 0,
) -> pd.Series:
    """A seeded train / val / test split following section 4.1's rules.

    Pictures larger than the canvas are ``test``. The others are split into ``train`` and ``val``
    by content (``content_id`` when present, else ``image_id``): contents are shuffled with the
    seed and given to ``val`` until it holds ``val_fraction`` of the pictures that fit (the
    paper: 7.7K validation of 37.7K pictures that fit, about 0.2), at least one content each
    when there are two or more.

    Parameters
    ----------
    images
        Canonical images table (``image_id``, ``width``, ``height``, optional ``content_id``).
    canvas
        ``(height, width)`` or one int.
    val_fraction
        Share of the pictures that fit to put in ``val``.
    seed
        Seed of the shuffle.

    Returns
    -------
    pandas.Series
        ``train`` / ``val`` / ``test`` per row, on ``images``' index.
    """
    require_columns(images, ["image_id", "width", "height"], "images")
    check_real(val_fraction, "val_fraction", low=0.0, high=1.0, low_open=True, high_open=True)
    check_seed(seed)
    big = larger_than_canvas(images["height"].to_numpy(), images["width"].to_numpy(), _canvas_pair(canvas))
    split = np.where(big, "test", "train").astype(object)
    groups = (images["content_id"] if "content_id" in images.columns else images["image_id"]).astype(str)
    fits = ~big
    if fits.any():
        codes, uniques = pd.factorize(groups[fits])
        counts = np.bincount(codes, minlength=len(uniques))
        order = np.random.default_rng(seed).permutation(len(uniques))
        target = val_fraction * fits.sum()
        cum = np.cumsum(counts[order])
        n_val = int(np.searchsorted(cum, target, side="left")) + 1
        if len(uniques) >= 2:
            n_val = min(max(n_val, 1), len(uniques) - 1)
        val_groups = set(order[:n_val].tolist()) if len(uniques) >= 2 else set()
        is_val = np.isin(codes, list(val_groups))
        split[np.flatnonzero(fits)[is_val]] = "val"
    return pd.Series(split, index=images.index, name="split")


def _patch_slots(patches: pd.DataFrame, pictures: pd.DataFrame, fractions: NDArray[np.float64]) -> NDArray[np.int64]:
    """Slot (0-based, into ``fractions``) of every patch row, from patch_index / fraction / size."""
    n = len(fractions)
    if "patch_index" in patches.columns and patches["patch_index"].notna().all():
        slot = patches["patch_index"].to_numpy(dtype=np.float64) - 1
        bad = (slot != np.round(slot)) | (slot < 0) | (slot >= n)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"patches: row {row} ({patches['patch_id'].iloc[row]!r}) has patch_index "
                f"{patches['patch_index'].iloc[row]!r}; expected 1..{n} (1 = the {fractions[0]:g} patch)"
            )
        return slot.astype(np.int64)
    if "fraction" in patches.columns and patches["fraction"].notna().all():
        f = patches["fraction"].to_numpy(dtype=np.float64)
    else:  # the box's linear size relative to its picture
        area = (patches["right"] - patches["left"]).to_numpy(float) * (patches["bottom"] - patches["top"]).to_numpy(
            float
        )
        pic = pictures["width"].to_numpy(float) * pictures["height"].to_numpy(float)
        f = np.sqrt(area / pic)
    return np.abs(f[:, None] - fractions[None, :]).argmin(axis=1).astype(np.int64)


def study_data(
    images: pd.DataFrame,
    patches: pd.DataFrame | None = None,
    canvas: int | Sequence[int] = DEFAULT_CANVAS,
    *,
    fractions: Sequence[float] = PATCH_FRACTIONS,
    root: str | os.PathLike[str] | None = None,
    val_fraction: float = 0.2,
    seed: int = 0,
) -> StudyData:
    """Assemble the pictures, their patch slots and the splits of section 4.1.

    Parameters
    ----------
    images
        Canonical ``images`` table with ``image_id``, ``path``, ``width``, ``height``, ``mos``
        and optionally ``content_id`` and ``split`` (``train`` / ``val`` / ``test``, or missing).
    patches
        Canonical ``patches`` table (``image_id``, ``patch_id``, ``left``, ``top``, ``right``,
        ``bottom``, optional ``mos``, ``patch_index`` 1..P or ``fraction``); None: no patches
        (the RoI models then train on the picture RoI alone).
    canvas
        ``(height, width)`` of the canvas or one int (640 in the paper).
    fractions
        Linear patch sizes, one slot each, largest first (0.4, 0.3, 0.2).
    root
        Folder relative ``path`` values are relative to.
    val_fraction, seed
        For :func:`assign_splits`, used where ``images.split`` is missing.

    Returns
    -------
    StudyData

    Raises
    ------
    ValueError
        A missing column, a repeated ``image_id``, a missing path, a non-finite MOS or size, an
        unknown split value, a patch box outside its picture, two patches in one slot (each
        named by row).
    """
    require_columns(images, ["image_id", "path", "width", "height", "mos"], "images")
    if len(images) == 0:
        raise ValueError("images: the table is empty")
    size = _canvas_pair(canvas)
    f = np.asarray(fractions, dtype=np.float64)
    if f.ndim != 1 or f.size < 1 or not np.all((f > 0) & (f <= 1)):
        raise ValueError(f"fractions must be numbers in (0, 1], largest first; got {list(fractions)}")
    table = images.reset_index(drop=True)
    ids = table["image_id"].astype(str)
    dup = ids.duplicated().to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise ValueError(f"images: row {row} repeats image_id {ids.iloc[row]!r}")
    missing = table["path"].isna().to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"images: {int(missing.sum())} picture(s) without a path, first row {row} ({ids.iloc[row]!r}); "
            "training and evaluation need the image files (drop those rows or fetch the pictures)"
        )
    for col in ("width", "height", "mos"):
        v = table[col].to_numpy(dtype=np.float64)
        bad = ~np.isfinite(v) | ((v < 1) if col != "mos" else False)
        if np.any(bad):
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f"images: row {row} ({ids.iloc[row]!r}) field {col!r} = {table[col].iloc[row]!r}")
    base = Path(root) if root is not None else None
    paths = [str(base / p) if base is not None and not Path(str(p)).is_absolute() else str(p) for p in table["path"]]
    big = larger_than_canvas(table["height"].to_numpy(), table["width"].to_numpy(), size)

    # splits: the table's, larger-than-canvas pictures moved to test, the rest drawn
    given = table["split"] if "split" in table.columns else pd.Series([None] * len(table))
    given = given.where(given.notna(), None)
    known = given.notna().to_numpy()
    unknown_values = known & ~given.isin(_SPLITS).to_numpy()
    if unknown_values.any():
        row = int(np.flatnonzero(unknown_values)[0])
        raise ValueError(f"images: row {row} ({ids.iloc[row]!r}) split {given.iloc[row]!r}; expected one of {_SPLITS}")
    drawn = assign_splits(table.assign(image_id=ids), size, val_fraction=val_fraction, seed=seed)
    split = np.where(known, given.to_numpy(dtype=object), drawn.to_numpy(dtype=object)).astype(object)
    source = np.where(known, "table", "assigned").astype(object)
    moved = big & (split != "test")
    source[moved & known] = "larger_than_canvas"
    split[big] = "test"

    n, p = len(table), f.size
    boxes = np.full((n, p, 4), np.nan)
    patch_mos = np.full((n, p), np.nan)
    patch_ids = np.full((n, p), None, dtype=object)
    orphans = 0
    if patches is not None and len(patches):
        require_columns(patches, ["image_id", "patch_id", "left", "top", "right", "bottom"], "patches")
        pt = patches.reset_index(drop=True)
        pos = pd.Index(ids).get_indexer(pt["image_id"].astype(str))
        orphans = int((pos < 0).sum())
        pt, pos = pt[pos >= 0].reset_index(drop=True), pos[pos >= 0]
        if orphans:
            logger.warning("patches: %d patch rows name no picture of the images table; left out", orphans)
        b = pt[["left", "top", "right", "bottom"]].to_numpy(dtype=np.float64)
        w, h = table["width"].to_numpy(float)[pos], table["height"].to_numpy(float)[pos]
        bad = ~np.isfinite(b).all(axis=1) | (b[:, 0] < 0) | (b[:, 1] < 0) | (b[:, 2] > w) | (b[:, 3] > h)
        bad |= (b[:, 2] <= b[:, 0]) | (b[:, 3] <= b[:, 1])
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"patches: row {row} ({pt['patch_id'].iloc[row]!r}) box {b[row].tolist()} is not inside its "
                f"picture of {int(w[row])}x{int(h[row])} (width x height; right / bottom exclusive)"
            )
        slot = _patch_slots(pt, table.iloc[pos].reset_index(drop=True), f)
        key = pos * p + slot
        clash = pd.Series(key).duplicated().to_numpy()
        if clash.any():
            row = int(np.flatnonzero(clash)[0])
            raise ValueError(
                f"patches: row {row} ({pt['patch_id'].iloc[row]!r}) is a second patch of size {f[slot[row]]:g} "
                f"for picture {ids.iloc[pos[row]]!r}"
            )
        boxes[pos, slot] = b
        if "mos" in pt.columns:
            patch_mos[pos, slot] = pt["mos"].to_numpy(dtype=np.float64)
        patch_ids[pos, slot] = pt["patch_id"].astype(str).to_numpy(dtype=object)
    have = ~np.isnan(boxes[..., 0])
    out = pd.DataFrame(
        {
            "image_id": ids.to_numpy(dtype=object),
            "path": paths,
            "width": table["width"].to_numpy(dtype=np.int64),
            "height": table["height"].to_numpy(dtype=np.int64),
            "content_id": (table["content_id"] if "content_id" in table.columns else ids).astype(str).to_numpy(),
            "mos": table["mos"].to_numpy(dtype=np.float64),
            "split": split,
            "split_source": source,
            "fits_canvas": ~big,
            "n_patches": have.sum(axis=1),
        }
    )
    counts = {
        "pictures": n,
        "moved_to_test": int(moved.sum()),
        "assigned": int((~known).sum()),
        "patches_without_picture": orphans,
        "missing_patches": int((~have).sum()),
        "missing_patch_mos": int((have & np.isnan(patch_mos)).sum()),
    }
    if counts["moved_to_test"]:
        logger.info(
            "%d picture(s) larger than the %dx%d canvas moved to the test set (section 4.1)",
            counts["moved_to_test"],
            *size,
        )
    return StudyData(out, boxes, patch_mos, patch_ids, tuple(float(v) for v in f), size, counts)


def split_summary(data: StudyData) -> pd.DataFrame:
    """Pictures and patches per split, and how each split was decided (for the notebook's report).

    Returns
    -------
    pandas.DataFrame
        Index ``train`` / ``val`` / ``test``; columns ``pictures``, ``patches``, ``share`` (of all
        pictures), ``fit_canvas``, ``from_table``, ``moved_larger_than_canvas``, ``assigned``.
    """
    im = data.images
    rows = {}
    for s in _SPLITS:
        sel = im["split"] == s
        rows[s] = {
            "pictures": int(sel.sum()),
            "patches": int(im.loc[sel, "n_patches"].sum()),
            "share": float(sel.mean()),
            "fit_canvas": int((sel & im["fits_canvas"]).sum()),
            "from_table": int((sel & (im["split_source"] == "table")).sum()),
            "moved_larger_than_canvas": int((sel & (im["split_source"] == "larger_than_canvas")).sum()),
            "assigned": int((sel & (im["split_source"] == "assigned")).sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


class _RoiExtras:
    """``extras`` of :class:`PictureDataset`: the item's RoIs mapped onto the canvas (picklable)."""

    def __init__(self, boxes: NDArray[np.float64]) -> None:
        self.boxes = boxes

    def __call__(self, i: int, placement: Placement) -> dict[str, Any]:
        import torch

        return {"rois": torch.from_numpy(placement.map_boxes(self.boxes[i]).astype(np.float32))}


def picture_dataset(
    data: StudyData,
    split: str,
    *,
    memory_cache: bool | Literal["auto"] = "auto",
    cache_dir: str | os.PathLike[str] | None = None,
) -> PictureDataset:
    """The pictures of ``split`` white-padded onto the canvas, with their RoIs and targets (section 4.2).

    Items (:class:`saliqa.data_cache.PictureDataset`): ``image`` (uint8 ``(3, H, W)`` canvas),
    ``mos`` (picture MOS), ``rois`` (``(1 + P, 4)`` float32: the picture box, then the 40 / 30 /
    20 % patch boxes, on the canvas), ``roi_mos`` (``(1 + P,)``: picture MOS then patch MOS, 0
    where unknown), ``roi_mask`` (1 where the target is known), ``index``.

    Raises
    ------
    ValueError
        If ``split`` holds no picture, or a picture larger than the canvas (those are scored by
        :func:`predict_views`, at their own size).
    """
    idx = data.indices(split)
    if idx.size == 0:
        raise ValueError(f"split {split!r} holds no picture ({split_summary(data)['pictures'].to_dict()})")
    im = data.images.iloc[idx]
    if not im["fits_canvas"].all():
        row = im.loc[~im["fits_canvas"]].iloc[0]
        raise ValueError(
            f"split {split!r} holds picture {row['image_id']!r} ({row['width']}x{row['height']}), larger than the "
            f"{data.canvas[0]}x{data.canvas[1]} canvas; score such pictures with predict_views (own size)"
        )
    roi_mos, mask = data.roi_targets()
    return PictureDataset(
        im["path"].tolist(),
        CanvasSpec(data.canvas[0], data.canvas[1], fit="pad", fill=255),
        {"mos": im["mos"].to_numpy(), "roi_mos": roi_mos[idx], "roi_mask": mask[idx]},
        extras=_RoiExtras(data.roi_boxes()[idx]),
        memory_cache=memory_cache,
        cache_dir=cache_dir,
    )


def _grid_patches(region: torch.Tensor, patch: int, fill: int = 255) -> torch.Tensor:
    """All non-overlapping ``patch x patch`` patches of an ``(h, w, 3)`` uint8 region, ``(n, 3, p, p)``.

    A region smaller than one patch is first padded (centred, ``fill``) to one patch on that side.
    """
    import torch

    h, w = region.shape[:2]
    if h < patch or w < patch:
        hh, ww = max(h, patch), max(w, patch)
        padded = torch.full((hh, ww, 3), fill, dtype=region.dtype)
        t, l_ = (hh - h) // 2, (ww - w) // 2
        padded[t : t + h, l_ : l_ + w] = region
        region, h, w = padded, hh, ww
    ny, nx = h // patch, w // patch
    cut = region[: ny * patch, : nx * patch]
    return cut.reshape(ny, patch, nx, patch, 3).permute(0, 2, 4, 1, 3).reshape(ny * nx, 3, patch, patch)


class CnniqaPatchDataset:
    """CNNIQA's training items: ``k`` 32x32 RGB patches of each picture (never of the padding).

    Kang et al. [68] train on non-overlapping 32x32 patches, each with its picture's MOS.
    Item ``i`` holds ``image`` = ``(k, 3, 32, 32)`` uint8 patches from the non-overlapping grid
    of picture ``i`` (cut from the cached canvas, inside the picture's placement), ``mos`` and
    ``index``. ``train=True`` draws the ``k`` grid cells uniformly with replacement from torch's
    global generator (which :func:`saliqa.train.fit` seeds per epoch, so epochs differ and
    resume exactly); ``train=False`` takes ``k`` evenly spaced cells (deterministic; the
    validation SRCC of :func:`~saliqa.train.fit` uses them, the final evaluation all cells).

    Parameters
    ----------
    base
        The pictures (:func:`picture_dataset`; its memory / disk cache is shared).
    k
        Patches per picture per item.
    train
        Random (True) or evenly spaced (False) cells.
    """

    def __init__(self, base: PictureDataset, k: int = 32, *, train: bool = True) -> None:
        check_int(k, "k", low=1)
        self.base = base
        self.k = int(k)
        self.train = bool(train)

    def __len__(self) -> int:
        return len(self.base)

    def share_memory(self) -> CnniqaPatchDataset:
        self.base.share_memory()
        return self

    def __getitem__(self, index: int) -> dict[str, Any]:
        import torch

        i = int(index)
        canvas, p = self.base.canvas(i)
        region = canvas[p.top : p.top + p.height, p.left : p.left + p.width]
        grid = _grid_patches(region, _PATCH, self.base.spec.fill)
        n = grid.shape[0]
        if self.train:
            pos = torch.randint(n, (self.k,))
        else:
            pos = (torch.arange(self.k) * n) // self.k
        return {"image": grid[pos].contiguous(), "mos": self.base.targets["mos"][i], "index": torch.tensor(i)}


# --------------------------------------------------------------------------------------------
# training
# --------------------------------------------------------------------------------------------


def checkpoint_folder(root: str | os.PathLike[str], data: StudyData, **settings: Any) -> Path:
    """A checkpoint folder keyed by the data and the settings: ``root / <16 hex digits>``.

    :func:`train_models` resumes from what it finds under ``checkpoint_root``; a folder shared by
    runs with other pictures, MOS, canvas or training settings would resume the wrong models.
    The key hashes the pictures (``image_id``, ``mos``, ``split``), the patch MOS, the canvas and
    ``settings`` (models, backbone, epochs, batch, learning rates, seed, ...: any JSON-able values).
    """
    from saliqa.train import run_key

    pictures = data.images[["image_id", "mos", "split"]]
    patch_mos = np.nan_to_num(data.patch_mos, nan=-1.0)
    return Path(root) / run_key(pictures, patch_mos, canvas=list(data.canvas), **settings)


def study_config(**overrides: Any) -> TrainConfig:
    """The paper's training settings (section 4.1) for :func:`train_models`.

    :class:`saliqa.train.TrainConfig` defaults (MSE, Adam (0.9, 0.99), weight decay 0.01, 3e-4 /
    3e-3, 10 epochs, batch 120) with ``mean=None, std=None``: the loop only scales the uint8
    canvases to [0, 1] and every model normalises with its own backbone's statistics inside
    ``forward`` (after the white padding, as the released code). ``overrides`` replace fields.
    """
    return TrainConfig(**{"mean": None, "std": None, **overrides})


def build_model(
    name: str,
    *,
    backbone: str = "resnet18",
    nima_backbone: str = "mobilenet_v2",
    pretrained: bool | Literal["auto"] = "auto",
    n_patches: int = len(PATCH_FRACTIONS),
) -> nn.Module:
    """One model of section 4 by name (see :data:`MODEL_NAMES`).

    ``baseline`` / ``roipool`` / ``feedback``: :mod:`saliqa.models.paq2piq` on ``backbone``
    (ResNet-18 in the paper); ``nima``: :class:`~saliqa.models.iqa_baselines.NIMA` on
    ``nima_backbone`` (MobileNetV2, Table 2); ``nima_resnet18``: NIMA on ResNet-18 (Tables 5-7);
    ``cnniqa``: :class:`~saliqa.models.iqa_baselines.CNNIQA`. Random parts draw from torch's
    global generator (seed it first).
    """
    from saliqa.models.iqa_baselines import CNNIQA, NIMA
    from saliqa.models.paq2piq import BaselineModel, FeedbackModel, RoIPoolModel

    check_choice(name, "model name", MODEL_NAMES)
    if name == "baseline":
        return BaselineModel(backbone, pretrained)
    if name == "roipool":
        return RoIPoolModel(backbone, pretrained)
    if name == "feedback":
        return FeedbackModel(backbone, pretrained, n_rois=1 + int(n_patches))
    if name == "nima":
        return NIMA(nima_backbone, pretrained)
    if name == "nima_resnet18":
        return NIMA("resnet18", pretrained)
    return CNNIQA()


def roi_forward(model: nn.Module, batch: Mapping[str, Any]) -> torch.Tensor:
    """``forward_fn`` of the RoIPool / Feedback models: ``model(image, rois)`` -> ``(B, 1 + P)``."""
    return model(batch["image"], batch["rois"])


def roi_loss(output: torch.Tensor, batch: Mapping[str, Any]) -> torch.Tensor:
    """MSE over the picture and its patches (section 4.2), unknown patch MOS masked out."""
    from saliqa.models.paq2piq import roi_mse_loss

    return roi_mse_loss(output.float(), batch["roi_mos"], batch["roi_mask"] > 0.5)


def roi_picture_score(output: torch.Tensor, batch: Mapping[str, Any]) -> torch.Tensor:
    """The picture score of a RoI model's output: column 0 (the Feedback model's Head1)."""
    return output[:, 0]


def cnniqa_forward(model: nn.Module, batch: Mapping[str, Any]) -> torch.Tensor:
    """``forward_fn`` of CNNIQA on :class:`CnniqaPatchDataset` items: ``(B, k)`` patch scores.

    The grey conversion and local contrast normalisation run in float32 (outside autocast: the
    variance of 0..255 values loses everything in bf16); the network under the loop's autocast.
    """
    import torch

    from saliqa.models.iqa_baselines import cnniqa_patches

    x = batch["image"]
    b, k = x.shape[:2]
    with torch.autocast(device_type=x.device.type, enabled=False):
        patches, _ = cnniqa_patches(x.reshape(b * k, *x.shape[2:]).float(), x.shape[-1])
    return model(patches).reshape(b, k)


def cnniqa_loss(output: torch.Tensor, batch: Mapping[str, Any]) -> torch.Tensor:
    """Kang et al.'s L1 loss: every patch against its picture's MOS."""
    import torch.nn.functional as F

    out = output.float()
    return F.l1_loss(out, batch["mos"].to(out.dtype)[:, None].expand_as(out))


def cnniqa_picture_score(output: torch.Tensor, batch: Mapping[str, Any]) -> torch.Tensor:
    """The picture score of CNNIQA: the mean of its patch scores (Kang et al.)."""
    return output.mean(dim=1)


def _name_seed(seed: int, name: str) -> int:
    """A model's init seed: from the run seed and the name only (not from which models are trained)."""
    return int(np.random.SeedSequence([int(seed), zlib.crc32(name.encode())]).generate_state(1)[0])


def _as_study_data(data: Any, canvas: int | Sequence[int] | None) -> StudyData:
    if isinstance(data, StudyData):
        if canvas is not None and _canvas_pair(canvas) != data.canvas:
            raise ValueError(f"canvas {canvas!r} differs from the study data's {data.canvas} (study_data(canvas=...))")
        return data
    size = DEFAULT_CANVAS if canvas is None else canvas
    if isinstance(data, Mapping):
        return study_data(data["images"], data.get("patches"), size)
    if isinstance(data, tuple) and len(data) == 2:
        return study_data(data[0], data[1], size)
    raise TypeError(f"data must be StudyData, (images, patches) or {{'images', 'patches'}}; got {type(data).__name__}")


def init_output_bias(model: nn.Module, value: float) -> int:
    """Set the bias of every single-output ``nn.Linear`` of ``model`` (its score heads) to ``value``.

    The Feedback model has two (Head0 for picture and patch scores, Head1 for the picture).

    Returns
    -------
    int
        How many layers were set.

    Raises
    ------
    ValueError
        If the model has no single-output linear layer with a bias.
    """
    import torch

    heads = [
        m for m in model.modules() if isinstance(m, torch.nn.Linear) and m.out_features == 1 and m.bias is not None
    ]
    if not heads:
        raise ValueError(f"{type(model).__name__} has no nn.Linear with one output and a bias")
    with torch.no_grad():
        for layer in heads:
            layer.bias.fill_(value)
    return len(heads)


def train_models(
    data: StudyData | tuple[pd.DataFrame, pd.DataFrame] | Mapping[str, pd.DataFrame],
    models: Sequence[str] = DEFAULT_MODELS,
    *,
    backbone: str = "resnet18",
    nima_backbone: str = "mobilenet_v2",
    pretrained: bool | Literal["auto"] = "auto",
    canvas: int | Sequence[int] | None = None,
    config: TrainConfig | None = None,
    checkpoint_root: str | os.PathLike[str] | None = None,
    resume: bool = True,
    device: str = "auto",
    seed: int | None = None,
    cnniqa_patches: int = 32,
    factories: Mapping[str, Callable[[], nn.Module]] | None = None,
    init_bias_to_mean: bool = True,
    memory_cache: bool | Literal["auto"] = "auto",
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    callbacks: Sequence[Callable[[Any], None]] = (),
) -> dict[str, TrainResult]:
    """Train the models of section 4 on the training pictures, validating on ``val`` each epoch.

    Parameters
    ----------
    data
        :class:`StudyData`, or ``(images, patches)`` tables (assembled by :func:`study_data`
        with ``canvas``).
    models
        Names from :data:`MODEL_NAMES`, trained in this order.
    backbone, nima_backbone, pretrained
        See :func:`build_model`.
    canvas
        ``(height, width)`` or one int when ``data`` is tables (default 640); must match the
        study data's canvas otherwise.
    config
        :class:`~saliqa.train.TrainConfig` (default :func:`study_config`, the paper's settings).
        ``mean`` / ``std`` are set to None (the models normalise inside); ``seed`` is replaced by
        ``seed`` when given.
    checkpoint_root
        One sub-folder per model (``<root>/<name>/last.pt``, ``best.pt``, ``history.csv``).
    resume
        Continue each model from its ``last.pt`` (a model already trained to the last epoch is
        loaded, not trained again).
    device
        ``"auto"`` (CUDA, else CPU), ``"cpu"``, ``"cuda"``.
    seed
        Seed of the training loop and of each model's random init (which depends on the seed and
        the model's name only); None: ``config.seed``.
    cnniqa_patches
        Random 32x32 patches per picture per epoch for CNNIQA (:class:`CnniqaPatchDataset`).
    init_bias_to_mean
        Start the bias of each model's output layer at the training pictures' mean MOS (the
        score scale is 0-100; PyTorch's default init starts the output near 0, so short runs
        spend their first epochs learning the offset). The paper is silent; this only moves the
        starting point.
    factories
        Optional ``name -> () -> nn.Module`` replacing :func:`build_model` for those names (e.g.
        a smaller backbone); the model must take the inputs of its name's kind.
    memory_cache, cache_dir
        Picture cache of the shared training / validation datasets (:class:`PictureDataset`).
    progress
        tqdm bars and a line per epoch.
    callbacks
        Passed to :func:`saliqa.train.fit` for every model (e.g. early stopping).

    Returns
    -------
    dict
        ``name -> TrainResult`` (history, the trained model with its last epoch's weights, best
        epoch / validation SRCC, checkpoint paths).

    Raises
    ------
    ValueError
        An unknown model name, an empty training set, fewer than 3 validation pictures.
    """
    import torch

    study = _as_study_data(data, canvas)
    names = list(models)
    for name in names:
        check_choice(name, "model name", MODEL_NAMES)
    cfg = config if config is not None else study_config()
    if not isinstance(cfg, TrainConfig):
        raise TypeError(f"config must be a saliqa.train.TrainConfig, got {type(cfg).__name__}")
    cfg = dataclasses.replace(cfg, mean=None, std=None, **({} if seed is None else {"seed": seed}))
    check_int(cnniqa_patches, "cnniqa_patches", low=1)
    train_set = picture_dataset(study, "train", memory_cache=memory_cache, cache_dir=cache_dir)
    val_set = picture_dataset(study, "val", memory_cache=memory_cache, cache_dir=cache_dir)
    n_patches = len(study.fractions)
    results: dict[str, TrainResult] = {}
    for name in names:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(_name_seed(cfg.seed, name))
            if factories is not None and name in factories:
                model = factories[name]()
            else:
                model = build_model(
                    name, backbone=backbone, nima_backbone=nima_backbone, pretrained=pretrained, n_patches=n_patches
                )
        if init_bias_to_mean:
            init_output_bias(
                model, float(np.nanmean(study.images["mos"].to_numpy(dtype=float)[study.indices("train")]))
            )
        kind = MODEL_KINDS[name]
        kwargs: dict[str, Any] = {}
        if kind == "roi":
            kwargs = {"forward_fn": roi_forward, "loss_fn": roi_loss, "score_fn": roi_picture_score}
            tr, va = train_set, val_set
        elif kind == "cnniqa":
            kwargs = {"forward_fn": cnniqa_forward, "loss_fn": cnniqa_loss, "score_fn": cnniqa_picture_score}
            tr = CnniqaPatchDataset(train_set, cnniqa_patches, train=True)
            va = CnniqaPatchDataset(val_set, cnniqa_patches, train=False)
        else:
            tr, va = train_set, val_set
        if name in _HEADS:
            groups = body_head_groups(model, _HEADS[name], cfg.lr_body, cfg.lr_head)
        else:  # CNNIQA: trained from scratch, no pretrained body
            groups = [{"name": "all", "params": [p for p in model.parameters() if p.requires_grad], "lr": cfg.lr_head}]
        folder = Path(checkpoint_root) / name if checkpoint_root is not None else None
        if progress:
            logger.info("training %s (%s) on %d pictures", name, type(model).__name__, len(tr))
        results[name] = fit(
            model,
            tr,
            va,
            config=cfg,
            param_groups=groups,
            checkpoint_dir=folder,
            resume=resume,
            device=device,
            progress=progress,
            callbacks=callbacks,
            **kwargs,
        )
    return results


# --------------------------------------------------------------------------------------------
# views: what each model scores
# --------------------------------------------------------------------------------------------


def evaluation_views(
    data: StudyData,
    splits: Sequence[str] = ("val", "test"),
    *,
    units: Sequence[str] = ("picture", "patch"),
) -> pd.DataFrame:
    """The pictures of ``splits`` and their patches, one row per view (columns :data:`VIEW_COLUMNS`).

    A patch view's crop box is the patch's box in picture pixels; a picture view's is
    ``(0, 0, width, height)``. Patches without MOS are kept (scored, left out of the tables).
    """
    for s in splits:
        check_choice(s, "split", _SPLITS)
    for u in units:
        check_choice(u, "unit", ("picture", "patch"))
    im = data.images
    idx = np.flatnonzero(im["split"].isin(list(splits)).to_numpy())
    parts = []
    if "picture" in units:
        sel = im.iloc[idx]
        parts.append(
            pd.DataFrame(
                {
                    "pos": idx,
                    "slot": -1,
                    "image_id": sel["image_id"].to_numpy(),
                    "patch_id": None,
                    "unit": "picture",
                    "patch_index": 0,
                    "fraction": 1.0,
                    "left": 0.0,
                    "top": 0.0,
                    "right": sel["width"].to_numpy(float),
                    "bottom": sel["height"].to_numpy(float),
                    "mos": sel["mos"].to_numpy(),
                }
            )
        )
    if "patch" in units:
        pos, slot = np.nonzero(~np.isnan(data.boxes[idx, :, 0]))
        pos = idx[pos]
        b = data.boxes[pos, slot]
        parts.append(
            pd.DataFrame(
                {
                    "pos": pos,
                    "slot": slot,
                    "image_id": im["image_id"].to_numpy()[pos],
                    "patch_id": data.patch_ids[pos, slot],
                    "unit": "patch",
                    "patch_index": slot + 1,
                    "fraction": np.asarray(data.fractions)[slot],
                    "left": b[:, 0],
                    "top": b[:, 1],
                    "right": b[:, 2],
                    "bottom": b[:, 3],
                    "mos": data.patch_mos[pos, slot],
                }
            )
        )
    if not parts:
        raise ValueError("units is empty")
    views = pd.concat(parts, ignore_index=True).sort_values(["pos", "slot"], kind="stable")
    views["split"] = im["split"].to_numpy()[views["pos"].to_numpy()]
    views["path"] = im["path"].to_numpy()[views["pos"].to_numpy()]
    views["width"] = im["width"].to_numpy()[views["pos"].to_numpy()]
    views["height"] = im["height"].to_numpy()[views["pos"].to_numpy()]
    views = views.reset_index(drop=True)
    views["view"] = np.arange(len(views))
    return views[list(VIEW_COLUMNS)]


def picture_views(
    images: pd.DataFrame, split: str = "test", *, root: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """Views of every picture of a canonical images table (e.g. KonIQ-10k, CLIVE for Table 4).

    ``split`` fills the views' ``split`` column (the database's name for Table 4).

    Raises
    ------
    ValueError
        Missing columns, no pictures, or pictures without a path (their count and the first).
    """
    require_columns(images, ["image_id", "path", "width", "height", "mos"], "images")
    if len(images) == 0:
        raise ValueError("images: the table is empty")
    missing = images["path"].isna().to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"images: {int(missing.sum())} of {len(images)} pictures have no file (first row {row}, "
            f"{images['image_id'].iloc[row]!r}); Table 4 needs the images present under data_dir"
        )
    base = Path(root) if root is not None else None
    paths = [str(base / p) if base is not None and not Path(str(p)).is_absolute() else str(p) for p in images["path"]]
    n = len(images)
    return pd.DataFrame(
        {
            "view": np.arange(n),
            "image_id": images["image_id"].astype(str).to_numpy(),
            "patch_id": None,
            "split": split,
            "unit": "picture",
            "patch_index": 0,
            "fraction": 1.0,
            "left": 0.0,
            "top": 0.0,
            "right": images["width"].to_numpy(float),
            "bottom": images["height"].to_numpy(float),
            "mos": images["mos"].to_numpy(float),
            "path": paths,
            "width": images["width"].to_numpy(np.int64),
            "height": images["height"].to_numpy(np.int64),
        }
    )[list(VIEW_COLUMNS)]


def _read_checked(path: str, width: int, height: int) -> NDArray[np.uint8]:
    image = read_image(path)
    if image.shape[:2] != (height, width):
        raise ValueError(
            f"{path}: the image is {image.shape[1]}x{image.shape[0]} (width x height) but its table row says "
            f"{width}x{height}; patch boxes are in the table's pixels"
        )
    return image


def _crop(image: NDArray[np.uint8], box: Sequence[float]) -> NDArray[np.uint8]:
    left, top, right, bottom = (int(round(v)) for v in box)
    return image[top:bottom, left:right]


def view_images(views: pd.DataFrame) -> Iterator[NDArray[np.uint8]]:
    """The pixels of each view in order: the picture, or the patch cropped from it (``img[top:bottom, left:right]``).

    uint8 ``(h, w, 3)``; each picture is decoded once for all its consecutive views.
    """
    require_columns(views, ["path", "width", "height", "left", "top", "right", "bottom"], "views")
    last, image = None, None
    for row in views.itertuples(index=False):
        if row.path != last:
            image, last = _read_checked(row.path, int(row.width), int(row.height)), row.path
        assert image is not None
        yield _crop(image, (row.left, row.top, row.right, row.bottom))


def score_views(views: pd.DataFrame, fn: Callable[[NDArray[np.uint8]], float]) -> NDArray[np.float64]:
    """``fn(pixels)`` of every view (e.g. a NIQE or BRISQUE scorer on the picture or patch crop)."""
    return np.asarray([float(fn(img)) for img in view_images(views)], dtype=np.float64)


def external_predictions(
    views: pd.DataFrame, name: str, scores: ArrayLike, *, lower_is_better: bool = False
) -> pd.DataFrame:
    """Rows of an externally computed predictor (NIQE, BRISQUE, ...) in :func:`predict_study`'s layout.

    Parameters
    ----------
    views
        The views the scores belong to (:func:`evaluation_views`, :func:`picture_views`).
    name
        The predictor's name (``"niqe"`` and ``"brisque"`` get the paper's row labels and order).
    scores
        One score per view, in order.
    lower_is_better
        The scores fall as quality rises (NIQE, BRISQUE): they are negated, so the tables report
        positive SRCC / LCC for a good predictor, as the paper does.

    Raises
    ------
    ValueError
        If the number of scores differs from the number of views.
    """
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if s.size != len(views):
        raise ValueError(f"{s.size} scores for {len(views)} views")
    out = views.copy()
    out.insert(0, "model", str(name))
    out["pred"] = -s if lower_is_better else s
    out["input"] = "external"
    return out


# --------------------------------------------------------------------------------------------
# batched prediction
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    path: str
    size: tuple[int, int]  # picture (width, height)
    crop: tuple[float, float, float, float]
    rois: NDArray[np.float64] | None  # (R, 4) in crop pixels
    mode: str  # canvas | native | shrink
    shape: tuple[int, int]  # input (H, W)


class _JobDataset:
    """Decodes and places each job's input; items ``image`` (3, H, W) uint8, ``rois``, ``job``."""

    def __init__(self, jobs: Sequence[_Job], canvas: tuple[int, int], fill: int = 255) -> None:
        self.jobs = list(jobs)
        self.canvas = canvas
        self.fill = fill

    def __len__(self) -> int:
        return len(self.jobs)

    def __getitem__(self, j: int) -> dict[str, Any]:
        import torch

        job = self.jobs[j]
        crop = _crop(_read_checked(job.path, *job.size), job.crop)
        rois = job.rois if job.rois is not None else np.zeros((0, 4))
        if job.mode == "native":
            image = np.ascontiguousarray(crop)
        else:
            fit = "pad" if job.mode == "canvas" else "shrink_pad"
            spec = CanvasSpec(job.shape[0], job.shape[1], fit=fit, fill=self.fill)  # type: ignore[arg-type]
            image, placement = place_on_canvas(np.ascontiguousarray(crop), spec, name=job.path)
            rois = placement.map_boxes(rois) if len(rois) else rois
        return {
            "image": torch.from_numpy(image).permute(2, 0, 1),
            "rois": torch.from_numpy(np.asarray(rois, dtype=np.float32)),
            "job": torch.tensor(j),
        }


def _input_shape(w: int, h: int, kind: Kind, canvas: tuple[int, int], large: LargeMode) -> tuple[str, tuple[int, int]]:
    if kind == "cnniqa":  # its own input: the crop itself; white-padded to one patch when smaller
        if h < _PATCH or w < _PATCH:
            return "canvas", (max(h, _PATCH), max(w, _PATCH))
        return "native", (h, w)
    if h <= canvas[0] and w <= canvas[1]:
        return "canvas", canvas
    if large == "native":
        return "native", (h, w)
    if large == "shrink":
        return "shrink", canvas
    return "skip", (0, 0)


def _model_kind(name: str, model: Any, kinds: Mapping[str, str] | None) -> Kind:
    if kinds is not None and name in kinds:
        return check_choice(kinds[name], f"kinds[{name!r}]", ("picture", "roi", "cnniqa"))
    if name in MODEL_KINDS:
        return MODEL_KINDS[name]
    if name in ("picture", "roi", "cnniqa"):
        return name  # type: ignore[return-value]
    raise ValueError(
        f"model {name!r}: unknown kind; name it one of {MODEL_NAMES} or pass "
        f"kinds={{{name!r}: 'picture' | 'roi' | 'cnniqa'}}"
    )


def predict_views(
    model: nn.Module,
    kind: str,
    views: pd.DataFrame,
    *,
    canvas: int | Sequence[int] = DEFAULT_CANVAS,
    large: LargeMode = "native",
    patch_boxes: Mapping[str, ArrayLike] | None = None,
    n_patches: int | None = None,
    batch_size: int = 16,
    device: str = "auto",
    amp: bool | None = None,
    num_workers: int | None = None,
    progress: bool = False,
) -> tuple[NDArray[np.float64], NDArray[np.object_]]:
    """Scores of ``model`` on every view, batched (see the module docstring for the protocol).

    Parameters
    ----------
    model
        A trained model.
    kind
        ``picture`` (Baseline, NIMA: one input per view, a patch cropped and padded to the
        canvas), ``roi`` (RoIPool, Feedback: one input per picture, its views as RoIs on it;
        the output's column 0 is the picture, 1.. the patch slots) or ``cnniqa`` (the crop
        itself, the mean over all its 32x32 patches), or a name of :data:`MODEL_KINDS`.
    views
        Views table (:func:`evaluation_views`, :func:`picture_views`).
    canvas
        The training canvas ``(height, width)``.
    large
        Inputs larger than the canvas: ``native`` (own size, unpadded; the paper's test set),
        ``shrink`` (downscaled to fit, aspect kept, padded), ``skip`` (NaN, input ``skipped``).
    patch_boxes
        RoI models: ``image_id -> (P, 4)`` patch boxes (picture pixels) for patch slots without a
        patch view (e.g. the Feedback model on a database without patches); otherwise such a
        slot holds the picture box.
    n_patches
        Patch slots of a RoI model's input (default: a Feedback model's ``n_rois - 1``, else the
        largest ``patch_index`` of the views, at least 3).
    batch_size
        Inputs per forward pass (equal-size inputs are batched together).
    device, amp
        Where to run; bf16 autocast (None: on CUDA; CNNIQA always float32).
    num_workers
        DataLoader workers decoding pictures (None: 0 on CPU, up to 8 on CUDA).
    progress
        A tqdm bar over the batches.

    Returns
    -------
    pred : numpy.ndarray
        One score per view (NaN where skipped).
    input : numpy.ndarray
        How each view was fed: ``canvas``, ``native``, ``shrink`` or ``skipped``.
    """
    import torch
    from torch.utils.data import DataLoader
    from tqdm.std import tqdm

    from saliqa.runs import resolve_device

    k = _model_kind(kind, model, None)
    require_columns(views, ["image_id", "unit", "patch_index", "left", "top", "right", "bottom", "path"], "views")
    size = _canvas_pair(canvas)
    check_choice(large, "large", ("native", "shrink", "skip"))
    check_int(batch_size, "batch_size", low=1)
    n = len(views)
    pred = np.full(n, np.nan)
    fed = np.full(n, "skipped", dtype=object)
    if n == 0:
        return pred, fed
    v = views.reset_index(drop=True)
    crops = v[["left", "top", "right", "bottom"]].to_numpy(dtype=np.float64)
    jobs: list[_Job] = []
    targets: list[list[tuple[int, int]]] = []  # per job: (view row, output column)
    if k == "roi":
        p = n_patches if n_patches is not None else getattr(model, "n_rois", 0) - 1
        if p < 1:
            p = max(int(v["patch_index"].max()), len(PATCH_FRACTIONS))
        for image_id, rows in v.groupby("image_id", sort=False).indices.items():
            first = v.iloc[rows[0]]
            w, h = int(first["width"]), int(first["height"])
            picture = np.array([0.0, 0.0, w, h])
            boxes = np.tile(picture, (1 + p, 1))
            if patch_boxes is not None and image_id in patch_boxes:
                extra = np.asarray(patch_boxes[image_id], dtype=np.float64).reshape(-1, 4)
                boxes[1 : 1 + min(p, len(extra))] = extra[:p]
            cols = []
            for r in rows:
                slot = int(v.at[r, "patch_index"])
                if slot > p:
                    raise ValueError(f"views: row {r} has patch_index {slot}, beyond the model's {p} patch slots")
                if slot:
                    boxes[slot] = crops[r]
                cols.append((int(r), slot))
            mode, shape = _input_shape(w, h, k, size, large)
            if mode == "skip":
                continue
            jobs.append(_Job(str(first["path"]), (w, h), (0.0, 0.0, float(w), float(h)), boxes, mode, shape))
            targets.append(cols)
    else:
        for r in range(n):
            cw = int(round(crops[r, 2] - crops[r, 0]))
            ch = int(round(crops[r, 3] - crops[r, 1]))
            mode, shape = _input_shape(cw, ch, k, size, large)
            if mode == "skip":
                continue
            size_wh = (int(v.at[r, "width"]), int(v.at[r, "height"]))
            jobs.append(_Job(str(v.at[r, "path"]), size_wh, tuple(crops[r]), None, mode, shape))  # type: ignore[arg-type]
            targets.append([(r, 0)])

    # batches of equal-size inputs, in order of first appearance
    by_shape: dict[tuple[int, int], list[int]] = {}
    for j, job in enumerate(jobs):
        by_shape.setdefault(job.shape, []).append(j)
    batches = [idx[i : i + batch_size] for idx in by_shape.values() for i in range(0, len(idx), batch_size)]
    dev = torch.device(resolve_device(device))
    use_amp = (dev.type == "cuda") if amp is None else bool(amp)
    if k == "cnniqa":
        use_amp = False
    workers = (
        num_workers if num_workers is not None else (0 if dev.type != "cuda" else min(8, (os.cpu_count() or 2) - 1))
    )
    dataset = _JobDataset(jobs, size)
    loader = DataLoader(dataset, batch_sampler=batches, num_workers=workers, pin_memory=dev.type == "cuda")
    was_training = model.training
    model.to(dev).eval()
    channels_last = dev.type == "cuda"
    if channels_last:
        model.to(memory_format=torch.channels_last)
    try:
        with (
            torch.inference_mode(),
            torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=use_amp),
        ):
            for batch in tqdm(loader, desc="predict", disable=not (progress and progress_bars()), leave=False):
                x = batch["image"].to(dev, non_blocking=True).float().div_(255.0)
                if channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                if k == "roi":
                    out = model(x, batch["rois"].to(dev))
                elif k == "cnniqa":
                    out = model.predict_pictures(x)[:, None]
                else:
                    out = model(x).reshape(-1, 1)
                out = out.float().cpu().numpy()
                for row, j in enumerate(batch["job"].tolist()):
                    for view_row, col in targets[j]:
                        pred[view_row] = out[row, col]
                        fed[view_row] = jobs[j].mode
    finally:
        model.train(was_training)
    return pred, fed


def predict_study(
    models: Mapping[str, Any],
    views: pd.DataFrame,
    *,
    canvas: int | Sequence[int] = DEFAULT_CANVAS,
    kinds: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Predictions of several models on the same views, stacked (one row per model and view).

    Parameters
    ----------
    models
        ``name -> TrainResult`` (from :func:`train_models`; its ``model`` is used) or ``name ->
        nn.Module``; the name decides how views are scored (:data:`MODEL_KINDS`, or ``kinds``).
    views
        :func:`evaluation_views` / :func:`picture_views`.
    canvas
        The training canvas (``StudyData.canvas``).
    kinds
        Kinds of models whose names are not in :data:`MODEL_KINDS`.
    **kwargs
        Passed to :func:`predict_views` (``large``, ``batch_size``, ``device``, ...).

    Returns
    -------
    pandas.DataFrame
        ``model``, the view columns, ``pred`` and ``input`` (how the view was fed).
    """
    parts = []
    for name, obj in models.items():
        model = obj.model if isinstance(obj, TrainResult) else obj
        kind = _model_kind(name, model, kinds)
        pred, fed = predict_views(model, kind, views, canvas=canvas, **kwargs)
        out = views.copy()
        out.insert(0, "model", name)
        out["pred"] = pred
        out["input"] = fed
        parts.append(out)
    if not parts:
        raise ValueError("models is empty")
    return pd.concat(parts, ignore_index=True)


def cross_database_predictions(
    models: Mapping[str, Any],
    images: pd.DataFrame,
    database: str,
    *,
    canvas: int | Sequence[int] = DEFAULT_CANVAS,
    large: LargeMode = "native",
    patches: pd.DataFrame | None = None,
    seed: int = 0,
    root: str | os.PathLike[str] | None = None,
    kinds: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Table 4 (section 4.5): trained models on another database's pictures, without fine-tuning.

    Parameters
    ----------
    models
        As :func:`predict_study`.
    images
        The database's canonical images table (``path`` present for every row: KonIQ-10k with its
        ``1024x768/`` or ``512x384/`` folder, CLIVE with ``Images/``).
    database
        Its name in Table 4 (``"CLIVE"``, ``"KonIQ"``): the predictions' ``split``.
    canvas
        The training canvas.
    large
        Pictures larger than the canvas (KonIQ's 1024x768 at a 640 canvas): ``native`` (default,
        fed at their own size as the paper's own test pictures), ``shrink`` (downscaled to fit,
        padded), or ``skip`` (NaN, counted in ``attrs["skipped"]``).
    patches
        Optional patch boxes (``patches`` table) for the RoI models; without, the Feedback model
        gets three section 3.2 patches per picture drawn with ``seed``
        (:func:`saliqa.patches.sample_patch_boxes`).
    seed
        Seed of those patches.
    root
        Folder relative paths are relative to.
    kinds
        As :func:`predict_study`.
    **kwargs
        Passed to :func:`predict_views`.

    Returns
    -------
    pandas.DataFrame
        As :func:`predict_study` (pictures only); ``attrs``: ``database``, ``large``, ``skipped``.
    """
    from saliqa.patches import sample_patch_boxes

    views = picture_views(images, database, root=root)
    boxes: dict[str, NDArray[np.float64]] | None = None
    if any(_model_kind(name, None, kinds) == "roi" for name in models):
        if patches is not None:
            data = study_data(images.assign(path=views["path"].to_numpy(), split="test"), patches, canvas)
            boxes = {i: data.boxes[k] for k, i in enumerate(data.images["image_id"])}
        else:
            sizes = views[["width", "height"]].to_numpy(dtype=float)
            sampled = sample_patch_boxes(sizes, seed=seed)
            boxes = {i: sampled[k].astype(np.float64) for k, i in enumerate(views["image_id"])}
    out = predict_study(models, views, canvas=canvas, kinds=kinds, large=large, patch_boxes=boxes, **kwargs)
    out.attrs.update(database=database, large=large, skipped=int((out["input"] == "skipped").sum()))
    return out


# --------------------------------------------------------------------------------------------
# Tables 2-4
# --------------------------------------------------------------------------------------------


def _corr(pred: NDArray[np.float64], mos: NDArray[np.float64], fit: Any) -> tuple[float, float, int]:
    from saliqa.metrics.correlation import plcc, srcc

    ok = np.isfinite(pred) & np.isfinite(mos)
    p, m = pred[ok], mos[ok]
    try:
        return srcc(p, m), plcc(p, m, fit=fit), int(ok.sum())
    except ValueError:  # fewer than 3 pairs, or constant predictions: undefined
        return math.nan, math.nan, int(ok.sum())


def correlations(
    predictions: pd.DataFrame,
    by: Sequence[str] = ("model", "split", "unit", "fraction"),
    *,
    fit: Any = None,
) -> pd.DataFrame:
    """SRCC, LCC and the number of scored views per group (views with a MOS and a prediction).

    Parameters
    ----------
    predictions
        :func:`predict_study` / :func:`external_predictions` rows (``pred``, ``mos`` and ``by``).
    by
        Grouping columns.
    fit
        Passed to :func:`saliqa.metrics.correlation.plcc` (None: plain Pearson, the paper's LCC).

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``srcc``, ``lcc``, ``n`` (NaN correlations where fewer than 3 views or
        the predictions are constant).
    """
    require_columns(predictions, [*by, "pred", "mos"], "predictions")
    rows = []
    for key, g in predictions.groupby(list(by), sort=False, dropna=False):
        s, lcc, n = _corr(g["pred"].to_numpy(float), g["mos"].to_numpy(float), fit)
        rows.append({**dict(zip(by, key if isinstance(key, tuple) else (key,))), "srcc": s, "lcc": lcc, "n": n})
    return pd.DataFrame(rows, columns=[*by, "srcc", "lcc", "n"])


def _row_order(names: Sequence[str]) -> list[str]:
    known = [m for m in MODEL_LABELS if m in names]
    return known + [m for m in names if m not in MODEL_LABELS]


def _layout(
    summary: pd.DataFrame, column_keys: list[tuple[Any, ...]], column_labels: list[tuple[str, ...]]
) -> pd.DataFrame:
    """Rows = models (paper order), columns = ``column_labels`` x (SRCC, LCC); ``attrs['n']`` counts."""
    names = _row_order(list(dict.fromkeys(summary["model"])))
    key_cols = [c for c in summary.columns if c not in ("model", "srcc", "lcc", "n")]
    indexed = summary.set_index(["model", *key_cols])
    cols = pd.MultiIndex.from_tuples([(*lab, m) for lab in column_labels for m in ("SRCC", "LCC")])
    values = np.full((len(names), len(cols)), np.nan)
    counts = np.zeros((len(names), len(column_keys)), dtype=np.int64)
    for i, name in enumerate(names):
        for j, key in enumerate(column_keys):
            k = (name, *key)
            if k in indexed.index:
                row = indexed.loc[k]
                values[i, 2 * j], values[i, 2 * j + 1], counts[i, j] = row["srcc"], row["lcc"], row["n"]
    table = pd.DataFrame(values, index=pd.Index([MODEL_LABELS.get(n, n) for n in names], name="Model"), columns=cols)
    n_cols = (
        pd.Index([lab[0] for lab in column_labels])
        if all(len(lab) == 1 for lab in column_labels)
        else pd.MultiIndex.from_tuples([tuple(lab) for lab in column_labels])
    )
    table.attrs["n"] = pd.DataFrame(counts, index=table.index, columns=n_cols)
    table.attrs["models"] = names
    return table


def table2_pictures(
    predictions: pd.DataFrame, splits: Sequence[str] = ("val", "test"), *, fit: Any = None
) -> pd.DataFrame:
    """Table 2 (and supplementary Table 5): picture SRCC / LCC per model on each split.

    Returns
    -------
    pandas.DataFrame
        Rows: models (labels of :data:`MODEL_LABELS`, the paper's order, other predictors after);
        columns ``(split, metric)``: ``("Validation", "SRCC"), ("Validation", "LCC"), ("Test",
        "SRCC"), ("Test", "LCC")``. ``attrs["n"]``: pictures scored per cell group.
    """
    pics = predictions[predictions["unit"] == "picture"]
    summary = correlations(pics, ("model", "split"), fit=fit)
    return _layout(summary, [(s,) for s in splits], [(SPLIT_LABELS.get(s, s),) for s in splits])


def table3_patches(
    predictions: pd.DataFrame,
    splits: Sequence[str] = ("val", "test"),
    fractions: Sequence[float] = PATCH_FRACTIONS,
    *,
    fit: Any = None,
) -> pd.DataFrame:
    """Table 3 (and supplementary Table 6): patch SRCC / LCC per model, patch size and split.

    Columns ``(size, split, metric)`` with sizes ``"(a) 40%"``, ``"(b) 30%"``, ``"(c) 20%"``:
    12 columns, as the paper. Rows as :func:`table2_pictures`.
    """
    patches = predictions[predictions["unit"] == "patch"].copy()
    patches["fraction"] = patches["fraction"].astype(float).round(6)
    summary = correlations(patches, ("model", "fraction", "split"), fit=fit)
    keys, labels = [], []
    for i, f in enumerate(fractions):
        size = f"({chr(ord('a') + i)}) {round(100 * f):d}%"
        for s in splits:
            keys.append((round(float(f), 6), s))
            labels.append((size, SPLIT_LABELS.get(s, s)))
    return _layout(summary, keys, labels)


def table4_cross_database(
    predictions: pd.DataFrame, databases: Sequence[str] | None = None, *, fit: Any = None
) -> pd.DataFrame:
    """Table 4 (and supplementary Table 7): SRCC / LCC on other databases without fine-tuning.

    ``predictions``: :func:`cross_database_predictions` of each database, concatenated (their
    ``split`` is the database name). Columns ``(database, metric)`` in ``databases`` order
    (default: as they appear; the paper: CLIVE, KonIQ).
    """
    pics = predictions[predictions["unit"] == "picture"]
    names = list(dict.fromkeys(pics["split"])) if databases is None else list(databases)
    summary = correlations(pics, ("model", "split"), fit=fit)
    return _layout(summary, [(d,) for d in names], [(d,) for d in names])


# --------------------------------------------------------------------------------------------
# Figs. 10 and 11
# --------------------------------------------------------------------------------------------


def failure_cases(
    predictions: pd.DataFrame,
    model: str = "feedback",
    *,
    split: str | None = "test",
    unit: str = "picture",
    n: int = 4,
) -> pd.DataFrame:
    """Fig. 11: the views where ``model``'s prediction is farthest from the MOS.

    Parameters
    ----------
    predictions
        :func:`predict_study` rows.
    model
        Which model (the paper shows the Feedback model's).
    split
        Restrict to a split (None: all).
    unit
        ``picture`` or ``patch``.
    n
        How many, largest ``|pred - mos|`` first.

    Returns
    -------
    pandas.DataFrame
        The view columns plus ``pred``, ``error`` (``pred - mos``), ``abs_error`` and
        ``direction`` (``overrated`` when the model scored higher than the raters, as Fig. 11(a),
        else ``underrated``, as Fig. 11(b)).

    Raises
    ------
    ValueError
        If no view of that model / split / unit has both a prediction and a MOS.
    """
    check_int(n, "n", low=1)
    sel = (predictions["model"] == model) & (predictions["unit"] == unit)
    if split is not None:
        sel &= predictions["split"] == split
    rows = predictions[sel & np.isfinite(predictions["pred"]) & np.isfinite(predictions["mos"])].copy()
    if rows.empty:
        raise ValueError(f"no {unit} predictions of model {model!r} on split {split!r} with a MOS")
    rows["error"] = rows["pred"] - rows["mos"]
    rows["abs_error"] = rows["error"].abs()
    rows["direction"] = np.where(rows["error"] > 0, "overrated", "underrated")
    return rows.sort_values("abs_error", ascending=False, kind="stable").head(n).reset_index(drop=True)


@dataclass(frozen=True)
class QualityMap:
    """One picture's quality map (section 4.3, Fig. 10)."""

    image_id: str
    mos: float
    score: float
    """The model's score of the whole-picture RoI."""
    picture: NDArray[np.uint8]
    """The original picture ``(H, W, 3)``."""
    blocks: NDArray[np.float64]
    """Block scores ``(rows, cols)``."""
    blend: NDArray[np.float32]
    """The magma map alpha-blended over the picture, ``(H, W, 3)`` on [0, 1]."""


def _spread(values: NDArray[np.float64], n: int) -> NDArray[np.int64]:
    """Positions of ``n`` values spread over their range (quantiles), no repeats."""
    order = np.argsort(values, kind="stable")
    picks = np.unique(np.round(np.linspace(0, len(order) - 1, min(n, len(order)))).astype(np.int64))
    return order[picks]


def quality_maps(
    model: Any,
    data: StudyData | pd.DataFrame,
    image_ids: Sequence[str] | None = None,
    *,
    split: str = "test",
    n: int = 4,
    grid: int | Sequence[int] = (32, 32),
    canvas: int | Sequence[int] | None = None,
    alpha: float = 0.8,
    value_range: tuple[float, float] = (0.0, 100.0),
    device: str = "cpu",
) -> list[QualityMap]:
    """Fig. 10: block quality maps of a few pictures from the RoIPool model (section 4.3).

    Each picture goes through the backbone once (on the canvas when it fits, else at its own
    size) and every block of a ``grid`` (32x32 in the paper: blocks per side, aspect kept) is a
    RoI of one batched head call (:func:`saliqa.quality_maps.predict_block_scores`); the block
    scores are bilinearly interpolated and coloured with magma, blended at ``alpha``
    (:func:`saliqa.quality_maps.blend_quality_map`).

    Parameters
    ----------
    model
        A trained :class:`~saliqa.models.paq2piq.RoIPoolModel` (or Feedback model: Head0), or its
        :class:`~saliqa.train.TrainResult`.
    data
        :class:`StudyData`, or a views / images table with ``image_id``, ``path``, ``width``,
        ``height``, ``mos`` (then ``canvas`` is required).
    image_ids
        Pictures to map; default ``n`` pictures of ``split`` spread over the MOS range.
    split, n
        Used when ``image_ids`` is None.
    grid, alpha, value_range
        Blocks per side, blend weight, MOS range mapped to the colour map's ends.
    canvas
        The training canvas (default: the study data's).
    device
        Where to run.

    Returns
    -------
    list of QualityMap
    """
    import torch

    from saliqa.quality_maps import blend_quality_map, predict_block_scores
    from saliqa.runs import resolve_device

    net = model.model if isinstance(model, TrainResult) else model
    if isinstance(data, StudyData):
        table = data.images
        size = data.canvas if canvas is None else _canvas_pair(canvas)
    else:
        table = require_columns(data, ["image_id", "path", "width", "height", "mos"], "data")
        if "unit" in table.columns:
            table = table[table["unit"] == "picture"]
        if canvas is None:
            raise ValueError("canvas is required when data is a table")
        size = _canvas_pair(canvas)
    if image_ids is None:
        pool = table[table["split"] == split] if "split" in table.columns else table
        if pool.empty:
            raise ValueError(f"no picture in split {split!r}")
        chosen = pool.iloc[_spread(pool["mos"].to_numpy(float), n)]
    else:
        pos = pd.Index(table["image_id"].astype(str)).get_indexer([str(i) for i in image_ids])
        if (pos < 0).any():
            raise ValueError(f"image_ids not in the table: {[i for i, p in zip(image_ids, pos) if p < 0]}")
        chosen = table.iloc[pos]
    dev = torch.device(resolve_device(device))
    was_training = net.training
    net.to(dev).eval()
    maps = []
    try:
        for row in chosen.itertuples(index=False):
            w, h = int(row.width), int(row.height)
            picture = _read_checked(str(row.path), w, h)
            if h <= size[0] and w <= size[1]:
                image, placement = place_on_canvas(picture, CanvasSpec(size[0], size[1], fit="pad", fill=255))
                offsets = torch.tensor([[placement.left, placement.top]])
            else:
                image, offsets = picture, None
            x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float().div(255.0).to(dev)
            res = predict_block_scores(net, x, sizes=[[h, w]], offsets=offsets, grid=grid)
            blocks = res.blocks[0].float().cpu().numpy().astype(np.float64)
            blend = blend_quality_map(picture, blocks, alpha=alpha, value_range=value_range)
            maps.append(QualityMap(str(row.image_id), float(row.mos), float(res.picture[0]), picture, blocks, blend))
    finally:
        net.train(was_training)
    return maps
