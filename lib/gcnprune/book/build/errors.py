"""What goes wrong making the book: each error names the notebook or step, and why."""

from __future__ import annotations

import re
from pathlib import Path

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def plain_text(text: str) -> str:
    """``text`` without the terminal's colour codes (tracebacks and jupyter-book's output hold them)."""
    return _ANSI.sub("", text)


class BookError(RuntimeError):
    """The book could not be made; the message says which notebook or step, and why."""


class ParameterError(BookError, ValueError):
    """A parameter that a notebook's ``parameters`` cell does not assign, or a malformed ``--param``."""


class NotebookFailed(BookError):
    """A notebook raised while executing; the message names it and holds the failing cell's traceback."""

    def __init__(self, notebook: str, message: str, executed: Path | None = None) -> None:
        super().__init__(message)
        self.notebook = notebook
        self.executed = executed


class BuildFailed(BookError):
    """``jupyter-book build`` failed (in strict mode any warning fails it)."""
