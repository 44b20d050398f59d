"""What the book records about each notebook's execution and shows on every page: the environment (library
version, git commit, packages, machine), the build's banner, and the build machine's paths as shown."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from gcnprune import __version__
from gcnprune.data.locate import REPO_ROOT
from gcnprune.experiments.repo import git

PROVENANCE_FILE = "provenance.json"
PACKAGES = (
    "gcnprune", "torch", "numpy", "pandas", "matplotlib", "tqdm", "jupyter-book", "papermill", "jupytext",
    "ipykernel", "myst-nb", "sphinx", "sphinx-book-theme", "sphinxcontrib-bibtex", "sphinx-mathjax-offline", "nbclient",
    "nbformat",
)  # fmt: skip


def _processor() -> str:
    name = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return name or platform.machine()


def environment() -> dict[str, Any]:
    """Library version, git commit, package versions and machine, as recorded for every notebook."""
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    commit = git("rev-parse", "HEAD") or "unknown"
    dirty = bool(git("status", "--porcelain", "--untracked-files=no")) if commit != "unknown" else None
    return {
        "version": __version__,
        "git_commit": commit,
        "git_dirty": dirty,
        "python": platform.python_version(),
        "executable": shown_path(sys.executable),
        "packages": packages,
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "processor": _processor(),
            "cpu_count": os.cpu_count(),
        },
    }


def banner(dataset: str, profile: str, data_root: str | None = None, cache_only: bool = False) -> str:
    """The announcement shown on every page: which data and budget the numbers come from, and whether
    they were read from the run cache alone (no data on the build machine)."""
    if dataset == "synthetic":
        what = (f"This build uses the synthetic dataset and the {profile} profile: its numbers come from "
                f"generated skeletons and are not the papers' numbers.")  # fmt: skip
    else:
        where = f" ({data_root})" if data_root else ""
        what = (f"This build uses the {dataset.upper()} dataset{where} and the {profile} profile. Our methods are "
                f"reconstructions from the papers' abstracts; compare with the papers' numbers with care.")  # fmt: skip
    if cache_only:
        what += (f" Its numbers are the committed runs, read from the run cache: the {dataset.upper()} files were "
                 f"not on the build machine, so nothing was trained and its sequences are not drawn.")  # fmt: skip
    if profile == "smoke":
        what += " The smoke profile trains for a few epochs only: its accuracies are meaningless."
    return what


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path of the build machine as the book and its provenance record show it: relative to the
    repository where it lies in the repository or beside it (``results``, ``../shared/data/sbu``), else
    ``.../<its name>``, since the absolute path of a temporary or private folder tells a reader nothing
    (a folder in the system's temporary directory is never shown relative, even beside a clone there)."""
    path = Path(os.path.abspath(path))  # not resolved: .venv/bin/python stays itself, not the interpreter it links to
    relative = Path(os.path.relpath(path, REPO_ROOT))
    temporary = Path(os.path.abspath(tempfile.gettempdir()))
    inside_repository = not relative.parts or relative.parts[0] != ".."
    beside = relative.parts[:2].count("..") < 2 and temporary not in path.parents
    if inside_repository or beside:
        return relative.as_posix()
    return f".../{path.name}"


def shown_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """``parameters`` with every absolute path among their values shown by :func:`shown_path`."""
    return {k: shown_path(v) if isinstance(v, str) and os.path.isabs(v) else v for k, v in parameters.items()}
