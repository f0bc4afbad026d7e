"""Data of notebook 03 (seed 002): IQA pictures with MOS, and eye-fixation sets for the saliency side.

IQA pictures (:func:`iqa_pictures`)
    KonIQ-10k when its images are under ``data_dir`` (``koniq/1024x768/`` or ``512x384/``, read by
    :mod:`saliqa.datasets.koniq`): the paper's database, split 80 / 20 at random (Sec. III-C: "We
    used 80% of the KonIQ-10k dataset for training and the remaining 20% for testing"). Otherwise
    the builtin database of notebook 02 (:func:`saliqa.simulate.paq2piq.simulate_database`: real
    photographs with real regional distortions and *simulated* raters), cut 80 / 20 by content
    (every picture of one photograph crop lands on the same side; with KonIQ each picture is its
    own content, so this is the paper's random split). The same configuration as notebook 02
    reuses its cached files.

    Pictures are stretched to the network's input (``CanvasSpec(fit="resize")``: KonIQ's are all
    4:3, the default input is 192 x 256); MOS are standardised with the training pictures' mean
    and standard deviation for the loss (``mos_z``), and scores are reported on that scale (SROCC /
    PLCC do not care).

Eye fixations (:func:`fixation_set`)
    OSIE (:mod:`saliqa.datasets.osie`: 700 photographs, 15 observers' eye fixations) when
    ``data_dir/osie`` exists: the proxy saliency predictor trains on the images that are not
    held out, and Tables I and II evaluate on the held-out ones (the 100 ``SUBSET_IDS`` by
    default). Without it, the builtin photographs with *simulated* fixations
    (:func:`saliqa.saliency_predictor.simulated_fixation_set`). SALICON and CAT2000 join as extra
    evaluation sets when present (:func:`extra_fixation_sets`).

Proxy saliency (:func:`proxy_targets`)
    The paper trained the dual-task models on KonIQ against MSINet's maps ("Since KonIQ-10k does
    not provide saliency maps, we generated proxy SM using the MSINet model"). Here the proxy is
    :class:`saliqa.models.saliency_net.SaliencyNet` trained on the fixation set's training images
    (:func:`saliqa.saliency_predictor.train_saliency_predictor`), applied to every IQA picture at
    the network input's size; the maps are stored at ``target_size`` and resized to each model's
    output by the loss.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from saliqa.checks import check_int, check_real, check_seed
from saliqa.data_cache import CanvasSpec, PictureDataset

__all__ = [
    "IQAData",
    "FixationSet",
    "iqa_pictures",
    "split_by_content",
    "fixation_set",
    "extra_fixation_sets",
    "iqa_dataset",
]

logger = logging.getLogger(__name__)


@dataclass
class IQAData:
    """IQA pictures with MOS and their train / test split.

    Attributes
    ----------
    images
        Canonical ``images`` table with ``image_id``, ``path``, ``mos``, ``split`` (``train`` /
        ``test``) and ``mos_z`` (MOS standardised with the training mean / std).
    source
        Where the pictures come from, in words (said at the top of the notebook).
    simulated
        True when the MOS come from simulated raters.
    size
        ``(height, width)`` of the network input.
    mos_mean, mos_std
        Training MOS mean and standard deviation (ddof = 1) used for ``mos_z``.
    """

    images: pd.DataFrame
    source: str
    simulated: bool
    size: tuple[int, int]
    mos_mean: float
    mos_std: float

    def split(self, name: str) -> pd.DataFrame:
        """The rows of split ``name`` (``train`` / ``test``), index reset."""
        out = self.images.loc[self.images["split"] == name].reset_index(drop=True)
        if out.empty:
            raise ValueError(f"split {name!r} holds no picture ({self.images['split'].value_counts().to_dict()})")
        return out


def split_by_content(groups: Sequence[Any] | pd.Series, test_fraction: float = 0.2, seed: int = 0) -> NDArray[np.bool_]:
    """Seeded test mask: whole groups (contents) go to ``test`` until it holds ``test_fraction``.

    Parameters
    ----------
    groups
        Group label per item (``content_id``; for KonIQ each picture is its own group).
    test_fraction
        Share of items in the test side (0.2: the paper's 80 / 20).
    seed
        Seed of the group shuffle.

    Returns
    -------
    numpy.ndarray of bool
        True for test items; at least one group on each side when there are two or more.
    """
    check_real(test_fraction, "test_fraction", low=0.0, high=1.0, low_open=True, high_open=True)
    check_seed(seed)
    codes, uniques = pd.factorize(pd.Series(groups).astype(str))
    if len(uniques) < 2:
        raise ValueError(f"need at least 2 contents to split, got {len(uniques)}")
    counts = np.bincount(codes, minlength=len(uniques))
    order = np.random.default_rng(seed).permutation(len(uniques))
    cum = np.cumsum(counts[order])
    n_test = int(np.searchsorted(cum, test_fraction * codes.size, side="left")) + 1
    n_test = min(max(n_test, 1), len(uniques) - 1)
    return np.isin(codes, order[:n_test])


def _standardise(images: pd.DataFrame) -> tuple[pd.DataFrame, float, float]:
    train = images.loc[images["split"] == "train", "mos"].to_numpy(dtype=float)
    if train.size < 2 or float(np.std(train, ddof=1)) == 0.0:
        raise ValueError(f"need at least 2 training pictures with different MOS, got {train.size}")
    mean, std = float(train.mean()), float(np.std(train, ddof=1))
    out = images.copy()
    out["mos_z"] = (out["mos"].to_numpy(dtype=float) - mean) / std
    return out, mean, std


def _koniq_root(data_dir: str | os.PathLike[str] | None) -> Path | None:
    if data_dir is None:
        return None
    root = Path(data_dir) / "koniq"
    if not root.is_dir():
        return None
    return root if any((root / r).is_dir() for r in ("1024x768", "512x384")) else None


def iqa_pictures(
    data_dir: str | os.PathLike[str] | None,
    *,
    size: tuple[int, int] = (192, 256),
    n_pictures: int = 450,
    builtin_canvas: int = 256,
    long_side: tuple[int, int] = (112, 320),
    max_pictures: int | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> IQAData:
    """IQA pictures (KonIQ-10k when its images are present, else builtin) and the 80 / 20 split.

    Parameters
    ----------
    data_dir
        Root holding ``koniq/`` (or None: builtin).
    size
        ``(height, width)`` of the network input.
    n_pictures, builtin_canvas, long_side
        Builtin database settings (:class:`saliqa.simulate.paq2piq.Paq2piqConfig`; notebook 02's
        defaults, so its cache is reused).
    max_pictures
        Use a seeded random subset of at most this many pictures (KonIQ: quick runs).
    test_fraction, seed
        The split (:func:`split_by_content`).

    Returns
    -------
    IQAData
    """
    check_int(n_pictures, "n_pictures", low=8)
    root = _koniq_root(data_dir)
    if root is not None:
        from saliqa.datasets import koniq

        table = koniq.load_images(root)
        source = f"KonIQ-10k ({table.attrs.get('resolution')}, {len(table)} pictures, real MOS) from {root}"
        simulated = False
    else:
        from saliqa.simulate import paq2piq as simulate

        config = simulate.Paq2piqConfig(n_pictures=n_pictures, canvas=builtin_canvas, long_side=tuple(long_side))
        table = simulate.simulate_database(config, seed=seed)["images"]
        source = (
            f"builtin: {len(table)} pictures of real photographs with real regional distortions, "
            "MOS from SIMULATED raters (notebook 02's database)"
        )
        simulated = True
    table = table[["image_id", "path", "width", "height", "content_id", "mos"]].reset_index(drop=True)
    if max_pictures is not None and len(table) > max_pictures:
        keep = np.sort(np.random.default_rng(seed).choice(len(table), size=max_pictures, replace=False))
        table = table.iloc[keep].reset_index(drop=True)
        source += f"; a seeded subset of {max_pictures}"
    test = split_by_content(table["content_id"], test_fraction, seed)
    table["split"] = np.where(test, "test", "train")
    table, mean, std = _standardise(table)
    return IQAData(table, source, simulated, (int(size[0]), int(size[1])), mean, std)


def iqa_dataset(
    pictures: pd.DataFrame,
    size: tuple[int, int],
    saliency: NDArray[np.floating] | None = None,
) -> PictureDataset:
    """Training / test items: ``image`` (resized), ``mos_z`` and optionally ``saliency`` (flattened map).

    Parameters
    ----------
    pictures
        Rows of :attr:`IQAData.images` (``path``, ``mos_z``).
    size
        Network input ``(height, width)``.
    saliency
        ``(N, h, w)`` proxy saliency targets of these pictures (row order), or None.
    """
    targets: dict[str, Any] = {"mos_z": pictures["mos_z"].to_numpy(dtype=float)}
    if saliency is not None:
        sal = np.asarray(saliency, dtype=np.float64)
        if sal.ndim != 3 or sal.shape[0] != len(pictures):
            raise ValueError(f"saliency must be (N={len(pictures)}, h, w); got {sal.shape}")
        targets["saliency"] = sal.reshape(len(pictures), -1)
    return PictureDataset(pictures["path"].tolist(), CanvasSpec(int(size[0]), int(size[1]), fit="resize"), targets)


@dataclass
class FixationSet:
    """Images with eye fixations, split into predictor-training and held-out images.

    Attributes
    ----------
    name
        ``"OSIE"``, ``"builtin"``, ``"SALICON"``, ``"CAT2000"``.
    images, fixations
        Canonical tables (``image_id``, ``path``, ``width``, ``height``; ``image_id``, ``x``, ``y``).
    train_ids, test_ids
        Images the proxy predictor trains on, and the held-out ones Tables I and II use.
    real
        True for recorded human fixations, False for simulated ones.
    description
        One line for the notebook.
    extras
        Anything else (e.g. the simulated set's planted density maps).
    """

    name: str
    images: pd.DataFrame
    fixations: pd.DataFrame
    train_ids: list[str]
    test_ids: list[str]
    real: bool
    description: str
    extras: dict[str, Any] = field(default_factory=dict)

    def checkpoint_key(self, **settings: Any) -> str:
        """16 hex digits identifying the predictor-training images and ``settings`` (a checkpoint folder name).

        A folder shared by runs on other images or settings would resume the wrong predictor.
        """
        import json

        from saliqa.train import run_key

        return run_key(json.dumps({"set": self.name, "train": sorted(self.train_ids)}), **settings)

    def subset(self, ids: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(images, fixations)`` of ``ids``, in that order."""
        ids = [str(i) for i in ids]
        im = self.images.set_index(self.images["image_id"].astype(str)).loc[ids].reset_index(drop=True)
        fx = self.fixations.loc[self.fixations["image_id"].astype(str).isin(set(ids))].reset_index(drop=True)
        return im, fx


def fixation_set(
    data_dir: str | os.PathLike[str] | None,
    *,
    held_out: str | int = "subset",
    max_train: int | None = None,
    builtin_images: int = 48,
    builtin_size: tuple[int, int] = (192, 256),
    seed: int = 0,
) -> FixationSet:
    """OSIE's real eye fixations when ``data_dir/osie`` exists, else builtin simulated ones.

    Parameters
    ----------
    data_dir
        Root holding ``osie/`` (or None).
    held_out
        OSIE: ``"subset"`` holds out the 100 ``SUBSET_IDS``; an int holds out that many images
        drawn with ``seed``. Builtin: an int (default a quarter of the images).
    max_train
        Use at most this many training images (seeded; quick profiles).
    builtin_images, builtin_size
        Builtin set size and image size ``(height, width)``.
    seed
        Seed of the draws.
    """
    from saliqa import saliency_predictor as sp

    root = Path(data_dir) / "osie" if data_dir is not None else None
    rng = np.random.default_rng(seed)
    if root is not None and root.is_dir():
        from saliqa.datasets import osie

        images = osie.load_images(root, image_ids="all")
        fixations = osie.load_fixations(root, sources=("eye",))
        ids = images["image_id"].astype(str).tolist()
        test_ids = sp.split_ids(ids, held_out=held_out, subset=osie.subset_ids(root), seed=seed)[1]
        real, name = True, "OSIE"
        desc = f"OSIE: {len(ids)} photographs, real eye fixations of 15 observers (Xu et al. 2014)"
    else:
        images, fixations, densities = sp.simulated_fixation_set(builtin_images, builtin_size, seed)
        ids = images["image_id"].astype(str).tolist()
        n_test = int(held_out) if isinstance(held_out, int) else max(4, len(ids) // 4)
        test_ids = sorted(rng.choice(ids, size=n_test, replace=False).tolist())
        real, name = False, "builtin"
        desc = f"builtin: {len(ids)} real photographs with SIMULATED eye fixations"
        fs = FixationSet(name, images, fixations, [], test_ids, real, desc, {"densities": densities})
        fs.train_ids = [i for i in ids if i not in set(test_ids)]
        return _limit(fs, max_train, rng)
    train_ids = [i for i in ids if i not in set(test_ids)]
    return _limit(FixationSet(name, images, fixations, train_ids, list(test_ids), real, desc), max_train, rng)


def _limit(fs: FixationSet, max_train: int | None, rng: np.random.Generator) -> FixationSet:
    if max_train is not None and len(fs.train_ids) > max_train:
        fs.train_ids = sorted(rng.choice(fs.train_ids, size=max_train, replace=False).tolist())
        fs.description += f"; predictor trained on a seeded subset of {max_train}"
    return fs


def extra_fixation_sets(
    data_dir: str | os.PathLike[str] | None, *, max_images: int = 100, seed: int = 0
) -> list[FixationSet]:
    """SALICON (validation split) and CAT2000 (training set, which has fixations) when present.

    Each is an evaluation-only set (no predictor training): at most ``max_images`` images drawn
    with ``seed``. Absent datasets are skipped (logged), never invented.
    """
    if data_dir is None:
        return []
    out: list[FixationSet] = []
    rng = np.random.default_rng(seed)
    from saliqa.datasets import cat2000, salicon

    for name, module, split in (("SALICON", salicon, "val"), ("CAT2000", cat2000, "train")):
        try:
            root = module.find_root(data_dir)
        except (FileNotFoundError, ValueError) as err:
            logger.info("%s not used: %s", name, err)
            continue
        images = module.load_images(root, splits=(split,)).reset_index(drop=True)
        ids = images["image_id"].astype(str).tolist()
        if len(ids) > max_images:
            ids = sorted(rng.choice(ids, size=max_images, replace=False).tolist())
        images = images.loc[images["image_id"].astype(str).isin(set(ids))].reset_index(drop=True)
        if module is salicon:
            fixations = salicon.load_fixations(root, splits=(split,), image_ids=ids)
        else:
            fixations = cat2000.load_fixations(root, images=images)
        kind = "mouse-contingent 'fixations'" if module is salicon else "pooled eye fixations"
        desc = f"{name} ({split}): {len(ids)} held-out images with {kind} from {root}"
        out.append(FixationSet(name, images, fixations, [], ids, True, desc))
    return out


SIGMA_PX: dict[str, float] = {"OSIE": 24.0, "builtin": 16.0, "SALICON": 19.0, "CAT2000": 38.0}
"""Ground-truth Gaussian sigma (about one degree of visual angle) in each set's image pixels.

OSIE: 24 px at 800 x 600 (:data:`saliqa.datasets.fixation_sets.OSIE_SIGMA_PX`); builtin: the
simulation's 16 px per degree; SALICON (640 x 480) and CAT2000 (1920 x 1080): approximate one
degree at their viewing geometries (ours; the datasets' own maps use their own kernels).
"""
