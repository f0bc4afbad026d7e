"""Atomic file writing: every output is written to a temporary file and renamed into place."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["atomic_write_text", "atomic_write_bytes", "write_json", "to_jsonable", "read_manifest"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename).

    The file gets the mode an ordinary ``open(path, "w")`` would give it (``0o666`` less the
    umask, e.g. 0644), not the private 0600 of the temporary file: reports are read by web
    servers and colleagues.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def to_jsonable(value: Any) -> Any:
    """Convert numpy scalars / arrays, paths and non-finite floats into JSON-safe values.

    Non-finite floats become ``None`` (JSON has no NaN); callers that must not lose them check
    finiteness before writing.
    """
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as indented JSON, atomically."""
    return atomic_write_text(path, json.dumps(to_jsonable(obj), indent=2, sort_keys=False) + "\n")


def read_manifest(folder: str | os.PathLike[str], config_key: str, seed: int) -> dict[str, Any] | None:
    """A cache folder's ``manifest.json`` when it is for ``config_key`` and ``seed``, else None.

    The builtin generators write their files first and ``manifest.json`` last (atomically), so a
    folder with a matching manifest is complete; a missing, unreadable or foreign manifest means
    "regenerate".
    """
    import json

    manifest = Path(folder) / "manifest.json"
    if not manifest.is_file():
        return None
    try:
        meta = json.loads(manifest.read_text())
    except ValueError:
        return None
    if not isinstance(meta, dict) or meta.get("config_key") != config_key or meta.get("seed") != seed:
        return None
    return meta
