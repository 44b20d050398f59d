"""Open every page of a built book in headless Chromium and report what a reader would trip over.

``check_book(html_dir, screenshots_dir)`` returns the problems it finds, and saves one screenshot per page
(``screenshots_dir/<page path>.png``) for a person to look at. A problem is one of:

* ``console error``: anything the page logs at error level: ``console.error``, an uncaught exception (a
  syntax error included) or a resource that fails to load;
* ``raw TeX``: a formula that MathJax left as TeX (a ``.math`` element with no ``mjx-container``) or
  typeset as an error (``mjx-merror``);
* ``broken link`` / ``broken anchor``: a local ``href``/``src`` whose file, or whose ``#anchor`` in an HTML
  page, does not exist (read from the HTML itself; http(s), mailto and data URLs are not followed);
* ``missing image``: an ``<img>`` whose file does not exist, or that the browser could not load (a file
  that is not an image).

The browser is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``): Chromium's
``--enable-logging`` output prints every console message as ``INFO:CONSOLE`` whatever its level, and says
nothing about images that fail to load, so the levels come from the protocol's events instead.

Command line: ``python -m gcnprune.browser_check book/_build/html`` prints one line per problem and exits 1
if there is any (2 if Chromium is not installed).
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

#: Chromium's executable names, tried in order on PATH ($GCNPRUNE_CHROMIUM overrides them).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
INSTALL_HINT = "Chromium is not installed; install it with `apt-get install chromium` (Debian's package)"
#: The browser window, and the tallest screenshot taken (long chapters are cut there).
WINDOW_WIDTH, WINDOW_HEIGHT, MAX_SCREENSHOT_HEIGHT = 1280, 1600, 8000
#: Seconds one page may take to load, typeset its formulas and load its images.
PAGE_TIMEOUT = 60.0
#: URL schemes that are not local files, so not checked.
EXTERNAL_SCHEMES = ("http", "https", "mailto", "data", "javascript", "tel", "ftp")

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


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one page: ``page`` is its path relative to the HTML folder."""

    page: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.page}: {self.kind}: {self.detail}"


class BrowserError(RuntimeError):
    """Chromium exited, did not answer in time, or refused a DevTools command."""


def find_chromium() -> str | None:
    """The Chromium executable: $GCNPRUNE_CHROMIUM, else the first of :data:`CHROMIUM_NAMES` on PATH."""
    names = [os.environ["GCNPRUNE_CHROMIUM"]] if os.environ.get("GCNPRUNE_CHROMIUM") else CHROMIUM_NAMES
    return next((found for found in map(shutil.which, names) if found), None)


def book_pages(html_dir: Path) -> list[Path]:
    """Every HTML page of a built book, outside Sphinx's ``_static``-like folders, in path order."""
    return sorted(page for page in html_dir.rglob("*.html")
                  if not any(part.startswith("_") for part in page.relative_to(html_dir).parts[:-1]))  # fmt: skip


# --- links, anchors and images, from the HTML itself ------------------------------------------------------


class _PageParser(HTMLParser):
    """The ids (and ``<a name>``s) a page defines, and the ``href``/``src`` URLs it uses, with their tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value}
        self.ids.update(values[name] for name in ("id", "name") if name in values and (name == "id" or tag == "a"))
        self.urls.extend((tag, values[name]) for name in ("href", "src") if name in values)


def _parse(page: Path, cache: dict[Path, _PageParser]) -> _PageParser:
    """The parsed page, parsed once per check."""
    if page not in cache:
        parser = _PageParser()
        parser.feed(page.read_text(errors="replace"))
        cache[page] = parser
    return cache[page]


def _link_problem(page: Path, tag: str, url: str, cache: dict[Path, _PageParser]) -> tuple[str, str] | None:
    """What is wrong with one URL of a page (kind, detail), or None: external URLs are not followed."""
    parts = urlsplit(url)
    if parts.scheme.lower() in EXTERNAL_SCHEMES or parts.netloc:
        return None
    target = page if not parts.path else page.parent / unquote(parts.path)
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return ("missing image" if tag == "img" else "broken link"), url
    fragment = unquote(parts.fragment)
    if fragment and target.suffix == ".html" and fragment not in _parse(target, cache).ids:
        return "broken anchor", url
    return None


def link_problems(html_dir: Path, pages: Sequence[Path]) -> list[Problem]:
    """Broken local links and anchors and missing images in ``pages``, checked against the files on disk."""
    cache: dict[Path, _PageParser] = {}
    problems = set()
    for page in pages:
        for tag, url in _parse(page, cache).urls:
            found = _link_problem(page, tag, url, cache)
            if found:
                problems.add(Problem(str(page.relative_to(html_dir)), *found))
    return sorted(problems)


# --- the browser ------------------------------------------------------------------------------------------


def _high_fd(fd: int) -> int:
    """``fd`` moved to a descriptor number of 10 or more (close-on-exec), so that 3 and 4 can be wired freely."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class DevTools:
    """A headless Chromium driven over ``--remote-debugging-pipe``: it reads commands (JSON, each ended by a
    NUL byte) on its descriptor 3 and writes replies and events on its descriptor 4."""

    def __init__(self, executable: str, profile_dir: Path) -> None:
        browser_reads, self._write_fd = map(_high_fd, os.pipe())
        self._read_fd, browser_writes = map(_high_fd, os.pipe())

        def wire() -> None:  # in the child, before exec: the pipes become its descriptors 3 and 4
            os.dup2(browser_reads, 3)
            os.dup2(browser_writes, 4)

        command = [executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                   "--remote-debugging-pipe", f"--user-data-dir={profile_dir}", "--no-first-run", "--hide-scrollbars",
                   "--mute-audio", "--disable-extensions", "about:blank"]  # fmt: skip
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, preexec_fn=wire, close_fds=False)  # fmt: skip
        os.close(browser_reads)
        os.close(browser_writes)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        """Ask the browser to quit, and kill it if it does not within a few seconds."""
        try:
            self._send({"id": -1, "method": "Browser.close"})
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            os.close(self._write_fd)
            os.close(self._read_fd)

    def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._write_fd, data) :]

    def _receive(self, deadline: float) -> dict[str, Any]:
        """The browser's next message, waiting until ``deadline`` (a time.monotonic value) at the most."""
        while b"\0" not in self._buffer:
            if not select.select([self._read_fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
                raise BrowserError("Chromium did not answer in time")
            chunk = os.read(self._read_fd, 1 << 20)
            if not chunk:
                raise BrowserError(f"Chromium exited (status {self.process.poll()})")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = PAGE_TIMEOUT) -> dict[str, Any]:  # fmt: skip
        """Run one DevTools command (in a page's ``session``, else the browser's) and return its result;
        the events that arrive meanwhile are kept in :attr:`events`."""
        self._next_id += 1
        self._send({"id": self._next_id, "method": method, "params": params or {},
                    **({"sessionId": session} if session else {})})  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error'].get('message')}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str, session: str, timeout: float = PAGE_TIMEOUT) -> dict[str, Any]:
        """Wait for the next event ``method`` of a page's ``session`` (and take it from :attr:`events`)."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event.get("method") == method and event.get("sessionId") == session:
                    self.events.remove(event)
                    return event.get("params", {})
            self.events.append(self._receive(deadline))

    def take_events(self, session: str) -> list[dict[str, Any]]:
        """The events received so far from a page's ``session``, removed from :attr:`events`."""
        taken = [event for event in self.events if event.get("sessionId") == session]
        self.events = [event for event in self.events if event.get("sessionId") != session]
        return taken


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


def _screenshot(browser: DevTools, session: str, file: Path) -> None:
    """Save the page as a PNG, WINDOW_WIDTH wide and as tall as the page (MAX_SCREENSHOT_HEIGHT at the most)."""
    height = browser.call("Page.getLayoutMetrics", session=session)["cssContentSize"]["height"]
    clip = {"x": 0, "y": 0, "width": WINDOW_WIDTH, "height": min(max(height, 1), MAX_SCREENSHOT_HEIGHT), "scale": 1}
    shot = browser.call("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True}, session)
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
        browser.call("Emulation.setDeviceMetricsOverride", {"width": WINDOW_WIDTH, "height": WINDOW_HEIGHT,
                                                            "deviceScaleFactor": 1, "mobile": False}, session)  # fmt: skip
        navigation = browser.call("Page.navigate", {"url": page.as_uri()}, session)
        if navigation.get("errorText"):
            return [("broken link", f"the page does not open: {navigation['errorText']}")]
        browser.wait_for("Page.loadEventFired", session)
        settled = _settle(browser, session)
        _screenshot(browser, session, screenshot)
        found = [("console error", message) for message in map(console_error, browser.take_events(session)) if message]
        found += [("raw TeX", f"formula not typeset: {tex}") for tex in settled["raw"]]
        found += [("raw TeX", f"MathJax error: {error}") for error in settled["errors"]]
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


def check_book(html_dir: Path | str, screenshots_dir: Path | str | None = None,
               executable: str | None = None) -> list[Problem]:  # fmt: skip
    """Every problem of every page of the book built in ``html_dir`` (see the module's docstring), sorted by
    page; screenshots go to ``screenshots_dir`` (default: ``screenshots/`` beside ``html_dir``)."""
    html_dir = Path(html_dir).resolve()
    if not html_dir.is_dir():
        raise FileNotFoundError(f"no built book at {html_dir}; build it first (make book)")
    screenshots = Path(screenshots_dir) if screenshots_dir is not None else html_dir.parent / "screenshots"
    pages = book_pages(html_dir)
    return sorted(set(link_problems(html_dir, pages)) | set(browser_problems(html_dir, pages, screenshots, executable)))


def _count(number: int, noun: str) -> str:
    """``3 pages``, ``1 page``, ``no pages``."""
    return f"{number or 'no'} {noun}{'' if number == 1 else 's'}"


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: one line per problem; exit 1 if any, 2 without Chromium or a built book."""
    parser = argparse.ArgumentParser(
        prog="python -m gcnprune.browser_check",
        description="Open every page of a built book in headless Chromium; report console errors, raw TeX, "
        "broken local links and anchors and missing images, and save one screenshot per page.",
    )
    parser.add_argument("html", nargs="?", default="book/_build/html", help="the built book (default: book/_build/html)")
    parser.add_argument("--screenshots", default=None, help="where the screenshots go (default: screenshots/ beside HTML)")
    args = parser.parse_args(argv)
    try:
        problems = check_book(args.html, args.screenshots)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    print(f"{_count(len(book_pages(Path(args.html))), 'page')} checked: {_count(len(problems), 'problem')}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
