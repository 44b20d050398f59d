"""The repository this library runs from: its committed run cache and its git state (for provenance)."""

from __future__ import annotations

import subprocess

from gcnprune.data.locate import REPO_ROOT

DEFAULT_RESULTS = REPO_ROOT / "results"  # the run cache committed with the repository


def git(*args: str) -> str:
    """The output of ``git ARGS`` run in the repository, stripped; empty where git fails or is missing,
    as in a copy of the code outside any clone."""
    try:
        out = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""
