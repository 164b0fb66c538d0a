"""The report at 1280 px in headless Chromium: the page is exactly as wide as the viewport (no
table pushes it wider), every table stays inside its card, metric names are human, a single
run says it is an anecdote and a sweep shows outcomes by point.

The Chromium checks need the Debian package ``chromium``; they are skipped when it is missing.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import pytest

import samplesim
from helpers import FLAGSHIP, chromium_path
from samplesim.cli import main
from samplesim.report import write_report

WIDTH = 1280

# Written into the DOM on load, read back from --dump-dom.
_PROBE = """<script>
window.addEventListener('load', function(){
  var main = document.querySelector('main');
  var card = main ? main.getBoundingClientRect().right : window.innerWidth;
  var out = [];
  document.querySelectorAll('table').forEach(function(t){
    var box = t.closest('.scroll') || t;
    out.push(Math.round(box.getBoundingClientRect().right - card));
  });
  var d = document.createElement('pre');
  d.id = 'layout-probe';
  d.textContent = JSON.stringify({scroll: document.documentElement.scrollWidth,
                                  inner: window.innerWidth, tables: out});
  document.body.appendChild(d);
});
</script>"""


needs_chromium = pytest.mark.skipif(
    chromium_path() is None, reason="headless Chromium not installed (apt-get install -y chromium)"
)


def _layout(page_html: str, tmp_path: Path) -> dict:
    page = tmp_path / "page.html"
    page.write_text(page_html.replace("<head>", "<head>" + _PROBE, 1), encoding="utf-8")
    cmd = [
        chromium_path(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--window-size={WIDTH},900",
        "--virtual-time-budget=10000",
        "--dump-dom",
        page.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    m = re.search(r'<pre id="layout-probe">(.*?)</pre>', proc.stdout, re.S)
    assert m, f"probe did not run; stderr:\n{proc.stderr[-2000:]}"
    return json.loads(html.unescape(m.group(1)))


@pytest.fixture(scope="module")
def report_pages(tmp_path_factory) -> dict[str, str]:
    """The HTML of a run, replications, comparison and sweep report of the flagship."""
    base = tmp_path_factory.mktemp("layout")
    kw = {"executor": "serial"}
    assert (
        main(["run", str(FLAGSHIP), "--seed", "1", "--no-plots", "--out", str(base / "run")]) == 0
    )
    samplesim.replicate(FLAGSHIP, 3, out=base / "replications", **kw)
    samplesim.compare(
        FLAGSHIP, variants=["wolf-lifted", "lottery"], replications=3, out=base / "comparison", **kw
    )
    samplesim.sweep(
        FLAGSHIP,
        params={"panel.weight": (0.1, 0.9), "review.reviewers": (12, 40)},
        design="grid",
        levels=3,
        replications=3,
        out=base / "sweep",
        **kw,
    )
    kinds = ("run", "replications", "comparison", "sweep")
    return {k: write_report(base / k).read_text(encoding="utf-8") for k in kinds}


def _text(page: str) -> str:
    body = re.sub(r"<(img|pre)\b.*?(</pre>|>)", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.mark.parametrize("kind", ["run", "replications", "comparison", "sweep"])
def test_report_names_metrics_for_humans(report_pages, kind):
    page = report_pages[kind]
    main_part = page.split("<h2>Key metrics</h2>", 1)[1].split("<h2>Figures", 1)[0]
    for snake in ("approval_rate", "grams_granted", "median_days_to_decision"):
        assert snake not in _text(main_part), snake
    assert "median time to decision (days)" in main_part
    assert ("One run is an anecdote" in page) == (kind == "run")


def test_sweep_report_shows_outcomes_by_point(report_pages):
    page = report_pages["sweep"]
    assert "Outcomes by point (9 points" in page
    table = page.split("Outcomes by point", 1)[1].split("</table>", 1)[0]
    assert "panel.weight" in table and "review.reviewers" in table
    assert table.count("<tr>") == 1 + 9  # header and one row per point
    assert "approved (count)" in table and "<span class='note'>[" in table  # n = 3: intervals


@needs_chromium
@pytest.mark.parametrize("kind", ["run", "replications", "comparison", "sweep"])
def test_report_is_as_wide_as_a_1280px_viewport(report_pages, kind, tmp_path):
    got = _layout(report_pages[kind], tmp_path)
    assert got["inner"] == WIDTH
    assert got["scroll"] == WIDTH, got
    assert got["tables"] and max(got["tables"]) <= 0, got  # every table inside its card


@needs_chromium
def test_the_width_probe_sees_an_overflowing_table(report_pages, tmp_path):
    """Sceptic's check: a table too wide for the viewport without its scroll container does
    widen the page, and the probe says so."""
    cells = "".join(f"<td>{'x' * 30}{i}</td>" for i in range(60))
    wide = '<table style="white-space:nowrap"><tr>' + cells + "</tr></table>"
    page = report_pages["run"].replace("<h2>Key metrics</h2>", "<h2>Key metrics</h2>" + wide)
    got = _layout(page, tmp_path)
    assert got["scroll"] > WIDTH and max(got["tables"]) > 0
