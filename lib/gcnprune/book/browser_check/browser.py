"""The checks a reader's browser makes: each page opened in headless Chromium, its console errors, the
formulas MathJax left as TeX, the images that do not load, and a screenshot of it."""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .devtools import BrowserError, DevTools
from .pages import Problem

#: Chromium's executable names, tried in order on PATH ($GCNPRUNE_CHROMIUM overrides them).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
INSTALL_HINT = "Chromium is not installed; install it with `apt-get install chromium` (Debian's package)"
#: The browser window, and the tallest screenshot taken (long chapters are cut there).
WINDOW_WIDTH, WINDOW_HEIGHT, MAX_SCREENSHOT_HEIGHT = 1280, 1600, 8000

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


def console_error(event: dict[str, Any]) -> str | None:
    """The message of a DevTools event that reports an error in a page's console, or None."""
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        return " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", []))
    if method == "Runtime.exceptionThrown":
        details = params.get("exceptionDetails", {})
        return details.get("exception", {}).get("description") or details.get("text", "exception")
    if method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
        entry = params["entry"]
        return f"{entry.get('text', '')} {entry.get('url', '')}".strip()
    return None


def _settle(browser: DevTools, session: str) -> dict[str, list[str]]:
    """Run :data:`SETTLE_SCRIPT` in the loaded page; if the page navigates meanwhile (a redirect, as the
    book's index.html does), wait for the new page to load and run it there."""
    for _ in range(3):
        try:
            reply = browser.call("Runtime.evaluate", {"expression": SETTLE_SCRIPT, "awaitPromise": True,
                                                      "returnByValue": True}, session)  # fmt: skip
        except BrowserError as error:
            if not any(word in str(error).lower() for word in ("navigated", "context")):
                raise
            browser.wait_for("Page.loadEventFired", session)
            continue
        if "exceptionDetails" not in reply:
            return reply["result"]["value"]
        browser.wait_for("Page.loadEventFired", session)
    raise BrowserError("the page kept navigating away")


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


def _screenshot(browser: DevTools, session: str, file: Path) -> None:
    """Save the page as a PNG, WINDOW_WIDTH wide and as tall as the page (MAX_SCREENSHOT_HEIGHT at the most)."""
    height = browser.call("Page.getLayoutMetrics", session=session)["cssContentSize"]["height"]
    clip = {"x": 0, "y": 0, "width": WINDOW_WIDTH, "height": min(max(height, 1), MAX_SCREENSHOT_HEIGHT), "scale": 1}
    shot = browser.call(
        "Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True}, session
    )
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(base64.b64decode(shot["data"]))


def _visit(browser: DevTools, page: Path, screenshot: Path) -> list[tuple[str, str]]:
    """Open one page in a new tab of its own browser context (empty storage, as for a reader's first visit),
    wait for it to settle, screenshot it; its problems as (kind, detail)."""
    context = browser.call("Target.createBrowserContext")["browserContextId"]  # fresh storage: a first visit
    target = browser.call("Target.createTarget", {"url": "about:blank", "browserContextId": context})["targetId"]
    session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    try:
        for domain in ("Page", "Runtime", "Log"):
            browser.call(f"{domain}.enable", session=session)
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": WINDOW_WIDTH, "height": WINDOW_HEIGHT, "deviceScaleFactor": 1, "mobile": False},
            session,
        )
        navigation = browser.call("Page.navigate", {"url": page.as_uri()}, session)
        if navigation.get("errorText"):
            return [("broken link", f"the page does not open: {navigation['errorText']}")]
        browser.wait_for("Page.loadEventFired", session)
        settled = _settle(browser, session)
        _screenshot(browser, session, screenshot)
        moved = browser.call("Runtime.evaluate", {"expression": EXPLORER_SCRIPT, "returnByValue": True}, session)
        explorers = moved.get("result", {}).get("value") or []
        found = [("console error", message) for message in map(console_error, browser.take_events(session)) if message]
        found += [("raw TeX", f"formula not typeset: {tex}") for tex in settled["raw"]]
        found += [("raw TeX", f"MathJax error: {error}") for error in settled["errors"]]
        found += explorer_problems(explorers)
        return found + [("missing image", src) for src in settled["images"]]  # as link_problems says it
    finally:
        browser.call("Target.disposeBrowserContext", {"browserContextId": context})
        browser.take_events(session)


def browser_problems(html_dir: Path, pages: Sequence[Path], screenshots_dir: Path,
                     executable: str | None = None) -> list[Problem]:  # fmt: skip
    """Console errors, raw TeX and images that do not load, page by page in one headless Chromium; one
    screenshot per page under ``screenshots_dir``, at the page's path with ``.png`` for ``.html``."""
    executable = executable or find_chromium()
    if executable is None:
        raise FileNotFoundError(INSTALL_HINT)
    problems = []
    with tempfile.TemporaryDirectory(prefix="gcnprune-chromium-") as profile:
        browser = DevTools(executable, Path(profile))
        try:
            for page in pages:
                name = page.relative_to(html_dir)
                try:
                    found = _visit(browser, page, (screenshots_dir / name).with_suffix(".png"))
                except BrowserError as error:
                    found = [("console error", f"the browser check failed: {error}")]
                problems += [Problem(str(name), kind, detail) for kind, detail in found]
        finally:
            browser.close()
    return sorted(set(problems))
