"""Benchmark: BRISQUE and NIQE features per picture at 512x384.

Run as ``python benchmarks/bench_nr_classic.py``. In one process, on the five TID2013 calibration
pictures (512x384, from ``../shared/data`` when present, else five builtin-style textures), it
times (median of repeats, ms per picture):

1. :func:`saliqa.models.nr_classic.brisque_features` with ``filtering="reference"`` (the
   ``brisque`` package's arithmetic) and ``"fast"`` (separable OpenCV), against the ``brisque``
   package's own feature code (its ``calculate_brisque_features`` on both scales), with the ratio;
2. :func:`saliqa.models.nr_classic.niqe_features` and :func:`saliqa.models.nr_classic.niqe`.
"""

from __future__ import annotations

import platform
import sys
import warnings

import numpy as np
from timing import timed

from saliqa import paths
from saliqa.models import nr_classic as NR

REPEATS = 5


def pictures() -> tuple[list[np.ndarray], str]:
    root = paths.shared_data_root() / "tid2013-calibration" / "ResultsCalibra" / "dist_dir"
    if root.is_dir():
        from PIL import Image

        return [np.asarray(Image.open(p)) for p in sorted(root.glob("*.bmp"))], str(root)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:384, 0:512]
    base = 128 + 60 * np.sin(xx / 9.0) * np.cos(yy / 13.0)
    imgs = [np.clip(base[..., None] + rng.normal(0, 12, (384, 512, 3)), 0, 255).astype(np.uint8) for _ in range(5)]
    return imgs, "synthetic textures"


def main() -> None:
    imgs, source = pictures()
    n = len(imgs)
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {platform.machine()}; {n} pictures from {source}")
    print(f"picture size {imgs[0].shape}")
    ref = timed(lambda: NR.brisque_features(imgs), REPEATS)[0] / n
    fast = timed(lambda: NR.brisque_features(imgs, filtering="fast"), REPEATS)[0] / n
    print(f"brisque_features reference: {1e3 * ref:7.1f} ms/picture")
    print(f"brisque_features fast     : {1e3 * fast:7.1f} ms/picture  (reference / fast = {ref / fast:.2f}x)")
    try:
        import cv2
        import skimage.color

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from brisque import BRISQUE

            pkg = BRISQUE(url=False)

        def package_features() -> None:
            for im in imgs:
                g = skimage.color.rgb2gray(im)
                pkg.calculate_brisque_features(g, kernel_size=7, sigma=7 / 6)
                h = cv2.resize(g, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_CUBIC)
                pkg.calculate_brisque_features(h, kernel_size=7, sigma=7 / 6)

        t_pkg = timed(package_features, REPEATS)[0] / n
        print(
            f"brisque package features  : {1e3 * t_pkg:7.1f} ms/picture  "
            f"(package / reference = {t_pkg / ref:.2f}x, package / fast = {t_pkg / fast:.2f}x)"
        )
    except ImportError:
        print("brisque package not installed: no comparison")
    t_nf = timed(lambda: [NR.niqe_features(im) for im in imgs], REPEATS)[0] / n
    model = NR.load_niqe_model()
    t_nq = timed(lambda: [NR.niqe(im, model) for im in imgs], REPEATS)[0] / n
    print(f"niqe_features             : {1e3 * t_nf:7.1f} ms/picture (20 blocks of 96 + 20 of 48)")
    print(f"niqe (features + distance): {1e3 * t_nq:7.1f} ms/picture")


if __name__ == "__main__":
    main()
