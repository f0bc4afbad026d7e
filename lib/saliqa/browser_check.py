"""Check report pages in a real browser: every image loads, every link resolves.

The pages are served over HTTP from their folder (``http.server`` on 127.0.0.1), as a reader
would serve ``reports/<profile>``. A probe page in the same folder loads each page in an iframe
(same origin), waits for its images, reads ``naturalWidth`` of each, and fetches every link
(``<a href>``) and every image source; a fragment link must name an element of its page. Headless
Chromium runs the probe and prints the DOM (``--dump-dom``), where the probe wrote its findings as
JSON. Debian's ``chromium`` package is what this was written against.

    python -m saliqa.browser_check reports/smoke index.html 01_crowd_vs_eyetracking_attention.html
"""

from __future__ import annotations

import contextlib
import functools
import html
import http.server
import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PageCheck", "find_chromium", "check_pages", "main"]

PROBE_NAME = "_saliqa_browser_probe.html"

_PROBE = """<!doctype html><html><head><meta charset="utf-8"></head><body><pre id="result">pending</pre>
<script>
const PAGES = %(pages)s;
function loadFrame(url) {
  return new Promise((resolve) => {
    const f = document.createElement("iframe");
    f.style.width = "1300px"; f.style.height = "900px";
    f.onload = () => resolve(f);
    f.src = url;
    document.body.appendChild(f);
  });
}
async function status(url) {
  try { const r = await fetch(url, {cache: "no-store"}); return [r.status, r.headers.get("content-type") || ""]; }
  catch (e) { return [0, String(e)]; }
}
async function checkPage(url) {
  const f = await loadFrame(url);
  const d = f.contentDocument;
  const imgs = Array.from(d.images);
  await Promise.all(imgs.map((i) => i.complete ? null : new Promise((r) => { i.onload = r; i.onerror = r; })));
  const images = imgs.map((i) => ({src: i.currentSrc.slice(0, 120), naturalWidth: i.naturalWidth}));
  const links = [];
  const seen = new Set();
  for (const a of Array.from(d.querySelectorAll("a[href]"))) {
    const raw = a.getAttribute("href");
    const abs = new URL(raw, d.baseURI);
    if (abs.protocol !== "http:" && abs.protocol !== "https:") {
      links.push({href: raw, ok: abs.protocol === "mailto:", why: "scheme"});
      continue;
    }
    if (abs.origin !== location.origin) { links.push({href: raw, ok: false, why: "external"}); continue; }
    const page = abs.href.split("#")[0];
    if (page === d.URL.split("#")[0] && abs.hash) {
      const id = decodeURIComponent(abs.hash.slice(1));
      links.push({href: raw, ok: !!(d.getElementById(id) || d.getElementsByName(id).length), why: "fragment"});
      continue;
    }
    if (seen.has(page)) continue;
    seen.add(page);
    const [code, type] = await status(page);
    const folder = abs.pathname.endsWith("/");
    links.push({href: raw, ok: code === 200 && !folder, why: folder ? "folder" : String(code) + " " + type});
  }
  return {url, images, links};
}
(async () => {
  const out = [];
  for (const p of PAGES) out.push(await checkPage(p));
  document.getElementById("result").textContent = JSON.stringify(out);
})();
</script></body></html>
"""


@dataclass
class PageCheck:
    """What the browser found on one page."""

    url: str
    images: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)

    @property
    def broken_images(self) -> list[str]:
        """Sources of images whose ``naturalWidth`` is 0 (not loaded)."""
        return [i["src"] for i in self.images if not i["naturalWidth"] > 0]

    @property
    def broken_links(self) -> list[str]:
        """Links that do not resolve (with the reason)."""
        return [f"{ln['href']} ({ln['why']})" for ln in self.links if not ln["ok"]]


def find_chromium() -> str | None:
    """Path of a Chromium / Chrome executable on PATH, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def _serve(folder: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def check_pages(
    folder: str | Path, pages: Sequence[str], *, chromium: str | None = None, timeout_s: float = 90.0
) -> list[PageCheck]:
    """Open ``pages`` (paths relative to ``folder``) in headless Chromium and check them.

    Parameters
    ----------
    folder
        The folder served over HTTP (e.g. ``reports/smoke``).
    pages
        Pages to check, relative to ``folder``.
    chromium
        Browser executable (default :func:`find_chromium`).
    timeout_s
        Limit for the browser run.

    Returns
    -------
    list of PageCheck
        One per page, in order.

    Raises
    ------
    FileNotFoundError
        No browser found, or a page missing.
    RuntimeError
        The browser ran but the probe wrote no result (its output is included).
    """
    folder = Path(folder).resolve()
    for page in pages:
        if not (folder / page).is_file():
            raise FileNotFoundError(f"page to check not found: {folder / page}")
    browser = chromium or find_chromium()
    if browser is None:
        raise FileNotFoundError("no chromium on PATH (Debian: apt-get install chromium)")
    probe = folder / PROBE_NAME
    probe.write_text(_PROBE % {"pages": json.dumps(list(pages))})
    try:
        with _serve(folder) as base:
            cmd = [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--virtual-time-budget=30000",
                "--run-all-compositor-stages-before-draw",
                "--dump-dom",
                f"{base}/{PROBE_NAME}",
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    finally:
        probe.unlink(missing_ok=True)
    m = re.search(r'<pre id="result">(.*?)</pre>', proc.stdout, re.S)
    if not m or m.group(1).strip() == "pending":
        raise RuntimeError(
            f"browser probe wrote no result (exit {proc.returncode}): {proc.stdout[-1500:]} {proc.stderr[-1500:]}"
        )
    return [PageCheck(**r) for r in json.loads(html.unescape(m.group(1)))]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m saliqa.browser_check FOLDER PAGE...``: print findings, exit 1 on any problem."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    bad = 0
    for check in check_pages(args[0], args[1:]):
        print(f"{check.url}: {len(check.images)} images, {len(check.links)} links checked")
        for problem in check.broken_images + check.broken_links:
            print(f"  broken: {problem}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
