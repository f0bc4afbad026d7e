"""Fig. 1 and Fig. 2 of seed 002 (Sec. III-B): masking pictures by saliency, GradCAM and HalfImage.

For each test picture the relevance of every pixel comes from one of three explanations: the
proxy *saliency* map (:mod:`saliqa.saliency_predictor`, the paper used saliency maps too), the IQA
model's own smoothed CAM (the paper's "GradCAM": HiResCAM, :func:`saliqa.explain.cam`), or
HalfImage (You et al.: 12 square patches, importance from the model's predictions on patch
combinations, :func:`saliqa.explain.halfimage.halfimage_explanation`). A fraction of the pixels is
masked, most relevant first (MoRF) or least relevant first (LeRF), filled with black or the
ImageNet mean (:func:`saliqa.explain.masking.mask_image`; the explanation is blurred with a
101 px kernel and a small sigma first), and the model's SROCC against MOS on the masked pictures
is traced over the fractions (:func:`masking_experiment`; all fractions of one picture go through
the model as one batch). :func:`masking_summary` gives one number per curve pair: the area between
the LeRF and MoRF curves (positive when masking the relevant pixels hurts more).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from numpy.typing import NDArray

from saliqa.iqa_saliency_data import IQAData
from saliqa.iqa_saliency_study import model_saliency, to_tensor

__all__ = [
    "MaskingInputs",
    "model_predictor",
    "masking_inputs",
    "masking_experiment",
    "masking_summary",
    "figure1",
]


@dataclass
class MaskingInputs:
    """Test pictures with MOS, their three explanations and the model's batch predictor."""

    ids: list[str]
    pictures: NDArray[np.uint8]
    mos: NDArray[np.float64]
    explanations: dict[str, NDArray[np.float64]]
    predict: Callable[[NDArray[np.uint8]], NDArray[np.float64]]


class model_predictor:  # noqa: N801 - a callable used like a function
    """``predict(batch)``: scores of ``(F, H, W, 3)`` uint8 pictures, in chunks of ``batch_size``, without autograd."""

    def __init__(self, model: torch.nn.Module, batch_size: int = 64) -> None:
        self.model = model.eval()
        self.batch_size = int(batch_size)

    def __call__(self, batch: NDArray[np.uint8]) -> NDArray[np.float64]:
        out = []
        with torch.inference_mode():
            for s in range(0, len(batch), self.batch_size):
                out.append(self.model(to_tensor(np.ascontiguousarray(batch[s : s + self.batch_size]))).float().numpy())
        return np.concatenate(out).astype(np.float64)


def masking_inputs(
    model: torch.nn.Module,
    predictor: Any,
    data: IQAData,
    *,
    n: int,
    predictor_size: tuple[int, int],
    halfimage_combinations: int = 32,
    seed: int = 0,
    **cam_kwargs: Any,
) -> MaskingInputs:
    """The pictures and explanations of Fig. 2: ``n`` test pictures drawn with ``seed``.

    Parameters
    ----------
    model
        The IQA model being explained and masked (the primary Baseline).
    predictor
        The proxy saliency predictor.
    data
        The IQA pictures (test split).
    n
        Pictures (at most the test split).
    predictor_size
        The predictor's input size.
    halfimage_combinations
        Patch combinations per picture for HalfImage (6 of 12 patches kept each).
    seed
        Seed of the draw and of HalfImage's combinations.
    **cam_kwargs
        :func:`saliqa.iqa_saliency_study.model_saliency` settings (method, augment, eigen_smooth).
    """
    from saliqa.datasets.fixation_sets import read_images
    from saliqa.explain.halfimage import halfimage_explanation
    from saliqa.saliency_predictor import predict_saliency

    test = data.split("test")
    k = min(int(n), len(test))
    if k < 3:
        raise ValueError(f"the masking experiment needs at least 3 test pictures, got {k}")
    pick = np.sort(np.random.default_rng(seed).choice(len(test), size=k, replace=False))
    rows = test.iloc[pick]
    pictures = read_images(rows["path"].tolist(), data.size)
    predict = model_predictor(model)
    saliency = predict_saliency(predictor, list(pictures), size=predictor_size, out_size=data.size)
    gradcam = model_saliency(model, pictures, kind="cam", **cam_kwargs)
    half = np.stack(
        [
            halfimage_explanation(predict, picture, n_combinations=halfimage_combinations, seed=seed + i)
            for i, picture in enumerate(pictures)
        ]
    )
    return MaskingInputs(
        rows["image_id"].astype(str).tolist(),
        pictures,
        rows["mos"].to_numpy(dtype=np.float64),
        {"Saliency": saliency, "GradCAM": gradcam, "HalfImage": half},
        predict,
    )


def masking_experiment(
    predict_fn: Callable[[NDArray[np.uint8]], NDArray[np.float64]],
    images: NDArray[np.uint8],
    mos: NDArray[np.floating],
    explanations: Mapping[str, NDArray[np.floating]],
    *,
    fractions: Sequence[float],
    orders: Sequence[str] = ("morf", "lerf"),
    fills: Sequence[str] = ("black", "imagenet_mean"),
) -> pd.DataFrame:
    """Fig. 2's curves: SROCC against MOS of the model's scores on masked pictures.

    For each explanation (``{"Saliency": maps, "GradCAM": maps, "HalfImage": maps}``, each
    ``(N, H, W)``), order and fill, :func:`saliqa.explain.masking.masking_curve` (all fractions of
    one picture go through the model as one batch).

    Returns
    -------
    DataFrame
        ``explanation``, ``order``, ``fill``, ``fraction``, ``srocc``, ``n``.
    """
    from saliqa.explain.masking import masking_curve

    frames = []
    for name, maps in explanations.items():
        for fill in fills:
            # both orders and every fraction of one picture go through the model as one batch
            curve = masking_curve(predict_fn, images, maps, mos, fractions, order=list(orders), fill=fill)
            frames.append(curve.assign(explanation=name, fill=fill))
    out = pd.concat(frames, ignore_index=True)
    return out[["explanation", "order", "fill", "fraction", "srocc", "n"]]


def masking_summary(curves: pd.DataFrame) -> pd.DataFrame:
    """Area between the LeRF and MoRF curves (:func:`saliqa.explain.masking.area_between`) per explanation and fill."""
    from saliqa.explain.masking import area_between

    rows = []
    for (name, fill), g in curves.groupby(["explanation", "fill"], sort=False):
        lerf = g.loc[g["order"] == "lerf"].sort_values("fraction")
        morf = g.loc[g["order"] == "morf"].sort_values("fraction")
        try:
            area = area_between(lerf, morf)
        except ValueError as err:  # e.g. constant predictions at every level: reported, not raised
            warnings.warn(f"masking area of {name} / {fill} is undefined: {err}", stacklevel=2)
            area = float("nan")
        rows.append({"explanation": name, "fill": fill, "area_lerf_minus_morf": area})
    return pd.DataFrame(rows)


def figure1(inputs: MaskingInputs, n: int = 3, fraction: float = 0.5) -> Any:
    """Fig. 1: pictures with their saliency and CAM maps, and versions with ``fraction`` of the pixels masked black.

    Columns: picture, saliency, CAM, saliency MoRF, saliency LeRF, CAM MoRF (black fill).
    """
    from saliqa.explain.masking import mask_image
    from saliqa.plots_iqa_saliency import plot_examples

    k = min(int(n), len(inputs.ids))
    pics = inputs.pictures[:k]
    sal = inputs.explanations["Saliency"][:k]
    cams = inputs.explanations["GradCAM"][:k]
    pct = f"{round(100 * fraction)}%"
    masked = {
        f"saliency MoRF {pct}": np.stack([mask_image(p, m, fraction, order="morf") for p, m in zip(pics, sal)]),
        f"saliency LeRF {pct}": np.stack([mask_image(p, m, fraction, order="lerf") for p, m in zip(pics, sal)]),
        f"CAM MoRF {pct}": np.stack([mask_image(p, m, fraction, order="morf") for p, m in zip(pics, cams)]),
    }
    titles = [f"MOS {m:.1f}" for m in inputs.mos[:k]]
    return plot_examples(pics, {"saliency (proxy)": sal, "HiResCAM": cams}, masked, titles=titles)
