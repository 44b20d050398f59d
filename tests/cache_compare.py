"""Comparing two run caches: the same runs, configurations, metrics (timing aside) and saved weights."""

from __future__ import annotations

import json
from pathlib import Path

import torch

TIMING = ("train_seconds", "curve_seconds")  # the only metrics that may differ between two runs


def metrics_without_timing(folder: Path) -> dict:
    metrics = json.loads((folder / "metrics.json").read_text())
    return {k: v for k, v in metrics.items() if k not in TIMING}


def assert_same_cache(actual: Path, expected: Path) -> None:
    """Same run folders, same config.json bytes, same metrics (timing aside) and same saved weights."""
    names = sorted(p.name for p in expected.iterdir())
    assert sorted(p.name for p in actual.iterdir()) == names
    for name in names:
        a, e = actual / name, expected / name
        assert (a / "config.json").read_bytes() == (e / "config.json").read_bytes()
        assert metrics_without_timing(a) == metrics_without_timing(e), name
        assert (a / "model.pt").is_file() == (e / "model.pt").is_file()
        if (e / "model.pt").is_file():
            sa, se = torch.load(a / "model.pt", weights_only=True), torch.load(e / "model.pt", weights_only=True)
            assert list(sa) == list(se) and all(torch.equal(sa[k], se[k]) for k in se)
