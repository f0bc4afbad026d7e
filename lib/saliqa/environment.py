"""What the environment provides: package versions and compute device (notebook 00)."""

from __future__ import annotations

import platform
from importlib import metadata

import pandas as pd

__all__ = ["PACKAGES", "versions", "device_info"]

PACKAGES = (
    "saliqa",
    "numpy",
    "scipy",
    "pandas",
    "scikit-image",
    "opencv-python-headless",
    "pillow",
    "matplotlib",
    "statsmodels",
    "pingouin",
    "torch",
    "torchvision",
    "timm",
    "grad-cam",
    "captum",
    "papermill",
    "nbconvert",
    "nbval",
    "jupyterlab",
    "ipykernel",
)


def versions(packages: tuple[str, ...] = PACKAGES) -> pd.DataFrame:
    """Installed version of each distribution (``"not installed"`` when absent), plus Python."""
    rows = [("python", platform.python_version())]
    for name in packages:
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, "not installed"))
    return pd.DataFrame(rows, columns=["package", "version"])


def device_info() -> dict[str, object]:
    """Torch device facts: CUDA availability, GPU names and memory, CPU threads."""
    import torch

    info: dict[str, object] = {
        "torch": torch.__version__,
        "cuda_available": torch.cuda.is_available(),
        "cpu_threads": torch.get_num_threads(),
        "platform": platform.platform(),
    }
    if torch.cuda.is_available():
        info["gpus"] = [
            f"{torch.cuda.get_device_name(i)} ({torch.cuda.get_device_properties(i).total_memory / 2**30:.0f} GiB)"
            for i in range(torch.cuda.device_count())
        ]
        info["bf16_supported"] = torch.cuda.is_bf16_supported()
    return info
