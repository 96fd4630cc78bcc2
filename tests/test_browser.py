"""The built book, as a reader gets it: executed chapters, claims, and widgets in a real browser.

All tests share one smoke-scale build (``built_book`` in conftest.py). The browser test serves the
HTML on loopback and drives headless Chromium: the explorer widget must render and respond with
no kernel and no network. Without chromium/chromedriver it skips and says how to enable it;
in CI (CI=true) it fails instead, so a green CI run always includes the browser test.
"""

from __future__ import annotations

import functools
import http.server
import html
import json
import os
import shutil
import threading
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.notebook

# the fields the README documents for book/_build/claims.json
CLAIM_KEYS = {"chapter", "id", "source", "statement", "paper", "ours", "verdict", "scale", "n"}
CLAIM_KEYS |= {"censored", "estimate", "ci_low", "ci_high", "band_low", "band_high", "min_seeds"}
CHAPTERS = sorted(
    p.stem
    for p in (Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb")
)
HOW_TO_ENABLE = (
    "run `make test` as root (it installs them), or `apt-get install -y chromium chromium-driver`"
)

# The image the first explorer shows, as a hash of its pixels (None until it has loaded).
VISIBLE_IMAGE_JS = """
const box = document.querySelectorAll('.widget-vbox')[0];
const img = box && [...box.querySelectorAll('img.widget-image')]
    .find(i => i.offsetParent !== null && i.complete && i.naturalWidth > 0);
if (!img) return null;
const c = document.createElement('canvas');
c.width = img.naturalWidth; c.height = img.naturalHeight;
c.getContext('2d').drawImage(img, 0, 0);
return c.toDataURL();
"""
NON_LOCAL_JS = """
const local = location.origin + '/';
const scripts = [...document.scripts].map(s => s.src).filter(Boolean);
const fetched = performance.getEntriesByType('resource').map(e => e.name);
return [...scripts, ...fetched].filter(u => !u.startsWith(local));
"""


def executed_chapters(book: Path) -> list[Path]:
    """The executed notebooks of a build."""
    return sorted((book / "chapters").glob("*.ipynb"))


def test_claims_json(built_book: Path) -> None:
    """claims.json is a list of claims with the documented keys, numbers as numbers and verdicts
    from the one list; the intro's scoreboard lists each."""
    from grokcore.claims import VERDICTS

    claims = json.loads((built_book / "_build" / "claims.json").read_text())
    assert isinstance(claims, list) and claims, "claims.json is empty"
    for claim in claims:
        missing = CLAIM_KEYS - set(claim)
        assert not missing, f"claim {claim.get('id')!r} lacks {sorted(missing)}"
        assert claim["scale"] == "smoke" and claim["verdict"] in VERDICTS
        for k in ("estimate", "ci_low", "ci_high", "band_low", "band_high"):
            assert claim[k] is None or isinstance(claim[k], (int, float)), (claim["id"], k)
    assert {c["chapter"] for c in claims} == {p.stem for p in executed_chapters(built_book)}
    # as a reader sees it: entities decoded and Sphinx's smart quotes straightened
    intro = html.unescape((built_book / "_build" / "html" / "intro.html").read_text())
    intro = " ".join(
        intro.replace("\u2018", "'")
        .replace("\u2019", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
        .split()
    )
    for claim in claims:
        statement = " ".join(str(claim["statement"]).split())
        assert statement in intro, f"claim {claim['id']!r} missing from the scoreboard"


def test_no_error_outputs(built_book: Path) -> None:
    """papermill ran every chapter to the end with no error output."""
    chapters = executed_chapters(built_book)
    assert chapters, "no executed chapters"
    for path in chapters:
        nb = nbformat.read(path, as_version=4)
        assert not nb.metadata["papermill"].get("exception"), f"{path.name}: papermill exception"
        assert nb.metadata["grokbook"]["scale"] == "smoke"
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
        assert not errors, f"{path.name}: {errors[0]['ename']}: {errors[0]['evalue']}"


@pytest.fixture(scope="module")
def book_url(built_book: Path):
    """Serve the built HTML on a loopback port; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(built_book / "_build" / "html"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    """Headless Chromium through the system chromedriver (Selenium Manager never downloads)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not chromium or not Path(driver_path).is_file():
        missing = f"chromium or chromedriver not found; to enable browser tests, {HOW_TO_ENABLE}"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"CI=true: {missing}")
        pytest.skip(missing)
    if os.environ.get("CI", "").lower() in ("true", "1"):
        import selenium.webdriver as webdriver  # CI: an ImportError fails, it does not skip
    else:
        webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,1600",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    yield driver
    driver.quit()


@pytest.mark.browser
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_widget_works_offline(browser, book_url: str, built_book: Path, chapter: str) -> None:
    """The explorer renders from saved state; moving its first slider shows another image."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(book_url + f"chapters/{chapter}.html")
    wait = WebDriverWait(browser, 60)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".widget-vbox .noUi-handle"))
    before = wait.until(lambda d: d.execute_script(VISIBLE_IMAGE_JS))
    handle = browser.find_elements(By.CSS_SELECTOR, ".widget-vbox .noUi-handle")[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", handle)
    browser.save_screenshot(str(built_book / f"{chapter}-widget-before.png"))

    handle.send_keys(Keys.ARROW_RIGHT)
    after = WebDriverWait(browser, 10).until(
        lambda d: (img := d.execute_script(VISIBLE_IMAGE_JS)) not in (None, before) and img
    )
    browser.save_screenshot(str(built_book / f"{chapter}-widget-after.png"))
    assert after != before
    assert handle.get_attribute("aria-valuenow") not in (None, "0", "0.0")

    handles = browser.find_elements(By.CSS_SELECTOR, ".widget-vbox .noUi-handle")
    if len(handles) > 1:  # the inner level follows its slider inside the newly shown outer view
        handles[1].send_keys(Keys.ARROW_RIGHT)
        WebDriverWait(browser, 10).until(
            lambda d: d.execute_script(VISIBLE_IMAGE_JS) not in (None, before, after)
        )

    scripts = [s.get_attribute("src") or "" for s in browser.find_elements(By.TAG_NAME, "script")]
    for name in ("require.js", "embed-amd.js"):
        assert any(name in src and src.startswith(book_url) for src in scripts), f"{name} not local"
    assert browser.execute_script(NON_LOCAL_JS) == []


@pytest.mark.browser
def test_math_renders_offline(browser, book_url: str) -> None:
    """MathJax loads from the book itself and typesets the intro's formulas."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(book_url + "intro.html")
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "mjx-container"))
    scripts = [s.get_attribute("src") or "" for s in browser.find_elements(By.TAG_NAME, "script")]
    assert any("tex-mml-chtml.js" in src and src.startswith(book_url) for src in scripts)
    assert browser.execute_script(NON_LOCAL_JS) == []


OVERFLOW_JS = """
const out = [];
for (const el of document.querySelectorAll('.cell_output pre, .cell_output .output')) {
  if (el.scrollWidth > el.clientWidth + 2) out.push(el.className + ': ' + el.scrollWidth + ' > '
    + el.clientWidth + ': ' + (el.innerText || '').slice(0, 60));
}
return out;
"""


@pytest.mark.browser
@pytest.mark.parametrize("page", ["intro", *(f"chapters/{c}" for c in CHAPTERS)])
def test_no_output_is_wider_than_the_page(browser, book_url: str, page: str) -> None:
    """Printed results and tables wrap at the page's edge (book/widget_assets/grokbook.css): no
    output hides a column, such as a claim's verdict, behind a horizontal scroll bar."""
    browser.get(book_url + f"{page}.html")
    assert browser.execute_script(OVERFLOW_JS) == []
