"""Draw docs/figures/card.png: the Jupyter card (``_repr_html_``) of the README's comparison,
rendered by headless Chromium.

Usage: ``python scripts/make_card_figure.py`` from the repository root (needs ``chromium``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import samplesim

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "figures" / "card.png"
PAGE = (
    '<!doctype html><html><head><meta charset="utf-8"></head>'
    '<body style="margin:8px;background:#fff">{card}</body></html>'
)


def main() -> int:
    """Run the README's comparison in memory and screenshot its card."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium not found", file=sys.stderr)
        return 1
    c = samplesim.compare(
        ROOT / "scenarios" / "change5-2023.toml",
        variants=["wolf-lifted"],
        replications=20,
        executor="serial",
    )
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "card.html"
        page.write_text(PAGE.format(card=c._repr_html_()), encoding="utf-8")
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--screenshot={OUT}", "--window-size=820,295", page.as_uri()],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
