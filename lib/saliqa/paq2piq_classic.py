"""NIQE and BRISQUE on the views of the PaQ-2-PiQ study (seed 003, Tables 2-3 rows NIQE, BRISQUE).

Seed 003, section 4.1 (*Evaluation setup*): "we also trained and tested BRISQUE [10] and the
'completely blind' NIQE [11], which does not involve any training". Here:

* **BRISQUE**: the 36 features of :func:`saliqa.models.nr_classic.brisque_features` on the
  training pictures (unpadded), an RBF SVR fitted to their MOS (:func:`~saliqa.models.nr_classic.fit_brisque`),
  applied to every evaluation view (pictures and patch crops);
* **NIQE**: the pristine model of the LIVE release (:func:`~saliqa.models.nr_classic.load_niqe_model`,
  fitted by Mittal et al. on 125 pristine pictures) unless another model is given; a view smaller
  than one 96 x 96 block cannot be scored and gets NaN (left out of the correlations, counted).

Both return rows in :func:`saliqa.paq2piq_study.predict_study`'s layout through
:func:`saliqa.paq2piq_study.external_predictions` (lower-is-better scores negated, so a good
predictor has positive SRCC / LCC, as the paper reports them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from saliqa import paq2piq_study as study
from saliqa.models import nr_classic

__all__ = ["brisque_predictions", "niqe_predictions", "classic_predictions"]


def brisque_predictions(
    data: study.StudyData,
    views: pd.DataFrame,
    *,
    seed: int = 0,
    grid_search: bool = False,
    filtering: str = "fast",
) -> tuple[pd.DataFrame, Any]:
    """BRISQUE trained on the training pictures of ``data``, scored on ``views``.

    ``filtering="fast"`` (separable OpenCV filters, about 4x faster) differs from the reference
    arithmetic only on constant 7 x 7 windows (:func:`saliqa.models.nr_classic.brisque_features`).

    Returns
    -------
    (DataFrame, model)
        :func:`~saliqa.paq2piq_study.external_predictions` rows (``model = "brisque"``) and the
        fitted SVR model.

    Raises
    ------
    ValueError
        If ``data`` has fewer than 3 training pictures with a MOS.
    """
    train = study.evaluation_views(data, ("train",), units=("picture",))
    train = train[np.isfinite(train["mos"].to_numpy(dtype=float))]
    if len(train) < 3:
        raise ValueError(f"BRISQUE needs at least 3 training pictures with a MOS; got {len(train)}")
    features = nr_classic.brisque_features(list(study.view_images(train)), filtering=filtering)
    usable = np.isfinite(features).all(axis=1)
    model = nr_classic.fit_brisque(
        features[usable], train["mos"].to_numpy(dtype=float)[usable], seed=seed, grid_search=grid_search
    )
    test_features = nr_classic.brisque_features(list(study.view_images(views)), filtering=filtering)
    ok = np.isfinite(test_features).all(axis=1)  # tiny or flat views give undefined AGGD fits
    scores = np.full(len(views), np.nan)
    if ok.any():
        scores[ok] = model.predict(test_features[ok])
    out = study.external_predictions(views, "brisque", scores)
    out.attrs["n_unscored"] = int((~ok).sum())
    return out, model


def niqe_predictions(views: pd.DataFrame, *, model: Any = None) -> pd.DataFrame:
    """NIQE of every view (lower is better; negated in the rows); NaN for views below one block.

    Parameters
    ----------
    views
        :func:`~saliqa.paq2piq_study.evaluation_views` rows.
    model
        NIQE pristine model (default: the LIVE release's, :func:`~saliqa.models.nr_classic.load_niqe_model`).
    """
    model = nr_classic.load_niqe_model() if model is None else model
    block = int(getattr(model, "block_size", 96))

    def score(image: np.ndarray) -> float:
        if min(image.shape[:2]) < block:
            return float("nan")
        return float(nr_classic.niqe(image, model))

    out = study.external_predictions(views, "niqe", study.score_views(views, score), lower_is_better=True)
    out.attrs["n_unscored"] = int(np.isnan(out["pred"].to_numpy(dtype=float)).sum())
    return out


def classic_predictions(data: study.StudyData, views: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """NIQE and BRISQUE rows for ``views`` (one frame; ``attrs["n_unscored_<name>"]`` count NaNs)."""
    niqe_rows = niqe_predictions(views)
    brisque_rows, _ = brisque_predictions(data, views, seed=seed)
    out = pd.concat([niqe_rows, brisque_rows], ignore_index=True)
    out.attrs["n_unscored_niqe"] = niqe_rows.attrs["n_unscored"]
    out.attrs["n_unscored_brisque"] = brisque_rows.attrs["n_unscored"]
    return out
