"""Building the HTML: the strict ``jupyter-book build`` of a staging copy, its configuration with the build's
banner, moving the result in place, and clearing the staging folders of runners that are gone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from gcnprune.experiments.pids import owned_by_live_process

from .errors import BuildFailed, plain_text

LOCK_FILE = ".lock"  # in book/_build/: the pid of the runner building this book
STAGING_PREFIX = ".staging-"  # book/_build/.staging-<pid>: one runner's staging copy


def replace_dir(source: Path, target: Path) -> None:
    """Move ``source`` to ``target``, replacing it (the old one is moved aside first, then deleted)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    shutil.move(str(source), str(target))
    shutil.rmtree(old, ignore_errors=True)


def jupyter_book_build(source: Path, config: Path, log: Callable[[str], None]) -> Path:
    """Strict ``jupyter-book build`` of ``source`` with ``config``; returns the HTML folder."""
    command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build", "-W", "-n",
               "--keep-going", "--config", str(config), str(source)]  # fmt: skip
    log("building the book: jupyter-book build -W -n --keep-going")
    env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    output = plain_text(done.stdout + done.stderr)
    html = source / "_build" / "html"
    if done.returncode != 0 or not (html / "index.html").is_file():
        problems = [line for line in output.splitlines() if "WARNING" in line or "ERROR" in line or "rror:" in line]
        tail = "\n".join(output.splitlines()[-30:])
        raise BuildFailed(
            f"jupyter-book build failed (exit {done.returncode}); strict mode turns every warning into a failure.\n"
            + ("Warnings and errors:\n" + "\n".join(problems[:50]) + "\n\n" if problems else "")
            + f"Last lines of its output:\n{tail}"
        )
    return html


def clear_stale_staging(build_dir: Path) -> list[Path]:
    """Remove the staging folders under ``build_dir`` whose runner is gone (a failed run leaves its own
    for inspection); a live runner's staging folder stays. Returns the folders removed."""
    removed = [p for p in sorted(build_dir.glob(STAGING_PREFIX + "*")) if not owned_by_live_process(p.name)]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def write_config(base: Path, target: Path, announcement: str) -> None:
    """The book's ``_config.yml`` with this build's announcement banner (the source config stays untouched)."""

    config = yaml.safe_load(base.read_text()) or {}
    config.setdefault("html", {})["announcement"] = announcement
    target.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
