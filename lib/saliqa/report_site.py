"""The report site: ``reports/<profile>/index.html``, the collection's front page.

One section per notebook, built from the runner's result and the run's ``metrics.json``: the
study's title and claim, seed file, data mode (builtin with simulated observers, or which real
data), status, run time, the scorecard as a table (claim, paper value, obtained value, verdict
rule, verdict) and thumbnails of the figures linking to the full HTML report.

Every link is relative and names a file (never a bare folder), so the folder works opened from
disk and served over HTTP (``python -m http.server -d reports/<profile>``). Rows of notebooks
run earlier are kept in ``index.json`` beside the page.
"""

from __future__ import annotations

import html
import json
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from saliqa.io import atomic_write_text

__all__ = ["collect_entry", "render_index", "write_index", "notebook_title"]

_STATUS_STYLE = {
    "ok": ("ok", "#1e7b34", "#e3f4e6"),
    "failed": ("FAILED", "#a4161a", "#fbe3e4"),
    "timeout": ("TIMEOUT", "#8a5a00", "#fff3cd"),
}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d1d1f;background:#f6f7f9}
header{background:#1f3b5c;color:#fff;padding:1.2em 2em}
header h1{margin:0 0 .2em;font-size:1.6em} header p{margin:.2em 0;opacity:.9}
main{max-width:1200px;margin:0 auto;padding:1em 2em 3em}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5em 1.5em}
section.nb{background:#fff;border:1px solid #d8dce3;border-radius:8px;padding:1em 1.5em;margin:1.5em 0}
section.nb h2{margin:.2em 0 .4em;font-size:1.3em}
.badge{display:inline-block;padding:.1em .6em;border-radius:1em;font-size:.8em;font-weight:600;margin-left:.5em;
vertical-align:middle}
.claim{font-size:1.02em;line-height:1.45}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #d8dce3;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}
table.meta th{width:9em}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.pass{color:#1e7b34;font-weight:600} td.fail{color:#a4161a;font-weight:600} td.none{color:#666}
.thumbs{display:flex;flex-wrap:wrap;gap:12px;margin-top:.6em}
.thumbs figure{margin:0;width:220px}
.thumbs img{width:220px;height:160px;object-fit:contain;background:#fafafa;border:1px solid #d8dce3;border-radius:4px}
.thumbs figcaption{font-size:.78em;color:#444;word-break:break-all}
.links a{margin-right:1em}
.message{white-space:pre-wrap;font-family:monospace;font-size:.85em;background:#fbe3e4;padding:.5em;border-radius:4px}
details summary{cursor:pointer;color:#1f3b5c}
"""


def notebook_title(notebook: Path) -> str:
    """The first Markdown heading of a notebook (``"# 01 Title"`` -> ``"01 Title"``), or its stem."""
    try:
        cells = json.loads(notebook.read_text())["cells"]
    except (OSError, ValueError, KeyError):
        return notebook.stem
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return notebook.stem


def collect_entry(result: Any, report_root: Path, notebook: Path | None = None) -> dict[str, Any]:
    """One notebook's row of the index: the runner's result plus what ``metrics.json`` says.

    Parameters
    ----------
    result
        :class:`saliqa.runner.NotebookResult`.
    report_root
        ``reports/<profile>``.
    notebook
        The source notebook (its first heading is the title when the run wrote no metrics).

    Returns
    -------
    dict
        JSON-serialisable entry (stored in ``index.json``).
    """
    stem = result.stem
    entry: dict[str, Any] = dict(
        stem=stem,
        status=result.status,
        seconds=float(result.seconds),
        message=result.message,
        data_root=result.data,
        finished=time.strftime("%Y-%m-%d %H:%M:%S"),
        title=notebook_title(notebook) if notebook is not None else stem,
        claim="",
        seed_file="",
        simulated_observers=None,
        scorecard=[],
        scorecard_summary=result.scorecard_summary,
        figures=[],
        tables=[],
    )
    metrics = report_root / stem / "metrics.json"
    if metrics.is_file():
        doc = json.loads(metrics.read_text())
        for key in ("title", "claim", "seed_file"):
            if doc.get(key):
                entry[key] = doc[key]
        entry.update(
            simulated_observers=doc.get("simulated_observers"),
            scorecard=doc.get("scorecard", []),
            scorecard_summary=doc.get("scorecard_summary", ""),
            datasets=doc.get("datasets", []),
        )
        entry["figures"] = [f for f in doc.get("figures", []) if (report_root / stem / "figures" / f).is_file()]
        entry["tables"] = [t for t in doc.get("tables", []) if (report_root / stem / "tables" / t).is_file()]
    return entry


def _data_mode(entry: Mapping[str, Any]) -> str:
    root = entry.get("data_root") or "builtin"
    datasets = ", ".join(entry.get("datasets") or [])
    if entry.get("simulated_observers") is None:
        return f"{root} (no metrics written)"
    if root == "builtin":
        kind = "builtin photographs with SIMULATED observers" if entry["simulated_observers"] else "builtin photographs"
        return kind + (f" ({datasets})" if datasets else "")
    observers = "simulated observers" if entry["simulated_observers"] else "real observers"
    return f"real data from {root}" + (f": {datasets}" if datasets else "") + f" ({observers})"


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def _scorecard_rows(rows: Sequence[Mapping[str, Any]]) -> str:
    body = []
    for r in rows:
        passed = r.get("passed")
        verdict, cls = ("pass", "pass") if passed is True else ("FAIL", "fail") if passed is False else ("-", "none")
        body.append(
            f"<tr><td>{html.escape(str(r.get('label') or r.get('claim', '')))}</td>"
            f'<td class="num">{_number(r.get("paper"))}</td><td class="num">{_number(r.get("obtained"))}</td>'
            f'<td>{html.escape(str(r.get("expected", "")))}</td><td class="{cls}">{verdict}</td>'
            f"<td>{html.escape(str(r.get('note', '')))}</td></tr>"
        )
    return (
        '<table class="scorecard"><tr><th>claim</th><th>paper value</th><th>obtained</th>'
        "<th>expected</th><th>verdict</th><th>note</th></tr>" + "".join(body) + "</table>"
    )


def _scorecard_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Claims with a verdict in a table; values reported without one in a second, folded table."""
    if not rows:
        return "<p><em>No scorecard (the run wrote no metrics).</em></p>"
    judged = [r for r in rows if r.get("passed") is not None]
    reported = [r for r in rows if r.get("passed") is None]
    out = _scorecard_rows(judged) if judged else "<p><em>No claim with a verdict.</em></p>"
    if reported:
        out += (
            f"<details><summary>{len(reported)} values reported without verdict (paper value beside "
            f"them where the same comparison was measured)</summary>{_scorecard_rows(reported)}</details>"
        )
    return out


def _section(entry: Mapping[str, Any], report_root: Path) -> str:
    stem = entry["stem"]
    esc = html.escape
    label, fg, bg = _STATUS_STYLE.get(entry["status"], (entry["status"], "#333", "#eee"))
    report = f"{stem}.html"
    links = [
        (report, "full report (HTML)"),
        (f"{stem}.ipynb", "executed notebook"),
        (f"{stem}/metrics.json", "metrics.json"),
        (f"{stem}/scorecard.csv", "scorecard.csv"),
    ]
    links = [(href, text) for href, text in links if (report_root / href).is_file()]
    link_html = " ".join(f'<a href="{esc(href)}">{esc(text)}</a>' for href, text in links)
    thumbs = "".join(
        f'<figure><a href="{esc(report)}"><img src="{esc(f"{stem}/figures/{name}")}" alt="{esc(name)}"></a>'
        f"<figcaption>{esc(name)}</figcaption></figure>"
        for name in entry.get("figures", [])
    )
    tables = " ".join(f'<a href="{esc(f"{stem}/tables/{t}")}">{esc(t)}</a>' for t in entry.get("tables", []))
    n_tables = len(entry.get("tables", []))
    tables_html = (
        f'<details><summary>tables ({n_tables} CSV files)</summary><p class="links">{tables}</p></details>'
        if tables
        else ""
    )
    message = f'<p class="message">{esc(entry["message"])}</p>' if entry.get("message") else ""
    return f"""<section class="nb" id="{esc(stem)}">
<h2>{esc(entry.get("title") or stem)}<span class="badge" style="color:{fg};background:{bg}">{esc(label)}</span></h2>
<p class="claim">{esc(entry.get("claim") or "")}</p>
<table class="meta">
<tr><th>notebook</th><td><code>{esc(stem)}</code></td></tr>
<tr><th>seed file</th><td>{esc(entry.get("seed_file") or "-")}</td></tr>
<tr><th>data</th><td>{esc(_data_mode(entry))}</td></tr>
<tr><th>status</th><td>{esc(entry["status"])}, {entry["seconds"]:.1f} s, finished {esc(entry["finished"])}</td></tr>
<tr><th>scorecard</th><td>{esc(entry.get("scorecard_summary") or "-")}</td></tr>
</table>
{message}<p class="links">{link_html}</p>
{_scorecard_table(entry.get("scorecard", []))}
{f'<div class="thumbs">{thumbs}</div>' if thumbs else ""}
{tables_html}
</section>"""


def render_index(entries: Mapping[str, Mapping[str, Any]], profile: str, report_root: Path) -> str:
    """The index page's HTML for ``entries`` (stem -> :func:`collect_entry` output), in stem order."""
    stems = sorted(entries)
    n_ok = sum(entries[s]["status"] == "ok" for s in stems)
    nav = "".join(
        f'<li><a href="#{html.escape(s)}">{html.escape(entries[s].get("title") or s)}</a> '
        f"({html.escape(entries[s]['status'])})</li>"
        for s in stems
    )
    sections = "\n".join(_section(entries[s], report_root) for s in stems)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>saliqa reports ({html.escape(profile)})</title><style>{_CSS}</style></head>
<body><header><h1>saliqa: human visual attention and image quality, reproduced</h1>
<p>Profile <code>{html.escape(profile)}</code>: {n_ok} of {len(stems)} notebooks ok.
Each section: the claim under test, the data it ran on, the scorecard (paper value beside the obtained one
only where the same comparison was measured) and the figures; the full report has the code and every table.</p>
<p>Runs on builtin data use simulated observers: their scorecards judge the direction of planted effects,
never the paper's numbers.</p></header>
<main><nav><ul>{nav}</ul></nav>
{sections}
</main></body></html>
"""


def write_index(
    results: Sequence[Any], profile: str, report_root: Path, notebooks: Mapping[str, Path] | None = None
) -> Path:
    """Update ``index.json`` with ``results`` and write ``index.html``; return the page's path.

    Parameters
    ----------
    results
        :class:`saliqa.runner.NotebookResult` of this invocation.
    profile
        The profile (page title).
    report_root
        ``reports/<profile>``.
    notebooks
        stem -> source notebook, for titles of runs that wrote no metrics.
    """
    store = report_root / "index.json"
    entries: dict[str, Any] = json.loads(store.read_text()) if store.is_file() else {}
    entries = {k: v for k, v in entries.items() if isinstance(v, dict) and "title" in v}  # drop old-format rows
    for r in results:
        entries[r.stem] = collect_entry(r, report_root, (notebooks or {}).get(r.stem))
    atomic_write_text(store, json.dumps(entries, indent=2))
    return atomic_write_text(report_root / "index.html", render_index(entries, profile, report_root))
