"""The checks a reader's browser makes: each page opened in headless Chromium (driven by Playwright, launching
Debian's Chromium), its console errors, the formulas MathJax left as TeX, the images that do not load, the rate
explorers' sliders, and a screenshot of it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from .pages import Problem

#: Chromium's executable names, tried in order on PATH ($GCNPRUNE_CHROMIUM overrides them).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
INSTALL_HINT = "Chromium is not installed; install it with `apt-get install chromium` (Debian's package)"
#: The browser window, and the tallest screenshot taken (long chapters are cut there).
WINDOW_WIDTH, WINDOW_HEIGHT, MAX_SCREENSHOT_HEIGHT = 1280, 1600, 8000
#: How long a page may take to load, settle or answer a script (milliseconds).
TIMEOUT_MS = 60_000

#: Run in each page once it has loaded: waits for MathJax's first typesetting and for every image.
SETTLE_SCRIPT = """(async () => {
  const startup = window.MathJax && window.MathJax.startup;
  if (startup && startup.promise) { try { await startup.promise; } catch (error) {} }
  const images = await Promise.all(Array.from(document.images, (img) => {
    img.loading = "eager";
    const src = img.getAttribute("src") || "";
    return img.decode().then(() => null, () => (img.naturalWidth > 0 ? null : src));
  }));
  const text = (element) => element.textContent.replace(/\\s+/g, " ").trim().slice(0, 80);
  return {
    images: images.filter((src) => src !== null),
    raw: Array.from(document.querySelectorAll(".math"))
      .filter((element) => !element.querySelector("mjx-container")).map(text),
    errors: Array.from(document.querySelectorAll("mjx-merror"))
      .map((element) => element.getAttribute("data-mjx-error") || text(element)),
  };
})()"""


def find_chromium() -> str | None:
    """The Chromium executable: $GCNPRUNE_CHROMIUM, else the first of :data:`CHROMIUM_NAMES` on PATH."""
    names = [os.environ["GCNPRUNE_CHROMIUM"]] if os.environ.get("GCNPRUNE_CHROMIUM") else CHROMIUM_NAMES
    return next((found for found in map(shutil.which, names) if found), None)


# Moves every rate explorer's slider (gcnprune.book.report.rate_explorer) to its last rate and reads the page back:
# what it showed before, what it shows after, and what its embedded data says it should show.
EXPLORER_SCRIPT = """
Array.from(document.querySelectorAll('[data-rate-explorer]')).map((root) => {
  const slider = root.querySelector('input[type="range"]');
  const field = (name) => root.querySelector('[data-field="' + name + '"]').textContent;
  const data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
  const before = field('accuracy');
  slider.value = slider.max;
  slider.dispatchEvent(new Event('input', {bubbles: true}));
  return {before: before, after: field('accuracy'), rate: field('rate'),
          want: (100 * data.accuracy[+slider.max]).toFixed(1) + ' %', wantRate: String(data.rates[+slider.max])};
})
"""


def explorer_problems(results: list[dict[str, str]]) -> list[tuple[str, str]]:
    """A rate explorer whose readout did not change when its slider moved, or does not show its data's value."""
    found = []
    for k, shown in enumerate(results):
        if shown["after"] == shown["before"] or shown["after"] != shown["want"] or shown["rate"] != shown["wantRate"]:
            found.append(("rate explorer", f"explorer {k + 1}: moved to rate {shown['wantRate']}, it shows "
                                           f"{shown['after']} at {shown['rate']} (before: {shown['before']}; "
                                           f"expected {shown['want']})"))  # fmt: skip
    return found


def _settle(page) -> dict[str, list[str]]:
    """Run :data:`SETTLE_SCRIPT` in the loaded page; if the page navigates meanwhile (a redirect, as the book's
    index.html does), wait for the new page to load and run it there."""
    for _ in range(3):
        try:
            return page.evaluate(SETTLE_SCRIPT)
        except Exception as error:  # Playwright's Error: the script's context went with a navigation
            if not any(word in str(error).lower() for word in ("navigat", "context")):
                raise
            page.wait_for_load_state("load")
    raise RuntimeError("the page kept navigating away")


def _visit(browser, page_file: Path, screenshot: Path) -> list[tuple[str, str]]:
    """Open one page in a browser context of its own (empty storage, as for a reader's first visit), wait for it
    to settle, screenshot it, move its rate explorers; its problems as (kind, detail)."""
    context = browser.new_context(viewport={"width": WINDOW_WIDTH, "height": WINDOW_HEIGHT})
    context.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda message: errors.append(message.text) if message.type in ("error", "assert") else None)
        page.on("pageerror", lambda error: errors.append(f"{error.name}: {error.message}"))
        page.on("requestfailed", lambda request: errors.append(f"failed to load {request.url}"))
        try:
            page.goto(page_file.as_uri(), wait_until="load")
        except Exception as error:  # the file does not open at all
            return [("broken link", f"the page does not open: {str(error).splitlines()[0]}")]
        settled = _settle(page)
        height = page.evaluate("document.documentElement.scrollHeight")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True,
                        clip={"x": 0, "y": 0, "width": WINDOW_WIDTH,
                              "height": min(max(height, 1), MAX_SCREENSHOT_HEIGHT)})  # fmt: skip
        explorers = page.evaluate(EXPLORER_SCRIPT) or []
        found = [("console error", message) for message in dict.fromkeys(errors)]
        found += [("raw TeX", f"formula not typeset: {tex}") for tex in settled["raw"]]
        found += [("raw TeX", f"MathJax error: {error}") for error in settled["errors"]]
        found += explorer_problems(explorers)
        return found + [("missing image", src) for src in settled["images"]]  # as link_problems says it
    finally:
        context.close()


def browser_problems(html_dir: Path, pages: Sequence[Path], screenshots_dir: Path,
                     executable: str | None = None) -> list[Problem]:  # fmt: skip
    """Console errors, raw TeX and images that do not load, page by page in one headless Chromium; one
    screenshot per page under ``screenshots_dir``, at the page's path with ``.png`` for ``.html``."""
    executable = executable or find_chromium()
    if executable is None:
        raise FileNotFoundError(INSTALL_HINT)
    from playwright.sync_api import sync_playwright  # the book extra

    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            for page in pages:
                name = page.relative_to(html_dir)
                try:
                    found = _visit(browser, page, (screenshots_dir / name).with_suffix(".png"))
                except Exception as error:  # a page that hangs or crashes the tab is a problem of that page
                    found = [("console error", f"the browser check failed: {str(error).splitlines()[0]}")]
                problems += [Problem(str(name), kind, detail) for kind, detail in found]
        finally:
            browser.close()
    return sorted(set(problems))
