"""Benchmark: the project's former hand-written MATLAB v5 reader against ``scipy.io.loadmat``.

Run as ``python benchmarks/bench_matfile.py [DATA_ROOT] [--repeats N]`` (default data root:
``../shared/data``, as the tests). In one process, on the real files

- OSIE ``osie/data/eye/fixations.mat`` and all ``osie/data/mouse_{amt,lab}/*.mat`` (200 files,
  timed together),
- BubbleView ``bubbleview-osie/*.mat`` (eye, clicks, mouse movements with ~480,000 timestamp
  strings, lab),

it times

1. ``native``: the hand-written reader decoding everything;
2. ``native-skip``: the same skipping the struct fields the BubbleView loader did not need
   (``rec``, and ``enc_time`` except in the eye file): how the loaders used it;
3. ``scipy``: ``scipy.io.loadmat(path, simplify_cells=True)``, what
   :func:`saliqa.datasets.matfile.read_mat` calls;

checks that ``native`` and ``scipy`` decode the same values (numbers exactly, strings equal,
structs with the same fields; scipy squeezes singleton dimensions, the native reader does not,
so shapes are compared squeezed) and prints the median times and the ratios scipy / native and scipy / native-skip.

The hand-written reader was removed from the library after this measurement; the benchmark
takes it from the git history (``lib/saliqa/datasets/osie.py`` at commit ``READER_COMMIT``), so
it needs the repository's ``.git``.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import scipy
from scipy.io import loadmat
from timing import timed

REPO = Path(__file__).resolve().parents[1]
READER_COMMIT = "4bab784"
"""Last commit whose ``datasets/osie.py`` holds the hand-written reader (``_read_mat``)."""


def handwritten_reader() -> Callable[..., dict[str, Any]]:
    """``_read_mat(path, skip=(), engine="native")`` of ``osie.py`` at :data:`READER_COMMIT`."""
    try:
        source = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{READER_COMMIT}:lib/saliqa/datasets/osie.py"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        sys.exit(f"cannot read the hand-written reader from git ({READER_COMMIT}): {err}")
    module = types.ModuleType("saliqa_osie_handwritten")
    exec(compile(source, f"osie.py@{READER_COMMIT}", "exec"), module.__dict__)  # noqa: S102 (our own code)
    return lambda path, skip=(): module._read_mat(Path(path), skip=skip, engine="native")


def same(a: Any, b: Any, where: str = "") -> None:
    """Raise AssertionError at the first difference between a native and a scipy value."""
    if _empty(a) and _empty(b):
        return  # MATLAB's empty values: the native reader gives a 0 x 0 array, scipy '', [] or (0,)
    if isinstance(a, list) and len(a) == 1 and isinstance(a[0], Mapping) and isinstance(b, Mapping):
        a = a[0]  # native: a 1 x 1 struct is a one-element list; scipy: a dict
    if isinstance(a, Mapping):
        assert isinstance(b, Mapping), f"{where}: struct vs {type(b).__name__}"
        assert list(a) == list(b), f"{where}: fields {list(a)} vs {list(b)}"
        for k in a:
            same(a[k], b[k], f"{where}.{k}")
        return
    if isinstance(a, str):
        assert isinstance(b, str) and a == b, f"{where}: {a!r} vs {b!r}"
        return
    if isinstance(a, list):
        items = list(np.asarray(b, dtype=object).ravel(order="F")) if isinstance(b, np.ndarray) else b
        if not isinstance(items, list):
            items = [items]
        assert len(a) == len(items), f"{where}: {len(a)} vs {len(items)} elements"
        for i, (x, y) in enumerate(zip(a, items)):
            same(x, y, f"{where}[{i}]")
        return
    x, y = np.asarray(a), np.asarray(b)
    assert x.size == y.size and np.squeeze(x).shape == np.squeeze(y).shape, f"{where}: shape {x.shape} vs {y.shape}"
    assert np.array_equal(x.ravel(order="F"), np.squeeze(y).ravel(order="F")), f"{where}: values differ"


def _empty(value: Any) -> bool:
    return (isinstance(value, (str, list)) and len(value) == 0) or (isinstance(value, np.ndarray) and value.size == 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_root", nargs="?", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    root = Path(args.data_root)
    osie, bv = root / "osie" / "data", root / "bubbleview-osie"
    cases: list[tuple[str, list[Path], tuple[str, ...]]] = [
        ("osie eye/fixations.mat", [osie / "eye" / "fixations.mat"], ()),
        (
            "osie mouse_amt+mouse_lab (200 files)",
            sorted((osie / "mouse_amt").glob("*.mat")) + sorted((osie / "mouse_lab").glob("*.mat")),
            (),
        ),
        ("bubbleview osie-eye-official.mat", [bv / "osie-eye-official.mat"], ("rec",)),
        ("bubbleview osie30x30.mat", [bv / "osie30x30.mat"], ("rec", "enc_time")),
        ("bubbleview osieMM30.mat", [bv / "osieMM30.mat"], ("rec", "enc_time")),
        ("bubbleview osie-lab-official.mat", [bv / "osie-lab-official.mat"], ("rec", "enc_time")),
    ]
    missing = [str(p) for _, files, _ in cases for p in files if not p.is_file()] + [
        name for name, files, _ in cases if not files
    ]
    if missing:
        sys.exit(f"real data not found under {root}: {missing[:3]}")
    native = handwritten_reader()
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"{platform.machine()}, median of {args.repeats}; reader from git {READER_COMMIT}"
    )
    print(
        f"{'file':40s} {'MB':>6s} {'native':>9s} {'native-skip':>12s} {'scipy':>9s} "
        f"{'scipy/native':>13s} {'scipy/skip':>11s}  equal"
    )
    for name, files, skip in cases:
        mb = sum(p.stat().st_size for p in files) / 1e6
        t_native, out_native = timed(lambda files=files: [native(p) for p in files], args.repeats)
        t_skip, _ = timed(lambda files=files, skip=skip: [native(p, skip) for p in files], args.repeats)
        t_scipy, out_scipy = timed(lambda files=files: [loadmat(p, simplify_cells=True) for p in files], args.repeats)
        for p, a, b in zip(files, out_native, out_scipy):
            same(a, {k: v for k, v in b.items() if not k.startswith("__")}, p.name)
        print(
            f"{name:40s} {mb:6.2f} {t_native:8.3f}s {t_skip:11.3f}s {t_scipy:8.3f}s "
            f"{t_scipy / t_native:12.2f}x {t_scipy / t_skip:10.2f}x  yes"
        )


if __name__ == "__main__":
    main()
