"""The HTML report: self-contained, every figure embedded, and it renders in headless Chromium.

The Chromium test needs the Debian package ``chromium`` (``apt-get install -y chromium``); it is
skipped with a reason when no Chromium binary is found.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess

import pytest

import samplesim
from helpers import FLAGSHIP, chromium_path
from samplesim.cli import main
from samplesim.output import write_run
from samplesim.report import write_report

IMG = re.compile(r'<img\b[^>]*\bsrc="([^"]*)"', re.I)


@pytest.fixture(scope="module")
def dirs(tmp_path_factory, flagship_result):
    base = tmp_path_factory.mktemp("report")
    res = flagship_result
    run = base / "run"
    run.mkdir()
    write_run(
        res,
        run,
        {
            "scenario": "change5-2023",
            "kind": "run",
            "seed": 1,
            "versions": {"samplesim": "test"},
            "command": ["samplesim", "run"],
        },
        plots=False,
    )
    samplesim.compare(
        FLAGSHIP, variants=["wolf-lifted", "lottery"], replications=3, out=base / "cmp", plots=False
    )
    return {"run": run, "comparison": base / "cmp"}


@pytest.fixture(scope="module")
def reports(dirs, tmp_path_factory):
    """Each directory's report, written once (drawing the figures is the slow part)."""
    base = tmp_path_factory.mktemp("html")
    # the run's report through the command line (default path DIR/report.html)
    assert main(["report", str(dirs["run"])]) == 0
    return {
        "run": dirs["run"] / "report.html",
        "comparison": write_report(dirs["comparison"], base / "comparison.html"),
    }


@pytest.mark.parametrize("kind", ["run", "comparison"])
def test_report_is_self_contained(reports, kind):
    text = reports[kind].read_text(encoding="utf-8")
    srcs = IMG.findall(text)
    assert len(srcs) >= (5 if kind == "run" else 3)
    for src in srcs:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # no external resources, no scripts
    assert not re.search(r'(src|href)="(https?:)?//', text)
    assert "<script" not in text.lower()
    assert "<h2>Manifest</h2>" in text and "change5-2023" in text
    assert text.startswith("<!DOCTYPE html>")
    if kind == "run":
        assert "Rules" in text and "wolf-amendment" in text
    if kind == "comparison":
        assert "paired 95 % CI" in text and "[" in text
        assert "&lt;span" not in text  # cells with CIs are HTML, not escaped text


def test_report_command_errors(reports, dirs, tmp_path, capsys):
    assert reports["run"].stat().st_size > 50_000
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert main(["report", str(tmp_path)]) == 2  # not an output directory
    assert main(["report", str(dirs["run"]), "--out", str(tmp_path)]) == 2
    assert "error:" in capsys.readouterr().err


_CHECK = """<script>
(function(){
  var errors = [];
  window.addEventListener('error', function(e){
    errors.push(String(e.message || (e.target && (e.target.src || e.target.href)) || e));
  }, true);
  var orig = console.error;
  console.error = function(){ errors.push(Array.prototype.join.call(arguments, ' ')); };
  window.addEventListener('load', function(){
    var imgs = [];
    for (var i = 0; i < document.images.length; i++) {
      var im = document.images[i];
      imgs.push({complete: im.complete, w: im.naturalWidth, h: im.naturalHeight,
                 data: im.src.indexOf('data:image/png;base64,') === 0});
    }
    document.title = 'CHECK:' + JSON.stringify({imgs: imgs, errors: errors});
    console.log('samplesim-report-check');
  });
})();
</script>"""


@pytest.mark.skipif(
    chromium_path() is None,
    reason="headless Chromium not installed (apt-get install -y chromium)",
)
@pytest.mark.parametrize("kind", ["run", "comparison"])
def test_report_renders_in_chromium(reports, kind, tmp_path):
    report = reports[kind]
    # The test copy gets a tiny script that records image decoding and errors into the title.
    page = tmp_path / f"{kind}-check.html"
    page.write_text(
        report.read_text(encoding="utf-8").replace("<head>", "<head>" + _CHECK, 1), encoding="utf-8"
    )
    cmd = [
        chromium_path(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=10000",
        "--dump-dom",
        page.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    m = re.search(r"<title>CHECK:(.*?)</title>", proc.stdout, re.S)
    assert m, f"check script did not run; stderr:\n{proc.stderr[-2000:]}"
    check = json.loads(m.group(1).replace("&amp;", "&").replace("&quot;", '"'))
    n_img = len(IMG.findall(report.read_text(encoding="utf-8")))
    assert len(check["imgs"]) == n_img >= 3
    for im in check["imgs"]:
        assert im["data"] and im["complete"] and im["w"] > 100 and im["h"] > 100, im
    assert check["errors"] == []
    # Console messages in the log: only our own marker (the report itself has no JS).
    console = [ln for ln in proc.stderr.splitlines() if "CONSOLE" in ln]
    assert any("samplesim-report-check" in ln for ln in console), proc.stderr[-2000:]
    others = [ln for ln in console if "samplesim-report-check" not in ln]
    assert others == [], others
