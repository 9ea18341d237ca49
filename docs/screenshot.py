"""Take the README's picture of the HTML report: `python docs/screenshot.py STUDY_DIR`.

Writes STUDY_DIR's report, opens it in the distribution's Chromium (headless, through
Playwright, as the report's browser test does) 1,200 px wide and saves its charts from
"Best so far" on (1,390 px of them) to docs/report.png. The committed picture is of
`make demo`'s study (studies/quickstart-demo).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
WIDTH, HEIGHT = 1200, 1390


def main(study: Path, out: Path) -> None:
    page_file = study / "report.html"
    hpo = Path(sys.executable).with_name("hpo-bridge")
    subprocess.run([str(hpo), "report", str(study), "-o", str(page_file)], check=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("no chromium: apt-get install chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.goto(page_file.resolve().as_uri())
        box = page.locator("#history").bounding_box()
        top = box["y"] if box else 0
        page.set_viewport_size({"width": WIDTH, "height": int(top) + HEIGHT})
        page.screenshot(path=str(out), clip={"x": 0, "y": top, "width": WIDTH,
                                             "height": HEIGHT})
        browser.close()
    print(f"{out}: {out.stat().st_size} bytes")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(__file__).resolve().parent / "report.png")
