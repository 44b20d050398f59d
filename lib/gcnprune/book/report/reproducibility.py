"""The reproducibility page's tables, from the execution record the book's runner writes (provenance.json)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd


def load_record(provenance: str | os.PathLike[str] | None) -> dict[str, Any]:
    """The runner's record; an error naming the runner when the page is executed without one."""
    if provenance is None:
        raise RuntimeError(
            "this notebook reads the record written by the book's runner: run it with python -m gcnprune.book"
        )
    return json.loads(Path(provenance).read_text())


def build_text(build: dict[str, Any]) -> str:
    """The build's dataset (and its folder), profile and jobs, the runs it trained before the notebooks
    (whose times below then leave the training out), and its banner, as Markdown."""
    trained = build.get("trained") or {}
    training = (f" Before the notebooks, it trained the {trained['runs']} run(s) their chapters missed in "
                f"{trained['seconds']:.0f} s; the notebooks then read them from the cache, so their times below "
                "leave the training out." if trained.get("runs") else "")  # fmt: skip
    return (f"**This build**: dataset `{build['dataset']}`"
            + (f" (from `{build['data_root']}`)" if build.get("data_root") else "")
            + f", profile `{build['profile']}`, {build['jobs']} parallel job(s).{training}"
            + f"\n\n> {build['banner']}")  # fmt: skip


def execution_table(notebooks: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per notebook: when it was executed, how long it took, the library version and git commit."""
    return pd.DataFrame([
        {"notebook": n["source"], "executed (UTC)": n["started"], "seconds": f"{n['seconds']:.1f}",
         "gcnprune": n["version"],
         "git commit": (n["git_commit"] or "unknown")[:12] + (" (modified)" if n.get("git_dirty") else "")}
        for n in notebooks.values()
    ]).set_index("notebook")  # fmt: skip


def parameter_table(notebook: dict[str, Any]) -> pd.DataFrame:
    """A notebook's parameters, each value as JSON."""
    return pd.DataFrame({"value": {k: json.dumps(v) for k, v in notebook["parameters"].items()}})


def environment_tables(notebooks: dict[str, dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Python and package versions, and the machine, of the last notebook executed."""
    last = max(notebooks.values(), key=lambda n: n["started"])
    versions = {k: v or "not installed" for k, v in last["packages"].items()}
    packages = pd.DataFrame({"version": {"python": last["python"], **versions}})
    machine = pd.DataFrame({"value": {k: str(v) for k, v in last["machine"].items()}})
    return packages, machine


# the names the reproducibility notebook uses
__all__ = ["build_text", "environment_tables", "execution_table", "load_record", "parameter_table"]
