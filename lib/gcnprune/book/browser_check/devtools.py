"""A client of Chromium's DevTools protocol over a pipe (``--remote-debugging-pipe``): Chromium's
``--enable-logging`` output prints every console message as ``INFO:CONSOLE`` whatever its level, and says
nothing about images that fail to load, so the levels come from the protocol's events instead."""

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any

#: Seconds one page may take to load, typeset its formulas and load its images.
PAGE_TIMEOUT = 60.0


class BrowserError(RuntimeError):
    """Chromium exited, did not answer in time, or refused a DevTools command."""


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
