"""Execute the notebooks with papermill and build the HTML reports (what ``run_all.sh`` calls).

``python -m saliqa.runner --profile smoke --data-root ../shared/data 01 03``

For each selected ``notebooks/NN_*.ipynb`` it reads ``params/<profile>/<stem>.yaml``, adds
``profile``, ``data_dir`` and ``out_dir``, executes the notebook in its own process with an explicit
per-cell and per-notebook timeout, and writes ``reports/<profile>/<stem>.ipynb``, ``<stem>.html``
and ``reports/<profile>/<stem>/`` (the notebook's own outputs: ``metrics.json``, ``scorecard.csv``,
``figures/``, ``tables/``). A failing notebook does not stop the others; the exit status is 1 when
any failed, and the failures are named. ``reports/<profile>/index.html`` (:mod:`saliqa.report_site`)
gets one section per notebook. Before a notebook runs, its output folder, executed notebook and
HTML are removed, so a failed run leaves no stale results that look current.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from saliqa import paths, report_site
from saliqa.io import atomic_write_text
from saliqa.runs import clear_run_folder

__all__ = ["NotebookResult", "select_notebooks", "run_notebook", "write_index", "main"]

log = logging.getLogger("saliqa.runner")

# seconds: (per cell, whole notebook); full runs are long GPU jobs
TIMEOUTS = {"smoke": (600, 900), "default": (3600, 4 * 3600), "full": (24 * 3600, 72 * 3600)}


@dataclass
class NotebookResult:
    stem: str
    status: str  # "ok" | "failed" | "timeout"
    seconds: float
    message: str
    scorecard_summary: str = ""
    data: str = ""


def select_notebooks(selectors: list[str], folder: Path | None = None) -> list[Path]:
    """Notebooks ``NN_*.ipynb`` in order; ``selectors`` are numbers (``"01"``, ``"1"``) or stems.

    Raises
    ------
    ValueError
        When a selector matches no notebook (naming it and listing what exists).
    """
    folder = folder or paths.notebooks_dir()
    notebooks = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if not selectors:
        return notebooks
    chosen: list[Path] = []
    for sel in selectors:
        match = [p for p in notebooks if p.stem == sel or (sel.isdigit() and p.stem[:2] == f"{int(sel):02d}")]
        if not match:
            raise ValueError(f"no notebook matches {sel!r}; available: {[p.stem for p in notebooks]}")
        chosen.extend(m for m in match if m not in chosen)
    return chosen


def _parameters(stem: str, profile: str, data_root: str | None, out_dir: Path, overrides: dict | None = None) -> dict:
    path = paths.params_dir(profile) / f"{stem}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"parameters file missing: {path}")
    params = yaml.safe_load(path.read_text()) or {}
    if not isinstance(params, dict):
        raise ValueError(f"{path}: expected a mapping of parameter names to values")
    params.update(overrides or {})
    params.update(profile=profile, data_dir=data_root, out_dir=str(out_dir))
    return params


def run_notebook(
    notebook: Path,
    profile: str,
    data_root: str | None,
    kernel: str = "saliqa",
    report_root: Path | None = None,
    overrides: dict | None = None,
) -> NotebookResult:
    """Execute one notebook with papermill in a subprocess and render its HTML.

    ``overrides`` replace parameters of ``params/<profile>/<stem>.yaml`` (tests shrink a profile's
    sizes this way while keeping its code path).
    """
    report_root = report_root or paths.reports_dir(profile)
    stem = notebook.stem
    out_dir = report_root / stem
    executed = report_root / f"{stem}.ipynb"
    cell_timeout, total_timeout = TIMEOUTS[profile]
    start = time.perf_counter()
    try:
        params = _parameters(stem, profile, data_root, out_dir, overrides)
    except (FileNotFoundError, ValueError) as exc:
        return NotebookResult(stem, "failed", 0.0, str(exc))
    html_path = report_root / f"{stem}.html"
    try:  # a run's folder holds that run's outputs only: nothing stale can look current
        clear_run_folder(out_dir)
    except ValueError as exc:
        return NotebookResult(stem, "failed", 0.0, str(exc))
    executed.unlink(missing_ok=True)
    html_path.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "papermill",
        str(notebook),
        str(executed),
        "-y",
        yaml.safe_dump(params),
        "-k",
        kernel,
        "--cwd",
        str(notebook.parent),
        "--execution-timeout",
        str(cell_timeout),
        "--no-progress-bar",
        "--log-level",
        "WARNING",
    ]
    # no tqdm bars in headless runs (each update would be stored in the report); summaries stay
    env = dict(os.environ, MPLBACKEND="Agg", PYDEVD_DISABLE_FILE_VALIDATION="1", SALIQA_PROGRESS_BARS="0")
    status, message = "ok", ""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=total_timeout, env=env)
        if proc.returncode != 0:
            status = "failed"
            message = _last_error(proc.stderr + proc.stdout)
    except subprocess.TimeoutExpired:
        status, message = "timeout", f"exceeded {total_timeout} s (profile {profile})"
    seconds = time.perf_counter() - start
    if executed.is_file():
        try:
            _render_html(executed, html_path)
        except Exception as exc:  # the HTML is a convenience; the failure is still reported
            message = (message + "; " if message else "") + f"HTML export failed: {exc}"
    summary, data = "", str(data_root or "builtin")
    metrics_path = out_dir / "metrics.json"
    if metrics_path.is_file():
        doc = json.loads(metrics_path.read_text())
        summary = doc.get("scorecard_summary", "")
    elif status == "ok":
        status, message = "failed", f"notebook finished without writing {metrics_path}"
    return NotebookResult(stem, status, seconds, message, summary, data)


def _last_error(text: str, n_lines: int = 6) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(lines[-n_lines:])[-1200:]


def _render_html(executed: Path, target: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(executed, as_version=4))
    atomic_write_text(target, body)


def write_index(
    results: list[NotebookResult], profile: str, report_root: Path | None = None, notebooks: list[Path] | None = None
) -> Path:
    """``reports/<profile>/index.html``, the report site's front page (:mod:`saliqa.report_site`).

    Rows of notebooks run earlier (not in ``results``) are kept from ``index.json``.
    """
    report_root = report_root or paths.reports_dir(profile)
    return report_site.write_index(results, profile, report_root, {nb.stem: nb for nb in notebooks or []})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run_all.sh", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=sorted(TIMEOUTS), default="default")
    parser.add_argument("--data-root", default=None, help="folder holding osie/, koniq/, ... (default: builtin data)")
    parser.add_argument("--kernel", default="saliqa")
    parser.add_argument("notebooks", nargs="*", help="notebook numbers or stems (default: all)")
    args = parser.parse_args(argv)
    data_root = None
    if args.data_root is not None:
        root = Path(args.data_root).expanduser().resolve()
        if not root.is_dir():
            print(f"error: --data-root {args.data_root!r} is not a folder", file=sys.stderr)
            return 2
        data_root = str(root)
    try:
        notebooks = select_notebooks(args.notebooks)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not notebooks:
        print("error: no notebooks found in notebooks/", file=sys.stderr)
        return 2
    report_root = paths.reports_dir(args.profile)
    report_root.mkdir(parents=True, exist_ok=True)
    results = []
    print(f"saliqa: {len(notebooks)} notebook(s), profile {args.profile}, data {data_root or 'builtin'}", flush=True)
    for i, nb in enumerate(notebooks, 1):
        print(f"[{i}/{len(notebooks)}] {nb.stem} ...", flush=True)
        result = run_notebook(nb, args.profile, data_root, kernel=args.kernel, report_root=report_root)
        results.append(result)
        detail = f" - {result.scorecard_summary}" if result.scorecard_summary else ""
        print(f"[{i}/{len(notebooks)}] {nb.stem}: {result.status} ({result.seconds:.1f} s){detail}", flush=True)
        if result.status != "ok":
            print(f"    {result.message}", flush=True)
    index = write_index(results, args.profile, report_root, notebooks)
    failed = [r.stem for r in results if r.status != "ok"]
    print(f"index: {index}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"all {len(results)} notebook(s) ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
