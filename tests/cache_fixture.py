"""Run folders written without training, for tests of pages that only read the run cache."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gcnprune.experiments import RunConfig


def placeholder_metrics(config: RunConfig, accuracy: float = 0.5) -> dict[str, Any]:
    """Metrics of the shape a finished run stores, with made-up values: the run meets its target rate
    exactly and keeps no dangling weight."""
    dense = 1000
    return {"accuracy": accuracy, "achieved_rate": config.rate, "target_rate": config.rate, "dangling_fraction": 0.0,
            "prunable_dense": dense, "prunable_nonzero": round((1 - config.rate) * dense), "train_seconds": 1.0,
            "evaluated_on": config.evaluate, "version": "test", "git_commit": "test"}  # fmt: skip


def write_runs(configs: Iterable[RunConfig], results: Path, **overrides: Any) -> list[Path]:
    """Store each configuration as a finished run (``config.json`` and ``metrics.json``, no ``model.pt``, as a
    clone of the repository holds them), with :func:`placeholder_metrics` updated by ``overrides``."""
    folders = []
    for config in configs:
        folder = results / config.run_hash()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(config.resolved(), indent=2, sort_keys=True) + "\n")
        (folder / "metrics.json").write_text(json.dumps({**placeholder_metrics(config), **overrides}, indent=2) + "\n")
        folders.append(folder)
    return folders
