"""Points drawn from a pixel density: simulated fixations and clicks.

Steps 4-5 of the generative model of :mod:`saliqa.simulate.attention`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sample_points"]


def sample_points(density: np.ndarray, n: int, rng: np.random.Generator, *, error_px: float = 0.0) -> np.ndarray:
    """Draw ``n`` points ``(x, y)`` from a pixel density, with Gaussian positional error.

    A pixel is drawn with probability ``density / sum``, the point is placed uniformly within
    it and displaced by ``N(0, error_px^2)`` per axis, then clipped to the image
    (``[0, W - 1] x [0, H - 1]``, pixel centres at integers). Vectorised (inverse CDF).

    Returns
    -------
    numpy.ndarray
        float64 ``(n, 2)``.
    """
    if n == 0:
        return np.zeros((0, 2))
    h, w = density.shape
    cdf = np.cumsum(density.ravel(), dtype=np.float64)
    idx = np.minimum(np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right"), cdf.size - 1)
    row, col = np.divmod(idx, w)
    x = col + rng.uniform(-0.5, 0.5, n) + error_px * rng.standard_normal(n)
    y = row + rng.uniform(-0.5, 0.5, n) + error_px * rng.standard_normal(n)
    return np.column_stack([np.clip(x, 0.0, w - 1.0), np.clip(y, 0.0, h - 1.0)])
