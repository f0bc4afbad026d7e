"""Build ``notebooks/NN_*.ipynb`` from their paired py:percent sources ``notebooks/src/NN_*.py``.

The ``.py`` file is the reviewed source (diffable); the ``.ipynb`` is what users open. Cells:
``# %%`` (code), ``# %% [markdown]`` (markdown, each line prefixed ``# ``) and
``# %% tags=["parameters"]`` (tags, as JSON list). ``--check`` exits 1 when an ``.ipynb`` is out
of date (the test suite runs it). Outputs are never stored.

    python scripts/sync_notebooks.py [--check]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "notebooks" / "src"
OUT = ROOT / "notebooks"
HEADER = re.compile(r"^# %%(?P<md> \[markdown\])?(?: tags=(?P<tags>\[.*\]))?\s*$")


def parse(text: str) -> nbformat.NotebookNode:
    """py:percent text -> notebook (kernel ``saliqa``)."""
    cells: list[tuple[bool, list[str], list[str]]] = []
    for line in text.splitlines():
        m = HEADER.match(line)
        if m:
            cells.append((bool(m["md"]), json.loads(m["tags"]) if m["tags"] else [], []))
        elif cells:
            cells[-1][2].append(line)
        elif line.strip() and not line.startswith("#"):
            raise ValueError(f"code before the first '# %%' cell marker: {line!r}")
    nb = nbformat.v4.new_notebook()
    for is_md, tags, lines in cells:
        while lines and not lines[-1].strip():
            lines.pop()
        if is_md:
            body = "\n".join(ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in lines)
            cell = nbformat.v4.new_markdown_cell(body)
        else:
            cell = nbformat.v4.new_code_cell("\n".join(lines))
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "saliqa", "display_name": "Python (saliqa)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def render(source: Path) -> str:
    nb = parse(source.read_text())
    for i, cell in enumerate(nb.cells):  # stable ids keep diffs clean
        cell["id"] = f"{source.stem[:2]}-{i:03d}"
    return nbformat.writes(nb) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for source in sorted(SRC.glob("[0-9][0-9]_*.py")):
        target = OUT / f"{source.stem}.ipynb"
        text = render(source)
        if target.is_file() and target.read_text() == text:
            continue
        if check:
            stale.append(target.name)
        else:
            target.write_text(text)
            print(f"wrote {target.relative_to(ROOT)}")
    if stale:
        print(f"out of date (run python scripts/sync_notebooks.py): {stale}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
