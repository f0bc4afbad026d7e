"""The timer every benchmark uses: median wall time of repeated calls (scripts in this folder import it)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def timed(fn: Callable[[], Any], repeats: int, sync: Callable[[], None] = lambda: None) -> tuple[float, Any]:
    """Median wall time (s) of ``repeats`` calls of ``fn``, and the last result.

    ``sync`` runs before and after each call (e.g. ``torch.cuda.synchronize``), so asynchronous
    device work is inside the timed interval.
    """
    times, out = [], None
    for _ in range(repeats):
        sync()
        t0 = time.perf_counter()
        out = fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out
