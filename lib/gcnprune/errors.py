"""The errors a user can fix, as opposed to bugs: the command lines print them as one ``error: …`` line.

Every one is a :class:`ValueError` (the dataset-not-found one also a :class:`FileNotFoundError`), so code
that caught the library's ``ValueError`` before still does; the message names the problem and its fix.
Anything else that escapes the library is a bug, and the command lines let its traceback through.
"""

from __future__ import annotations

from pathlib import Path


class UserError(ValueError):
    """Bad input that the user can fix: an option, a hyperparameter, the data, or a cache entry."""


class DataError(UserError):
    """A dataset file or folder that does not hold what its loader expects (the message names it)."""


class CacheError(UserError):
    """A damaged run folder in the run cache (``problem`` says what is wrong with ``folder``);
    ``gcnprune clean --delete`` removes it, so the next run recomputes it."""

    def __init__(self, folder: Path, problem: str) -> None:
        super().__init__(f"damaged run folder {folder}: {problem}; `gcnprune clean --delete --results "
                         f"{folder.parent}` removes it, and the next run recomputes it")  # fmt: skip
        self.folder = folder
        self.problem = problem

    def __reduce__(self) -> tuple[type, tuple[Path, str]]:  # so that it crosses process boundaries intact
        return type(self), (self.folder, self.problem)
