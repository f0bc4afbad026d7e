"""The report site: index page contents, relative links, and a real-browser check of the pages."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from saliqa import browser_check, report_site, runner


def _fake_run(root: Path, stem: str, *, simulated: bool, figures: list[str]) -> runner.NotebookResult:
    out = root / stem
    (out / "figures").mkdir(parents=True)
    (out / "tables").mkdir()
    for name in figures:
        (out / "figures" / name).write_bytes(b"\x89PNG fake")
    (out / "tables" / "t.csv").write_text("a\n1\n")
    doc = dict(
        title=f"Title of {stem}",
        claim="Crowd maps agree <strongly>",
        seed_file="000_x.txt",
        simulated_observers=simulated,
        datasets=["osie"] if not simulated else [],
        scorecard=[
            dict(
                claim="c1",
                label="PCC P_Free",
                kind="direction",
                paper=0.83,
                obtained=0.9,
                expected="> 0.5",
                passed=True,
                note="Table 1",
            ),
            dict(
                claim="",
                label="SIM",
                kind="reported",
                paper=None,
                obtained=0.7,
                expected="reported",
                passed=None,
                note="",
            ),
        ],
        scorecard_summary="1/1 claims pass (1 reported without verdict)",
        figures=figures + ["gone.png"],
        tables=["t.csv"],
    )
    (out / "metrics.json").write_text(json.dumps(doc))
    (out / "scorecard.csv").write_text("claim\nc1\n")
    (root / f"{stem}.html").write_text("<html></html>")
    return runner.NotebookResult(stem, "ok", 3.25, "", "", "builtin" if simulated else "/data")


def test_index_sections_scorecard_thumbnails_and_relative_links(tmp_path):
    results = [
        _fake_run(tmp_path, "01_a", simulated=True, figures=["f1.png", "f2.png"]),
        _fake_run(tmp_path, "02_b", simulated=False, figures=["g.png"]),
        runner.NotebookResult("03_c", "failed", 1.0, "Traceback <boom>", "", "builtin"),
    ]
    page = report_site.write_index(results, "smoke", tmp_path).read_text()
    assert page.count('<section class="nb"') == 3
    assert "Title of 01_a" in page and "Crowd maps agree &lt;strongly&gt;" in page and "000_x.txt" in page
    assert "builtin photographs with SIMULATED observers" in page
    assert "real data from /data: osie (real observers)" in page
    assert "Traceback &lt;boom&gt;" in page and "FAILED" in page
    # scorecard as a table: claim, paper value, obtained, expected, verdict
    assert "<th>paper value</th><th>obtained</th><th>expected</th><th>verdict</th>" in page
    assert '<td class="num">0.83</td><td class="num">0.9</td><td>&gt; 0.5</td><td class="pass">pass</td>' in page
    # thumbnails of existing figures only, linking to the full report
    assert '<a href="01_a.html"><img src="01_a/figures/f1.png"' in page and "gone.png" not in page
    hrefs = re.findall(r'(?:href|src)="([^"]+)"', page)
    assert hrefs and all(not h.startswith(("/", "http", "file:")) for h in hrefs), hrefs
    assert not [h for h in hrefs if h.endswith("/")], "links to bare folders"
    for h in hrefs:
        if not h.startswith("#"):
            assert (tmp_path / h).is_file(), h
    # index.json keeps rows of earlier runs
    report_site.write_index([results[1]], "smoke", tmp_path)
    assert set(json.loads((tmp_path / "index.json").read_text())) == {"01_a", "02_b", "03_c"}


def test_index_page_is_world_readable(tmp_path):
    page = report_site.write_index([_fake_run(tmp_path, "01_a", simulated=True, figures=[])], "smoke", tmp_path)
    umask = os.umask(0)
    os.umask(umask)
    assert page.stat().st_mode & 0o777 == 0o666 & ~umask


def _browser() -> str:
    found = browser_check.find_chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing on CI (.ci/run installs Debian's chromium)")
        pytest.skip("no chromium on PATH (apt-get install chromium); .ci/run installs it")
    return found


def test_browser_check_finds_broken_images_and_links(tmp_path):
    """The probe itself: a good page passes, a broken image / missing file / folder link are caught."""
    browser = _browser()
    png = tmp_path / "ok.png"
    from PIL import Image

    Image.new("RGB", (7, 5), "red").save(png)
    (tmp_path / "sub").mkdir()
    (tmp_path / "good.html").write_text(
        '<h1 id="top">x</h1><img src="ok.png"><a href="#top">t</a><a href="bad.html">b</a>'
    )
    (tmp_path / "bad.html").write_text(
        '<img src="missing.png"><a href="nope.html">n</a><a href="sub/">s</a>'
        '<a href="#nowhere">f</a><a href="good.html">g</a>'
    )
    good, bad = browser_check.check_pages(tmp_path, ["good.html", "bad.html"], chromium=browser)
    assert good.broken_images == [] and good.broken_links == [] and good.images[0]["naturalWidth"] == 7
    assert len(bad.broken_images) == 1
    assert sorted(bad.broken_links) == [
        "#nowhere (fragment)",
        "nope.html (404 text/html;charset=utf-8)",
        "sub/ (folder)",
    ]
    assert not (tmp_path / browser_check.PROBE_NAME).exists()


@pytest.mark.notebook
def test_index_and_report_in_a_real_browser(smoke_runs):
    """The smoke runs' index and notebook 01's report: every image loads, every link resolves."""
    browser = _browser()
    root = next(iter(smoke_runs.values()))[1]
    stem = "01_crowd_vs_eyetracking_attention"
    checks = browser_check.check_pages(root, ["index.html", f"{stem}.html"], chromium=browser)
    n_figures = sum(len(json.loads((root / s / "metrics.json").read_text())["figures"]) for s in smoke_runs)
    index, report = checks
    assert len(index.images) == n_figures > 0
    assert len(report.images) == len(json.loads((root / stem / "metrics.json").read_text())["figures"])
    for check in checks:
        assert check.broken_images == [], check.url
        assert check.broken_links == [], check.url
    assert len(index.links) >= 4 * len(smoke_runs)
